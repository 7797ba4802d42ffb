/**
 * The limit of the PostgreSQL column: the `pg` driver, as a careful user writes it. A
 * `Pool` of as many connections as ennio-db's (10, src/Connection/PostgresBackend.ts); every
 * statement parameterised and named (`{ name, text, values }`), so that each connection
 * parses and plans it once; `insertMany` as one transaction of 500-row multi-row inserts
 * (measured here about as fast as one `unnest` statement, and much faster than single-row
 * inserts). Reads return the driver's rows as they are: `pg` parses `jsonb` and
 * `timestamptz` by default (ennio-db reads them as text and decodes with its schemas).
 */
import * as Pg from "pg"
import type { EventSpec, MetricsSpec, SessionSpec } from "./data.js"
import type { PgSide, SideHandle } from "./side.js"

/** ennio-db's pool size: `maxConnections` in src/Connection/PostgresBackend.ts, which `Database.layer` leaves at its default. */
export const poolSize = 10

// The statements ennio-db runs on PostgreSQL, in the same order of columns; `seq` (migration V6)
// breaks timestamp ties in insertion order there, as the rowid does in SQLite.
const sessionColumns = `id, project_id, status, activity, branch, issue_id, workspace_path, runtime_handle, agent_info,
  agent_name, pr_url, pr_number, tmux_name, config_hash, role, metadata, created_at, last_activity_at`
const eventColumns = "id, event_type, priority, session_id, project_id, timestamp, message, data"
const placeholders = (rows: number, columns: number) =>
  Array.from({ length: rows }, (_, r) =>
    `(${Array.from({ length: columns }, (_, c) => `$${r * columns + c + 1}`).join(", ")})`).join(", ")

const getSession = "SELECT * FROM sessions WHERE id = $1"
const insertSession = `INSERT INTO sessions (${sessionColumns}) VALUES ${placeholders(1, 18)}`
const insertEvent = `INSERT INTO events (${eventColumns}) VALUES ${placeholders(1, 8)}`
const listSessions = "SELECT * FROM sessions ORDER BY created_at DESC, seq DESC"
export const pgNewestPageSql = "SELECT * FROM events WHERE session_id = $1 ORDER BY timestamp DESC, seq DESC LIMIT $2"
const olderPage = `SELECT * FROM events WHERE session_id = $1
  AND (timestamp, seq) < (SELECT timestamp, seq FROM events WHERE id = $2)
  ORDER BY timestamp DESC, seq DESC LIMIT $3`
const newestOfType = "SELECT * FROM events WHERE event_type = $1 ORDER BY timestamp DESC, seq DESC LIMIT $2"
const newestOfProject = "SELECT * FROM events WHERE project_id = $1 ORDER BY timestamp DESC, seq DESC LIMIT $2"
// RETURNING, because metrics.record returns the counters after the change.
const recordMetrics = `INSERT INTO session_metrics (session_id, total_tokens_in, total_tokens_out,
  estimated_cost_usd, ci_runs, ci_failures, review_rounds, updated_at) VALUES ($1, $2, $3, $4, $5, 0, 0, $6)
ON CONFLICT (session_id) DO UPDATE SET
  total_tokens_in = session_metrics.total_tokens_in + excluded.total_tokens_in,
  total_tokens_out = session_metrics.total_tokens_out + excluded.total_tokens_out,
  estimated_cost_usd = session_metrics.estimated_cost_usd + excluded.estimated_cost_usd,
  ci_runs = session_metrics.ci_runs + excluded.ci_runs,
  updated_at = excluded.updated_at
RETURNING *`

// 8 columns × 500 rows = 4,000 parameters a statement, as ennio-db and the Drizzle side chunk.
const rowsPerInsert = 500

const sessionValues = (s: SessionSpec) => [
  s.id, s.projectId, s.status, s.activity, s.branch, s.issueId, s.workspacePath, JSON.stringify(s.runtimeHandle),
  JSON.stringify(s.agentInfo), s.agentName, s.prUrl, s.prNumber, s.tmuxName, s.configHash, s.role,
  JSON.stringify(s.metadata), s.createdAt, s.lastActivityAt
]

