// The local environment behind `npm start`, `npm run pipeline` and `npm run demo`: Azurite
// started by the project itself when AzureWebJobsStorage is the development storage, and an
// OLTP that is migrated and seeded when empty.
import { loadSettings } from '../shared/config/settings.js';
import { getDatabase } from '../shared/db/connections.js';
import { OLTP_TABLES } from '../shared/model/oltp-tables.js';
import { seedBase } from '../shared/seed/base.js';
import { DEFAULT_LOCATION, type Azurite } from './azurite.js';
import { startAzuriteProcess } from './azurite-process.js';

/** Starts Azurite in a child process (persisted in .data/azurite) unless a real storage account is configured. */
export async function startLocalStorage(log: (line: string) => void): Promise<{ stop: () => Promise<void> }> {
  const settings = loadSettings();
  if (settings.AzureWebJobsStorage !== 'UseDevelopmentStorage=true') return { stop: async () => {} };
  let azurite: Azurite;
  try {
    azurite = await startAzuriteProcess({ location: DEFAULT_LOCATION, blobPort: 10000, queuePort: 10001 });
  } catch {
    // the usual ports are taken (another emulator?): use free ones, this process only
    azurite = await startAzuriteProcess({ location: DEFAULT_LOCATION, blobPort: 0, queuePort: 0 });
  }
  log(`Azurite: blob ${azurite.blobUrl}, queue ${azurite.queueUrl} (data in ${DEFAULT_LOCATION}, its own process)`);
  // everything in this process (handlers included) reads the storage setting from here
  process.env.AzureWebJobsStorage = azurite.connectionString;
  return { stop: () => azurite.stop() };
}

export async function oltpRowCounts(): Promise<Record<string, number>> {
  const oltp = await getDatabase('oltp');
  const counts: Record<string, number> = {};
  for (const t of OLTP_TABLES) {
    const r = await oltp.db
      .selectFrom(`oltp.${t}`)
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    counts[t] = Number(r.n);
  }
  return counts;
}

/** Seeds the OLTP when it has no rows at all (a fresh clone). Returns whether it seeded. */
export async function seedIfEmpty(scale: number, log: (line: string) => void): Promise<boolean> {
  const counts = await oltpRowCounts();
  if (Object.values(counts).some((n) => n > 0)) return false;
  const oltp = await getDatabase('oltp');
  const asOf = new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00.000Z');
  log(`OLTP is empty: seeding ${oltp.description} (scale ${scale}, seed 42, as of ${asOf.toISOString().slice(0, 10)})`);
  await seedBase(oltp, { scale, seed: 42, asOf, log });
  return true;
}
