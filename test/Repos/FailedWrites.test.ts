/**
 * A write that fails has written nothing: an update, upsert or record whose row does not decode
 * (another program broke a column it does not write) fails with `Decode` and leaves the row as
 * it was, alone or inside a caller's transaction, on both backends.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Database from "../../src/Database.js"
import { MetricsRepo } from "../../src/Repos/MetricsRepo.js"
import { ProjectsRepo } from "../../src/Repos/ProjectsRepo.js"
import { SessionsRepo } from "../../src/Repos/SessionsRepo.js"
import { DbError } from "../../src/Schemas/Errors.js"
import { SessionId } from "../../src/Schemas/Ids.js"
import { Session } from "../../src/Schemas/Session.js"
import { SessionMetrics } from "../../src/Schemas/SessionMetrics.js"
import { type Backend, describeBackends } from "../fixtures/backends.js"

type Table = "sessions" | "session_metrics" | "projects"
const keyOf: Record<Table, string> = { sessions: "id", session_metrics: "session_id", projects: "project_id" }

/** The row as the database holds it, read without ennio-db's schemas. */
const rawRow = (table: Table, id: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`SELECT * FROM ${sql(table)} WHERE ${sql(keyOf[table])} = ${id}`).pipe(Effect.map((rows) => rows[0]))

/** `write` fails with `Decode` naming the row and column, and the row is byte-for-byte as it was. */
const failsAndLeavesRow = <A, E>(
  table: Table,
  id: string,
  column: string,
  write: Effect.Effect<A, E>
) =>
  Effect.gen(function*() {
    const before = yield* rawRow(table, id)
    expect(before).toBeDefined()
    const error = yield* Effect.flip(write)
    expect(error).toBeInstanceOf(DbError)
    expect(error).toMatchObject({ reason: "Decode" })
    expect((error as DbError).message).toContain(JSON.stringify(id))
    expect((error as DbError).message).toContain(column)
    expect(yield* rawRow(table, id)).toEqual(before)
  })

