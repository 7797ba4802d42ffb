/**
 * V9: on PostgreSQL, `sessions` and `events` by `seq` alone, so that check, copy and export read
 * a table in insertion order a page at a time from the index instead of sorting it per page.
 * SQLite reads them by rowid, which is already the table's key: nothing to do there.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.onDialectOrElse({
    pg: () =>
      Effect.all([
        sql`CREATE UNIQUE INDEX IF NOT EXISTS idx_sessions_seq ON sessions(seq)`,
        sql`CREATE UNIQUE INDEX IF NOT EXISTS idx_events_seq ON events(seq)`
      ], { discard: true }),
    orElse: () => Effect.void
  }))
