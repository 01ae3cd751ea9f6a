// Creates a new embedded database folder in a short-lived child process, so the memory PGlite's
// initdb takes goes away with the child and the process that works with the database starts small.
//
// PGlite's initdb starts a second PostgreSQL WebAssembly instance, keeps a copy of that instance's
// whole 128 MB heap to reset it between initdb's backend runs, and, for a folder on disk, builds
// the cluster in memory and copies it over as a tar. Done naively the child peaked at 690-760 MB
// (npm run demo's first run). The child below peaks at 325-355 MB because:
// - initdb runs on an in-memory database (its files go straight into that instance's file system),
//   whose tar is then loaded into the folder by a second, plain open, with garbage collected
//   between the steps;
// - the heap copy is made sparse: it is nearly all zero pages, which need not be written
//   (the copy is byte for byte the same; only untouched pages stay unallocated);
// - V8 compiles the WebAssembly with its baseline compiler only (initdb runs once; the optimising
//   tier's compile memory would cost ~250 MB here) and keeps a small JavaScript heap;
// - shared_buffers is 16MB: PostgreSQL's buffers live in the WebAssembly heap, and the setting
//   stays in the folder's postgresql.conf (at 128MB the demo process itself was ~100 MB larger).
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';

/** PostgreSQL settings every new embedded folder gets (written to its postgresql.conf by initdb). */
export const EMBEDDED_SETTINGS = { shared_buffers: '16MB' } as const;

const CREATE = `
const [dir, pglite, settings] = process.argv.slice(1);
// initdb's heap copy is HEAPU8.slice(): copy only the 64 KiB chunks that are not all zero
const slice = Uint8Array.prototype.slice;
Uint8Array.prototype.slice = function (start, end) {
  if (start !== undefined || end !== undefined || this.length < 64 * 1024 * 1024 || this.byteOffset % 8 || this.length % 8) return slice.call(this, start, end);
  const copy = new Uint8Array(this.length);
  const words = new BigUint64Array(this.buffer, this.byteOffset, this.length / 8);
  const chunk = 8192; // 64 KiB in 8-byte words
  for (let at = 0; at < words.length; at += chunk) {
    const end = Math.min(at + chunk, words.length);
    for (let i = at; i < end; i++) {
      if (words[i] !== 0n) { copy.set(this.subarray(at * 8, end * 8), at * 8); break; }
    }
  }
  return copy;
};
const { PGlite } = await import(pglite);
const memory = await PGlite.create('memory://', { initDbStartParams: JSON.parse(settings) });
globalThis.gc(); // initdb's own instance and heap copy, before the tar is built
const tarball = await memory.dumpDataDir('none');
await memory.close();
globalThis.gc();
await (await PGlite.create(dir, { loadDataDir: tarball })).close();
`;

/**
 * Makes `dir` a PGlite data folder if it is not one yet (PG_VERSION marks a finished one). The
 * folder is built beside `dir` and renamed into place, so a create that dies half-way never
 * leaves a half-made database under the setting's name.
 */
export async function initEmbeddedFolder(dir: string): Promise<void> {
  if (existsSync(join(dir, 'PG_VERSION'))) return;
  if (existsSync(dir)) {
    if (readdirSync(dir).length > 0) {
      throw new Error(
        `could not create the embedded database folder ${dir}: it exists and is not empty but holds no database (no PG_VERSION); move it away or name another folder`,
      );
    }
    rmdirSync(dir); // an empty folder someone made in advance: the new one takes its place
  }
  const building = join(dirname(dir), `.${basename(dir)}.creating-${randomUUID()}`);
  const settings = Object.entries(EMBEDDED_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  try {
    // PGlite does not create parent folders itself.
    mkdirSync(dirname(dir), { recursive: true });
    await promisify(execFile)(
      process.execPath,
      [
        '--expose-gc',
        '--liftoff-only',
        '--max-old-space-size=32',
        '--input-type=module',
        '-e',
        CREATE,
        building,
        import.meta.resolve('@electric-sql/pglite'),
        JSON.stringify(settings),
      ],
      // none of the parent's NODE_OPTIONS (its heap budget, tsx's loader): the flags above are the child's
      { env: { ...process.env, NODE_OPTIONS: '' }, timeout: 120_000 },
    );
    try {
      renameSync(building, dir);
    } catch (e) {
      // another process made the folder first: theirs is kept
      if (!existsSync(join(dir, 'PG_VERSION'))) throw e;
    }
  } catch (e) {
    const stderr = String((e as { stderr?: unknown }).stderr ?? '');
    const why = stderr.split('\n').find((l) => /Error/.test(l)) ?? (e as Error).message;
    throw new Error(`could not create the embedded database folder ${dir}: ${why.trim()}`, { cause: e });
  } finally {
    removeIfThere(building);
  }
}

// existsSync first: under a path that is a file, rmSync fails (ENOTDIR) even with force
const removeIfThere = (path: string) => existsSync(path) && rmSync(path, { recursive: true, force: true });