describeBackends("a write whose row does not decode", (backend: Backend) => {
  const TestLayer = () =>
    Layer.fresh(Layer.mergeAll(SessionsRepo.Default, MetricsRepo.Default, ProjectsRepo.Default).pipe(
      Layer.provideMerge(backend.layer)
    ))
  // PostgreSQL's column types refuse text that is not a time; `infinity` is one the schemas refuse.
  const badTime = backend.name === "postgres" ? "infinity" : "noon"

  /** A session whose agent_info is JSON of the wrong shape, and one whose created_at is not a time. */
  const plantBrokenSessions = Effect.gen(function*() {
    const sessions = yield* SessionsRepo
    const sql = yield* SqlClient.SqlClient
    for (const id of ["bad-info", "bad-created"]) yield* sessions.insert({ id, projectId: "p", configHash: "h" })
    yield* sql`UPDATE sessions SET agent_info = ${"{\"summary\": 5, \"cost\": null}"} WHERE id = 'bad-info'`
    yield* sql`UPDATE sessions SET created_at = ${badTime} WHERE id = 'bad-created'`
  })

  it.effect("every SessionsRepo update fails with Decode and changes nothing", () =>
    Effect.gen(function*() {
      const sessions = yield* SessionsRepo
      yield* plantBrokenSessions
      const updates: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown>]> = [
        ["updateStatus", sessions.updateStatus("bad-info", "ci_failed")],
        ["updateActivity", sessions.updateActivity("bad-info", "blocked")],
        ["updatePr", sessions.updatePr("bad-info", { url: "https://example.com/pr/7", number: 7 })],
        ["updateMetadata", sessions.updateMetadata("bad-info", { retried: true })],
        ["archive", sessions.archive("bad-info")],
        ["markRestored", sessions.markRestored("bad-info")]
      ]
      for (const [name, update] of updates) {
        yield* failsAndLeavesRow("sessions", "bad-info", "agent_info", update).pipe(
          Effect.tapErrorCause(() => Effect.logError(name))
        )
      }
      // update writes every mutable column, agent_info too: created_at is what it keeps.
      const template = yield* sessions.insert({ id: "template", projectId: "p", configHash: "h" })
      const whole = new Session({ ...template, id: SessionId.make("bad-created"), status: "working" })
      yield* failsAndLeavesRow("sessions", "bad-created", "created_at", sessions.update(whole))
    }).pipe(Effect.provide(TestLayer())))

  it.effect("inside Database.transaction the failed update is undone alone, and the rest commits", () =>
    Effect.gen(function*() {
      const sessions = yield* SessionsRepo
      yield* plantBrokenSessions
      const before = yield* rawRow("sessions", "bad-info")
      const failed = yield* Database.transaction(Effect.gen(function*() {
        yield* sessions.insert({ id: "alongside", projectId: "p", configHash: "h" })
        const error = yield* Effect.flip(sessions.updateStatus("bad-info", "killed"))
        yield* sessions.updateStatus("alongside", "working")
        return error
      }))
      expect(failed).toMatchObject({ _tag: "DbError", reason: "Decode" })
      expect(yield* rawRow("sessions", "bad-info")).toEqual(before)
      expect((yield* sessions.get("alongside")).status).toBe("working")
    }).pipe(Effect.provide(TestLayer())))

  it.effect("MetricsRepo upsert, setTimeToFirstPr and record fail with Decode and change nothing; update repairs", () =>
    Effect.gen(function*() {
      const sessions = yield* SessionsRepo
      const metrics = yield* MetricsRepo
      const sql = yield* SqlClient.SqlClient
      for (const id of ["broken", "fine"]) yield* sessions.insert({ id, projectId: "p", configHash: "h" })
      yield* metrics.record("broken", { tokensIn: 5 })
      yield* metrics.record("fine", { tokensIn: 5 })
      // A column none of these writes touches.
      yield* sql`UPDATE session_metrics SET time_to_merge_secs = -1 WHERE session_id = 'broken'`
      const column = "time_to_merge_secs"
      yield* failsAndLeavesRow("session_metrics", "broken", column, metrics.upsert({ sessionId: "broken", ciRuns: 3 }))
      yield* failsAndLeavesRow("session_metrics", "broken", column, metrics.setTimeToFirstPr("broken", 60))
      yield* failsAndLeavesRow("session_metrics", "broken", column, metrics.record("broken", { tokensIn: 1 }))

      // Concurrent records: the batch fails, and the writes made again one by one fail only the broken row's.
      const before = yield* rawRow("session_metrics", "broken")
      const targets = Array.from({ length: 48 }, (_, i) => (i % 3 === 0 ? "broken" : "fine"))
      const results = yield* Effect.forEach(
        targets,
        (id) => Effect.either(metrics.record(id, { tokensIn: 10, ciRuns: 1 })),
        { concurrency: "unbounded" }
      )
      results.forEach((result, i) => {
        if (targets[i] === "broken") expect(result).toMatchObject({ _tag: "Left", left: { reason: "Decode" } })
        else expect(result._tag).toBe("Right")
      })
      expect(yield* rawRow("session_metrics", "broken")).toEqual(before)
      expect(yield* metrics.get("fine")).toMatchObject({ totalTokensIn: 5 + 10 * 32, ciRuns: 32 })

      // update writes every column: it succeeds, and the row reads again.
      const fine = yield* metrics.get("fine")
      const repaired = yield* metrics.update(new SessionMetrics({ ...fine, sessionId: SessionId.make("broken") }))
      expect(repaired.timeToMergeSecs).toEqual(Option.none())
      expect(yield* metrics.get("broken")).toEqual(repaired)
    }).pipe(Effect.provide(TestLayer())))

  it.effect("ProjectsRepo upsert fails with Decode and changes nothing", () =>
    Effect.gen(function*() {
      const projects = yield* ProjectsRepo
      const sql = yield* SqlClient.SqlClient
      yield* projects.insert({ id: "proj", name: "Old", repo: "r", path: "/p", configHash: "h" })
      yield* sql`UPDATE projects SET created_at = ${badTime} WHERE project_id = 'proj'`
      yield* failsAndLeavesRow(
        "projects",
        "proj",
        "created_at",
        projects.upsert({ id: "proj", name: "New", repo: "r", path: "/p", configHash: "h2" })
      )
    }).pipe(Effect.provide(TestLayer())))
})
