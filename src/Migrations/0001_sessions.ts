/**
 * V1: the sessions table. PostgreSQL gets the same columns, defaults and constraints with its
 * own types (`jsonb`, `bigint`, `timestamptz`); text compares by code point (`COLLATE "C"`), as
 * SQLite's BINARY collation does, whatever the server's locale.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.onDialectOrElse({
    pg: () =>
      sql`CREATE TABLE IF NOT EXISTS sessions (
  id TEXT COLLATE "C" PRIMARY KEY,
  project_id TEXT COLLATE "C" NOT NULL,
  status TEXT COLLATE "C" NOT NULL DEFAULT 'spawning',
  activity TEXT COLLATE "C",
  branch TEXT COLLATE "C",
  issue_id TEXT COLLATE "C",
  workspace_path TEXT COLLATE "C",
  runtime_handle JSONB,
  agent_info JSONB,
  agent_name TEXT COLLATE "C",
  pr_url TEXT COLLATE "C",
  pr_number BIGINT,
  tmux_name TEXT COLLATE "C",
  config_hash TEXT COLLATE "C" NOT NULL,
  role TEXT COLLATE "C",
  metadata JSONB NOT NULL DEFAULT '{}',
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_activity_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  restored_at TIMESTAMPTZ,
  archived_at TIMESTAMPTZ
)`,
    orElse: () =>
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
)`
  }))
