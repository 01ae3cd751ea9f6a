// A refused request as an HTTP answer: the status the refusal carries (400, 413 or 415) and a JSON
// body naming what is wrong. Anything that is not a refusal is rethrown (the host answers 500).
import type { HttpResponseInit } from '@azure/functions';
import { BadRequestError } from '../../shared/pipeline/bad-request.js';

export function refusal(e: unknown): HttpResponseInit {
  if (!(e instanceof BadRequestError)) throw e;
  return { status: e.status, jsonBody: { error: e.message } };
}
