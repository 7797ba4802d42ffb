/**
 * The limit: better-sqlite3 with statements prepared once and positional parameters.
 * Reads return the driver's rows as they are (JSON columns stay text).
 */
import type Sqlite from "better-sqlite3"
import type { EventSpec, MetricsSpec, SessionSpec } from "./data.js"
import { openConnection, type SqliteSynchronous } from "./connection.js"
import type { FullSide, Side, SideHandle } from "./side.js"

// The same statements ennio-db runs, in the same order of columns.
const insertSessionSql = `INSERT INTO sessions (id, project_id, status, activity, branch, issue_id, workspace_path,
  runtime_handle, agent_info, agent_name, pr_url, pr_number, tmux_name, config_hash, role, metadata, created_at,
  last_activity_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
const insertEventSql = `INSERT INTO events (id, event_type, priority, session_id, project_id, timestamp, message, data)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
const getSessionSql = "SELECT * FROM sessions WHERE id = ?"
const listSessionsSql = "SELECT * FROM sessions ORDER BY created_at DESC, rowid DESC"
// Pages order by julianday(timestamp), the expression migration 7's time indices hold: the
// same index as ennio-db's, read in order (ordered by the text, they would sort every match).
export const newestPageSql =
  "SELECT * FROM events WHERE session_id = ? ORDER BY julianday(timestamp) DESC, rowid DESC LIMIT ?"
const olderPageSql = `SELECT * FROM events WHERE session_id = ?
  AND (julianday(timestamp), rowid) < (SELECT julianday(timestamp), rowid FROM events WHERE id = ?)
  ORDER BY julianday(timestamp) DESC, rowid DESC LIMIT ?`
const newestOfTypeSql =
  "SELECT * FROM events WHERE event_type = ? ORDER BY julianday(timestamp) DESC, rowid DESC LIMIT ?"
const newestOfProjectSql =
  "SELECT * FROM events WHERE project_id = ? ORDER BY julianday(timestamp) DESC, rowid DESC LIMIT ?"
// RETURNING, because metrics.record returns the counters after the change.
const recordMetricsSql = `INSERT INTO session_metrics (session_id, total_tokens_in, total_tokens_out,
  estimated_cost_usd, ci_runs, ci_failures, review_rounds, updated_at) VALUES (?, ?, ?, ?, ?, 0, 0, ?)
ON CONFLICT(session_id) DO UPDATE SET
  total_tokens_in = total_tokens_in + excluded.total_tokens_in,
  total_tokens_out = total_tokens_out + excluded.total_tokens_out,
  estimated_cost_usd = estimated_cost_usd + excluded.estimated_cost_usd,
  ci_runs = ci_runs + excluded.ci_runs,
  updated_at = excluded.updated_at
RETURNING *`

const insertSession = (statement: Sqlite.Statement, s: SessionSpec) =>
  statement.run(
    s.id, s.projectId, s.status, s.activity, s.branch, s.issueId, s.workspacePath, JSON.stringify(s.runtimeHandle),
    JSON.stringify(s.agentInfo), s.agentName, s.prUrl, s.prNumber, s.tmuxName, s.configHash, s.role,
    JSON.stringify(s.metadata), s.createdAt, s.lastActivityAt
  )

const insertEvent = (statement: Sqlite.Statement, e: EventSpec) =>
  statement.run(e.id, e.eventType, e.priority, e.sessionId, e.projectId, e.timestamp, e.message, JSON.stringify(e.data))

/** Writes rows in one transaction: how the fixtures seed every side's database. */
export const seedRows = (
  db: Sqlite.Database,
  rows: { readonly sessions?: Iterable<SessionSpec>; readonly events?: Iterable<EventSpec> }
): void => {
  const sessionStatement = db.prepare(insertSessionSql)
  const eventStatement = db.prepare(insertEventSql)
  db.transaction(() => {
    for (const s of rows.sessions ?? []) insertSession(sessionStatement, s)
    for (const e of rows.events ?? []) insertEvent(eventStatement, e)
  })()
}

const openRaw = (synchronous: SqliteSynchronous) => async (file: string): Promise<SideHandle> => {
  const db = openConnection(file, synchronous)
  const getSession = db.prepare(getSessionSql)
  const insertSessionStatement = db.prepare(insertSessionSql)
  const insertEventStatement = db.prepare(insertEventSql)
  const listSessions = db.prepare(listSessionsSql)
  const newestPage = db.prepare(newestPageSql)
  const olderPage = db.prepare(olderPageSql)
  const newestOfType = db.prepare(newestOfTypeSql)
  const newestOfProject = db.prepare(newestOfProjectSql)
  const recordMetrics = db.prepare(recordMetricsSql)
  const insertAll = db.transaction((events: ReadonlyArray<EventSpec>) => {
    for (const e of events) insertEvent(insertEventStatement, e)
  })
  return {
    sessionsGet: (ids) => ({ kind: "sync", op: (i) => getSession.get(ids[i]) }),
    sessionsInsert: (specs) => ({ kind: "sync", op: (i) => insertSession(insertSessionStatement, specs[i]!) }),
    eventsInsert: (specs) => ({ kind: "sync", op: (i) => insertEvent(insertEventStatement, specs[i]!) }),
    eventsInsertMany: (batches) => ({ kind: "sync", op: (i) => insertAll(batches[i]!) }),
    eventsPage: (sessionId, before, limit) => ({
      kind: "sync",
      op: before === undefined
        ? () => newestPage.all(sessionId, limit)
        : () => olderPage.all(sessionId, before, limit)
    }),
    eventsOfType: (eventType, limit) => ({ kind: "sync", op: () => newestOfType.all(eventType, limit) }),
    eventsOfProject: (projectId, limit) => ({ kind: "sync", op: () => newestOfProject.all(projectId, limit) }),
    sessionsList: () => ({ kind: "sync", op: () => listSessions.all() }),
    metricsRecord: (specs) => ({
      kind: "sync",
      op: (i) => {
        const m: MetricsSpec = specs[i]!
        return recordMetrics.get(m.sessionId, m.tokensIn, m.tokensOut, m.costUsd, m.ciRuns, new Date().toISOString())
      }
    }),
    close: async () => {
      db.close()
    }
  }
}

export const raw: Side = { name: "raw", open: openRaw("NORMAL") }

/** The `synchronous: "full"` column's raw side: `PRAGMA synchronous = FULL`, an fsync at every commit. */
export const rawFull: FullSide = { name: "raw-full", open: openRaw("FULL") }
