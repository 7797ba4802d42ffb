/**
 * Lock waits: another process holds the file's write lock (`BEGIN IMMEDIATE` on a handle of
 * its own) while ennio-db writes. The write waits without stopping the process (a reader fiber
 * and a 10 ms timer keep their pace), succeeds when the lock frees, and fails with `DbError`
 * reason `Busy` after the busy timeout, having written nothing. Two layers on one file in one
 * process take turns.
 */
import { describe, expect, it } from "@effect/vitest"
import Sqlite from "better-sqlite3"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as path from "node:path"
import { Database, DbError, EventsRepo, MetricsRepo, Repos, SessionsRepo } from "../../src/index.js"
import { recordingTracer } from "../fixtures/recordingTracer.js"
import { figures, snapshotTree, spawnChild, useFixture } from "./support/harness.js"

const { fixture, tempDir } = useFixture(path.join(import.meta.dirname, "fixtures", "faults.ts"))

/** Measures how late a 10 ms timer fires: the longest the event loop stood still. */
const watchTimer = () => {
  let last = performance.now()
  let worst = 0
  let ticks = 0
  const timer = setInterval(() => {
    const now = performance.now()
    worst = Math.max(worst, now - last - 10)
    last = now
    ticks++
  }, 10)
  return () => {
    clearInterval(timer)
    return { worstMs: Math.round(worst), ticks }
  }
}

/** A fiber that reads a session every 5 ms until stopped, and the longest gap beyond that between reads. */
const readerFiber = (sessions: SessionsRepo, id: string) =>
  Effect.gen(function*() {
    let stop = false
    let worst = 0
    let reads = 0
    const fiber = yield* Effect.fork(Effect.gen(function*() {
      let last = performance.now()
      while (!stop) {
        yield* sessions.get(id)
        reads++
        yield* Effect.sleep(Duration.millis(5))
        const now = performance.now()
        worst = Math.max(worst, now - last - 5)
        last = now
      }
    }))
    return Effect.sync(() => {
      stop = true
    }).pipe(
      Effect.zipRight(Fiber.join(fiber)),
      Effect.map(() => ({ worstMs: Math.round(worst), reads }))
    )
  })

const holdLock = (file: string, options: { exclusive?: boolean; create?: boolean } = {}) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const child = spawnChild(fixture(), "hold-lock", { file, ...options })
      await child.waitForLine((line) => line === "locked", 20_000)
      return child
    }),
    (child) => Effect.sync(() => child.kill())
  ).pipe(Effect.map((child) => ({
    release: Effect.promise(async () => {
      child.process.stdin!.write("release\n")
      await child.waitForLine((line) => line === "released", 20_000)
    })
  })))

const event = (id: string, sessionId: string) => ({
  id,
  eventType: "status_changed" as const,
  sessionId,
  projectId: "locks",
  message: `event ${id}`
})

const count = (file: string, sql: string) => {
  const db = new Sqlite(file, { readonly: true })
  try {
    return (db.prepare(sql).get() as { n: number }).n
  } finally {
    db.close()
  }
}

