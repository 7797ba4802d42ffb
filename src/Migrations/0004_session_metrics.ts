/**
 * V4: per-session cost and CI metrics (PostgreSQL: counters `bigint`, cost `double precision`).
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.onDialectOrElse({
    pg: () =>
      sql`CREATE TABLE IF NOT EXISTS session_metrics (
  session_id TEXT COLLATE "C" PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
  total_tokens_in BIGINT NOT NULL DEFAULT 0,
  total_tokens_out BIGINT NOT NULL DEFAULT 0,
  estimated_cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0.0,
  ci_runs BIGINT NOT NULL DEFAULT 0,
  ci_failures BIGINT NOT NULL DEFAULT 0,
  review_rounds BIGINT NOT NULL DEFAULT 0,
  time_to_first_pr_secs BIGINT,
  time_to_merge_secs BIGINT,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`,
    orElse: () =>
      sql`CREATE TABLE IF NOT EXISTS session_metrics (
  session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
  total_tokens_in INTEGER NOT NULL DEFAULT 0,
  total_tokens_out INTEGER NOT NULL DEFAULT 0,
  estimated_cost_usd REAL NOT NULL DEFAULT 0.0,
  ci_runs INTEGER NOT NULL DEFAULT 0,
  ci_failures INTEGER NOT NULL DEFAULT 0,
  review_rounds INTEGER NOT NULL DEFAULT 0,
  time_to_first_pr_secs INTEGER,
  time_to_merge_secs INTEGER,
  updated_at TEXT NOT NULL DEFAULT (datetime('now'))
)`
  }))
