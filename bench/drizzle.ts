/**
 * The peer: Drizzle ORM over better-sqlite3, in its two forms — the query builder called
 * per operation (everyday code) and statements prepared once with placeholders.
 */
import { and, desc, eq, type Placeholder, sql } from "drizzle-orm"
import { drizzle } from "drizzle-orm/better-sqlite3"
import { integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core"
import type { AgentInfoJson, EventSpec, RuntimeHandleJson, SessionSpec } from "./data.js"
import { openConnection } from "./connection.js"
import type { Side, SideHandle } from "./side.js"

// The tables as a Drizzle user declares them; the file's DDL and indices come from ennio-db's migrations.
const sessions = sqliteTable("sessions", {
  id: text("id").primaryKey(),
  projectId: text("project_id").notNull(),
  status: text("status").notNull().default("spawning"),
  activity: text("activity"),
  branch: text("branch"),
  issueId: text("issue_id"),
  workspacePath: text("workspace_path"),
  runtimeHandle: text("runtime_handle", { mode: "json" }).$type<RuntimeHandleJson>(),
  agentInfo: text("agent_info", { mode: "json" }).$type<AgentInfoJson>(),
  agentName: text("agent_name"),
  prUrl: text("pr_url"),
  prNumber: integer("pr_number"),
  tmuxName: text("tmux_name"),
  configHash: text("config_hash").notNull(),
  role: text("role"),
  metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  createdAt: text("created_at").notNull(),
  lastActivityAt: text("last_activity_at").notNull(),
  restoredAt: text("restored_at"),
  archivedAt: text("archived_at")
})

const events = sqliteTable("events", {
  id: text("id").primaryKey(),
  eventType: text("event_type").notNull(),
  priority: text("priority").notNull(),
  sessionId: text("session_id").notNull(),
  projectId: text("project_id").notNull(),
  timestamp: text("timestamp").notNull(),
  message: text("message").notNull(),
  data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull()
})

const sessionMetrics = sqliteTable("session_metrics", {
  sessionId: text("session_id").primaryKey(),
  totalTokensIn: integer("total_tokens_in").notNull(),
  totalTokensOut: integer("total_tokens_out").notNull(),
  estimatedCostUsd: real("estimated_cost_usd").notNull(),
  ciRuns: integer("ci_runs").notNull(),
  ciFailures: integer("ci_failures").notNull(),
  reviewRounds: integer("review_rounds").notNull(),
  timeToFirstPrSecs: integer("time_to_first_pr_secs"),
  timeToMergeSecs: integer("time_to_merge_secs"),
  updatedAt: text("updated_at").notNull()
})

// SQLite's rowid breaks timestamp ties in insertion order, as ennio-db's paging does.
const rowid = sql`rowid`
// The instant as migration 7's time indices hold it: ordering by this expression reads them in order.
const instant = sql`julianday(${events.timestamp})`
const newestFirst = [desc(instant), desc(rowid)] as const
const olderThan = (before: string | Placeholder) =>
  sql`(${instant}, rowid) < (SELECT julianday("timestamp"), rowid FROM "events" WHERE "id" = ${before})`
const addExcluded = {
  totalTokensIn: sql`${sessionMetrics.totalTokensIn} + excluded.total_tokens_in`,
  totalTokensOut: sql`${sessionMetrics.totalTokensOut} + excluded.total_tokens_out`,
  estimatedCostUsd: sql`${sessionMetrics.estimatedCostUsd} + excluded.estimated_cost_usd`,
  ciRuns: sql`${sessionMetrics.ciRuns} + excluded.ci_runs`,
  updatedAt: sql`excluded.updated_at`
}
// Multi-row inserts stay under SQLite's 32,766 bound parameters (8 columns × 500 rows).
const rowsPerInsert = 500

const chunks = <A>(items: ReadonlyArray<A>, size: number): Array<Array<A>> => {
  const out: Array<Array<A>> = []
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size))
  return out
}

const openBuilder = (file: string): SideHandle => {
  const client = openConnection(file)
  const db = drizzle({ client })
  return {
    sessionsGet: (ids) => ({ kind: "sync", op: (i) => db.select().from(sessions).where(eq(sessions.id, ids[i]!)).get() }),
    sessionsInsert: (specs) => ({ kind: "sync", op: (i) => db.insert(sessions).values(specs[i]!).run() }),
    eventsInsert: (specs) => ({ kind: "sync", op: (i) => db.insert(events).values(specs[i]!).run() }),
    eventsInsertMany: (batches) => ({
      kind: "sync",
      op: (i) =>
        db.transaction((tx) => {
          for (const chunk of chunks(batches[i]!, rowsPerInsert)) tx.insert(events).values(chunk).run()
        })
    }),
    eventsPage: (sessionId, before, limit) => ({
      kind: "sync",
      op: () =>
        db.select().from(events)
          .where(before === undefined
            ? eq(events.sessionId, sessionId)
            : and(eq(events.sessionId, sessionId), olderThan(before)))
          .orderBy(...newestFirst)
          .limit(limit)
          .all()
    }),
    eventsOfType: (eventType, limit) => ({
      kind: "sync",
      op: () => db.select().from(events).where(eq(events.eventType, eventType)).orderBy(...newestFirst).limit(limit).all()
    }),
    eventsOfProject: (projectId, limit) => ({
      kind: "sync",
      op: () => db.select().from(events).where(eq(events.projectId, projectId)).orderBy(...newestFirst).limit(limit).all()
    }),
    sessionsList: () => ({
      kind: "sync",
      op: () => db.select().from(sessions).orderBy(desc(sessions.createdAt), desc(rowid)).all()
    }),
    metricsRecord: (specs) => ({
      kind: "sync",
      op: (i) => {
        const m = specs[i]!
        return db.insert(sessionMetrics).values({
          sessionId: m.sessionId,
          totalTokensIn: m.tokensIn,
          totalTokensOut: m.tokensOut,
          estimatedCostUsd: m.costUsd,
          ciRuns: m.ciRuns,
          ciFailures: 0,
          reviewRounds: 0,
          updatedAt: new Date().toISOString()
        }).onConflictDoUpdate({ target: sessionMetrics.sessionId, set: addExcluded }).returning().get()
      }
    }),
    close: async () => {
      client.close()
    }
  }
}

