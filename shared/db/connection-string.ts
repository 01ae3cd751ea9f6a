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
  "or a SQL Server connection string ('Server=tcp:host,1433;Database=db;User Id=...;Password=...;Encrypt=true' " +
  "or 'mssql://user:password@host:port/database')";

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
    return { engine: 'mssql', connectionString: v };
  }
  if (/(^|;)\s*(server|data source|address|addr)\s*=/i.test(v)) {
    if (!/(^|;)\s*(database|initial catalog)\s*=/i.test(v)) {
      throw new ConnectionStringError('SQL Server connection string has no Database=');
    }
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
