// The manifest of one extracted batch: written last, so a batch without a manifest is
// incomplete by definition and never loaded. Loaders trust nothing else about a batch.
import { z } from 'zod';

export const MANIFEST_SCHEMA_VERSION = 1;

export const partSchema = z.object({
  path: z.string().min(1),
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export const manifestSchema = z.object({
  schemaVersion: z.literal(MANIFEST_SCHEMA_VERSION),
  runId: z.string().min(1),
  entity: z.string().min(1),
  /** (from, to]: from is null for the first load of an entity */
  window: z.object({ from: z.iso.datetime().nullable(), to: z.iso.datetime() }),
  rowCount: z.number().int().nonnegative(),
  parts: z.array(partSchema),
  /** min/max of the entity's business dates in this batch (for the calendar), null when none */
  dateRange: z.object({ min: z.iso.date(), max: z.iso.date() }).nullable(),
  createdAt: z.iso.datetime(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestPart = z.infer<typeof partSchema>;
