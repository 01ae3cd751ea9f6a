// The files under infra/ that the offline infra checks read (tests/infra/*.test.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const infraDir = join(repoRoot, 'infra');

/** Every file under infra/ whose name ends with `.${extension}`, as absolute paths, sorted. */
export function infraFiles(extension: string): string[] {
  const entries = readdirSync(infraDir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(`.${extension}`))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** A file's path relative to the repository, for test names and messages. */
export const repoPath = (file: string): string => relative(repoRoot, file);

export const readText = (file: string): string => readFileSync(file, 'utf8');

/** The ```kusto code blocks of a Markdown file (the example queries of docs/monitoring.md). */
export function kustoBlocks(markdownFile: string): string[] {
  return [...readText(markdownFile).matchAll(/^```kusto\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');
}

export const monitoringDoc = join(repoRoot, 'docs', 'monitoring.md');

// The deployment checks (tests/infra/deploy-*, settings-coverage, workflows-*) read these too.

/** A file of the repository by its path from the root, e.g. repoFile('infra', 'main.bicep'). */
export const repoFile = (...parts: string[]): string => join(repoRoot, ...parts);

export const mainTemplate = join(infraDir, 'main.bicep');
export const workflowsDir = join(repoRoot, '.github', 'workflows');
