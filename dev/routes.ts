// HTTP routing as the real host (ASP.NET Core behind Kestrel) does it for this app, so a request
// gets the same answer locally as on Azure:
// - the request target must be a path (or an absolute URL, whose path is used); anything else is a 400;
// - the path is percent-decoded once, before routing, as Kestrel's UrlDecoder does it: a valid
//   UTF-8 escape is decoded, anything else (%ZZ, a lone %E0, an overlong form) is kept as written,
//   %2F stays %2F (it never splits a segment), and %00 is refused: 400 "The path contains null
//   characters"; then dot segments are removed;
// - routes live under /api: plain segments match case-insensitively, `{name}` and `{name?}`
//   parameters take one segment each (no constraints), a trailing slash is ignored;
// - a path that no route takes for the request's method is a 404, also when another method would
//   be taken: the real host answers no 405 (Azure/azure-functions-host#10098, #11625).

/** The path of a request target (before decoding), or null when it is neither a path nor an absolute http(s) URL. */
export function requestPath(target: string): string | null {
  if (target.startsWith('/')) return target.split('?')[0]!;
  try {
    const url = new URL(target);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.pathname : null;
  } catch {
    return null;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The byte a `%xx` at `i` stands for; -1 when there is none there, or it is %2F (never decoded). */
function escapedByte(raw: string, i: number): number {
  if (raw[i] !== '%' || !/^[0-9a-f]{2}$/i.test(raw.slice(i + 1, i + 3))) return -1;
  const byte = parseInt(raw.slice(i + 1, i + 3), 16);
  return byte === 0x2f ? -1 : byte;
}

/** The length of the UTF-8 sequence a first byte starts (0: it cannot start one). */
const sequenceLength = (b: number) => (b < 0x80 ? 1 : (b & 0xe0) === 0xc0 ? 2 : (b & 0xf0) === 0xe0 ? 3 : (b & 0xf8) === 0xf0 ? 4 : 0);

/** Kestrel's decoding of a raw path (see above); null when it holds an encoded NUL, which Kestrel answers with 400. */
export function decodePath(raw: string): string | null {
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const first = escapedByte(raw, i);
    if (first === -1) {
      out += raw[i++];
      continue;
    }
    if (first === 0) return null;
    const bytes = [first];
    const length = sequenceLength(first);
    while (bytes.length < length) {
      const next = escapedByte(raw, i + 3 * bytes.length);
      if (next === -1 || (next & 0xc0) !== 0x80) break;
      bytes.push(next);
    }
    let char: string | null = null;
    try {
      if (bytes.length === length) char = utf8.decode(new Uint8Array(bytes)); // refuses overlong forms, surrogates, > U+10FFFF
    } catch {
      char = null;
    }
    // not a whole, valid character: the escapes stay as they were written
    out += char ?? raw.slice(i, i + 3 * bytes.length);
    i += 3 * bytes.length;
  }
  return removeDotSegments(out);
}

/** RFC 3986 remove_dot_segments on an absolute path: /api/x/../runs -> /api/runs. */
function removeDotSegments(path: string): string {
  const segments = path.split('/').slice(1);
  const out: string[] = [];
  segments.forEach((segment, i) => {
    if (segment !== '.' && segment !== '..') return void out.push(segment);
    if (segment === '..') out.pop();
    if (i === segments.length - 1) out.push(''); // '/a/b/..' is '/a/', a directory
  });
  return `/${out.join('/')}`;
}

/** The route parameters of a decoded `path` for a route template, or null when the path does not match. */
export function matchRoute(template: string, path: string): Record<string, string> | null {
  const names: string[] = [];
  const pattern = template
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)(\?)?\}$/.exec(segment);
      if (!param) return `/${segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
      names.push(param[1]!);
      return param[2] ? '(?:/([^/]+))?' : '/([^/]+)';
    })
    .join('');
  const m = new RegExp(`^/api${pattern}/?$`, 'i').exec(path);
  if (!m) return null;
  const params: Record<string, string> = {};
  names.forEach((name, i) => {
    if (m[i + 1] !== undefined) params[name] = m[i + 1]!;
  });
  return params;
}

/** The function serving `method` on a decoded `path`, or null (the host's 404) when no route takes both. */
export function findRoute<R extends { route: string; methods: readonly string[] }>(
  routes: readonly R[],
  method: string,
  path: string,
): { route: R; params: Record<string, string> } | null {
  for (const route of routes) {
    const params = route.methods.includes(method) ? matchRoute(route.route, path) : null;
    if (params) return { route, params };
  }
  return null;
}
