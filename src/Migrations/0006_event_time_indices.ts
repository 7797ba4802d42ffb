/**
 * V6: events by session in time order (the paging query) and by time alone (the recent
 * feed and retention), so neither sorts the table in a temporary B-tree.
 *
 * PostgreSQL has no rowid, which SQLite uses to break timestamp ties in insertion order. There
 * this migration first gives `sessions` and `events` a `seq` column, an identity that numbers
 * rows as they are inserted, and ends both indices with it, as SQLite's end with the rowid
 * implicitly: the paging query, ordered by timestamp then insertion order, walks the index.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.onDialectOrElse({
    pg: () =>
      Effect.all([
        sql`ALTER TABLE sessions ADD COLUMN IF NOT EXISTS seq BIGINT GENERATED ALWAYS AS IDENTITY`,
        sql`ALTER TABLE events ADD COLUMN IF NOT EXISTS seq BIGINT GENERATED ALWAYS AS IDENTITY`,
        sql`CREATE INDEX IF NOT EXISTS idx_events_session_timestamp ON events(session_id, timestamp, seq)`,
        sql`CREATE INDEX IF NOT EXISTS idx_events_timestamp ON events(timestamp, seq)`
      ], { discard: true }),
    orElse: () =>
      Effect.all([
        sql`CREATE INDEX IF NOT EXISTS idx_events_session_timestamp ON events(session_id, timestamp)`,
        sql`CREATE INDEX IF NOT EXISTS idx_events_timestamp ON events(timestamp)`
      ], { discard: true })
  }))
