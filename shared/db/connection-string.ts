// Parses the database connection settings (OLTP_CONNECTION_STRING, DW_CONNECTION_STRING).
// One setting picks both the engine and where it lives, so an Azure app setting, a
// local.settings.json value and a test all use the same format.

export type Engine = 'pglite' | 'postgres' | 'mssql';

export type ConnectionTarget =
  | { engine: 'pglite'; /** folder for the data files; null = in memory */ dataDir: string | null }
  | { engine: 'postgres'; url: string }
  | { engine: 'mssql'; connectionString: string };

export const CONNECTION_FORMATS =
  "'pglite:<folder>' or 'pglite:memory', 'postgres://user:password@host:port/database', " +
  "or a SQL Server connection string ('Server=tcp:host,1433;Database=db;User Id=...;Password=...;Encrypt=true', " +
  "'Server=tcp:host,1433;Database=db;Authentication=Active Directory Managed Identity' or 'mssql://user:password@host:port/database')";

export class ConnectionStringError extends Error {}

export function parseConnectionString(value: string): ConnectionTarget {
  const v = value.trim();
  if (v === '') throw new ConnectionStringError('is empty');
  const lower = v.toLowerCase();
  if (lower.startsWith('pglite:')) {
    const dir = v.slice('pglite:'.length).trim();
    if (dir === '') throw new ConnectionStringError("'pglite:' needs a folder or 'memory'");
    return { engine: 'pglite', dataDir: dir === 'memory' ? null : dir };
  }
  if (lower.startsWith('postgres://') || lower.startsWith('postgresql://')) {
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      throw new ConnectionStringError('is not a valid postgres:// URL');
    }
    if (!url.hostname) throw new ConnectionStringError('postgres URL has no host');
    if (url.pathname.length <= 1) throw new ConnectionStringError('postgres URL has no database name');
    return { engine: 'postgres', url: v };
  }
  if (lower.startsWith('mssql://') || lower.startsWith('sqlserver://')) {
    parseMssqlUrl(v); // throws on a malformed URL now, not at the first connection
    return { engine: 'mssql', connectionString: v };
  }
  if (/(^|;)\s*(server|data source|address|addr)\s*=/i.test(v)) {
    if (!/(^|;)\s*(database|initial catalog)\s*=/i.test(v)) {
      throw new ConnectionStringError('SQL Server connection string has no Database=');
    }
    mssqlAuthentication(v); // an unsupported Authentication= fails at start, not at the first connection
    return { engine: 'mssql', connectionString: v };
  }
  throw new ConnectionStringError('has an unknown format');
}

/** A description safe for logs: engine and location, never a user name or password. */
export function describeTarget(t: ConnectionTarget): string {
  switch (t.engine) {
    case 'pglite':
      return `pglite (${t.dataDir ?? 'in memory'})`;
    case 'postgres': {
      const u = new URL(t.url);
      return `postgres (${u.hostname}:${u.port || '5432'}${u.pathname})`;
    }
    case 'mssql': {
      const server = /(?:^|;)\s*(?:server|data source|address|addr)\s*=\s*([^;]*)/i.exec(t.connectionString)?.[1];
      const db = /(?:^|;)\s*(?:database|initial catalog)\s*=\s*([^;]*)/i.exec(t.connectionString)?.[1];
      if (server) return `mssql (${server.trim()}/${db?.trim() ?? '?'})`;
      try {
        const u = new URL(t.connectionString);
        return `mssql (${u.hostname}${u.pathname})`;
      } catch {
        return 'mssql';
      }
    }
  }
}

/** What a SQL Server connection needs, from either connection-string form. */
export interface MssqlUrlConfig {
  server: string;
  port: number;
  database: string;
  user?: string;
  password?: string;
  /** encrypt / trustServerCertificate from the query string (?encrypt=false&trustServerCertificate=true) */
  options: { encrypt?: boolean; trustServerCertificate?: boolean };
}

const BOOL_OPTIONS: Record<string, keyof MssqlUrlConfig['options']> = { encrypt: 'encrypt', trustservercertificate: 'trustServerCertificate' };

