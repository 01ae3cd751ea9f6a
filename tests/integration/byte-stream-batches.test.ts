// The byte path of a batch (issue 9): the extract streams the source's rows as COPY text into
// parts, staging COPYs them into typed tables and applies the row contracts as one statement. What
// a user cares about: the warehouse gets exactly the values the JSON path gave it (tabs, newlines,
// backslashes, unicode, NULL vs empty text, decimals to the last digit, timestamps to the
// millisecond), old NDJSON batches still load, every contract rejects with the reason the row-by-row
// check gives, and a part the typed COPY refuses costs only its bad rows.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { exactDecimal } from '../../shared/db/portable-sql.js';
import { checkRow, entity, type EntityDef } from '../../shared/pipeline/entities.js';
import { extractEntity } from '../../shared/pipeline/extract.js';
import { toJsonRow } from '../../shared/pipeline/json-row.js';
import { stageBatch } from '../../shared/pipeline/staging.js';
import { BatchStore } from '../../shared/storage/batch-store.js';
import { freshDatabaseForAll, testEngines } from '../helpers/engines.js';
import { freshStorage, stopStorage, type StorageSet } from '../helpers/storage.js';

afterAll(() => stopStorage());

const T = '2024-06-01T10:00:00.000Z';
const WINDOW = { from: null, to: new Date('2024-07-01T00:00:00.000Z') };
const clientes = entity('clientes')!;
const produtos = entity('produtos')!;
const pedidos = entity('pedidos')!;
const itens = entity('itens_pedido')!;

/** Text that COPY must escape or that JSON and COPY encode differently. */
const HARD_TEXT = ['tab\there', 'line 1\nline 2\r\nline 3', 'C:\\temp\\N \\N \\t', 'São Paulo — Março ✓ 🚀 日本', '"quoted", \'single\'', '\\', ''];

