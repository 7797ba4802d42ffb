import * as SqlClient from "@effect/sql/SqlClient"
import { expect, it } from "@effect/vitest"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as Tracer from "effect/Tracer"
import * as Database from "../../src/Database.js"
import { MetricsRepo } from "../../src/Repos/MetricsRepo.js"
import { SessionsRepo } from "../../src/Repos/SessionsRepo.js"
import { SessionMetrics } from "../../src/Schemas/SessionMetrics.js"
import { type Backend, describeBackends } from "../fixtures/backends.js"

const start = Date.parse("2026-11-26T08:06:52.123Z")
const iso = DateTime.formatIso

const createSessions = (projectId: string, ...ids: ReadonlyArray<string>) =>
  Effect.flatMap(SessionsRepo, (sessions) =>
    Effect.forEach(ids, (id) => sessions.insert({ id, projectId, configHash: "hash" }), { discard: true }))

const deeplyNested = (() => {
  let value: unknown = 1
  for (let i = 0; i < 20_000; i++) value = { deeper: value }
  return value
})()

const zeroCounters = {
  totalTokensIn: 0,
  totalTokensOut: 0,
  estimatedCostUsd: 0,
  ciRuns: 0,
  ciFailures: 0,
  reviewRounds: 0
}

describeBackends("MetricsRepo", (backend: Backend) => {
  const TestLayer = Layer.mergeAll(SessionsRepo.Default, MetricsRepo.Default).pipe(
    Layer.provideMerge(backend.layer)
  )

  it.effect("insert creates the row with zero counters; unknown session is NotFound, a repeat AlreadyExists", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(start)
      const metrics = yield* MetricsRepo
      const sql = yield* SqlClient.SqlClient
      const orphan = yield* Effect.flip(metrics.insert({ sessionId: "ghost" }))
      expect(orphan).toMatchObject({ _tag: "NotFound", entity: "Session", id: "ghost" })

      yield* createSessions("p", "s1")
      const inserted = yield* metrics.insert({ sessionId: "s1", totalTokensIn: 7 })
      expect(inserted).toMatchObject({ ...zeroCounters, totalTokensIn: 7 })
      expect(inserted.timeToFirstPrSecs).toEqual(Option.none())
      expect(inserted.timeToMergeSecs).toEqual(Option.none())
      expect(iso(inserted.updatedAt)).toBe("2026-11-26T08:06:52.123Z")
      expect(yield* metrics.get("s1")).toEqual(inserted)
      const [row] = yield* sql`SELECT updated_at FROM session_metrics`
      expect(row).toEqual({ updated_at: backend.storedTimestamp("2026-11-26T08:06:52.123Z") })

      const duplicate = yield* Effect.flip(metrics.insert({ sessionId: "s1", totalTokensIn: 99 }))
      expect(duplicate).toMatchObject({ _tag: "AlreadyExists", entity: "SessionMetrics", id: "s1" })
      expect((yield* metrics.get("s1")).totalTokensIn).toBe(7)
    }).pipe(Effect.provide(TestLayer)))

  it.effect("find is none and get NotFound for a session without metrics; invalid ids are InvalidInput", () =>
    Effect.gen(function*() {
      const metrics = yield* MetricsRepo
      yield* createSessions("p", "s1")
      expect(yield* metrics.find("s1")).toEqual(Option.none())
      const error = yield* Effect.flip(metrics.get("s1"))
      expect(error).toMatchObject({ _tag: "NotFound", entity: "SessionMetrics", id: "s1" })
      expect(yield* Effect.flip(metrics.find("s 1"))).toMatchObject({ _tag: "DbError", reason: "InvalidInput" })
      const inserted = yield* metrics.insert({ sessionId: "s1" })
      expect(yield* metrics.find("s1")).toEqual(Option.some(inserted))
    }).pipe(Effect.provide(TestLayer)))

  it.effect("update writes every counter and stamps updatedAt; NotFound when absent, InvalidInput when invalid", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(start)
      const metrics = yield* MetricsRepo
      yield* createSessions("p", "s1", "s2")
      const inserted = yield* metrics.insert({ sessionId: "s1" })
      yield* TestClock.adjust("1 minute")
      const changed = new SessionMetrics({
        ...inserted,
        totalTokensIn: 1,
        totalTokensOut: 2,
        estimatedCostUsd: 3.5,
        ciRuns: 4,
        ciFailures: 5,
        reviewRounds: 6,
        timeToFirstPrSecs: Option.some(7),
        timeToMergeSecs: Option.some(8)
      })
      const updated = yield* metrics.update(changed)
      expect(updated).toEqual(new SessionMetrics({ ...changed, updatedAt: DateTime.unsafeMake(start + 60_000) }))
      expect(yield* metrics.get("s1")).toEqual(updated)

      const absent = yield* Effect.flip(metrics.update(new SessionMetrics({ ...changed, sessionId: "s2" as never })))
      expect(absent).toMatchObject({ _tag: "NotFound", entity: "SessionMetrics", id: "s2" })
      expect(yield* metrics.find("s2")).toEqual(Option.none())

      const negative = yield* Effect.flip(metrics.update(new SessionMetrics({ ...changed, ciRuns: -1 }, true)))
      expect(negative).toMatchObject({ _tag: "DbError", reason: "InvalidInput" })
      expect(yield* metrics.get("s1")).toEqual(updated)
    }).pipe(Effect.provide(TestLayer)))

  it.effect("upsert inserts, then overwrites only the fields given; unknown session is NotFound", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(start)
      const metrics = yield* MetricsRepo
      yield* createSessions("p", "s1")
      const created = yield* metrics.upsert({ sessionId: "s1", totalTokensIn: 10, ciRuns: 2, timeToFirstPrSecs: 30 })
      expect(created).toMatchObject({ ...zeroCounters, totalTokensIn: 10, ciRuns: 2 })
      expect(created.timeToFirstPrSecs).toEqual(Option.some(30))

      yield* TestClock.adjust("1 second")
      const overwritten = yield* metrics.upsert({ sessionId: "s1", totalTokensIn: 3, estimatedCostUsd: 1.5 })
      expect(overwritten).toMatchObject({ ...zeroCounters, totalTokensIn: 3, estimatedCostUsd: 1.5, ciRuns: 2 })
      expect(overwritten.timeToFirstPrSecs).toEqual(Option.some(30))
      expect(iso(overwritten.updatedAt)).toBe("2026-11-26T08:06:53.123Z")
      expect(yield* metrics.get("s1")).toEqual(overwritten)

      const orphan = yield* Effect.flip(metrics.upsert({ sessionId: "ghost", totalTokensIn: 1 }))
      expect(orphan).toMatchObject({ _tag: "NotFound", entity: "Session", id: "ghost" })
      const invalid = yield* Effect.flip(metrics.upsert({ sessionId: "s1", totalTokensIn: -3 }))
      expect(invalid).toMatchObject({ _tag: "DbError", reason: "InvalidInput" })
      expect((yield* metrics.get("s1")).totalTokensIn).toBe(3)
    }).pipe(Effect.provide(TestLayer)))

  it.effect("record creates the row, then adds to it and stamps updatedAt", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(start)
      const metrics = yield* MetricsRepo
      yield* createSessions("p", "s1")
      const first = yield* metrics.record("s1", { tokensIn: 100, costUsd: 0.25 })
      expect(first).toMatchObject({ ...zeroCounters, totalTokensIn: 100, estimatedCostUsd: 0.25 })
      expect(iso(first.updatedAt)).toBe("2026-11-26T08:06:52.123Z")

      yield* TestClock.adjust("5 seconds")
      const second = yield* metrics.record("s1", {
        tokensIn: 1,
        tokensOut: 50,
        costUsd: 0.5,
        ciRuns: 2,
        ciFailures: 1,
        reviewRounds: 3
      })
      expect(second).toMatchObject({
        totalTokensIn: 101,
        totalTokensOut: 50,
        estimatedCostUsd: 0.75,
        ciRuns: 2,
        ciFailures: 1,
        reviewRounds: 3
      })
      expect(iso(second.updatedAt)).toBe("2026-11-26T08:06:57.123Z")
      expect(yield* metrics.get("s1")).toEqual(second)
      expect(yield* metrics.record("s1", {})).toMatchObject({ totalTokensIn: 101, estimatedCostUsd: 0.75 })
    }).pipe(Effect.provide(TestLayer)))

  it.effect("500 concurrent record calls on 3 sessions lose nothing", () =>
    Effect.gen(function*() {
      const metrics = yield* MetricsRepo
      const ids = ["s0", "s1", "s2"]
      yield* createSessions("p", ...ids)
      const calls = Array.from({ length: 500 }, (_, i) => ({
        sessionId: ids[i % 3]!,
        delta: {
          tokensIn: i,
          tokensOut: 2 * i + 1,
          costUsd: 0.25 * (i % 4),
          ciRuns: 1,
          ciFailures: i % 2,
          reviewRounds: i % 5 === 0 ? 1 : 0
        }
      }))
      yield* Effect.forEach(calls, ({ delta, sessionId }) => metrics.record(sessionId, delta), {
        concurrency: 64,
        discard: true
      })
      for (const id of ids) {
        const mine = calls.filter((call) => call.sessionId === id).map((call) => call.delta)
        const sum = (pick: (delta: (typeof mine)[number]) => number) => mine.reduce((n, d) => n + pick(d), 0)
        expect(yield* metrics.get(id)).toMatchObject({
          totalTokensIn: sum((d) => d.tokensIn),
          totalTokensOut: sum((d) => d.tokensOut),
          estimatedCostUsd: sum((d) => d.costUsd),
          ciRuns: mine.length,
          ciFailures: sum((d) => d.ciFailures),
          reviewRounds: sum((d) => d.reviewRounds)
        })
      }
    }).pipe(Effect.provide(TestLayer)))

  it.effect("concurrent records over stored values at and past each column's edges: a row the codec would not read back after the change is refused, and written as it was", () =>
    Effect.gen(function*() {
      const metrics = yield* MetricsRepo
      const sql = yield* SqlClient.SqlClient
      const max = Number.MAX_SAFE_INTEGER
      // Values another program may have stored. SQLite stores NaN as NULL, which the column refuses.
      const counts = [0, 5, max - 3, max, -1, max + 1]
      const amounts = [0, 1.5, 1e308, Number.MAX_VALUE, -1, -0, Infinity, -Infinity, ...(backend.name === "postgres" ? [NaN] : [])]
      const times = [null, 0, 60, max, -1, max + 1]
      let seed = 20261201
      const pick = <A>(values: ReadonlyArray<A>): A => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31
        return values[seed % values.length]!
      }
      const cases = Array.from({ length: 120 }, (_, i) => ({
        id: `edge-${i}`,
        stored: {
          total_tokens_in: pick(counts),
          total_tokens_out: pick(counts),
          estimated_cost_usd: pick(amounts),
          ci_runs: pick(counts),
          ci_failures: pick(counts),
          review_rounds: pick(counts),
          time_to_first_pr_secs: pick(times),
          time_to_merge_secs: pick(times)
        },
        delta: { tokensIn: pick([0, 1, 3]), costUsd: pick([0, 0.5, 1e308]), ciRuns: pick([0, 1]) }
      }))
      yield* createSessions("p", ...cases.map((c) => c.id))
      for (const { id, stored } of cases) {
        yield* metrics.record(id, {})
        yield* sql`UPDATE session_metrics SET ${sql.update(stored)} WHERE session_id = ${id}`
      }
      const rawRow = (id: string) => Effect.map(sql`SELECT * FROM session_metrics WHERE session_id = ${id}`, (rows) => rows[0])
      const before = yield* Effect.forEach(cases, (c) => rawRow(c.id))
      const results = yield* Effect.forEach(cases, (c) => Effect.either(metrics.record(c.id, c.delta)), {
        concurrency: "unbounded"
      })
      const isCount = (value: number | null) => value !== null && Number.isSafeInteger(value) && value >= 0
      let written = 0
      for (const [i, { delta, id, stored }] of cases.entries()) {
        const after = {
          totalTokensIn: stored.total_tokens_in + delta.tokensIn,
          totalTokensOut: stored.total_tokens_out,
          estimatedCostUsd: stored.estimated_cost_usd + delta.costUsd,
          ciRuns: stored.ci_runs + delta.ciRuns,
          ciFailures: stored.ci_failures,
          reviewRounds: stored.review_rounds
        }
        const readable = [after.totalTokensIn, after.totalTokensOut, after.ciRuns, after.ciFailures, after.reviewRounds]
          .every(isCount) &&
          [stored.total_tokens_in, stored.ci_runs].every(isCount) &&
          Number.isFinite(after.estimatedCostUsd) && after.estimatedCostUsd >= 0 && stored.estimated_cost_usd >= 0 &&
          [stored.time_to_first_pr_secs, stored.time_to_merge_secs].every((time) => time === null || isCount(time))
        const result = results[i]!
        if (readable) {
          written++
          expect(result, id).toMatchObject({ _tag: "Right", right: after })
        } else {
          const error = Either.isLeft(result) ? result.left : undefined
          expect(error?._tag === "DbError" && ["Constraint", "Decode"].includes(error.reason), id).toBe(true)
          expect(yield* rawRow(id), id).toEqual(before[i])
        }
      }
      // Both kinds occur in the one concurrent run.
      expect(written).toBeGreaterThan(5)
      expect(written).toBeLessThan(cases.length - 5)
    }).pipe(Effect.provide(TestLayer)))

  it.effect("concurrent record calls share transactions, each traced as MetricsRepo.record", () =>
    Effect.gen(function*() {
      const spans: Array<Tracer.Span> = []
      const base = yield* Effect.tracer
      const recording = Tracer.make({
        span: (name, ...rest) => {
          const span = base.span(name, ...rest)
          spans.push(span)
          return span
        },
        context: base.context
      })
      yield* Effect.gen(function*() {
        const metrics = yield* MetricsRepo
        yield* createSessions("p", "s1")
        // The migrations ran in transactions of their own: count only what the records start.
        spans.length = 0
        yield* Effect.forEach(Array.from({ length: 100 }), () => metrics.record("s1", { tokensIn: 1 }), {
          concurrency: "unbounded",
          discard: true
        })
        expect((yield* metrics.get("s1")).totalTokensIn).toBe(100)
      }).pipe(
        Effect.provide(TestLayer),
        // Set before the layer starts the writer fiber, so the batches' transactions are recorded too.
        Effect.withTracer(recording)
      )
      // Top-level transactions only: on PostgreSQL each write of a batch also runs under a savepoint.
      const transactionSpans = spans.filter((span) => span.name === "sql.transaction")
      const ids = new Set(transactionSpans.map((span) => span.spanId))
      const transactions = transactionSpans.filter((span) =>
        Option.match(span.parent, { onNone: () => true, onSome: (parent) => !ids.has(parent.spanId) })
      ).length
      expect(transactions).toBeGreaterThan(0)
      expect(transactions).toBeLessThan(10)
      const records = spans.filter((span) => span.name === "MetricsRepo.record")
      expect(records).toHaveLength(100)
      expect(records.every((span) => span.attributes.get("session.id") === "s1")).toBe(true)
    }))

  it.effect("record refuses negative or fractional counts, NaN and infinite amounts before any SQL", () =>
    Effect.gen(function*() {
      const metrics = yield* MetricsRepo
      yield* createSessions("p", "s1")
      const invalid = [
        { tokensIn: -1 },
        { tokensOut: 1.5 },
        { ciRuns: -2 },
        { costUsd: Number.NaN },
        { costUsd: Number.POSITIVE_INFINITY },
        { costUsd: -0.25 },
        // Nested too deep for a message that prints it: refused all the same, not a defect.
        { tokensIn: deeplyNested as never },
        { costUsd: deeplyNested as never }
      ]
      for (const delta of invalid) {
        const error = yield* Effect.flip(metrics.record("s1", delta))
        expect(error).toMatchObject({ _tag: "DbError", reason: "InvalidInput" })
        // The message names the field the caller passed, not the column it would add to.
        expect(error.message).toContain(`metrics delta ${Object.keys(delta)[0]}`)
      }
      // Validation comes first: an unknown session with an invalid delta is InvalidInput, not NotFound.
      expect(yield* Effect.flip(metrics.record("ghost", { tokensIn: -1 }))).toMatchObject({ reason: "InvalidInput" })
      expect(yield* Effect.flip(metrics.record("s 1", { tokensIn: 1 }))).toMatchObject({ reason: "InvalidInput" })
      expect(yield* metrics.find("s1")).toEqual(Option.none())
    }).pipe(Effect.provide(TestLayer)))

  it.effect("record for an unknown session is NotFound, and in a concurrent batch fails only that caller", () =>
    Effect.gen(function*() {
      const metrics = yield* MetricsRepo
      yield* createSessions("p", "s1")
      const alone = yield* Effect.flip(metrics.record("ghost", { tokensIn: 1 }))
      expect(alone).toMatchObject({ _tag: "NotFound", entity: "Session", id: "ghost" })

      const targets = Array.from({ length: 40 }, (_, i) => i === 17 ? "ghost" : "s1")
      const results = yield* Effect.forEach(
        targets,
        (id) => Effect.either(metrics.record(id, { tokensIn: 1, costUsd: 0.5 })),
        { concurrency: "unbounded" }
      )
      const failures = results.filter(Either.isLeft).map((result) => result.left)
      expect(failures).toHaveLength(1)
      expect(failures[0]).toMatchObject({ _tag: "NotFound", entity: "Session", id: "ghost" })
      expect(Either.isLeft(results[17]!)).toBe(true)
      expect(yield* metrics.get("s1")).toMatchObject({ totalTokensIn: 39, estimatedCostUsd: 19.5 })
      expect(yield* metrics.find("ghost")).toEqual(Option.none())
    }).pipe(Effect.provide(TestLayer)))

  it.effect("setTimeToFirstPr and setTimeToMerge set once, keep the first value, and create the row when absent", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(start)
      const metrics = yield* MetricsRepo
      yield* createSessions("p", "s1", "s2")
      const created = yield* metrics.setTimeToFirstPr("s1", 120)
      expect(created).toMatchObject(zeroCounters)
      expect(created.timeToFirstPrSecs).toEqual(Option.some(120))
      expect(created.timeToMergeSecs).toEqual(Option.none())

      yield* TestClock.adjust("1 minute")
      const kept = yield* metrics.setTimeToFirstPr("s1", 300)
      expect(kept.timeToFirstPrSecs).toEqual(Option.some(120))
      expect(iso(kept.updatedAt)).toBe("2026-11-26T08:06:52.123Z")

      const merged = yield* metrics.setTimeToMerge("s1", 3600)
      expect(merged.timeToMergeSecs).toEqual(Option.some(3600))
      expect(merged.timeToFirstPrSecs).toEqual(Option.some(120))
      expect(iso(merged.updatedAt)).toBe("2026-11-26T08:07:52.123Z")
      expect((yield* metrics.setTimeToMerge("s1", 1)).timeToMergeSecs).toEqual(Option.some(3600))

      yield* metrics.record("s2", { tokensIn: 5 })
      const afterRecord = yield* metrics.setTimeToMerge("s2", 0)
      expect(afterRecord).toMatchObject({ totalTokensIn: 5 })
      expect(afterRecord.timeToMergeSecs).toEqual(Option.some(0))
      expect(afterRecord.timeToFirstPrSecs).toEqual(Option.none())

      for (const seconds of [-1, 1.5, Number.NaN]) {
        expect(yield* Effect.flip(metrics.setTimeToFirstPr("s2", seconds))).toMatchObject({ reason: "InvalidInput" })
        expect(yield* Effect.flip(metrics.setTimeToMerge("s2", seconds))).toMatchObject({ reason: "InvalidInput" })
      }
      expect((yield* metrics.get("s2")).timeToFirstPrSecs).toEqual(Option.none())
      const orphan = yield* Effect.flip(metrics.setTimeToFirstPr("ghost", 1))
      expect(orphan).toMatchObject({ _tag: "NotFound", entity: "Session", id: "ghost" })
    }).pipe(Effect.provide(TestLayer)))

  it.effect("totals sums over all sessions or one project's, and is all zeros when nothing matches", () =>
    Effect.gen(function*() {
      const metrics = yield* MetricsRepo
      yield* createSessions("alpha", "a1", "a2", "a3")
      yield* createSessions("beta", "b1")
      yield* metrics.record("a1", { tokensIn: 10, tokensOut: 1, costUsd: 0.25, ciRuns: 2, ciFailures: 1 })
      yield* metrics.record("a2", { tokensIn: 20, tokensOut: 2, costUsd: 0.5, reviewRounds: 3 })
      yield* metrics.record("b1", { tokensIn: 400, tokensOut: 4, costUsd: 4, ciRuns: 1 })

      expect(yield* metrics.totals()).toEqual({
        sessions: 3,
        tokensIn: 430,
        tokensOut: 7,
        costUsd: 4.75,
        ciRuns: 3,
        ciFailures: 1,
        reviewRounds: 3
      })
      // a3 has no metrics row: it adds nothing and is not counted.
      expect(yield* metrics.totals({ projectId: "alpha" })).toEqual({
        sessions: 2,
        tokensIn: 30,
        tokensOut: 3,
        costUsd: 0.75,
        ciRuns: 2,
        ciFailures: 1,
        reviewRounds: 3
      })
      expect(yield* metrics.totals({ projectId: "nobody" })).toEqual({
        sessions: 0,
        tokensIn: 0,
        tokensOut: 0,
        costUsd: 0,
        ciRuns: 0,
        ciFailures: 0,
        reviewRounds: 0
      })
      expect(yield* Effect.flip(metrics.totals({ projectId: "no body" }))).toMatchObject({ reason: "InvalidInput" })
    }).pipe(Effect.provide(TestLayer)))

  it.effect("a session's metrics are deleted with the session", () =>
    Effect.gen(function*() {
      const metrics = yield* MetricsRepo
      const sessions = yield* SessionsRepo
      yield* createSessions("p", "s1", "s2")
      yield* metrics.record("s1", { tokensIn: 1 })
      yield* metrics.record("s2", { tokensIn: 2 })
      yield* sessions.delete("s1")
      expect(yield* metrics.find("s1")).toEqual(Option.none())
      expect(yield* metrics.totals()).toMatchObject({ sessions: 1, tokensIn: 2 })
    }).pipe(Effect.provide(TestLayer)))

  it.effect("record inside a Database.transaction that then fails leaves nothing", () =>
    Effect.gen(function*() {
      const metrics = yield* MetricsRepo
      yield* createSessions("p", "s1", "s2")
      yield* metrics.record("s1", { tokensIn: 5 })
      const failure = yield* Database.transaction(
        Effect.gen(function*() {
          const inside = yield* metrics.record("s1", { tokensIn: 10, costUsd: 1 })
          expect(inside.totalTokensIn).toBe(15)
          yield* metrics.record("s2", { tokensIn: 1 })
          yield* metrics.setTimeToFirstPr("s2", 60)
          return yield* Effect.fail("boom" as const)
        })
      ).pipe(Effect.flip)
      expect(failure).toBe("boom")
      expect(yield* metrics.get("s1")).toMatchObject({ totalTokensIn: 5, estimatedCostUsd: 0 })
      expect(yield* metrics.find("s2")).toEqual(Option.none())
    }).pipe(Effect.provide(TestLayer)))
  it.effect("record refuses a sum past the largest count or amount with Constraint, writing nothing; the row stays readable", () =>
    Effect.gen(function*() {
      const metrics = yield* MetricsRepo
      yield* createSessions("p", "s1", "s2")
      const max = Number.MAX_SAFE_INTEGER
      yield* metrics.record("s1", { tokensIn: max })
      const refused = yield* Effect.flip(metrics.record("s1", { tokensIn: 10, ciRuns: 1 }))
      expect(refused).toMatchObject({ _tag: "DbError", reason: "Constraint" })
      expect(refused.message).toContain("total_tokens_in")
      expect(refused.message).toContain("\"s1\"")
      expect(yield* metrics.get("s1")).toMatchObject({ totalTokensIn: max, ciRuns: 0 })
      expect(yield* metrics.totals()).toMatchObject({ sessions: 1, tokensIn: max })
      expect(yield* metrics.record("s1", { tokensOut: 3 })).toMatchObject({ totalTokensIn: max, totalTokensOut: 3 })

      // Every counter up to the largest, then one more; the amount twice 1e308.
      for (const field of ["tokensOut", "ciRuns", "ciFailures", "reviewRounds"] as const) {
        yield* metrics.record("s2", { [field]: max - 1 })
        yield* metrics.record("s2", { [field]: 1 })
        expect(yield* Effect.flip(metrics.record("s2", { [field]: 1 })), field).toMatchObject({ reason: "Constraint" })
      }
      yield* metrics.record("s2", { costUsd: 1e308 })
      expect(yield* Effect.flip(metrics.record("s2", { costUsd: 1e308 }))).toMatchObject({ reason: "Constraint" })
      expect(yield* metrics.get("s2")).toMatchObject({ totalTokensOut: max, ciRuns: max, ciFailures: max, reviewRounds: max })
      const s2 = yield* metrics.get("s2")
      expect(s2.estimatedCostUsd).toBe(1e308)
      expect(Number.isFinite(s2.estimatedCostUsd)).toBe(true)
      // The amount rounds: a delta too small to change the largest double still fits.
      yield* metrics.record("s2", { costUsd: Number.MAX_VALUE - 1e308 })
      expect((yield* metrics.record("s2", { costUsd: 1 })).estimatedCostUsd).toBe(Number.MAX_VALUE)
      expect(yield* Effect.flip(metrics.record("s2", { costUsd: 1e300 }))).toMatchObject({ reason: "Constraint" })

      // Inside a caller's transaction the refusal is a failure like any other: the rest goes on.
      const inside = yield* Database.transaction(Effect.gen(function*() {
        const error = yield* Effect.flip(metrics.record("s1", { tokensIn: 1 }))
        yield* metrics.record("s1", { reviewRounds: 1 })
        return error
      }))
      expect(inside).toMatchObject({ reason: "Constraint" })
      expect(yield* metrics.get("s1")).toMatchObject({ totalTokensIn: max, reviewRounds: 1 })
    }).pipe(Effect.provide(TestLayer)))

  it.effect("many concurrent records crossing the largest count and amount: the row holds exactly the acknowledged deltas", () =>
    Effect.gen(function*() {
      const metrics = yield* MetricsRepo
      yield* createSessions("p", "big", "small")
      // Deterministic deltas whose partial sums are exact doubles: counts below 2^48, amounts
      // multiples of 2^1000 (a sum of those is exact while it stays below the largest double).
      let seed = 20261126
      const next = (bound: number) => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31
        return 1 + (seed % bound)
      }
      const deltas = Array.from({ length: 400 }, (_, i) => ({
        sessionId: i % 5 === 0 ? "small" : "big",
        delta: i % 7 === 0
          ? { ciRuns: 1 }
          : { tokensIn: next(2 ** 30) * next(2 ** 18), costUsd: next(2 ** 18) * 2 ** 1000, ciRuns: 1 }
      }))
      const results = yield* Effect.forEach(
        deltas,
        ({ delta, sessionId }) => Effect.either(metrics.record(sessionId, delta)),
        { concurrency: "unbounded" }
      )
      for (const sessionId of ["big", "small"]) {
        const stored = yield* metrics.get(sessionId)
        const mine = deltas.map((call, i) => ({ ...call, result: results[i]! })).filter((call) => call.sessionId === sessionId)
        const acknowledged = mine.filter((call) => Either.isRight(call.result)).map((call) => call.delta)
        const refused = mine.filter((call) => Either.isLeft(call.result))
        const sum = (pick: (delta: { tokensIn?: number; costUsd?: number; ciRuns?: number }) => number | undefined) =>
          acknowledged.reduce((total, delta) => total + (pick(delta) ?? 0), 0)
        expect(stored.totalTokensIn, sessionId).toBe(sum((d) => d.tokensIn))
        expect(stored.estimatedCostUsd, sessionId).toBe(sum((d) => d.costUsd))
        expect(stored.ciRuns, sessionId).toBe(acknowledged.length)
        for (const call of refused) {
          expect(Either.isLeft(call.result) && call.result.left).toMatchObject({ _tag: "DbError", reason: "Constraint" })
          // Sums only grow: a delta refused then does not fit now either.
          const delta = call.delta as { tokensIn?: number; costUsd?: number }
          expect(
            stored.totalTokensIn > Number.MAX_SAFE_INTEGER - (delta.tokensIn ?? 0) ||
              stored.estimatedCostUsd > Number.MAX_VALUE - (delta.costUsd ?? 0)
          ).toBe(true)
        }
        if (sessionId === "big") {
          expect(refused.length).toBeGreaterThan(50)
          expect(acknowledged.length).toBeGreaterThan(50)
        }
      }
      // Both sessions together pass the largest values: totals says so rather than round.
      expect(yield* Effect.flip(metrics.totals({ projectId: "p" }))).toMatchObject({ reason: "Constraint" })
    }).pipe(Effect.provide(TestLayer)))

  it.effect("insert, update, upsert, the times and pr_number refuse values past the largest with InvalidInput", () =>
    Effect.gen(function*() {
      const metrics = yield* MetricsRepo
      const sessions = yield* SessionsRepo
      yield* createSessions("p", "s1")
      const inserted = yield* metrics.insert({ sessionId: "s1", totalTokensIn: Number.MAX_SAFE_INTEGER })
      const tooMany = 2 ** 53
      const refusals: ReadonlyArray<Effect.Effect<unknown, unknown>> = [
        metrics.insert({ sessionId: "s1", totalTokensOut: tooMany }),
        metrics.upsert({ sessionId: "s1", ciRuns: tooMany }),
        metrics.upsert({ sessionId: "s1", estimatedCostUsd: Number.POSITIVE_INFINITY }),
        metrics.upsert({ sessionId: "s1", ciRuns: deeplyNested as never }),
        metrics.update(new SessionMetrics({ ...inserted, reviewRounds: tooMany }, true)),
        metrics.update(new SessionMetrics({ ...inserted, estimatedCostUsd: Number.POSITIVE_INFINITY }, true)),
        metrics.setTimeToFirstPr("s1", tooMany),
        metrics.setTimeToMerge("s1", tooMany),
        sessions.insert({ id: "s2", projectId: "p", configHash: "h", prNumber: tooMany }),
        sessions.updatePr("s1", { url: "u", number: tooMany })
      ]
      for (const refusal of refusals) expect(yield* Effect.flip(refusal)).toMatchObject({ reason: "InvalidInput" })
      expect(yield* metrics.get("s1")).toEqual(inserted)
      expect((yield* sessions.get("s1")).prNumber).toEqual(Option.none())
    }).pipe(Effect.provide(TestLayer)))

  it.effect("totals is exact, or Constraint when a sum passes the largest count or amount", () =>
    Effect.gen(function*() {
      const metrics = yield* MetricsRepo
      const sql = yield* SqlClient.SqlClient
      yield* createSessions("p", "a", "b", "c")
      yield* createSessions("q", "d", "e")
      const max = Number.MAX_SAFE_INTEGER
      for (const id of ["a", "b", "c"]) yield* metrics.record(id, { tokensIn: max, costUsd: 1 })
      const error = yield* Effect.flip(metrics.totals())
      expect(error).toMatchObject({ _tag: "DbError", reason: "Constraint" })
      expect(error.message).toContain("tokens_in")
      expect(yield* Effect.flip(metrics.totals({ projectId: "p" }))).toMatchObject({ reason: "Constraint" })
      // One session at the largest count sums exactly.
      yield* metrics.record("d", { tokensIn: max - 1, costUsd: 1e308 })
      yield* metrics.record("e", { tokensIn: 1, costUsd: 1e308 })
      expect(yield* Effect.flip(metrics.totals({ projectId: "q" }))).toMatchObject({ reason: "Constraint" })
      yield* sql`UPDATE session_metrics SET estimated_cost_usd = 0 WHERE session_id = 'e'`
      expect(yield* metrics.totals({ projectId: "q" })).toMatchObject({ sessions: 2, tokensIn: max, costUsd: 1e308 })
      // Past 64 bits: rows another program wrote, each beyond what a reader reads back.
      yield* sql`UPDATE session_metrics SET total_tokens_in = 4611686018427387904 WHERE session_id IN ('a', 'b')`
      expect(yield* Effect.flip(metrics.totals({ projectId: "p" }))).toMatchObject({ reason: "Constraint" })
    }).pipe(Effect.provide(TestLayer)))

  it.effect("totalsSkippingUnreadable sums the rows that read back and names the ones that do not", () =>
    Effect.gen(function*() {
      const metrics = yield* MetricsRepo
      const sql = yield* SqlClient.SqlClient
      yield* createSessions("p", "good", "bad")
      yield* createSessions("q", "other")
      yield* metrics.record("good", { tokensIn: 5, costUsd: 0.5, ciRuns: 1 })
      yield* metrics.record("bad", { tokensIn: 1 })
      yield* metrics.record("other", { tokensIn: 7 })
      // What an earlier version committed: past the largest safe integer.
      yield* sql`UPDATE session_metrics SET total_tokens_in = 9007199254741001 WHERE session_id = 'bad'`
      expect(yield* Effect.flip(metrics.totals())).toMatchObject({ reason: "Constraint" })
      const all = yield* metrics.totalsSkippingUnreadable()
      expect(all.totals).toEqual({ sessions: 2, tokensIn: 12, tokensOut: 0, costUsd: 0.5, ciRuns: 1, ciFailures: 0, reviewRounds: 0 })
      expect(all.unreadable).toHaveLength(1)
      expect(all.unreadable[0]).toMatchObject({ reason: "Decode" })
      expect(all.unreadable[0]!.message).toContain("session_metrics row \"bad\", column total_tokens_in")
      const q = yield* metrics.totalsSkippingUnreadable({ projectId: "q" })
      expect(q).toEqual({ totals: yield* metrics.totals({ projectId: "q" }), unreadable: [] })
      // The broken row refuses further records without changing.
      expect(yield* Effect.flip(metrics.record("bad", { tokensIn: 1 }))).toMatchObject({ reason: "Decode" })
    }).pipe(Effect.provide(TestLayer)))

  it.effect("costPerHour sums the cost of the sessions created in each hour from since; bad options are InvalidInput", () =>
    Effect.gen(function*() {
      const sessions = yield* SessionsRepo
      const metrics = yield* MetricsRepo
      const hour = 3_600_000
      const hourStart = Date.parse("2026-11-26T08:00:00.000Z")
      const created = (id: string, ms: number) =>
        sessions.insert({ id, projectId: "alpha", configHash: "hash", createdAt: DateTime.unsafeMake(hourStart + ms) })
      yield* created("early", -1)
      yield* created("first", 0)
      yield* created("last", hour - 1)
      yield* created("third", 2 * hour)
      yield* created("unspent", 2 * hour + 1)
      yield* created("later", 3 * hour)
      for (const [id, costUsd] of [["early", 100], ["first", 0.25], ["last", 0.5], ["third", 2], ["later", 7]] as const) {
        yield* metrics.record(id, { costUsd })
      }
      const since = DateTime.unsafeMake(hourStart)
      expect(yield* metrics.costPerHour({ since, hours: 3 })).toEqual([0.75, 0, 2])
      expect(yield* metrics.costPerHour({ since, hours: 4 })).toEqual([0.75, 0, 2, 7])
      for (const hours of [0, 169]) {
        expect(yield* Effect.flip(metrics.costPerHour({ since, hours }))).toMatchObject({ reason: "InvalidInput" })
      }
    }).pipe(Effect.provide(TestLayer)))
})
