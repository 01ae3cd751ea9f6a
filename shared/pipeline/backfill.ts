// POST /api/backfill, minus HTTP: validate a request to re-extract a window and count it for a
// dry run. functions/backfill.ts only maps these outcomes to status codes.
//
// A backfill window is (from, to], exactly like an extract window: rows whose updated_at is
// after `from` and at or before `to`. A date without a time means 00:00 UTC; a datetime must say
// its offset (Z or +hh:mm) — timestamps are UTC end to end, a naive one would be a guess.
import { z } from 'zod';
import type { Settings } from '../config/settings.js';
import type { Database } from '../db/database.js';
import { tablesOf, type OltpTables } from '../db/schema/index.js';
import { readClock, snapshotIsolation } from '../db/portable-sql.js';
import { BadRequestError } from './bad-request.js';
import type { PipelineContext } from './context.js';
import { ENTITIES, type EntityName } from './entities.js';
import { changedIn } from './extract.js';

export interface BackfillRequest {
  window: { from: Date; to: Date };
  /** in load order; every entity when the request named none */
  entities: EntityName[];
  dryRun: boolean;
}

const DAY_MS = 24 * 3600 * 1000;
const ENTITY_NAMES = ENTITIES.map((e) => e.name);
const FIELDS = ['from', 'to', 'entities', 'dryRun'];
const INSTANT_FORMAT = 'an ISO date (2026-10-01, meaning 00:00 UTC) or a datetime with its offset (2026-10-01T12:00:00Z)';

/** 'a', 'b' and 3 more: at most 5 names, each cut at 40 characters, so an answer stays short whatever was sent. */
const quoteSome = (names: readonly string[]) =>
  `${names
    .slice(0, 5)
    .map((n) => `'${n.slice(0, 40)}'`)
    .join(', ')}${names.length > 5 ? ` and ${names.length - 5} more` : ''}`;

const isoDate = z.iso.date();
const isoDateTime = z.iso.datetime({ offset: true });

/** '2026-10-01' -> 2026-10-01T00:00:00Z; '2026-10-01T12:00:00+02:00' -> 10:00Z; anything else -> null. */
export function parseInstant(value: string): Date | null {
  const text = value.trim();
  let date: Date | null = null;
  if (isoDate.safeParse(text).success) date = new Date(`${text}T00:00:00Z`);
  else if (isoDateTime.safeParse(text).success) date = new Date(text);
  return date && !Number.isNaN(date.getTime()) ? date : null;
}

const instant = () =>
  z
    .string({ error: (issue) => (issue.input === undefined ? `is required (${INSTANT_FORMAT})` : `must be a string (${INSTANT_FORMAT})`) })
    .transform((v, ctx) => {
      const date = parseInstant(v);
      if (!date) {
        const naive = z.iso.datetime({ local: true }).safeParse(v.trim()).success;
        ctx.addIssue({
          code: 'custom',
          message: naive ? `'${v.trim()}' has no offset; add Z for UTC (${INSTANT_FORMAT})` : `'${v.slice(0, 40)}' is not ${INSTANT_FORMAT}`,
        });
        return z.NEVER;
      }
      return date;
    });