describe("lock waits", () => {
  it.live("a write waiting for another process's lock does not stop the process, and succeeds when it frees", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir("locks-wait"), "ennio.db")
      const context = yield* Layer.build(Repos.layerDatabase({ url: `sqlite:${file}` }))
      const sessions = yield* Effect.provide(SessionsRepo, context)
      const events = yield* Effect.provide(EventsRepo, context)
      const metrics = yield* Effect.provide(MetricsRepo, context)
      yield* sessions.insert({ id: "s1", projectId: "locks", configHash: "h" })

      const lock = yield* holdLock(file)
      const stopTimer = watchTimer()
      const stopReader = yield* readerFiber(sessions, "s1")
      const startedAt = performance.now()
      // Every kind of write: group commit (alone and batched), a plain statement, a transaction, insertMany.
      const writes = yield* Effect.fork(Effect.all([
        events.insert(event("w1", "s1")),
        Effect.all([events.insert(event("w2", "s1")), events.insert(event("w3", "s1"))], { concurrency: 2 }),
        metrics.record("s1", { tokensIn: 5 }),
        sessions.insert({ id: "s2", projectId: "locks", configHash: "h" }),
        Effect.provide(Database.transaction(sessions.updateStatus("s1", "working")), context),
        events.insertMany([event("w4", "s1"), event("w5", "s1")])
      ], { concurrency: "unbounded" }))
      const holdMs = 2_500
      yield* Effect.sleep(Duration.millis(holdMs))
      expect(yield* Fiber.poll(writes), "a write went through while the lock was held").toMatchObject({ _tag: "None" })
      const reader = yield* stopReader
      const timer = stopTimer()
      yield* lock.release
      yield* Fiber.join(writes)
      const waitedMs = Math.round(performance.now() - startedAt)

      expect(waitedMs).toBeGreaterThanOrEqual(holdMs)
      expect(count(file, "SELECT count(*) AS n FROM events")).toBe(5)
      expect(timer.worstMs, "the 10 ms timer stood still").toBeLessThan(250)
      expect(reader.worstMs, "the reader fiber stood still").toBeLessThan(250)
      expect(reader.reads).toBeGreaterThan(holdMs / 50)
      figures("locks-wait", {
        heldMs: holdMs,
        waitedMs,
        writes: 7,
        timerLongestStallMs: timer.worstMs,
        timerTicks: timer.ticks,
        readerLongestStallMs: reader.worstMs,
        readsWhileWaiting: reader.reads
      })
    }).pipe(Effect.scoped), 60_000)

  it.live("a write still locked out after the busy timeout fails with Busy, retryable, having written nothing", () =>
    Effect.gen(function*() {
      const dir = tempDir("locks-timeout")
      const file = path.join(dir, "ennio.db")
      const busyTimeoutMs = 800
      const context = yield* Layer.build(Repos.layerDatabase({ url: `sqlite:${file}`, busyTimeoutMs }))
      const sessions = yield* Effect.provide(SessionsRepo, context)
      const events = yield* Effect.provide(EventsRepo, context)
      const metrics = yield* Effect.provide(MetricsRepo, context)
      yield* sessions.insert({ id: "s1", projectId: "locks", configHash: "h" })
      const before = count(file, "SELECT count(*) AS n FROM events")

      const lock = yield* holdLock(file)
      const stopTimer = watchTimer()
      const startedAt = performance.now()
      const failures = yield* Effect.all([
        Effect.flip(events.insert(event("t1", "s1"))),
        Effect.flip(metrics.record("s1", { tokensIn: 1 })),
        Effect.flip(sessions.insert({ id: "t2", projectId: "locks", configHash: "h" })),
        Effect.flip(Effect.provide(Database.transaction(events.insert(event("t3", "s1"))), context)),
        Effect.flip(events.insertMany([event("t4", "s1"), event("t5", "s1")]))
      ], { concurrency: "unbounded" })
      const failedAfterMs = Math.round(performance.now() - startedAt)
      const timer = stopTimer()
      yield* lock.release

      for (const failure of failures) {
        expect(failure).toBeInstanceOf(DbError)
        expect((failure as DbError).reason, failure.message).toBe("Busy")
        expect((failure as DbError).retryable).toBe(true)
        expect(DbError.isRetryable(failure)).toBe(true)
      }
      expect(failedAfterMs).toBeGreaterThanOrEqual(busyTimeoutMs - 50)
      expect(failedAfterMs).toBeLessThan(busyTimeoutMs + 2_000)
      expect(timer.worstMs, "the 10 ms timer stood still").toBeLessThan(250)
      expect(count(file, "SELECT count(*) AS n FROM events")).toBe(before)
      expect(count(file, "SELECT count(*) AS n FROM sessions")).toBe(1)
      expect(count(file, "SELECT count(*) AS n FROM session_metrics")).toBe(0)
      // The layer is still usable once the lock frees.
      yield* events.insert(event("after", "s1"))
      figures("locks-timeout", {
        busyTimeoutMs,
        failedAfterMs,
        operations: failures.length,
        reason: "Busy",
        timerLongestStallMs: timer.worstMs,
        rowsWritten: 0
      })
    }).pipe(Effect.scoped), 60_000)

  it.live("writes that arrive while a group-commit batch waits for the lock join that batch", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir("locks-join"), "ennio.db")
      const { spans, tracer } = yield* recordingTracer
      yield* Effect.gen(function*() {
        const context = yield* Layer.build(Repos.layerDatabase({ url: `sqlite:${file}` }))
        const sessions = yield* Effect.provide(SessionsRepo, context)
        const events = yield* Effect.provide(EventsRepo, context)
        yield* sessions.insert({ id: "s1", projectId: "locks", configHash: "h" })
        const lock = yield* holdLock(file)
        const before = spans.filter((span) => span.name === "sql.transaction").length
        // Two writes make a batch, whose transaction waits for the lock; thirty more arrive meanwhile.
        const first = yield* Effect.fork(Effect.all([events.insert(event("j1", "s1")), events.insert(event("j2", "s1"))], {
          concurrency: 2
        }))
        yield* Effect.sleep(Duration.millis(200))
        const later = yield* Effect.fork(Effect.all(
          Array.from({ length: 30 }, (_, i) => events.insert(event(`j${i + 3}`, "s1"))),
          { concurrency: "unbounded" }
        ))
        yield* Effect.sleep(Duration.millis(200))
        yield* lock.release
        yield* Fiber.join(first)
        yield* Fiber.join(later)
        const transactions = spans.filter((span) => span.name === "sql.transaction").length - before
        expect(count(file, "SELECT count(*) AS n FROM events")).toBe(32)
        expect(transactions).toBe(1)
        figures("locks-join", { writes: 32, transactions })
      }).pipe(Effect.withTracer(tracer))
    }).pipe(Effect.scoped), 60_000)

  it.live("two layers on one file in one process take turns without deadlock", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir("locks-two"), "ennio.db")
      const url = `sqlite:${file}`
      const a = yield* Layer.build(Repos.layerDatabase({ url }))
      const b = yield* Layer.build(Repos.layerDatabase({ url }))
      const sessionsA = yield* Effect.provide(SessionsRepo, a)
      yield* sessionsA.insert({ id: "s1", projectId: "locks", configHash: "h" })
      const rounds = 12
      const holdMs = 40
      const startedAt = performance.now()
      // Each transaction holds the write lock across a pause; the other layer's writes wait for it.
      const inTurn = (context: typeof a, label: string, i: number) =>
        Effect.gen(function*() {
          const sessions = yield* SessionsRepo
          const events = yield* EventsRepo
          yield* Database.transaction(Effect.gen(function*() {
            yield* sessions.insert({ id: `${label}-${i}`, projectId: "locks", configHash: "h" })
            yield* Effect.sleep(Duration.millis(holdMs))
            yield* events.insert(event(`${label}-e${i}`, "s1"))
          }))
          yield* events.insert(event(`${label}-alone${i}`, "s1"))
        }).pipe(Effect.provide(context))
      yield* Effect.all(
        Array.from({ length: rounds }, (_, i) => [inTurn(a, "a", i), inTurn(b, "b", i)]).flat(),
        { concurrency: "unbounded" }
      )
      const tookMs = Math.round(performance.now() - startedAt)
      expect(count(file, "SELECT count(*) AS n FROM events")).toBe(rounds * 4)
      // Taking turns: about one hold per transaction, far from a busy timeout.
      expect(tookMs).toBeLessThan(rounds * 2 * holdMs + 5_000)
      figures("locks-two-layers", { transactions: rounds * 2, holdMs, tookMs, failures: 0 })
    }).pipe(Effect.scoped), 60_000)

  it.live("opening a file another process holds locked waits without stopping the process", () =>
    Effect.gen(function*() {
      const dir = tempDir("locks-open")
      const file = path.join(dir, "ennio.db")
      // A new file in rollback-journal mode, locked whole: ennio-db cannot even read it yet.
      const lock = yield* holdLock(file, { exclusive: true })
      const stopTimer = watchTimer()
      const startedAt = performance.now()
      const opening = yield* Effect.fork(Effect.scoped(Layer.build(Database.layer({ url: `sqlite:${file}` }))))
      const holdMs = 1_500
      yield* Effect.sleep(Duration.millis(holdMs))
      expect(yield* Fiber.poll(opening)).toMatchObject({ _tag: "None" })
      const timer = stopTimer()
      yield* lock.release
      yield* Fiber.join(opening)
      const openedAfterMs = Math.round(performance.now() - startedAt)
      expect(openedAfterMs).toBeGreaterThanOrEqual(holdMs)
      expect(timer.worstMs, "the 10 ms timer stood still").toBeLessThan(250)
      expect(count(file, "SELECT count(*) AS n FROM effect_sql_migrations")).toBeGreaterThan(0)
      expect(Object.keys(snapshotTree(dir))).toContain("ennio.db")
      figures("locks-open", { heldMs: holdMs, openedAfterMs, timerLongestStallMs: timer.worstMs })
    }).pipe(Effect.scoped), 60_000)
})
