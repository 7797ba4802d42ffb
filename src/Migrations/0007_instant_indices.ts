/**
 * V7: time order by the instant, and the dashboard's pages from an index.
 *
 * SQLite: the text of a timestamp does not sort by time when rows hold several spellings (a
 * space sorts before `T`), so V6's two event indices are rebuilt on `julianday(timestamp)`
 * (see Connection/TimeOrder). V1–V5 stay as they are and no column is added: a database shared
 * with the original implementation stays as it expects, and rows it writes are indexed too.
 * PostgreSQL keeps V6's indices (`timestamptz` is the instant) and gets the same new ones.
 *
 * New on both: the newest events of a project, of a type and of a priority, and sessions
 * newest first overall, by project and by status, each read in index order without a sort.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.onDialectOrElse({
    pg: () =>
      Effect.all([
        sql`CREATE INDEX IF NOT EXISTS idx_events_project_timestamp ON events(project_id, timestamp, seq)`,
        sql`CREATE INDEX IF NOT EXISTS idx_events_type_timestamp ON events(event_type, timestamp, seq)`,
        sql`CREATE INDEX IF NOT EXISTS idx_events_priority_timestamp ON events(priority, timestamp, seq)`,
        sql`CREATE INDEX IF NOT EXISTS idx_sessions_created_at ON sessions(created_at, seq)`,
        sql`CREATE INDEX IF NOT EXISTS idx_sessions_project_created_at ON sessions(project_id, created_at, seq)`,
        sql`CREATE INDEX IF NOT EXISTS idx_sessions_status_created_at ON sessions(status, created_at, seq)`
      ], { discard: true }),
    orElse: () =>
      Effect.all([
        sql`DROP INDEX IF EXISTS idx_events_session_timestamp`,
        sql`DROP INDEX IF EXISTS idx_events_timestamp`,
        sql`CREATE INDEX idx_events_session_timestamp ON events(session_id, julianday(timestamp))`,
        sql`CREATE INDEX idx_events_timestamp ON events(julianday(timestamp))`,
        sql`CREATE INDEX IF NOT EXISTS idx_events_project_timestamp ON events(project_id, julianday(timestamp))`,
        sql`CREATE INDEX IF NOT EXISTS idx_events_type_timestamp ON events(event_type, julianday(timestamp))`,
        sql`CREATE INDEX IF NOT EXISTS idx_events_priority_timestamp ON events(priority, julianday(timestamp))`,
        sql`CREATE INDEX IF NOT EXISTS idx_sessions_created_at ON sessions(julianday(created_at))`,
        sql`CREATE INDEX IF NOT EXISTS idx_sessions_project_created_at ON sessions(project_id, julianday(created_at))`,
        sql`CREATE INDEX IF NOT EXISTS idx_sessions_status_created_at ON sessions(status, julianday(created_at))`
      ], { discard: true })
  }))