const eventValues = (e: EventSpec) => [
  e.id, e.eventType, e.priority, e.sessionId, e.projectId, e.timestamp, e.message, JSON.stringify(e.data)
]

/** One named multi-row insert per chunk size (the last chunk of a batch may be shorter). */
const multiRowInsert = (rows: number): Pg.QueryConfig => ({
  name: `insert_events_${rows}`,
  text: `INSERT INTO events (${eventColumns}) VALUES ${placeholders(rows, 8)}`
})

/** `named`: every statement named (parsed once per connection); without, parsed at every call, as @effect/sql-pg sends them. */
const openPgRaw = (named: boolean) => async (url: string): Promise<SideHandle> => {
  const pool = new Pg.Pool({ connectionString: url, max: poolSize, application_name: "ennio-bench-pg-raw" })
  pool.on("error", () => {})
  const statement = (config: Pg.QueryConfig): Pg.QueryConfig =>
    named ? config : { text: config.text, ...(config.values === undefined ? {} : { values: config.values }) }
  const insertAll = async (batch: ReadonlyArray<EventSpec>) => {
    const client = await pool.connect()
    try {
      await client.query("BEGIN")
      for (let start = 0; start < batch.length; start += rowsPerInsert) {
        const chunk = batch.slice(start, start + rowsPerInsert)
        await client.query(statement({ ...multiRowInsert(chunk.length), values: chunk.flatMap(eventValues) }))
      }
      await client.query("COMMIT")
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }
  return {
    sessionsGet: (ids) => ({
      kind: "async",
      op: async (i) => (await pool.query(statement({ name: "get_session", text: getSession, values: [ids[i]] }))).rows[0]
    }),
    // The JSON columns are serialised inside the operation, as ennio-db must serialise them.
    sessionsInsert: (specs) => ({
      kind: "async",
      op: (i) => pool.query(statement({ name: "insert_session", text: insertSession, values: sessionValues(specs[i]!) }))
    }),
    eventsInsert: (specs) => ({
      kind: "async",
      op: (i) => pool.query(statement({ name: "insert_event", text: insertEvent, values: eventValues(specs[i]!) }))
    }),
    eventsInsertMany: (batches) => ({ kind: "async", op: (i) => insertAll(batches[i]!) }),
    eventsPage: (sessionId, before, limit) => ({
      kind: "async",
      op: before === undefined
        ? async () =>
          (await pool.query(statement({ name: "newest_page", text: pgNewestPageSql, values: [sessionId, limit] }))).rows
        : async () =>
          (await pool.query(statement({ name: "older_page", text: olderPage, values: [sessionId, before, limit] }))).rows
    }),
    eventsOfType: (eventType, limit) => ({
      kind: "async",
      op: async () =>
        (await pool.query(statement({ name: "newest_of_type", text: newestOfType, values: [eventType, limit] }))).rows
    }),
    eventsOfProject: (projectId, limit) => ({
      kind: "async",
      op: async () =>
        (await pool.query(statement({ name: "newest_of_project", text: newestOfProject, values: [projectId, limit] }))).rows
    }),
    sessionsList: () => ({
      kind: "async",
      op: async () => (await pool.query(statement({ name: "list_sessions", text: listSessions }))).rows
    }),
    metricsRecord: (specs) => ({
      kind: "async",
      op: async (i) => {
        const m: MetricsSpec = specs[i]!
        const values = [m.sessionId, m.tokensIn, m.tokensOut, m.costUsd, m.ciRuns, new Date().toISOString()]
        return (await pool.query(statement({ name: "record_metrics", text: recordMetrics, values }))).rows[0]
      }
    }),
    close: () => pool.end()
  }
}

export const pgRaw: PgSide = { name: "pg-raw", open: openPgRaw(true) }

/** pg raw with unnamed statements: what the server's parsing costs (bench/pg-roundtrips.ts; not a column of the benchmark). */
export const pgRawUnnamed: PgSide = { name: "pg-unnamed", open: openPgRaw(false) }
