import { expect, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { DbError, RuntimeHandle, Session, SessionId, SessionsRepo } from "../../src/index.js"
import { type Backend, describeBackends } from "../fixtures/backends.js"

const countRows = (table: "sessions" | "events" | "session_metrics") =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ n: number }>`SELECT count(*) AS n FROM ${sql(table)}`).pipe(
    Effect.map((rows) => rows[0]!.n)
  )

const minimal = (id: string, projectId = "proj") => ({ id, projectId, configHash: "cfg" })

describeBackends("SessionsRepo", (backend: Backend) => {
  // Layer.fresh: each block gets its own database, not a memoized shared one.
  const TestLayer = () => Layer.fresh(SessionsRepo.Default.pipe(Layer.provideMerge(backend.layer)))

  it.layer(TestLayer())((it) => {
    it.effect("insert fills the defaults, timestamps from the Clock", () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(Date.UTC(2026, 10, 26, 8, 6, 52, 123))
        const repo = yield* SessionsRepo
        const session = yield* repo.insert(minimal("defaults-1"))
        expect(session.status).toBe("spawning")
        expect(session.metadata).toEqual({})
        expect(session.activity).toEqual(Option.none())
        expect(DateTime.formatIso(session.createdAt)).toBe("2026-11-26T08:06:52.123Z")
        expect(session.lastActivityAt).toEqual(session.createdAt)
        expect(yield* repo.get("defaults-1")).toEqual(session)
        const sql = yield* SqlClient.SqlClient
        const [row] = yield* sql<{ created_at: string; metadata: string }>`SELECT created_at, metadata FROM sessions
          WHERE id = 'defaults-1'`
        expect(row).toEqual({ created_at: backend.storedTimestamp("2026-11-26T08:06:52.123Z"), metadata: "{}" })
      }))

    it.effect("insert keeps every optional field", () =>
      Effect.gen(function*() {
        const repo = yield* SessionsRepo
        const session = yield* repo.insert({
          ...minimal("full-1"),
          status: "working",
          activity: "active",
          branch: "feat/x",
          issueId: "ISSUE-1",
          workspacePath: "/work/x",
          runtimeHandle: { id: "tmux-1", runtimeName: "tmux", data: { pane: 1 } },
          agentInfo: { summary: "did things", cost: null },
          agentName: "claude",
          prUrl: "https://example.invalid/pr/7",
          prNumber: 7,
          tmuxName: "ennio-1",
          role: "worker",
          metadata: { nested: { list: [1, "two", null] } }
        })
        const read = yield* repo.get("full-1")
        expect(read).toEqual(session)
        expect(read.runtimeHandle).toEqual(Option.some(new RuntimeHandle({
          id: "tmux-1",
          runtimeName: "tmux",
          data: { pane: 1 }
        })))
        expect(read.prNumber).toEqual(Option.some(7))
      }))

    it.effect("insert of a duplicate id is AlreadyExists", () =>
      Effect.gen(function*() {
        const repo = yield* SessionsRepo
        yield* repo.insert(minimal("dup-1"))
        const error = yield* Effect.flip(repo.insert(minimal("dup-1")))
        expect(error).toMatchObject({ _tag: "AlreadyExists", entity: "Session", id: "dup-1" })
      }))

    it.effect("invalid input is refused with InvalidInput and nothing is written", () =>
      Effect.gen(function*() {
        const repo = yield* SessionsRepo
        const before = yield* countRows("sessions")
        const bad = [
          minimal("has space"),
          minimal(""),
          minimal("ok-1", "bad/project"),
          { ...minimal("ok-2"), prNumber: -3 },
          { ...minimal("ok-3"), prNumber: 1.5 },
          { ...minimal("ok-4"), status: "sleeping" as never },
          { ...minimal("ok-5"), metadata: { big: 1n } }
        ]
        for (const input of bad) {
          const error = yield* Effect.flip(repo.insert(input))
          expect(error).toBeInstanceOf(DbError)
          expect((error as DbError).reason).toBe("InvalidInput")
        }
        expect(yield* countRows("sessions")).toBe(before)
        for (const id of ["has space", "", "a.b"]) {
          const error = yield* Effect.flip(repo.get(id))
          expect((error as DbError).reason).toBe("InvalidInput")
        }
      }))

    it.effect("get of an unknown id is NotFound, find is None", () =>
      Effect.gen(function*() {
        const repo = yield* SessionsRepo
        expect(yield* Effect.flip(repo.get("missing"))).toMatchObject({ _tag: "NotFound", entity: "Session" })
        expect(yield* repo.find("missing")).toEqual(Option.none())
      }))
  })

  it.layer(TestLayer())((it) => {
    it.effect("list is newest first, ties in reverse insertion order, and filters", () =>
      Effect.gen(function*() {
        const repo = yield* SessionsRepo
        yield* TestClock.setTime(1_000)
        for (let i = 0; i < 50; i++) {
          yield* repo.insert({ ...minimal(`same-${i}`, i % 2 === 0 ? "even" : "odd"), status: i % 3 === 0 ? "working" : "spawning" })
        }
        yield* TestClock.setTime(2_000)
        yield* repo.insert(minimal("later", "even"))
        const all = yield* repo.list()
        expect(all.map((s) => s.id)).toEqual(["later", ...Array.from({ length: 50 }, (_, i) => `same-${49 - i}`)])
        const even = yield* repo.list({ projectId: "even" })
        expect(even.every((s) => s.projectId === "even")).toBe(true)
        expect(even).toHaveLength(26)
        const evenWorking = yield* repo.list({ projectId: "even", status: "working" })
        expect(evenWorking.map((s) => s.id)).toEqual(
          Array.from({ length: 50 }, (_, i) => 49 - i).filter((i) => i % 2 === 0 && i % 3 === 0).map((i) => `same-${i}`)
        )
        const working = yield* repo.listByStatus("working")
        expect(working).toHaveLength(17)
        expect((yield* Effect.flip(repo.list({ status: "bogus" as never }))).reason).toBe("InvalidInput")
      }))

    it.effect("countByProjectAndStatus agrees with the sessions listed", () =>
      Effect.gen(function*() {
        const repo = yield* SessionsRepo
        const counts = yield* repo.countByProjectAndStatus()
        const all = yield* repo.list()
        const expected = new Map<string, number>()
        for (const s of all) expected.set(`${s.projectId}/${s.status}`, (expected.get(`${s.projectId}/${s.status}`) ?? 0) + 1)
        expect(new Map(counts.map((c) => [`${c.projectId}/${c.status}`, c.count]))).toEqual(expected)
        expect(counts.map((c) => `${c.projectId}/${c.status}`)).toEqual([...expected.keys()].sort())
      }))
  })

  it.layer(TestLayer())((it) => {
    const stamped = (name: string, change: (repo: SessionsRepo, id: string) => Effect.Effect<Session, unknown>) =>
      it.effect(`${name} stamps lastActivityAt and fails with NotFound on an unknown id`, () =>
        Effect.gen(function*() {
          const repo = yield* SessionsRepo
          const id = `stamp-${name}`
          yield* TestClock.setTime(10_000)
          yield* repo.insert(minimal(id))
          yield* TestClock.setTime(20_000)
          const updated = yield* change(repo, id)
          expect(updated.lastActivityAt.epochMillis).toBe(20_000)
          expect(updated.createdAt.epochMillis).toBe(10_000)
          expect(yield* repo.get(id)).toEqual(updated)
          const missing = yield* Effect.flip(change(repo, "nobody"))
          expect(missing).toMatchObject({ _tag: "NotFound", entity: "Session", id: "nobody" })
          return updated
        }))

    stamped("updateStatus", (repo, id) =>
      Effect.tap(repo.updateStatus(id, "pr_open"), (s) => expect(s.status).toBe("pr_open")))
    stamped("updateActivity", (repo, id) =>
      Effect.gen(function*() {
        const set = yield* repo.updateActivity(id, "waiting_input")
        expect(set.activity).toEqual(Option.some("waiting_input"))
        const cleared = yield* repo.updateActivity(id, undefined)
        expect(cleared.activity).toEqual(Option.none())
        return cleared
      }))
    stamped("updatePr", (repo, id) =>
      Effect.tap(repo.updatePr(id, { url: "https://example.invalid/pr/9", number: 9 }), (s) => {
        expect(s.prNumber).toEqual(Option.some(9))
        expect(s.prUrl).toEqual(Option.some("https://example.invalid/pr/9"))
      }))
    stamped("updateMetadata", (repo, id) =>
      Effect.tap(repo.updateMetadata(id, { step: 3, notes: ["a"] }), (s) =>
        expect(s.metadata).toEqual({ step: 3, notes: ["a"] })))
    stamped("archive", (repo, id) =>
      Effect.tap(repo.archive(id), (s) => expect(s.archivedAt.pipe(Option.map((t) => t.epochMillis))).toEqual(Option.some(20_000))))
    stamped("markRestored", (repo, id) =>
      Effect.tap(repo.markRestored(id), (s) => expect(s.restoredAt.pipe(Option.map((t) => t.epochMillis))).toEqual(Option.some(20_000))))
    it.effect("update writes every mutable column, stamps lastActivityAt, and fails with NotFound on an unknown id", () =>
      Effect.gen(function*() {
        const repo = yield* SessionsRepo
        yield* TestClock.setTime(10_000)
        const original = yield* repo.insert({ ...minimal("upd"), branch: "old" })
        yield* TestClock.setTime(30_000)
        const changed = yield* repo.update(new Session({
          ...original,
          status: "approved",
          branch: Option.some("main"),
          prNumber: Option.some(12),
          metadata: { updated: true },
          createdAt: DateTime.unsafeMake(0)
        }))
        expect(changed.status).toBe("approved")
        expect(changed.branch).toEqual(Option.some("main"))
        expect(changed.prNumber).toEqual(Option.some(12))
        expect(changed.metadata).toEqual({ updated: true })
        expect(changed.createdAt.epochMillis).toBe(10_000)
        expect(changed.lastActivityAt.epochMillis).toBe(30_000)
        expect(yield* repo.get("upd")).toEqual(changed)
        const ghost = new Session({ ...original, id: SessionId.make("ghost") })
        expect(yield* Effect.flip(repo.update(ghost))).toMatchObject({ _tag: "NotFound", id: "ghost" })
      }))

    it.effect("update methods refuse invalid input before any SQL", () =>
      Effect.gen(function*() {
        const repo = yield* SessionsRepo
        yield* repo.insert(minimal("guarded"))
        const before = yield* repo.get("guarded")
        const errors = yield* Effect.all([
          Effect.flip(repo.updateStatus("guarded", "asleep" as never)),
          Effect.flip(repo.updateActivity("guarded", "dancing" as never)),
          Effect.flip(repo.updatePr("guarded", { url: "u", number: -1 })),
          Effect.flip(repo.updateMetadata("guarded", { n: 1n })),
          Effect.flip(repo.updateStatus("bad id", "working"))
        ])
        for (const error of errors) expect((error as DbError).reason).toBe("InvalidInput")
        expect(yield* repo.get("guarded")).toEqual(before)
      }))
  })

  it.layer(TestLayer())((it) => {
    it.effect("delete removes the session, its events and its metrics", () =>
      Effect.gen(function*() {
        const repo = yield* SessionsRepo
        const sql = yield* SqlClient.SqlClient
        yield* repo.insert(minimal("doomed"))
        yield* repo.insert(minimal("kept"))
        for (const id of ["doomed", "kept"]) {
          yield* sql`INSERT INTO events (id, event_type, priority, session_id, project_id, timestamp, message, data)
            VALUES (${`ev-${id}`}, 'session_spawned', 'info', ${id}, 'proj', '2026-11-26T00:00:00.000Z', 'hi', '{}')`
          yield* sql`INSERT INTO session_metrics (session_id, updated_at) VALUES (${id}, '2026-11-26T00:00:00.000Z')`
        }
        yield* repo.delete("doomed")
        expect(yield* repo.find("doomed")).toEqual(Option.none())
        expect(yield* countRows("events")).toBe(1)
        expect(yield* countRows("session_metrics")).toBe(1)
        expect(yield* Effect.flip(repo.delete("doomed"))).toMatchObject({ _tag: "NotFound", id: "doomed" })
      }))

    it.effect("a stored row that does not decode fails with Decode naming table, row and column", () =>
      Effect.gen(function*() {
        const repo = yield* SessionsRepo
        const sql = yield* SqlClient.SqlClient
        yield* repo.insert(minimal("good"))
        // PostgreSQL's column types refuse text that is not JSON or a time; they still hold values the schemas refuse.
        const [badJson, badTime] = backend.name === "postgres" ? ["[1, 2]", "infinity"] : ["{oops", "noon"]
        yield* sql`INSERT INTO sessions (id, project_id, status, config_hash) VALUES ('weird-status', 'proj', 'zombie', 'c')`
        yield* sql`INSERT INTO sessions (id, project_id, config_hash, metadata) VALUES ('bad-json', 'proj', 'c', ${badJson})`
        yield* sql`INSERT INTO sessions (id, project_id, config_hash, created_at) VALUES ('bad-time', 'proj', 'c', ${badTime})`
        for (const [id, column] of [["weird-status", "status"], ["bad-json", "metadata"], ["bad-time", "created_at"]]) {
          const error = yield* Effect.flip(repo.get(id!))
          expect(error).toBeInstanceOf(DbError)
          expect((error as DbError).reason).toBe("Decode")
          expect(error.message).toContain("sessions")
          expect(error.message).toContain(id)
          expect(error.message).toContain(column)
        }
        expect((yield* repo.get("good")).id).toBe("good")
        expect((yield* Effect.flip(repo.list())).reason).toBe("Decode")
      }))
  })
})