describe.each(testEngines())('byte-stream batches on $name', (engine) => {
  const oltp = freshDatabaseForAll(engine, 'oltp');
  const dw = freshDatabaseForAll(engine, 'dw');
  let storage: StorageSet;
  let store: BatchStore;
  beforeAll(async () => {
    storage = await freshStorage({ containers: ['raw'] });
    store = new BatchStore(storage.container('raw'));
    const db = oltp.database.db;
    await db.insertInto('oltp.categorias').values({ id: 1, codigo: 'C1', nome: 'Cat', categoria_pai_id: null, created_at: T, updated_at: T }).execute();
    await db
      .insertInto('oltp.clientes')
      .values(
        HARD_TEXT.map((text, i) => ({
          id: i + 1,
          codigo: `K${i}`,
          nome: text === '' ? 'x' : text,
          // NULL and the empty string are different values
          email: i % 2 === 0 ? '' : null,
          segmento: 'varejo',
          cidade: text,
          estado: 'SP',
          regiao: null,
          cep_prefixo: i === 0 ? '' : null,
          ativo: i % 2 === 0,
          // microseconds given to the source
          created_at: sql`${`2024-06-01T10:00:00.${String(123999 + i).padStart(6, '0')}Z`}::timestamptz`,
          updated_at: sql`${`2024-06-02T23:59:59.99${i}999Z`}::timestamptz`,
        })) as never,
      )
      .execute();
    await db
      .insertInto('oltp.produtos')
      .values(
        [
          ['999999999999999.9999', '0.0001', 0],
          ['-0.0000', null, null],
          ['12.3400', '12.3450', 2147483647],
        ].map(([preco, custo, peso], i) => ({
          id: i + 1,
          codigo: `P${i}`,
          nome: `Produto ${i}`,
          categoria_id: 1,
          preco_lista: preco,
          custo,
          peso_g: peso,
          ativo: true,
          created_at: T,
          updated_at: T,
        })) as never,
      )
      .execute();
  });
  afterAll(() => storage?.cleanup());

  const staged = async (def: EntityDef) =>
    (await sql<Record<string, unknown>>`select * from ${sql.table(`stg.${def.name}`)} order by id`.execute(dw.database.db)).rows.map((r) => {
      const { _seq, ...row } = r;
      return toJsonRow(def, row);
    });

  /** The batch as the JSON path wrote it (schemaVersion 1), from the same source rows. */
  async function ndjsonBatch(def: EntityDef, runId: string) {
    const rows = await oltp.database.db
      .selectFrom(`oltp.${def.name}`)
      .select(def.table.columns.map((c) => (c.kind === 'decimal' ? exactDecimal(oltp.database.db, c.name) : sql.ref(c.name).as(c.name))))
      .orderBy('id')
      .execute();
    return store.writeBatch(
      { runId, entity: def.name, runDate: WINDOW.to, window: { from: null, to: WINDOW.to.toISOString() }, dateColumns: def.dateColumns },
      (async function* () {
        for (const r of rows) yield toJsonRow(def, r as Record<string, unknown>);
      })(),
      { maxRows: 3, maxBytes: 1 << 20 },
    );
  }

  const extract = (def: EntityDef, runId: string, maxRows = 2) =>
    extractEntity(oltp.database, store, def, {
      runId,
      runDate: WINDOW.to,
      lowerBound: null,
      overlapMinutes: 60,
      safetyLagSeconds: 0,
      limits: { maxRows, maxBytes: 1 << 20 },
      fixedWindow: WINDOW,
    });

  it.each([clientes, produtos])('$name: the COPY batch stages exactly the values the NDJSON batch staged', async (def) => {
    const old = await ndjsonBatch(def, `r-json-${def.name}`);
    expect(old.manifest).toMatchObject({ schemaVersion: 1 });
    const oldCounts = await stageBatch(dw.database, store, def, old.manifest, 0);
    const fromJson = await staged(def);

    const fresh = await extract(def, `r-copy-${def.name}`);
    expect(fresh.manifest).toMatchObject({
      schemaVersion: 2,
      format: 'pg-copy-text',
      columns: def.table.columns.map((c) => c.name),
      rowCount: fromJson.length,
    });
    expect(fresh.manifest.parts.map((p) => p.rows)).toEqual(
      fromJson
        .map((_r, i) => i)
        .filter((i) => i % 2 === 0)
        .map((i) => Math.min(2, fromJson.length - i)),
    );
    const newCounts = await stageBatch(dw.database, store, def, fresh.manifest, 0);
    expect(newCounts).toEqual(oldCounts);
    expect(await staged(def)).toEqual(fromJson);
  });

  it('keeps hard text, NULL vs empty, booleans and millisecond UTC timestamps', async () => {
    const fresh = await extract(clientes, 'r-values', 50);
    await stageBatch(dw.database, store, clientes, fresh.manifest, 0);
    const rows = await staged(clientes);
    expect(rows.map((r) => r.cidade)).toEqual(HARD_TEXT);
    expect(rows.map((r) => r.email)).toEqual(HARD_TEXT.map((_t, i) => (i % 2 === 0 ? '' : null)));
    expect(rows[0]!.cep_prefixo).toBe('');
    expect(rows.map((r) => r.ativo)).toEqual(HARD_TEXT.map((_t, i) => i % 2 === 0));
    // the source keeps milliseconds (timestamptz(3) rounds what it is given)
    expect(rows[0]!.created_at).toBe('2024-06-01T10:00:00.124Z');
    expect(rows[1]!.updated_at).toBe('2024-06-02T23:59:59.992Z');
    expect(fresh.manifest.rowCount).toBe(HARD_TEXT.length);
  });

  it('cuts parts at row boundaries, each at most one row past EXTRACT_PART_MAX_BYTES', async () => {
    const maxBytes = 120;
    const fresh = await extractEntity(oltp.database, store, clientes, {
      runId: 'r-bytes',
      runDate: WINDOW.to,
      lowerBound: null,
      overlapMinutes: 60,
      safetyLagSeconds: 0,
      limits: { maxRows: 1000, maxBytes },
      fixedWindow: WINDOW,
    });
    const parts = fresh.manifest.parts;
    expect(parts.length).toBeGreaterThan(2);
    for (const part of parts) {
      const text = (await store.readPartText(part)).toString('utf8');
      const lines = text.split('\n');
      expect(lines.pop()).toBe(''); // ends with a whole row
      expect(lines).toHaveLength(part.rows);
      // the part was still under the limit before its last row
      expect(Buffer.byteLength(text) - Buffer.byteLength(lines[lines.length - 1]!) - 1).toBeLessThan(maxBytes);
    }
    expect(parts.reduce((n, p) => n + p.rows, 0)).toBe(HARD_TEXT.length);
    await stageBatch(dw.database, store, clientes, fresh.manifest, 0);
    expect((await staged(clientes)).map((r) => r.cidade)).toEqual(HARD_TEXT);
  });

  it('keeps decimals exact to the fourth place, at the limits of decimal(19,4)', async () => {
    const fresh = await extract(produtos, 'r-decimals', 50);
    await stageBatch(dw.database, store, produtos, fresh.manifest, 0);
    const rows = await staged(produtos);
    expect(rows.map((r) => [r.preco_lista, r.custo, r.peso_g])).toEqual([
      ['999999999999999.9999', '0.0001', 0],
      ['0.0000', null, null],
      ['12.3400', '12.3450', 2147483647],
    ]);
  });

  /** A COPY text batch written from row objects, as a SQL Server source's extract writes it. */
  const copyBatch = (def: EntityDef, runId: string, rows: Record<string, unknown>[], maxRows = 100) =>
    store.writeBatch(
      {
        runId,
        entity: def.name,
        runDate: WINDOW.to,
        window: { from: null, to: WINDOW.to.toISOString() },
        dateColumns: def.dateColumns,
        columns: def.table.columns.map((c) => c.name),
      },
      (async function* () {
        yield* rows;
      })(),
      { maxRows, maxBytes: 1 << 20 },
    );

  const order = (id: number, over: Record<string, unknown> = {}) => ({
    ...Object.fromEntries(pedidos.table.columns.map((c) => [c.name, null])),
    id,
    codigo: `O${id}`,
    cliente_id: 1,
    status: 'entregue',
    data_pedido: T,
    valor_produtos: '10.0000',
    valor_desconto: '0.0000',
    valor_frete: '0.0000',
    valor_total: '10.0000',
    created_at: T,
    updated_at: T,
    ...over,
  });
  const item = (id: number, over: Record<string, unknown> = {}) => ({
    ...Object.fromEntries(itens.table.columns.map((c) => [c.name, null])),
    id,
    pedido_id: 1,
    numero_item: 1,
    produto_id: 1,
    vendedor_id: 1,
    quantidade: 1,
    preco_unitario: '5.0000',
    valor_bruto: '5.0000',
    valor_desconto: '0.0000',
    valor_liquido: '5.0000',
    valor_frete: '0.0000',
    created_at: T,
    updated_at: T,
    ...over,
  });

  it.each([
    {
      def: pedidos,
      rows: [
        order(1),
        order(2, { valor_total: '-0.0100' }),
        order(3, { valor_frete: '-1.0000', valor_total: '-2.0000' }),
        order(4, { status: 'perdido' }),
        order(5, { data_pedido: '2099-01-01T00:00:00.000Z' }),
        order(6, { created_at: '1999-12-31T23:59:59.999Z' }),
        order(7, { codigo: null }),
        order(8, { codigo: 'x'.repeat(65) }),
        // length in characters (code points): 65 rockets are too long, 64 (128 UTF-16 units) fit
        order(9, { codigo: '🚀'.repeat(65) }),
        order(10, { codigo: '🚀'.repeat(64) }),
        order(11, { valor_total: '1.12345' }),
        order(12, { valor_frete: '1234567890123456.0000' }),
        order(13, { status: null, valor_total: '-1.0000' }),
        order(14, { valor_total: '-1.0000', data_pedido: '2099-01-01T00:00:00.000Z' }),
        order(15, { data_pedido: '2024-07-02T00:00:00.000Z' }),
        order(16, { data_pedido: '2024-07-02T00:00:00.001Z' }),
      ],
    },
    {
      def: itens,
      rows: [item(1), item(2, { quantidade: 0 }), item(3, { quantidade: -1, valor_bruto: '-5.0000' }), item(4, { deleted_at: '1999-01-01T00:00:00.000Z' })],
    },
  ])('$def.name: the set-based contracts reject what checkRow rejects, with its reasons', async ({ def, rows }) => {
    const written = await copyBatch(def, `r-contracts-${def.name}`, rows);
    const counts = await stageBatch(dw.database, store, def, written.manifest, 100);
    const expected = rows.flatMap((row, i) => {
      const checked = checkRow(def, row, WINDOW.to.toISOString());
      return checked.ok ? [] : [{ seq: i + 1, businessKey: String(row.id), reason: checked.reason }];
    });
    expect(expected.length).toBeGreaterThan(1);
    expect(counts.rejected.map(({ seq, businessKey, reason }) => ({ seq, businessKey, reason }))).toEqual(expected);
    expect(counts.read).toBe(rows.length);
    expect(counts.accepted).toBe(rows.length - expected.length);
    // the rejected rows leave staging, the others stay
    const kept = (await staged(def)).map((r) => r.id);
    expect(kept).toEqual(rows.map((r) => r.id).filter((id) => !expected.some((e) => e.businessKey === String(id))));
    // raw_row is the row's JSON form (quarantine reads updated_at from it)
    const raw = JSON.parse(counts.rejected[0]!.raw) as Record<string, unknown>;
    expect(raw).toEqual(toJsonRow(def, rows[expected[0]!.seq - 1]!));
  });

  it('a part the typed COPY refuses is staged row by row: only its bad row is rejected', async () => {
    const rows = [order(1), order(2), order(3), order(4, { data_pedido: 'ontem' }), order(5), order(6, { valor_total: '-1.0000' })];
    const written = await copyBatch(pedidos, 'r-refused', rows, 2);
    expect(written.manifest.parts).toHaveLength(3);
    const counts = await stageBatch(dw.database, store, pedidos, written.manifest, 100);
    expect(counts.rejected.map((r) => [r.seq, r.businessKey, r.reason])).toEqual([
      [4, '4', 'data_pedido: not a UTC ISO-8601 timestamp'],
      [6, '6', 'valor_total: must not be negative'],
    ]);
    expect(counts).toMatchObject({ read: 6, accepted: 4 });
    expect((await staged(pedidos)).map((r) => r.id)).toEqual([1, 2, 3, 5]);
  });

  it('a part whose gzip turns out broken after its rows fails the load, and none of its rows stay staged', async () => {
    // two parts of 3000 orders (~0.6 MB of text each): each gunzips in several pieces, so the COPY has rows in flight when the gzip breaks
    const rows = Array.from({ length: 6000 }, (_r, i) => order(i + 1, { cidade_entrega: `Cidade ${i % 97} `.repeat(8) }));
    const written = await copyBatch(pedidos, 'r-broken-gzip', rows, 3000);
    const [first, second] = written.manifest.parts;
    const container = storage.container('raw');
    const gz = await container.getBlobClient(second!.path).downloadToBuffer();
    // without its 8-byte trailer (CRC and length): every row gunzips, and then the part turns out broken
    const cut = gz.subarray(0, gz.length - 8);
    // a blob rewritten with a matching checksum: what a bug in the writer would leave, not tampering
    await container.getBlockBlobClient(second!.path).uploadData(cut);
    const manifest = { ...written.manifest, parts: [first!, { ...second!, sha256: createHash('sha256').update(cut).digest('hex') }] };
    await expect(stageBatch(dw.database, store, pedidos, manifest, 0)).rejects.toThrow(new RegExp(`${second!.path} is not valid gzip`));
    // the broken part's COPY was abandoned whole; the first part's rows are there
    expect((await staged(pedidos)).map((r) => r.id)).toEqual(rows.slice(0, 3000).map((r) => r.id));
    // and the session is usable: the next load stages
    const good = await copyBatch(pedidos, 'r-after-broken', [order(1), order(2)]);
    expect(await stageBatch(dw.database, store, pedidos, good.manifest, 0)).toMatchObject({ read: 2, accepted: 2 });
  });

  it('a second load of a batch replaces staging (TRUNCATE) and collapses nothing it should not', async () => {
    const written = await copyBatch(pedidos, 'r-twice', [order(1), order(2)]);
    await stageBatch(dw.database, store, pedidos, written.manifest, 0);
    const again = await stageBatch(dw.database, store, pedidos, written.manifest, 0);
    expect(again).toMatchObject({ read: 2, accepted: 2 });
    expect((await staged(pedidos)).map((r) => r.id)).toEqual([1, 2]);
  });
});
