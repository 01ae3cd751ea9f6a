// A parent process for tests/integration/azurite-process.test.ts: starts Azurite as its child,
// prints the child's pid and waits to be killed.
import { startAzuriteProcess } from '../../dev/azurite-process.js';

const azurite = await startAzuriteProcess({ location: process.argv[2]!, blobPort: 0, queuePort: 0 });
console.log(`AZURITE_PID=${azurite.pid}`);
setInterval(() => undefined, 60_000);
