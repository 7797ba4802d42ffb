/**
 * V1: the sessions table.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql`CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'spawning',
  activity TEXT,
  branch TEXT,
  issue_id TEXT,
  workspace_path TEXT,
  runtime_handle TEXT,
  agent_info TEXT,
  agent_name TEXT,
  pr_url TEXT,
  pr_number INTEGER,
  tmux_name TEXT,
  config_hash TEXT NOT NULL,
  role TEXT,
  metadata TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (datetime('now')),
  last_activity_at TEXT NOT NULL DEFAULT (datetime('now')),
  restored_at TEXT,
  archived_at TEXT
)`)
