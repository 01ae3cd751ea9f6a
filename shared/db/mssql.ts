// Azure SQL / SQL Server, the production warehouse. Queries run through Kysely's MssqlDialect
// (tedious + tarn, the path Kysely's own suite tests on SQL Server); bulk loads use the `mssql`
// package's bulk-copy API. No SQL Server runs on our build machines: this file is exercised by
// the integration suite when TEST_MSSQL_CONNECTION_STRING is set (see README).
//
// Both the mssql pool and Kysely's tedious connections sign in the same way, from one config:
// a SQL login, or Microsoft Entra ID (Authentication=Active Directory Managed Identity / Default,
// see mssqlAuthentication), where tedious gets the token from @azure/identity itself.
import mssql from 'mssql';
import * as tedious from 'tedious';
import * as tarn from 'tarn';
import { Kysely, MssqlDialect } from 'kysely';
import { mssqlAuthentication, parseMssqlUrl, type MssqlAuthentication } from './connection-string.js';
import { batches, type ColumnSpec, type Database } from './database.js';

function sqlType(c: ColumnSpec): mssql.ISqlType | (() => mssql.ISqlType) {
  switch (c.kind) {
    case 'bigint':
      return mssql.BigInt;
    case 'int':
      return mssql.Int;
    case 'text':
      return mssql.NVarChar(c.length ?? mssql.MAX);
    case 'decimal':
      return mssql.Decimal(c.precision ?? 19, c.scale ?? 4);
    case 'timestamp':
      return mssql.DateTime2(3);
    case 'date':
      return mssql.Date;
    case 'bool':
      return mssql.Bit;
  }
}

/**
 * The parameter types Kysely's MssqlDriver binds with. It binds a JavaScript Date as tedious's
 * DateTime, SQL Server's legacy datetime (1/300 s: .001 becomes .000, .005 becomes .007), which
 * would shift watermarks, windows and audit times by up to 3 ms. Our timestamps are datetime2(3),
 * so a Date is bound as DateTime2 instead (with useUTC, as a UTC instant).
 */
export const TEDIOUS_TYPES = { ...tedious.TYPES, DateTime: tedious.TYPES.DateTime2 };

type MssqlValue = string | number | boolean | Date | null;

function bulkValue(c: ColumnSpec, v: unknown): MssqlValue {
  if (v === null || v === undefined) return null;
  // The bulk API wants Date objects; our rows carry ISO strings (millisecond precision, UTC).
  if ((c.kind === 'timestamp' || c.kind === 'date') && typeof v === 'string') return new Date(c.kind === 'date' ? `${v}T00:00:00Z` : v);
  return typeof v === 'bigint' ? Number(v) : (v as MssqlValue);
}

/** tedious's Entra authentication for a managed identity or DefaultAzureCredential (tedious builds the @azure/identity credential). */
function entraAuthentication(auth: Exclude<MssqlAuthentication, { kind: 'sql' }>): tedious.ConnectionAuthentication {
  const options = auth.clientId !== undefined ? { clientId: auth.clientId } : {};
  return auth.kind === 'managed-identity' ? { type: 'azure-active-directory-msi-app-service', options } : { type: 'azure-active-directory-default', options };
}

/**
 * The mssql config of either documented form: the URL 'mssql://user:password@host:1433/db' (the
 * mssql package's parser only reads the key=value form and returns no server for a URL) or
 * 'Server=tcp:host,1433;Database=db;...'. With Entra authentication it carries `authentication`
 * (which the mssql pool passes to tedious as it is) and no user or password.
 */
export function mssqlConfig(connectionString: string): mssql.config {
  if (/^(mssql|sqlserver):\/\//i.test(connectionString.trim())) {
    const u = parseMssqlUrl(connectionString);
    return { server: u.server, port: u.port, database: u.database, user: u.user, password: u.password, options: u.options };
  }
  const parsed = mssql.ConnectionPool.parseConnectionString(connectionString);
  const auth = mssqlAuthentication(connectionString);
  if (auth.kind === 'sql') return parsed;
  // the parser read the managed identity's client id (User Id=) as a login name, and knows no
  // Entra keyword (its authentication_type says 'default'): neither may reach tedious
  const { user: _clientId, password: _none, ...rest } = parsed as mssql.config & { authentication_type?: string };
  delete (rest as { authentication_type?: string }).authentication_type;
  return { ...rest, authentication: entraAuthentication(auth) };
}

/** The tedious connection config of one of Kysely's pooled connections: the same server, database and sign-in as the mssql pool. */
export function tediousConfig(
  config: mssql.config,
  options: Pick<tedious.ConnectionOptions, 'encrypt' | 'trustServerCertificate'>,
): tedious.ConnectionConfiguration {
  return {
    server: config.server,
    authentication: config.authentication ?? { type: 'default', options: { userName: config.user, password: config.password } },
    options: {
      database: config.database,
      port: config.port ?? 1433,
      encrypt: options.encrypt,
      trustServerCertificate: options.trustServerCertificate,
      useUTC: true,
    },
  };
}

export async function openMssql<DB = any>(connectionString: string, description: string): Promise<Database<DB>> {
  const config = mssqlConfig(connectionString);
  const options = { encrypt: true, trustServerCertificate: false, ...(config.options ?? {}), useUTC: true };
  const pool = new mssql.ConnectionPool({ ...config, options });
  // A pooled connection that fails outside a request emits 'error' on the pool; without a
  // listener Node would exit. The broken connection is discarded and the next request opens one.
  pool.on('error', (e: Error & { code?: string }) => console.warn(`${description}: connection lost (${e.code ?? e.message}); it will be replaced`));
  await pool.connect();
  const db = new Kysely<DB>({
    dialect: new MssqlDialect({
      tarn: { ...tarn, options: { min: 0, max: 5 } },
      tedious: {
        ...tedious,
        TYPES: TEDIOUS_TYPES,
        connectionFactory: () => new tedious.Connection(tediousConfig(config, options)),
      },
    }),
  });
  return {
    engine: 'mssql',
    description,
    db,
    async bulkInsert(table, rows, opts) {
      let count = 0;
      for await (const batch of batches(rows, opts?.batchSize ?? 10000)) {
        const t = new mssql.Table(`[${table.schema}].[${table.name}]`);
        for (const c of table.columns) t.columns.add(c.name, sqlType(c), { nullable: c.nullable ?? true });
        for (const r of batch) t.rows.add(...table.columns.map((c, i) => bulkValue(c, r[i])));
        const result = await pool.request().bulk(t);
        count += result.rowsAffected;
      }
      return count;
    },
    async close() {
      await db.destroy();
      await pool.close();
    },
  };
}
