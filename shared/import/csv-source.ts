// Opens a text file for a streaming parse: plain or gzip-compressed (recognised by its magic
// bytes, not its name), decoded as UTF-8 or, when the bytes are not valid UTF-8 (a true
// Windows-1252 original), as Windows-1252. C1 control characters U+0080-U+009F, which a
// "Windows-1252 read as Latin-1" conversion leaves behind (U+0093 for a left double quote), are
// repaired to their Windows-1252 meaning; the five bytes Windows-1252 leaves undefined become
// U+FFFD. Everything else (no-break spaces included) is kept as is.
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';

export type SourceEncoding = 'utf-8' | 'windows-1252';

/** The file cannot be opened, decompressed or decoded. */
export class SourceFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SourceFileError';
  }
}

export interface TextSource {
  readonly path: string;
  readonly gzip: boolean;
  readonly encoding: SourceEncoding;
  /** C1 characters repaired so far by text() streams (complete once a stream has been read to the end) */
  readonly repairs: { c1: number; undefinedC1: number };
  /** The decoded, repaired text as a stream of string chunks; each call reads the file again. */
  text(): Readable;
}

// U+0080-U+009F -> the character the same byte means in Windows-1252 (WHATWG table; the
// undefined bytes 0x81, 0x8D, 0x8F, 0x90, 0x9D decode to themselves and map to U+FFFD).
const C1_REPAIR: ReadonlyMap<string, string> = (() => {
  const decoder = new TextDecoder('windows-1252');
  const map = new Map<string, string>();
  for (let b = 0x80; b <= 0x9f; b++) {
    const c = decoder.decode(Uint8Array.of(b));
    map.set(String.fromCharCode(b), c.charCodeAt(0) === b ? '\uFFFD' : c);
  }
  return map;
})();
const C1 = /[\u0080-\u009f]/g;

/** Replaces C1 control characters with their Windows-1252 meaning; counts what it replaced. */
export function repairC1(text: string, counts: { c1: number; undefinedC1: number } = { c1: 0, undefinedC1: 0 }): string {
  return text.replace(C1, (ch) => {
    const r = C1_REPAIR.get(ch)!;
    if (r === '\uFFFD') counts.undefinedC1++;
    else counts.c1++;
    return r;
  });
}

/** Raw (decompressed) bytes of the file. Errors of any stage surface in the consumer's iteration. */
function bytes(path: string, gzip: boolean): Readable {
  const file = createReadStream(path);
  if (!gzip) return file;
  return pipeline(file, createGunzip(), () => {
    /* errors reach the consumer through the destroyed gunzip stream */
  });
}

async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

function describeIoError(path: string, e: unknown): SourceFileError {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ENOENT') return new SourceFileError(`File not found: ${path}`, { cause: e });
  if (err?.code === 'EISDIR') return new SourceFileError(`Not a file: ${path}`, { cause: e });
  if (err?.code === 'Z_DATA_ERROR' || err?.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(err?.message ?? '')) {
    return new SourceFileError(`Cannot decompress ${path}: ${err.message}`, { cause: e });
  }
  return new SourceFileError(`Cannot read ${path}: ${err?.message ?? String(e)}`, { cause: e });
}

/** One pass over the bytes: valid UTF-8 all the way through, or not. */
async function detectEncoding(path: string, gzip: boolean): Promise<SourceEncoding> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    for await (const chunk of bytes(path, gzip)) decoder.decode(chunk as Buffer, { stream: true });
    decoder.decode();
    return 'utf-8';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_ENCODING_INVALID_ENCODED_DATA') return 'windows-1252';
    throw describeIoError(path, e);
  }
}

/** Opens `path` (plain or gzip), detects its encoding and returns a repaired text stream factory. */
export async function openTextSource(path: string): Promise<TextSource> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
  } catch (e) {
    throw describeIoError(path, e);
  }
  const gzip = await isGzip(path).catch((e: unknown) => {
    throw describeIoError(path, e);
  });
  const encoding = await detectEncoding(path, gzip);
  const repairs = { c1: 0, undefinedC1: 0 };
  return {
    path,
    gzip,
    encoding,
    repairs,
    text() {
      return Readable.from(
        (async function* () {
          // TextDecoder strips a UTF-8 byte order mark.
          const decoder = new TextDecoder(encoding);
          try {
            for await (const chunk of bytes(path, gzip)) {
              const s = decoder.decode(chunk as Buffer, { stream: true });
              if (s) yield repairC1(s, repairs);
            }
          } catch (e) {
            throw describeIoError(path, e);
          }
          const tail = decoder.decode();
          if (tail) yield repairC1(tail, repairs);
        })(),
        { objectMode: true },
      );
    },
  };
}
