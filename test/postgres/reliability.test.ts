/**
 * The reliability cases that matter on a server, on PostgreSQL: processes starting at once,
 * writers in several processes, a writer killed with SIGKILL, and a server restart in the
 * middle of a run. Skipped (with a printed reason) without `ENNIO_TEST_PG_URL`; the restart
 * also needs the server programs, as it runs a private server it can stop.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import { Database, EventsRepo, latestMigrationId, MetricsRepo, Repos, SessionsRepo } from "../../src/index.js"
import { describePostgres, freshPgDatabase, pgQuery, pgUrl } from "../fixtures/backends.js"
import { bundleChild, type Fixture, privateServer, serverProgramsFound, spawnChild } from "./support.js"

const createSessions = (url: string, ids: ReadonlyArray<string>) =>
  Effect.flatMap(SessionsRepo, (sessions) =>
    Effect.forEach(ids, (id) => sessions.insert({ id, projectId: "load", configHash: "h" }), { discard: true })).pipe(
      Effect.provide(Repos.layerDatabase({ url }))
    )

describePostgres("PostgreSQL reliability", () => {
  let fixture: Fixture | undefined
  beforeAll(async () => {
    fixture = await bundleChild()
  }, 60_000)
  afterAll(() => fixture?.dispose())

  it.scoped("16 processes starting at once on an empty database all open it; each migration runs once", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase()
      const startAt = Date.now() + 3_000
      const children = Array.from({ length: 16 }, () => spawnChild(fixture!, "open", { url, startAt }))
      const exits = yield* Effect.promise(() => Promise.all(children.map((child) => child.exit)))
      const outputs = children.map((child, i) => `${exits[i]!.code} ${child.lines.join(" ")} ${child.stderr()}`.trim())
      expect(outputs).toEqual(Array.from({ length: 16 }, () => "0 ok 0"))
      const [recorded] = yield* pgQuery(url, "SELECT migration_id FROM effect_sql_migrations ORDER BY migration_id")
      expect(recorded).toEqual(Array.from({ length: latestMigrationId }, (_, i) => ({ migration_id: i + 1 })))
    }), 60_000)

  it.scoped("8 writer processes at once: every event and every metrics delta is counted exactly", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase()
      const writers = Array.from({ length: 8 }, (_, i) => i)
      yield* createSessions(url, [...writers.map((i) => `w${i}`), "shared"])
      const perWriter = { events: 250, records: 250 }
      const startAt = Date.now() + 2_000
      const children = writers.map((writer) => spawnChild(fixture!, "write", { url, startAt, writer, ...perWriter }))
      const exits = yield* Effect.promise(() => Promise.all(children.map((child) => child.exit)))
      children.forEach((child, i) => expect(`${exits[i]!.code} ${child.stderr()}`, child.lines.join("\n")).toBe("0 "))

      const [perSession, [totals], [metrics]] = yield* pgQuery(
        url,
        "SELECT session_id, count(*)::int AS n, count(DISTINCT id)::int AS ids FROM events GROUP BY session_id ORDER BY session_id",
        "SELECT count(*)::int AS n FROM events",
        `SELECT total_tokens_in::int AS tokens_in, total_tokens_out::int AS tokens_out, estimated_cost_usd AS cost,
          ci_runs::int AS ci_runs FROM session_metrics WHERE session_id = 'shared'`
      )
      const eventsPerWriter = perWriter.events + 100
      expect(perSession).toEqual(writers.map((i) => ({ session_id: `w${i}`, n: eventsPerWriter, ids: eventsPerWriter })))
      expect(totals).toEqual({ n: 8 * eventsPerWriter })
      const deltas = 8 * perWriter.records
      expect(metrics).toEqual({ tokens_in: deltas, tokens_out: 2 * deltas, cost: 0.25 * deltas, ci_runs: deltas })
    }), 90_000)

  it.scoped("a writer killed with SIGKILL loses nothing it acknowledged", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase()
      yield* createSessions(url, ["crash"])
      const child = spawnChild(fixture!, "ack", { url, sessionId: "crash" })
      yield* Effect.promise(() =>
        Promise.all([
          child.waitForLines((line) => line.startsWith("event "), 400, 30_000),
          child.waitForLines((line) => line === "record", 200, 30_000)
        ])
      )
      child.process.kill("SIGKILL")
      const exit = yield* Effect.promise(() => child.exit)
      expect(exit.signal).toBe("SIGKILL")
      const acknowledged = child.lines.filter((line) => line.startsWith("event ")).map((line) => line.slice(6))
      const records = child.lines.filter((line) => line === "record").length

      const [stored, [metrics]] = yield* pgQuery(
        url,
        "SELECT id FROM events WHERE session_id = 'crash'",
        "SELECT total_tokens_in::int AS tokens_in FROM session_metrics WHERE session_id = 'crash'"
      )
      const storedIds = new Set(stored!.map((row) => row["id"]))
      expect(acknowledged.filter((id) => !storedIds.has(id))).toEqual([])
      expect(metrics!["tokens_in"]).toBeGreaterThanOrEqual(records)
      // The server let go of the killed process's connections: the database takes new writers.
      const reopened = spawnChild(fixture!, "open", { url })
      expect((yield* Effect.promise(() => reopened.exit)).code).toBe(0)
      expect(reopened.lines).toEqual(["ok 1"])
    }), 60_000)
})

const canRestart = pgUrl !== undefined && serverProgramsFound()
if (pgUrl !== undefined && !canRestart) {
  console.info("[ennio-db] PostgreSQL restart test skipped: no server programs (scripts/pg-test-server.sh bin fails)")
}

interface Outcome {
  readonly op: "insert" | "record"
  readonly startedAt: number
  readonly result: "ok" | string
  readonly id: string
}

describe.skipIf(!canRestart)("PostgreSQL server restart [postgres]", () => {
  it.scopedLive("operations in flight fail with DbError reason Connection; later ones succeed; nothing acknowledged is lost", () =>
    Effect.gen(function*() {
      const server = yield* privateServer
      const outcomes: Array<Outcome> = []
      const describeExit = (exit: Exit.Exit<unknown, unknown>): string => {
        if (Exit.isSuccess(exit)) return "ok"
        const failure = Cause.failureOption(exit.cause)
        if (Option.isSome(failure)) {
          const error = failure.value as { _tag?: string; reason?: string; message?: string }
          return error._tag === "DbError" && error.reason === "Connection" ? "Connection" : `${error._tag} ${error.reason} ${error.message}`
        }
        return `defect ${Cause.pretty(exit.cause)}`
      }

      const { restartedAt, slow } = yield* Effect.gen(function*() {
        const sessions = yield* SessionsRepo
        const events = yield* EventsRepo
        const metrics = yield* MetricsRepo
        const sql = yield* SqlClient.SqlClient
        yield* sessions.insert({ id: "r1", projectId: "restart", configHash: "h" })
        let next = 0
        const worker = Effect.forever(Effect.gen(function*() {
          const i = next++
          const op = i % 2 === 0 ? "insert" as const : "record" as const
          const id = `r-${i}`
          const startedAt = Date.now()
          const exit = yield* Effect.exit(
            op === "insert"
              ? Effect.asVoid(events.insert({ id, eventType: "status_changed", sessionId: "r1", projectId: "restart", message: "m" }))
              : Effect.asVoid(metrics.record("r1", { tokensIn: 1 }))
          )
          outcomes.push({ op, startedAt, result: describeExit(exit), id })
          yield* Effect.sleep("5 millis")
        }))
        const workers = yield* Effect.fork(Effect.all(Array.from({ length: 6 }, () => worker), { concurrency: "unbounded" }))
        yield* Effect.sleep("500 millis")
        // In flight for sure: a transaction that waits on the server when it goes down.
        const slow = yield* Effect.fork(Effect.exit(Database.transaction(Effect.zipRight(
          events.insert({ id: "slow", eventType: "status_changed", sessionId: "r1", projectId: "restart", message: "m" }),
          sql`SELECT pg_sleep(30)`
        ))))
        yield* Effect.sleep("300 millis")
        yield* server.halt
        yield* Effect.sleep("700 millis")
        yield* server.start
        const restartedAt = Date.now()
        yield* Effect.sleep("1500 millis")
        yield* Fiber.interrupt(workers)
        return { restartedAt, slow: yield* Fiber.join(slow) }
      }).pipe(Effect.provide(Repos.layerDatabase({ url: server.url })), Effect.scoped)

      expect(describeExit(slow)).toBe("Connection")
      const unexpected = outcomes.filter((o) => o.result !== "ok" && o.result !== "Connection")
      expect(unexpected).toEqual([])
      expect(outcomes.filter((o) => o.result === "Connection").length).toBeGreaterThan(0)
      const later = outcomes.filter((o) => o.startedAt > restartedAt)
      expect(later.length).toBeGreaterThan(20)
      expect(later.filter((o) => o.result !== "ok")).toEqual([])

      const [stored, [metrics]] = yield* pgQuery(
        server.url,
        "SELECT id FROM events",
        "SELECT total_tokens_in::int AS tokens_in FROM session_metrics WHERE session_id = 'r1'"
      )
      const storedIds = new Set(stored!.map((row) => row["id"]))
      const acknowledged = outcomes.filter((o) => o.op === "insert" && o.result === "ok").map((o) => o.id)
      expect(acknowledged.filter((id) => !storedIds.has(id))).toEqual([])
      expect(storedIds.has("slow")).toBe(false)
      const recorded = outcomes.filter((o) => o.op === "record")
      expect(metrics!["tokens_in"]).toBeGreaterThanOrEqual(recorded.filter((o) => o.result === "ok").length)
      expect(metrics!["tokens_in"]).toBeLessThanOrEqual(recorded.length)
    }), 90_000)
})
