// The body of a JSON request (POST /api/backfill), checked for its form before it is parsed:
// it must say it is JSON (415 otherwise) and be small (413 otherwise). The real Functions host
// accepts bodies up to 100 MB of any content type, so these limits are ours.
import { BadRequestError } from '../pipeline/bad-request.js';

/** A backfill body is a few hundred bytes; anything near this is not a request we can mean. */
export const MAX_JSON_BODY_BYTES = 16 * 1024;

/**
 * Refuses (415) a Content-Type other than application/json, with an optional charset=utf-8: the
 * host decodes the body as UTF-8, so a body announced in another charset would be misread.
 */
export function checkJsonContentType(contentType: string | null): void {
  const [mediaType = '', ...params] = (contentType ?? '').split(';').map((p) => p.trim().toLowerCase());
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/^"|"$/g, '');
  if (mediaType !== 'application/json' || (charset !== undefined && charset !== 'utf-8')) {
    throw new BadRequestError(`content-type must be application/json (UTF-8); got ${contentType ? `'${contentType.slice(0, 60)}'` : 'none'}`, 415);
  }
}

/** The body's text, after its Content-Type and size are checked. Throws BadRequestError (415, 413). */
export async function readJsonBody(
  request: { headers: { get(name: string): string | null }; text(): Promise<string> },
  maxBytes = MAX_JSON_BODY_BYTES,
): Promise<string> {
  checkJsonContentType(request.headers.get('content-type'));
  const tooLarge = () => new BadRequestError(`body is larger than ${maxBytes} bytes`, 413);
  // a declared length is refused before the body is read; a chunked one after
  if (Number(request.headers.get('content-length') ?? 0) > maxBytes) throw tooLarge();
  const text = await request.text();
  if (Buffer.byteLength(text, 'utf8') > maxBytes) throw tooLarge();
  return text;
}
