import { expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Statement from "@effect/sql/Statement"
import { Backend as BackendService } from "../../src/Connection/Backend.js"
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

// SQLite runs statements through the fast path of src/Connection/SqliteBackend.ts, PostgreSQL
// through @effect/sql's own (Backend.fromClient): the same transaction rules and the same span.
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

    it.effect("with a statement transformer, @effect/sql's own statement span is still the repository span's child", () =>
      Effect.gen(function*() {
        const { spans, tracer } = yield* recordingTracer
        const sessions = yield* SessionsRepo
        yield* sessions.find("nobody").pipe(
          (find) => Statement.withTransformer(find, (statement) => Effect.succeed(statement)),
          Effect.withTracer(tracer)
        )
        const [repo, statement] = spans
        expect(repo?.name).toBe("SessionsRepo.find")
        expect(statement?.name).toBe("sql.execute")
        expect(Option.map(statement!.parent, (p) => p.spanId)).toEqual(Option.some(repo!.spanId))
      }))

    it.effect("insertRows writes its rows in order, traced, and a failing statement writes none of its rows", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const { insertRows } = yield* BackendService.current
        const { spans, tracer } = yield* recordingTracer
        const at = "2026-11-26T08:00:00.000Z"
        const rows = (...ids: ReadonlyArray<string>) =>
          ids.map((id) => ({
            project_id: id,
            name: `name ${id}`,
            repo: "org/repo",
            path: "/src",
            default_branch: "main",
            config_hash: "h",
            created_at: at,
            updated_at: at
          }))
        const stored = Effect.map(
          sql<{ project_id: string }>`SELECT project_id FROM projects ORDER BY project_id`,
          (found) => found.map((row) => row.project_id)
        )
        yield* insertRows("projects", rows("a", "b", "c")).pipe(Effect.withTracer(tracer))
        // One multi-row insert, in one span (SQLite's says how many rows).
        expect(spans.map((span) => span.name)).toEqual(["sql.execute"])
        if (backend.name === "sqlite") expect(spans[0]?.attributes.get("db.operation.batch.size")).toBe(3)
        // A duplicate key fails the statement: none of its rows is written.
        const failed = yield* Effect.either(insertRows("projects", rows("d", "a", "e")))
        expect(failed._tag).toBe("Left")
        expect(yield* stored).toEqual(["a", "b", "c"])
        // Past 64 rows SQLite takes several statements (64, then 32, …): every row is written, in order.
        const many = Array.from({ length: 100 }, (_, i) => `m${String(i).padStart(3, "0")}`)
        yield* sql.withTransaction(insertRows("projects", rows(...many)))
        expect(yield* stored).toEqual(["a", "b", "c", ...many])
        const names = yield* sql<{ name: string }>`SELECT name FROM projects WHERE project_id LIKE 'm%' ORDER BY project_id`
        expect(names.map((row) => row.name)).toEqual(many.map((id) => `name ${id}`))
        // Inside a transaction the rows are undone with it.
        const rolledBack = yield* Effect.either(sql.withTransaction(insertRows("projects", rows("f", "b"))))
        expect(rolledBack._tag).toBe("Left")
        expect(yield* stored).not.toContain("f")
      }))
  })
})
