import { expect, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import * as Tracer from "effect/Tracer"
import { EventsRepo, MetricsRepo, Repos, SessionsRepo } from "../../src/index.js"
import { type Backend, describeBackends } from "../fixtures/backends.js"

/** The repositories over a fresh database, with the SQL text of every statement they execute. */
const TracedRepos = (backend: Backend) => {
  const statements: Array<string> = []
  const tracer = Effect.map(Effect.tracer, (native) =>
    Tracer.make({
      span: (...args) => {
        const span = native.span(...args)
        const end = span.end.bind(span)
        span.end = (endTime, exit) => {
          const text = span.attributes.get("db.query.text")
          if (span.name === "sql.execute" && typeof text === "string") statements.push(text)
          end(endTime, exit)
        }
        return span
      },
      context: native.context
    }))
  const layer = Layer.fresh(Layer.provideMerge(Repos.layer, backend.layer)).pipe(
    Layer.provide(Layer.unwrapEffect(Effect.map(tracer, Layer.setTracer)))
  )
  return { layer, statements }
}

describeBackends("group commit", (backend: Backend) => {
  const traced = TracedRepos(backend)

  it.layer(traced.layer)((it) => {
    it.effect("gathers concurrent inserts into few statements, keeps their order, and loses none", () =>
      Effect.gen(function*() {
        const sessions = yield* SessionsRepo
        const events = yield* EventsRepo
        yield* sessions.insert({ id: "gc-1", projectId: "p", configHash: "h" })
        yield* TestClock.setTime(5_000)
        traced.statements.length = 0
        const messages = Array.from({ length: 300 }, (_, i) => `event ${i}`)
        const inserted = yield* Effect.forEach(
          messages,
          (message) => events.insert({ eventType: "status_changed", sessionId: "gc-1", projectId: "p", message }),
          { concurrency: "unbounded" }
        )
        expect(inserted.map((e) => e.message)).toEqual(messages)
        const inserts = traced.statements.filter((text) => /^INSERT INTO "?events"? /.test(text))
        expect(inserts.length).toBeGreaterThan(0)
        expect(inserts.length).toBeLessThan(30)
        // Same timestamp: the list is in reverse insertion order, which is submission order here.
        const listed = yield* events.listBySession("gc-1")
        expect(listed.map((e) => e.message)).toEqual([...messages].reverse())
      }))

    it.effect("a failing write fails only its own caller; the rest of its batch commits", () =>
      Effect.gen(function*() {
        const sessions = yield* SessionsRepo
        const events = yield* EventsRepo
        yield* sessions.insert({ id: "gc-2", projectId: "p", configHash: "h" })
        const targets = Array.from({ length: 100 }, (_, i) => (i % 10 === 3 ? `ghost-${i}` : "gc-2"))
        const results = yield* Effect.forEach(
          targets,
          (sessionId, i) =>
            Effect.either(events.insert({ eventType: "status_changed", sessionId, projectId: "p", message: `m${i}` })),
          { concurrency: "unbounded" }
        )
        results.forEach((result, i) => {
          if (targets[i]!.startsWith("ghost")) {
            expect(result).toMatchObject({ _tag: "Left", left: { _tag: "NotFound", entity: "Session", id: targets[i] } })
          } else {
            expect(result._tag).toBe("Right")
          }
        })
        expect(yield* events.listBySession("gc-2")).toHaveLength(90)
      }))

    it.effect("record sums concurrent deltas per session in one statement, exactly", () =>
      Effect.gen(function*() {
        const sessions = yield* SessionsRepo
        const metrics = yield* MetricsRepo
        for (const id of ["gc-a", "gc-b"]) yield* sessions.insert({ id, projectId: "p", configHash: "h" })
        traced.statements.length = 0
        const calls = Array.from({ length: 200 }, (_, i) => ({ id: i % 2 === 0 ? "gc-a" : "gc-b", tokens: i + 1 }))
        const rows = yield* Effect.forEach(
          calls,
          ({ id, tokens }) => metrics.record(id, { tokensIn: tokens, costUsd: 0.25, ciRuns: 1 }),
          { concurrency: "unbounded" }
        )
        rows.forEach((row, i) => {
          expect(row.sessionId).toBe(calls[i]!.id)
          expect(row.totalTokensIn).toBeGreaterThanOrEqual(calls[i]!.tokens)
        })
        const upserts = traced.statements.filter((text) => text.startsWith("INSERT INTO session_metrics"))
        expect(upserts.length).toBeLessThan(30)
        const a = yield* metrics.get("gc-a")
        const b = yield* metrics.get("gc-b")
        const sum = (parity: number) => calls.filter((_, i) => i % 2 === parity).reduce((n, c) => n + c.tokens, 0)
        expect([a.totalTokensIn, a.ciRuns, a.estimatedCostUsd]).toEqual([sum(0), 100, 25])
        expect([b.totalTokensIn, b.ciRuns, b.estimatedCostUsd]).toEqual([sum(1), 100, 25])
      }))

    // SQLite only: PostgreSQL's typed columns cannot hold the broken value.
    if (backend.name === "sqlite") {
      it.effect("a session row that does not decode fails only that session's record callers", () =>
        Effect.gen(function*() {
          const sessions = yield* SessionsRepo
          const metrics = yield* MetricsRepo
          const sql = yield* SqlClient.SqlClient
          for (const id of ["gc-good", "gc-bad"]) yield* sessions.insert({ id, projectId: "p", configHash: "h" })
          yield* metrics.record("gc-bad", { tokensIn: 1 })
          // Another program broke a column record does not write.
          yield* sql`UPDATE session_metrics SET time_to_first_pr_secs = 'bogus' WHERE session_id = 'gc-bad'`
          const targets = Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? "gc-bad" : "gc-good"))
          const results = yield* Effect.forEach(
            targets,
            (id) => Effect.either(metrics.record(id, { tokensIn: 10 })),
            { concurrency: "unbounded" }
          )
          results.forEach((result, i) => {
            if (targets[i] === "gc-bad") {
              expect(result).toMatchObject({ _tag: "Left", left: { _tag: "DbError", reason: "Decode" } })
            } else {
              expect(result._tag).toBe("Right")
            }
          })
          expect((yield* metrics.get("gc-good")).totalTokensIn).toBe(300)
        }))
    }
  })
})
