// Records the identity of every statement a Database runs (shared/db/statement-identity.ts):
// queries through a Kysely plugin, bulk loads by wrapping bulkInsert. Kysely hands a plugin every
// query node it builds, subqueries included, but results only for the statements it executed, so
// an identity counts once its result arrives. Raw `sql` templates and transactions go through
// plugins too.
import type { KyselyPlugin, QueryId } from 'kysely';
import type { Database } from '../../shared/db/database.js';
import { bulkIdentity, statementIdentity } from '../../shared/db/statement-identity.js';

export function capturingDatabase(database: Database, seen: Set<string>): Database {
  const built = new WeakMap<QueryId, string>();
  const plugin: KyselyPlugin = {
    transformQuery({ node, queryId }) {
      built.set(queryId, statementIdentity(node));
      return node;
    },
    async transformResult({ result, queryId }) {
      const identity = built.get(queryId);
      if (identity) seen.add(identity);
      return result;
    },
  };
  return {
    ...database,
    db: database.db.withPlugin(plugin),
    bulkInsert(table, rows, options) {
      seen.add(bulkIdentity(table));
      return database.bulkInsert(table, rows, options);
    },
  };
}
