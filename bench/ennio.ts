/**
 * ennio-db through its public repositories, on a ManagedRuntime built once per database:
 * the repositories are taken from it once and every operation is an Effect run on it.
 */
import * as Statement from "@effect/sql/Statement"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { type EventInsert, EventsRepo, MetricsRepo, Repos, type SessionInsert, SessionsRepo } from "../src/index.js"
import { openConnection } from "./connection.js"
import type { EventSpec, SessionSpec } from "./data.js"
import type { FullSide, PgSide, Side, SideHandle } from "./side.js"

const layerFor = (file: string) => Repos.layerDatabase({ url: `sqlite:${file}` })

/** The same session as the other sides insert, in the input form of `SessionsRepo.insert`. */
const toSessionInsert = (s: SessionSpec): SessionInsert => ({
  id: s.id,
  projectId: s.projectId,
  configHash: s.configHash,
  status: s.status,
  activity: s.activity,
  branch: s.branch,
  issueId: s.issueId,
  workspacePath: s.workspacePath,
  runtimeHandle: { id: s.runtimeHandle.id, runtimeName: s.runtimeHandle.runtime_name, data: s.runtimeHandle.data },
  agentInfo: {
    summary: s.agentInfo.summary,
    cost: s.agentInfo.cost === null ? null : {
      inputTokens: s.agentInfo.cost.input_tokens,
      outputTokens: s.agentInfo.cost.output_tokens,
      estimatedCostUsd: s.agentInfo.cost.estimated_cost_usd
    }
  },
  agentName: s.agentName,
  prUrl: s.prUrl,
  prNumber: s.prNumber,
  tmuxName: s.tmuxName,
  role: s.role,
  metadata: s.metadata,
  createdAt: DateTime.unsafeMake(s.createdAt),
  lastActivityAt: DateTime.unsafeMake(s.lastActivityAt)
})

/** A generated event as the repositories take it. */
export const toEventInsert = (e: EventSpec): EventInsert => ({
  id: e.id,
  eventType: e.eventType,
  priority: e.priority,
  sessionId: e.sessionId,
  projectId: e.projectId,
  timestamp: DateTime.unsafeMake(e.timestamp),
  message: e.message,
  data: e.data
})

/** The repositories over the database at `url` (SQLite or PostgreSQL: the same code either way). */
const openUrl = async (url: string, synchronous?: "full"): Promise<SideHandle> => {
  const runtime = ManagedRuntime.make(Repos.layerDatabase({ url, synchronous }))
  const { events, metrics, sessions } = await runtime.runPromise(
    Effect.all({ sessions: SessionsRepo, events: EventsRepo, metrics: MetricsRepo })
  )
  const runPromise = <A>(effect: Effect.Effect<A, unknown>): Promise<A> => runtime.runPromise(effect)
  return {
    sessionsGet: (ids) => ({ kind: "effect", runPromise, op: (i) => sessions.get(ids[i]!) }),
    sessionsInsert: (specs) => {
      const inputs = specs.map(toSessionInsert)
      return { kind: "effect", runPromise, op: (i) => sessions.insert(inputs[i]!) }
    },
    eventsInsert: (specs) => {
      const inputs = specs.map(toEventInsert)
      return { kind: "effect", runPromise, op: (i) => events.insert(inputs[i]!) }
    },
    eventsInsertMany: (batches) => {
      const inputs = batches.map((batch) => batch.map(toEventInsert))
      return { kind: "effect", runPromise, op: (i) => events.insertMany(inputs[i]!) }
    },
    eventsPage: (sessionId, before, limit) => {
      const options = { limit, before }
      return { kind: "effect", runPromise, op: () => events.listBySession(sessionId, options) }
    },
    eventsOfType: (eventType, limit) => {
      const options = { limit }
      return { kind: "effect", runPromise, op: () => events.listByType(eventType, options) }
    },
    eventsOfProject: (projectId, limit) => {
      const options = { limit }
      return { kind: "effect", runPromise, op: () => events.listByProject(projectId, options) }
    },
    sessionsList: () => ({ kind: "effect", runPromise, op: () => sessions.list() }),
    metricsRecord: (specs) => ({
      kind: "effect",
      runPromise,
      op: (i) => {
        const { sessionId, ...delta } = specs[i]!
        return metrics.record(sessionId, delta)
      }
    }),
    close: () => runtime.dispose()
  }
}

export const ennio: Side = { name: "ennio-db", open: (file) => openUrl(`sqlite:${file}`) }

/** The `synchronous: "full"` column's ennio-db: `Database.layer({ url, synchronous: "full" })`. */
export const ennioFull: FullSide = { name: "ennio-full", open: (file) => openUrl(`sqlite:${file}`, "full") }

/** The PostgreSQL column's ennio-db: `Database.layer({ url: "postgres://…" })`, its own pool (10 connections). */
export const ennioPg: PgSide = { name: "ennio-pg", open: (url) => openUrl(url) }

/** One read of the events repository whose statements are captured and explained (W6, W10). */
export type EventsRead = (events: EventsRepo) => Effect.Effect<unknown, unknown>

/** Runs `read` once on `layer` and returns the statements it sent through @effect/sql, compiled. */
export const captureEvents = async (
  layer: ReturnType<typeof Repos.layerDatabase>,
  read: EventsRead
): Promise<Array<readonly [string, ReadonlyArray<unknown>]>> => {
  const captured: Array<readonly [string, ReadonlyArray<unknown>]> = []
  const runtime = ManagedRuntime.make(layer)
  try {
    await runtime.runPromise(
      Effect.flatMap(EventsRepo, read).pipe(
        Statement.withTransformer((statement) =>
          Effect.sync(() => {
            captured.push(statement.compile())
            return statement
          })
        )
      )
    )
  } finally {
    await runtime.dispose()
  }
  return captured
}

/** One statement ennio-db ran, and how the database plans it. */
export interface QueryPlan {
  readonly sql: string
  readonly plan: ReadonlyArray<string>
  readonly usesIndex: boolean
  readonly tempBTree: boolean
}

/** Runs `read` once, captures the statements it sends through @effect/sql, and asks SQLite for their plans on the same file. */
export const explainEvents = async (file: string, read: EventsRead): Promise<ReadonlyArray<QueryPlan>> => {
  const captured = await captureEvents(layerFor(file), read)
  const db = openConnection(file)
  try {
    return captured.map(([text, params]) => {
      // EXPLAIN needs the captured statement's text; its values stay bound parameters.
      const rows = db.prepare<Array<unknown>, { detail: string }>(`EXPLAIN QUERY PLAN ${text}`).all(...params)
      const plan = rows.map((row) => row.detail)
      return {
        sql: text.replace(/\s+/g, " ").trim(),
        plan,
        usesIndex: plan.some((step) => /USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/.test(step)),
        tempBTree: plan.some((step) => step.includes("TEMP B-TREE"))
      }
    })
  } finally {
    db.close()
  }
}
