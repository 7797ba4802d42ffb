/**
 * V6: events by session in time order (the paging query) and by time alone (the recent
 * feed and retention), so neither sorts the table in a temporary B-tree.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.all([
    sql`CREATE INDEX IF NOT EXISTS idx_events_session_timestamp ON events(session_id, timestamp)`,
    sql`CREATE INDEX IF NOT EXISTS idx_events_timestamp ON events(timestamp)`
  ], { discard: true }))
