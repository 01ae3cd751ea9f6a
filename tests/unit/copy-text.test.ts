// PostgreSQL COPY text rows (the pglite and postgres bulk paths): a value must arrive exactly as
// the row held it, whatever characters it contains.
import { copyStatement, decodeCopyLine, encodeCopyRow } from '../../shared/db/copy-text.js';

describe('encodeCopyRow', () => {
  it('separates columns with tabs and ends the row with a newline', () => {
    expect(encodeCopyRow([1, 'Ana', true])).toBe('1\tAna\tt\n');
  });

  it('writes null and undefined as \\N, and an empty string as an empty field', () => {
    expect(encodeCopyRow([null, '', undefined as unknown as null])).toBe('\\N\t\t\\N\n');
  });

  it('escapes the characters COPY reads as structure, so a value cannot split a row or a column', () => {
    expect(encodeCopyRow(['a\tb', 'line 1\nline 2', 'cr\rhere'])).toBe('a\\tb\tline 1\\nline 2\tcr\\rhere\n');
  });

  it('escapes backslashes before anything else: a literal "\\N" or "\\t" stays text, not null or a tab', () => {
    expect(encodeCopyRow(['C:\\temp', '\\N', 'x\\\ty'])).toBe('C:\\\\temp\t\\\\N\tx\\\\\\ty\n');
  });

  it('keeps decimal strings exact and writes booleans as t/f', () => {
    expect(encodeCopyRow(['12345678901234.5678', '-0.0001', false])).toBe('12345678901234.5678\t-0.0001\tf\n');
  });

  it('writes numbers and bigints in full', () => {
    expect(encodeCopyRow([0, -42, 9007199254740993n])).toBe('0\t-42\t9007199254740993\n');
  });

  it('writes timestamps as UTC ISO-8601 with milliseconds', () => {
    expect(encodeCopyRow([new Date(Date.UTC(2026, 9, 1, 3, 4, 5, 6))])).toBe('2026-10-01T03:04:05.006Z\n');
  });

  it('keeps non-ASCII text as is', () => {
    expect(encodeCopyRow(['São Paulo — Março'])).toBe('São Paulo — Março\n');
  });
});

describe('copyStatement', () => {
  it('quotes every identifier, doubling embedded quotes', () => {
    expect(copyStatement('stg', 'itens_pedido', ['id', 'we"ird'], 'STDIN')).toBe('COPY "stg"."itens_pedido" ("id", "we""ird") FROM STDIN WITH (FORMAT text)');
  });
});

describe('decodeCopyLine', () => {
  it('gives back exactly the text encodeCopyRow wrote, NULL distinct from the empty string', () => {
    const values = ['a\tb', 'line 1\nline 2\r\n', 'C:\\temp\\N', '\\N', '\\', '', null, 'São Paulo — 🚀', 'end\\'];
    const line = encodeCopyRow(values);
    expect(decodeCopyLine(line.slice(0, -1))).toEqual(values);
  });

  it("reads PostgreSQL's other escapes: \\b \\f \\v, octal and hex bytes, and any other escaped character as itself", () => {
    expect(decodeCopyLine('a\\bb\\fc\\vd\t\\101\\x42\\q')).toEqual(['a\bb\fc\vd', 'ABq']);
  });
});
