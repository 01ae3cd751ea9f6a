// The manifest of one extracted batch: written last, so a batch without a manifest is
// incomplete by definition and never loaded. Loaders trust nothing else about a batch.
//
// Part formats:
//   schemaVersion 1: gzip NDJSON, one JSON object per row (batches written before the byte-stream
//                    extract; still read, so old runs can be replayed);
//   schemaVersion 2: gzip PostgreSQL COPY text ('pg-copy-text': tab-separated, \N for NULL,
//                    backslash escapes), one line per row, the fields in the order of `columns`.
//                    Values: timestamps UTC ISO-8601 with milliseconds ('2024-06-01T10:00:00.123Z'),
//                    dates YYYY-MM-DD, decimals exact text, booleans t/f: the same text the JSON
//                    form held, so both formats load into identical rows.
//
// Control totals (`totals`, optional in both versions): the sum of each money column of the
// entity (totalledColumns: its decimal(19,4) columns) over exactly the rows of the batch, as an
// exact decimal string with 4 places ('12345.6700'; no rows: '0.0000'). The extract computes them
// in the snapshot it copies the rows from, so they describe the very rows written; the load's
// control_totals check compares them with staging + quarantine (shared/quality/control-totals.ts).
// Manifests written before the field existed have no totals: they load and replay as before, and
// the check compares their row count only.
import { z } from 'zod';
import type { ColumnSpec } from '../db/database.js';

export const MANIFEST_SCHEMA_VERSION = 2;

export const PART_FORMAT = 'pg-copy-text';

export const partSchema = z.object({
  path: z.string().min(1),
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export const manifestSchema = z
  .object({
    schemaVersion: z.union([z.literal(1), z.literal(MANIFEST_SCHEMA_VERSION)]),
    /** schemaVersion 2: how the parts are encoded, and their columns in field order */
    format: z.literal(PART_FORMAT).optional(),
    columns: z.array(z.string().min(1)).min(1).optional(),
    runId: z.string().min(1),
    entity: z.string().min(1),
    /** (from, to]: from is null for the first load of an entity */
    window: z.object({ from: z.iso.datetime().nullable(), to: z.iso.datetime() }),
    rowCount: z.number().int().nonnegative(),
    parts: z.array(partSchema),
    /** min/max of the entity's business dates in this batch (for the calendar), null when none */
    dateRange: z.object({ min: z.iso.date(), max: z.iso.date() }).nullable(),
    /** column -> sum over the batch's rows, exact with 4 decimals; absent in manifests written before control totals */
    totals: z.record(z.string().min(1), z.string().regex(/^-?\d+\.\d{4}$/)).optional(),
    createdAt: z.iso.datetime(),
  })
  .refine((m) => m.schemaVersion === 1 || (m.format !== undefined && m.columns !== undefined), {
    message: `schemaVersion ${MANIFEST_SCHEMA_VERSION} needs format and columns`,
  });

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestPart = z.infer<typeof partSchema>;

/** True when the batch's parts are COPY text (schemaVersion 2). */
export const isCopyText = (m: Manifest): m is Manifest & { format: typeof PART_FORMAT; columns: string[] } => m.schemaVersion === 2;

/** The columns whose sums a manifest records: money, i.e. decimal(19,4) (a ColumnSpec's decimal default), not rates. */
export const totalledColumns = (columns: readonly ColumnSpec[]): string[] =>
  columns.filter((c) => c.kind === 'decimal' && (c.precision ?? 19) === 19 && (c.scale ?? 4) === 4).map((c) => c.name);
