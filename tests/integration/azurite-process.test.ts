// The local commands run Azurite as a child process (dev/azurite-process.ts): it must serve,
// stop when asked, and never outlive its parent, even one killed with SIGKILL.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzuriteProcess } from '../../dev/azurite-process.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function gone(pid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await sleep(200);
  }
  return !alive(pid);
}

describe('Azurite in a child process', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'azurite-process-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves blobs on the ports it reports and is gone after stop()', async () => {
    const azurite = await startAzuriteProcess({ location: join(dir, 'a'), blobPort: 0, queuePort: 0 });
    try {
      expect(azurite.blobPort).toBeGreaterThan(0);
      const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('probe');
      await container.createIfNotExists();
      await container.getBlockBlobClient('x.txt').upload('hello', 5);
      expect((await container.getBlobClient('x.txt').downloadToBuffer()).toString()).toBe('hello');
    } finally {
      await azurite.stop();
    }
    expect(alive(azurite.pid)).toBe(false);
  });

  it('ends when its parent is killed with SIGKILL', async () => {
    const parent = spawn(
      process.execPath,
      [
        ...process.execArgv.filter((a) => !a.startsWith('--experimental-vm-modules')),
        '--import',
        'tsx',
        'tests/helpers/azurite-parent-child.ts',
        join(dir, 'b'),
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const pid = await new Promise<number>((done, fail) => {
      let out = '';
      parent.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /AZURITE_PID=(\d+)/.exec(out);
        if (m) done(Number(m[1]));
      });
      parent.once('exit', (code) => fail(new Error(`parent exited (${code}) before Azurite started: ${out}`)));
    });
    expect(alive(pid)).toBe(true);
    parent.kill('SIGKILL');
    expect(await gone(pid, 15_000)).toBe(true);
  });
});