const requestSchema = z.strictObject(
  {
    from: instant(),
    to: instant(),
    entities: z
      .array(z.string({ error: 'must be entity names (strings)' }), { error: `must be an array of entity names (${ENTITY_NAMES.join(', ')})` })
      .min(1, 'must not be empty; leave it out to backfill every entity')
      .superRefine((names, ctx) => {
        const unknown = [...new Set(names.filter((n) => !(ENTITY_NAMES as string[]).includes(n)))];
        if (unknown.length) {
          ctx.addIssue({
            code: 'custom',
            message: `unknown entit${unknown.length === 1 ? 'y' : 'ies'} ${quoteSome(unknown)}; valid: ${ENTITY_NAMES.join(', ')}`,
          });
        }
      })
      .optional(),
    dryRun: z.boolean({ error: 'must be true or false' }).optional(),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field${issue.keys.length === 1 ? '' : 's'} ${quoteSome(issue.keys)}; expected ${FIELDS.join(', ')}`
        : undefined,
  },
);

const describeIssues = (error: z.ZodError) => error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');

/**
 * Validates a backfill request body (the raw text of the HTTP body): its shape, from < to and
 * the window's length. Throws BadRequestError.
 */
export function parseBackfillBody(bodyText: string, maxDays: number): BackfillRequest {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    throw new BadRequestError(`body is not JSON; expected {"from": "2026-10-01", "to": "2026-11-01", "entities"?: [...], "dryRun"?: true}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestError(
      `body must be a JSON object with ${FIELDS.join(', ')}; got ${Array.isArray(body) ? 'an array' : body === null ? 'null' : `a ${typeof body}`}`,
    );
  }
  const parsed = requestSchema.safeParse(body);
  if (!parsed.success) throw new BadRequestError(describeIssues(parsed.error));
  const { from, to, entities, dryRun } = parsed.data;
  if (from.getTime() >= to.getTime()) {
    throw new BadRequestError(`from (${from.toISOString()}) must be before to (${to.toISOString()}); the window is (from, to]`);
  }
  const days = (to.getTime() - from.getTime()) / DAY_MS;
  if (days > maxDays) {
    throw new BadRequestError(
      `the window from ${from.toISOString()} to ${to.toISOString()} is ${Math.ceil(days * 100) / 100} days; at most ${maxDays} days (BACKFILL_MAX_DAYS) per request — split it into several`,
    );
  }
  return {
    window: { from, to },
    entities: ENTITY_NAMES.filter((n) => !entities || entities.includes(n)),
    dryRun: dryRun ?? false,
  };
}

/** A backfill may not reach into the future of the source clock (`now`). Throws BadRequestError. */
export function checkWindowEnd(request: BackfillRequest, now: Date): void {
  const { to } = request.window;
  if (to.getTime() > now.getTime()) throw new BadRequestError(`to (${to.toISOString()}) is in the future of the source clock (${now.toISOString()})`);
}

/**
 * A backfill may not start before BACKFILL_MIN_DATE (`floor`): a window in year 0000 is a typo,
 * and the source has no rows that old to re-read. Throws BadRequestError.
 */
export function checkWindowStart(request: BackfillRequest, floor: Date): void {
  const { from } = request.window;
  if (from.getTime() < floor.getTime()) {
    throw new BadRequestError(`from (${from.toISOString()}) is before ${floor.toISOString().slice(0, 10)} (BACKFILL_MIN_DATE)`);
  }
}

/** Everything that can be checked without a database: the body, the window's length and its floor. Throws BadRequestError. */
export function parseBackfillRequest(bodyText: string, settings: Pick<Settings, 'BACKFILL_MAX_DAYS' | 'BACKFILL_MIN_DATE'>): BackfillRequest {
  const request = parseBackfillBody(bodyText, settings.BACKFILL_MAX_DAYS);
  checkWindowStart(request, settings.BACKFILL_MIN_DATE);
  return request;
}

/** The one check that needs the source: its clock, read at request time. Throws BadRequestError. */
export async function checkAgainstSourceClock(source: Database<OltpTables>, request: BackfillRequest): Promise<void> {
  checkWindowEnd(request, await readClock(source.db));
}

/**
 * Validates a backfill request against the settings and the source clock. Throws
 * BadRequestError. A malformed body never reaches the database.
 */
export async function planBackfill(ctx: Pick<PipelineContext, 'oltp' | 'settings'>, bodyText: string): Promise<BackfillRequest> {
  const request = parseBackfillRequest(bodyText, ctx.settings);
  await checkAgainstSourceClock(ctx.oltp, request);
  return request;
}

/** Dry run: per entity, the source rows a backfill of this window would extract (updated_at in (from, to]), in one snapshot. */
export async function countBackfillRows(
  source: Database<OltpTables>,
  window: BackfillRequest['window'],
  entities: readonly EntityName[],
): Promise<Record<string, number>> {
  return source.db
    .transaction()
    .setIsolationLevel(snapshotIsolation(source.db))
    .execute(async (trx) => {
      const rows: Record<string, number> = {};
      for (const def of ENTITIES.filter((e) => entities.includes(e.name))) {
        const r = await changedIn(
          tablesOf(trx, 'oltp')
            .selectFrom(`oltp.${def.name}`)
            .select((eb) => eb.fn.countAll().as('n')),
          window,
        ).executeTakeFirstOrThrow();
        rows[def.name] = Number(r.n);
      }
      return rows;
    });
}
