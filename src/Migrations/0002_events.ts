/**
 * V2: the event log (PostgreSQL: `timestamptz`, `jsonb`, text by code point, as in V1).
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.onDialectOrElse({
    pg: () =>
      sql`CREATE TABLE IF NOT EXISTS events (
  id TEXT COLLATE "C" PRIMARY KEY,
  event_type TEXT COLLATE "C" NOT NULL,
  priority TEXT COLLATE "C" NOT NULL,
  session_id TEXT COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  project_id TEXT COLLATE "C" NOT NULL,
  timestamp TIMESTAMPTZ NOT NULL DEFAULT now(),
  message TEXT COLLATE "C" NOT NULL,
  data JSONB NOT NULL DEFAULT '{}'
)`,
    orElse: () =>
      sql`CREATE TABLE IF NOT EXISTS events (
  id TEXT PRIMARY KEY,
  event_type TEXT NOT NULL,
  priority TEXT NOT NULL,
  session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  project_id TEXT NOT NULL,
  timestamp TEXT NOT NULL DEFAULT (datetime('now')),
  message TEXT NOT NULL,
  data TEXT NOT NULL DEFAULT '{}'
)`
  }))
