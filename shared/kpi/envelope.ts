// What every KPI answer carries besides its data: the certified-as-of time (etl.certified), the
// newest run (etl.run) and whether the data is stale (the last run failed, nothing is certified
// yet, or the certified time is older than QUALITY_FRESHNESS_WARN_MINUTES, the SLA).
import type { Kysely } from 'kysely';
import { firstRows } from '../db/portable-sql.js';
import type { WarehouseTables } from '../db/schema/index.js';
import { readCertified } from '../quality/certified.js';
import type { KpiArea, KpiEnvelope, KpiFilters } from './contract.js';

export interface EnvelopeSettings {
  QUALITY_FRESHNESS_WARN_MINUTES: number;
}

export type EnvelopeHead = Omit<KpiEnvelope<never>, 'area' | 'filters' | 'data'>;

const iso = (v: Date | string | null | undefined) => (v === null || v === undefined ? null : new Date(v).toISOString());

/** The certified-as-of time, the newest run and the staleness verdict at `now`. */
export async function readEnvelopeHead(db: Kysely<WarehouseTables>, settings: EnvelopeSettings, now = new Date()): Promise<EnvelopeHead> {
  const certified = await readCertified(db);
  const run = await firstRows(
    db,
    db.selectFrom('etl.run').select(['run_id', 'status', 'finished_at']).orderBy('started_at', 'desc').orderBy('run_id', 'desc'),
    1,
  ).executeTakeFirst();
  const certifiedTo = iso(certified.certifiedTo);
  const lastRun = run ? { runId: run.run_id, status: run.status, finishedAt: iso(run.finished_at) } : null;
  const late = certifiedTo === null || now.getTime() - new Date(certifiedTo).getTime() > settings.QUALITY_FRESHNESS_WARN_MINUTES * 60_000;
  return { certifiedTo, lastRun, stale: late || lastRun?.status === 'failed' };
}

export function envelope<T>(area: KpiArea, filters: KpiFilters, head: EnvelopeHead, data: T): KpiEnvelope<T> {
  return { area, filters, ...head, data };
}