const p = sql.placeholder

const openPrepared = (file: string): SideHandle => {
  const client = openConnection(file)
  const db = drizzle({ client })
  const getSession = db.select().from(sessions).where(eq(sessions.id, p("id"))).prepare()
  const insertSession = db.insert(sessions).values({
    id: p("id"),
    projectId: p("projectId"),
    status: p("status"),
    activity: p("activity"),
    branch: p("branch"),
    issueId: p("issueId"),
    workspacePath: p("workspacePath"),
    runtimeHandle: p("runtimeHandle"),
    agentInfo: p("agentInfo"),
    agentName: p("agentName"),
    prUrl: p("prUrl"),
    prNumber: p("prNumber"),
    tmuxName: p("tmuxName"),
    configHash: p("configHash"),
    role: p("role"),
    metadata: p("metadata"),
    createdAt: p("createdAt"),
    lastActivityAt: p("lastActivityAt")
  }).prepare()
  const insertEvent = db.insert(events).values({
    id: p("id"),
    eventType: p("eventType"),
    priority: p("priority"),
    sessionId: p("sessionId"),
    projectId: p("projectId"),
    timestamp: p("timestamp"),
    message: p("message"),
    data: p("data")
  }).prepare()
  const newestPage = db.select().from(events).where(eq(events.sessionId, p("sessionId")))
    .orderBy(...newestFirst).limit(p("limit")).prepare()
  const olderPage = db.select().from(events).where(and(eq(events.sessionId, p("sessionId")), olderThan(p("before"))))
    .orderBy(...newestFirst).limit(p("limit")).prepare()
  const newestOfType = db.select().from(events).where(eq(events.eventType, p("eventType")))
    .orderBy(...newestFirst).limit(p("limit")).prepare()
  const newestOfProject = db.select().from(events).where(eq(events.projectId, p("projectId")))
    .orderBy(...newestFirst).limit(p("limit")).prepare()
  const listSessions = db.select().from(sessions).orderBy(desc(sessions.createdAt), desc(rowid)).prepare()
  const recordMetrics = db.insert(sessionMetrics).values({
    sessionId: p("sessionId"),
    totalTokensIn: p("tokensIn"),
    totalTokensOut: p("tokensOut"),
    estimatedCostUsd: p("costUsd"),
    ciRuns: p("ciRuns"),
    ciFailures: 0,
    reviewRounds: 0,
    updatedAt: p("updatedAt")
  }).onConflictDoUpdate({ target: sessionMetrics.sessionId, set: addExcluded }).returning().prepare()
  const insertAll = (batch: ReadonlyArray<EventSpec>) =>
    db.transaction(() => {
      for (const event of batch) insertEvent.run(event)
    })
  return {
    sessionsGet: (ids) => ({ kind: "sync", op: (i) => getSession.get({ id: ids[i] }) }),
    sessionsInsert: (specs: ReadonlyArray<SessionSpec>) => ({ kind: "sync", op: (i) => insertSession.run(specs[i]) }),
    eventsInsert: (specs) => ({ kind: "sync", op: (i) => insertEvent.run(specs[i]) }),
    eventsInsertMany: (batches) => ({ kind: "sync", op: (i) => insertAll(batches[i]!) }),
    eventsPage: (sessionId, before, limit) => ({
      kind: "sync",
      op: before === undefined
        ? () => newestPage.all({ sessionId, limit })
        : () => olderPage.all({ sessionId, before, limit })
    }),
    eventsOfType: (eventType, limit) => ({ kind: "sync", op: () => newestOfType.all({ eventType, limit }) }),
    eventsOfProject: (projectId, limit) => ({ kind: "sync", op: () => newestOfProject.all({ projectId, limit }) }),
    sessionsList: () => ({ kind: "sync", op: () => listSessions.all() }),
    metricsRecord: (specs) => ({
      kind: "sync",
      op: (i) => recordMetrics.get({ ...specs[i], updatedAt: new Date().toISOString() })
    }),
    close: async () => {
      client.close()
    }
  }
}

export const drizzleBuilder: Side = { name: "drizzle-builder", open: async (file) => openBuilder(file) }
export const drizzlePrepared: Side = { name: "drizzle-prepared", open: async (file) => openPrepared(file) }
