// The inputs of GET /api/quality, checked before any query: `limit` as for GET /api/runs, and
// `check`, when given, once and naming a check of the catalogue (a typo would list nothing and
// look like a clean history).
import { BadRequestError } from '../pipeline/bad-request.js';
import { QUALITY_CHECKS } from '../quality/catalogue.js';
import { runsLimit } from './runs-request.js';

export interface QualityQuery {
  limit: number;
  check?: string;
}

export function qualityQuery(query: URLSearchParams): QualityQuery {
  const limit = runsLimit(query);
  const checks = query.getAll('check');
  if (checks.length > 1) throw new BadRequestError(`check must be given once; got it ${checks.length} times`);
  if (checks.length === 0) return { limit };
  const check = checks[0]!.trim();
  const known = [...new Set(QUALITY_CHECKS.map((c) => c.name))];
  if (!known.includes(check))
    throw new BadRequestError(`check ${JSON.stringify(check.slice(0, 80))} is not a check of the catalogue; known checks: ${known.join(', ')}`);
  return { limit, check };
}