/**
 * Parses the URL form 'mssql://user:password@host:1433/database?encrypt=true' (also
 * 'sqlserver://'); user and password are percent-decoded, the port defaults to 1433. The
 * key=value form goes through the mssql package's own parser instead (shared/db/mssql.ts).
 */
export function parseMssqlUrl(value: string): MssqlUrlConfig {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new ConnectionStringError('is not a valid mssql:// URL');
  }
  if (!url.hostname) throw new ConnectionStringError('mssql URL has no host');
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/')) throw new ConnectionStringError('mssql URL has no database name (mssql://user:password@host:1433/database)');
  const port = url.port === '' ? 1433 : Number(url.port);
  const options: MssqlUrlConfig['options'] = {};
  for (const [k, v] of url.searchParams) {
    const option = BOOL_OPTIONS[k.toLowerCase()];
    if (!option) throw new ConnectionStringError(`mssql URL has an unknown option '${k}' (known: encrypt, trustServerCertificate)`);
    if (!/^(true|false)$/i.test(v)) throw new ConnectionStringError(`mssql URL option '${k}' must be true or false`);
    options[option] = v.toLowerCase() === 'true';
  }
  return {
    // a bracketed IPv6 host keeps no brackets for the driver
    server: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    database,
    ...(url.username ? { user: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    options,
  };
}

/**
 * How a SQL Server connection signs in: a SQL login (User Id + Password), or Microsoft Entra ID
 * with the app's managed identity or DefaultAzureCredential (no password anywhere; Azure SQL with
 * Entra-only authentication accepts nothing else).
 */
export type MssqlAuthentication =
  | { kind: 'sql' }
  /** ManagedIdentityCredential; clientId: a user-assigned identity (none: the system-assigned one) */
  | { kind: 'managed-identity'; clientId?: string }
  /** DefaultAzureCredential (environment, workload identity, managed identity, a developer's az login...); clientId: its managed identity */
  | { kind: 'default'; clientId?: string };

/** The value of a key of a 'key=value;...' connection string, by any of its names (lower case); undefined when absent. */
export function keyValue(connectionString: string, names: readonly string[]): string | undefined {
  for (const pair of connectionString.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    if (names.includes(pair.slice(0, eq).trim().toLowerCase())) return pair.slice(eq + 1).trim();
  }
  return undefined;
}

/** A client id (of a managed identity): the form Entra gives it. */
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** SqlClient's Authentication= keywords we support, without spaces and in lower case. */
const AUTHENTICATION: Record<string, MssqlAuthentication['kind']> = {
  sqlpassword: 'sql',
  activedirectorymanagedidentity: 'managed-identity',
  activedirectorymsi: 'managed-identity',
  activedirectorydefault: 'default',
};

/**
 * The Authentication= of a key=value SQL Server connection string, with SqlClient's meaning:
 * 'Active Directory Managed Identity' (or 'Active Directory MSI') signs in as the app's managed
 * identity, User Id= being a user-assigned identity's client id; 'Active Directory Default' uses
 * DefaultAzureCredential (User Id= again a managed identity's client id); absent or 'Sql
 * Password': User Id and Password. The mssql package's own parser knows neither Entra keyword.
 */
export function mssqlAuthentication(connectionString: string): MssqlAuthentication {
  const value = keyValue(connectionString, ['authentication']);
  const kind = value === undefined || value === '' ? 'sql' : AUTHENTICATION[value.replace(/\s+/g, '').toLowerCase()];
  if (kind === undefined)
    throw new ConnectionStringError(
      "SQL Server connection string has an unsupported Authentication= (supported: 'Active Directory Managed Identity', 'Active Directory Default', 'Sql Password')",
    );
  if (kind === 'sql') return { kind };
  if (keyValue(connectionString, ['password', 'pwd']) !== undefined)
    throw new ConnectionStringError('SQL Server connection string has a Password= with Entra authentication (Authentication=Active Directory ...): remove it');
  const clientId = keyValue(connectionString, ['user id', 'uid', 'user']);
  if (clientId === undefined || clientId === '') return { kind };
  if (!GUID.test(clientId))
    throw new ConnectionStringError(
      'SQL Server connection string: with Entra authentication User Id= is the client id (a GUID) of a user-assigned managed identity',
    );
  return { kind, clientId };
}
