// Real public datasets for tests live in the team's shared folder beside the repository
// (../shared/datasets; CI lays it there too). A missing dataset fails the test loudly: a skipped
// real-data scenario would let CI pass without checking anything.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export function datasetPath(relative: string): string {
  const path = resolve('../shared/datasets', relative);
  if (!existsSync(path)) throw new Error(`test dataset missing: ${path} (the shared datasets must sit beside the repository)`);
  return path;
}

export const superstorePath = () => datasetPath('superstore/Sample - Superstore.csv.gz');
