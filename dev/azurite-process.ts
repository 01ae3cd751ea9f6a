// Azurite in a child process of its own, for the local commands (npm run demo, npm run pipeline,
// npm start): the emulator is not the product, and in-process it added ~70 MB to the process whose
// memory we measure (with the embedded database inside it too). The child dies with its parent:
// it is connected by an IPC channel and exits when that closes, even after a kill -9 of the parent.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Azurite } from './azurite.js';

const SCRIPT = fileURLToPath(new URL('./azurite.ts', import.meta.url));

/** Starts dev/azurite.ts as a child (on disk, in `location`) and resolves once it listens. */
export async function startAzuriteProcess(options: { location: string; blobPort: number; queuePort: number }): Promise<Azurite & { pid: number }> {
  // process.execArgv carries tsx's loader, so the child runs the TypeScript source as we do
  const child = spawn(
    process.execPath,
    [...process.execArgv, SCRIPT, '--location', options.location, '--blob-port', String(options.blobPort), '--queue-port', String(options.queuePort)],
    { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  );
  const [stdout, stderr] = [child.stdout!, child.stderr!]; // piped above
  let output = '';
  stdout.setEncoding('utf8');
  stderr.setEncoding('utf8');
  stderr.on('data', (d: string) => (output += d));
  const connectionString = await new Promise<string>((done, fail) => {
    stdout.on('data', (d: string) => {
      output += d;
      const line = /^AzureWebJobsStorage=(.+)$/m.exec(output);
      if (line) done(line[1]!.trim());
    });
    child.once('exit', (code) => fail(new Error(`Azurite exited (${code}) before it listened: ${output.trim().split('\n').slice(-3).join(' ')}`)));
    child.once('error', fail);
  });
  const endpoint = (name: 'Blob' | 'Queue') => new RegExp(`${name}Endpoint=([^;]+)`).exec(connectionString)![1]!;
  const port = (url: string) => Number(new URL(url).port);
  return {
    pid: child.pid!,
    connectionString,
    blobUrl: endpoint('Blob'),
    queueUrl: endpoint('Queue'),
    blobPort: port(endpoint('Blob')),
    queuePort: port(endpoint('Queue')),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      // Azurite closes its servers within a second; one that hangs is not worth waiting for
      const hung = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(hung);
    },
  };
}
