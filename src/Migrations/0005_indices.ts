/**
 * V5: the three indices of the reference schema.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.all([
    sql`CREATE INDEX IF NOT EXISTS idx_events_session_id ON events(session_id)`,
    sql`CREATE INDEX IF NOT EXISTS idx_events_event_type ON events(event_type)`,
    sql`CREATE INDEX IF NOT EXISTS idx_sessions_project_status ON sessions(project_id, status)`
  ], { discard: true }))
