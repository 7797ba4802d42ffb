import { expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as SqlClient from "@effect/sql/SqlClient"
import { StatementRunner } from "../../src/Connection/StatementRunner.js"
import { Database, Repos, SessionsRepo } from "../../src/index.js"
import { sessionColumns } from "../../src/Schemas/Session.js"
import { type Backend, describeBackends } from "../fixtures/backends.js"
import { recordingTracer } from "../fixtures/recordingTracer.js"

/** Opens a transaction that writes `id`, then waits for `release` before it ends as `outcome`. */
const holdTransaction = (id: string, opened: Deferred.Deferred<void>, release: Deferred.Deferred<void>, commit: boolean) =>
  Effect.flatMap(SessionsRepo, (sessions) =>
    Database.transaction(Effect.gen(function*() {
      yield* sessions.insert({ id, projectId: "p", configHash: "h" })
      yield* Deferred.succeed(opened, undefined)
      yield* Deferred.await(release)
      if (!commit) return yield* Effect.fail("rolled back" as const)
    })))

// SQLite runs statements through the fast path of src/Connection/Sqlite.ts, PostgreSQL through
// @effect/sql's own (StatementRunner.direct): the same transaction rules and the same span.
describeBackends("the statement path", (backend: Backend) => {
  it.layer(Layer.fresh(Layer.provideMerge(Repos.layer, backend.layer)))((it) => {
    // PostgreSQL only: a pool, so a reader does not wait for another fiber's transaction, and never sees its writes.
    if (backend.name === "postgres") for (const commit of [true, false]) {
      it.effect(`reads no uncommitted write of another fiber's open transaction (${commit ? "commit" : "rollback"})`, () =>
        Effect.gen(function*() {
          const sessions = yield* SessionsRepo
          const id = `open-${commit}`
          const opened = yield* Deferred.make<void>()
          const release = yield* Deferred.make<void>()
          const writer = yield* Effect.fork(Effect.either(holdTransaction(id, opened, release, commit)))
          yield* Deferred.await(opened)
          expect(yield* sessions.find(id)).toEqual(Option.none())
          yield* Deferred.succeed(release, undefined)
          yield* Fiber.join(writer)
          expect(Option.isSome(yield* sessions.find(id))).toBe(commit)
        }))
    }

    // SQLite only: one connection, so a reader waits until another fiber's transaction ends.
    if (backend.name === "sqlite") for (const commit of [true, false]) {
      it.effect(`waits behind another fiber's open transaction (${commit ? "commit" : "rollback"}): no dirty read`, () =>
        Effect.gen(function*() {
          const sessions = yield* SessionsRepo
          const id = `held-${commit}`
          const opened = yield* Deferred.make<void>()
          const release = yield* Deferred.make<void>()
          const writer = yield* Effect.fork(Effect.either(holdTransaction(id, opened, release, commit)))
          yield* Deferred.await(opened)
          const reader = yield* Effect.fork(sessions.find(id))
          yield* Effect.yieldNow({ priority: 100 })
          expect(yield* Fiber.poll(reader)).toEqual(Option.none())
          yield* Deferred.succeed(release, undefined)
          yield* Fiber.join(writer)
          const seen = yield* Fiber.join(reader)
          expect(Option.isSome(seen)).toBe(commit)
        }))
    }

    it.effect("emits an sql.execute span under the repository span, as @effect/sql does", () =>
      Effect.gen(function*() {
        const { spans, tracer } = yield* recordingTracer
        const sessions = yield* SessionsRepo
        yield* sessions.find("nobody").pipe(Effect.withTracer(tracer))
        const [repo, statement] = spans
        expect(repo?.name).toBe("SessionsRepo.find")
        expect(statement?.name).toBe("sql.execute")
        expect(statement?.kind).toBe("client")
        expect(Option.map(statement!.parent, (p) => p.spanId)).toEqual(Option.some(repo!.spanId))
        expect(statement?.attributes.get("db.query.text")).toBe(
          `SELECT ${sessionColumns} FROM sessions WHERE id = ${backend.name === "postgres" ? "$1" : "?"}`
        )
        expect(statement?.attributes.get("db.system.name")).toBe(backend.name === "postgres" ? "postgresql" : "sqlite")
      }))

    it.effect("runBatch runs its writes in order, traced, and stops at the first failure", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const { runBatch } = yield* StatementRunner.current
        const { spans, tracer } = yield* recordingTracer
        yield* sql`CREATE TABLE batch_test (k INTEGER PRIMARY KEY, v TEXT NOT NULL)`
        const insert = (k: number, v: string) => sql`INSERT INTO batch_test ${sql.insert({ k, v })}`
        yield* runBatch([insert(1, "a"), insert(2, "b"), insert(3, "c")]).pipe(Effect.withTracer(tracer))
        // SQLite's loop is one span; @effect/sql's own path (PostgreSQL) has one per statement.
        expect(spans.map((span) => span.name)).toEqual(
          backend.name === "sqlite" ? ["sql.execute"] : ["sql.execute", "sql.execute", "sql.execute"]
        )
        if (backend.name === "sqlite") expect(spans[0]?.attributes.get("db.operation.batch.size")).toBe(3)
        // A duplicate key fails the batch at the second write; the third never runs.
        const failed = yield* Effect.either(runBatch([insert(4, "d"), insert(1, "again"), insert(5, "e")]))
        expect(failed._tag).toBe("Left")
        const rows = yield* sql<{ k: number; v: string }>`SELECT k, v FROM batch_test ORDER BY k`
        expect(rows.map((row) => [Number(row.k), row.v])).toEqual([[1, "a"], [2, "b"], [3, "c"], [4, "d"]])
        // Inside a transaction the batch is undone with it.
        const rolledBack = yield* Effect.either(sql.withTransaction(runBatch([insert(6, "f"), insert(2, "again")])))
        expect(rolledBack._tag).toBe("Left")
        expect((yield* sql`SELECT k FROM batch_test WHERE k = 6`).length).toBe(0)
      }))
  })
})
