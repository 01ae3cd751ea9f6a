// Health of the app's dependencies, for GET /api/health and monitoring probes.
import { sql } from 'kysely';
import type { DatabaseRole } from '../sql/migrations/index.js';
import { getOltpDatabase, getWarehouseDatabase } from './db/connections.js';

export interface DependencyHealth {
  name: DatabaseRole;
  ok: boolean;
  engine?: string;
  /** engine and location, never credentials */
  target?: string;
  latencyMs: number;
  error?: string;
}

export async function checkHealth(): Promise<{ ok: boolean; dependencies: DependencyHealth[] }> {
  const dependencies = await Promise.all(
    (['oltp', 'dw'] as const).map(async (name): Promise<DependencyHealth> => {
      const started = performance.now();
      try {
        const database = await (name === 'oltp' ? getOltpDatabase() : getWarehouseDatabase());
        await sql`select 1 as ok`.execute(database.db);
        return { name, ok: true, engine: database.engine, target: database.description, latencyMs: Math.round(performance.now() - started) };
      } catch (e) {
        return { name, ok: false, latencyMs: Math.round(performance.now() - started), error: e instanceof Error ? e.message : String(e) };
      }
    }),
  );
  return { ok: dependencies.every((d) => d.ok), dependencies };
}
