import * as SqlClient from "@effect/sql/SqlClient"
import * as Statement from "@effect/sql/Statement"
import { addEqualityTesters, describe, expect, it } from "@effect/vitest"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as Database from "../../src/Database.js"
import type { EventPriority } from "../../src/Schemas/Enums.js"
import { AlreadyExists, NotFound } from "../../src/Schemas/Errors.js"
import type { EventInsert } from "../../src/Schemas/Event.js"
import { EventsRepo } from "../../src/Repos/EventsRepo.js"
import { SessionsRepo } from "../../src/Repos/SessionsRepo.js"
import { type Backend, describeBackends } from "../fixtures/backends.js"

addEqualityTesters()

const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const base = Date.parse("2026-11-26T08:06:52.123Z")
const at = (offsetMs: number) => DateTime.unsafeMake(base + offsetMs)

const createSessions = (...ids: ReadonlyArray<string>) =>
  Effect.flatMap(SessionsRepo, (sessions) =>
    Effect.forEach(ids, (id) => sessions.insert({ id, projectId: `proj-${id}`, configHash: "hash" }), {
      discard: true
    }))

const event = (sessionId: string, fields: Partial<EventInsert> = {}): EventInsert => ({
  eventType: "status_changed",
  sessionId,
  projectId: `proj-${sessionId}`,
  message: "status changed",
  ...fields
})

const countEvents = Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ n: number }>`SELECT count(*) AS n FROM events`)
  .pipe(Effect.map((rows) => rows[0]!.n))

/** The listBySession calls whose query plans must walk the session's index: plain, limited, and every option. */
const pagingCalls = (events: EventsRepo, before: string) => [
  events.listBySession("s1"),
  events.listBySession("s1", { limit: 10 }),
  events.listBySession("s1", { limit: 10, before, minPriority: "action", since: at(0), until: at(9_000) })
]

/**
 * The dashboard's queries and the index each must read in order: newest events of a project, of a
 * type, of a session by type, the newest urgent ones overall (one arm per priority, merged), and
 * sessions newest first overall, by project and by status. Each also with a cursor.
 */
const dashboardCalls = (
  events: EventsRepo,
  sessions: SessionsRepo,
  before: string
): ReadonlyArray<{ index: string; merged?: boolean; call: Effect.Effect<unknown, unknown> }> => [
  { index: "idx_events_project_timestamp", call: events.listByProject("proj-s1", { limit: 50 }) },
  { index: "idx_events_project_timestamp", call: events.listByProject("proj-s1", { limit: 50, before }) },
  { index: "idx_events_type_timestamp", call: events.listByType("pr_created", { limit: 50 }) },
  { index: "idx_events_type_timestamp", call: events.listByType("pr_created", { limit: 50, before }) },
  { index: "idx_events_", call: events.listBySession("s1", { limit: 50, eventType: "pr_created" }) },
  { index: "idx_events_priority_timestamp", merged: true, call: events.listRecent(50, { minPriority: "urgent" }) },
  {
    index: "idx_events_priority_timestamp",
    merged: true,
    call: events.listRecent(50, { minPriority: "action", before })
  },
  { index: "idx_sessions_created_at", call: sessions.list() },
  { index: "idx_sessions_project_created_at", call: sessions.list({ projectId: "proj-s1" }) },
  { index: "idx_sessions_status_created_at", call: sessions.list({ status: "working" }) }
]

/** Runs `effect` and records the SQL of every statement its fiber executes. */
const captureStatements = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const statements: Array<readonly [string, ReadonlyArray<unknown>]> = []
    const result = yield* Statement.withTransformer(effect, (statement) =>
      Effect.sync(() => {
        statements.push(statement.compile())
        return statement
      }))
    return { result, statements }
  })

const messages = (events: ReadonlyArray<{ readonly message: string }>) => events.map((e) => e.message)

describeBackends("EventsRepo", (backend: Backend) => {
  const TestLayer = Layer.mergeAll(SessionsRepo.Default, EventsRepo.Default).pipe(
    Layer.provideMerge(backend.layer)
  )

  describe("insert", () => {
    it.effect("fills in a UUID v4 id, info priority, empty data and the clock's time", () =>
      Effect.gen(function*() {
        yield* createSessions("s1")
        yield* TestClock.setTime(base)
        const events = yield* EventsRepo
        const inserted = yield* events.insert(event("s1"))
        expect(inserted.id).toMatch(uuidV4)
        expect(inserted.priority).toBe("info")
        expect(inserted.data).toEqual({})
        expect(DateTime.toEpochMillis(inserted.timestamp)).toBe(base)
        expect(yield* events.get(inserted.id)).toEqual(inserted)
        const sql = yield* SqlClient.SqlClient
        const [row] = yield* sql`SELECT priority, timestamp, data FROM events WHERE id = ${inserted.id}`
        expect(row).toEqual({ priority: "info", timestamp: backend.storedTimestamp("2026-11-26T08:06:52.123Z"), data: "{}" })
      }).pipe(Effect.provide(TestLayer)))

    it.effect("keeps the id, priority, timestamp and data it is given", () =>
      Effect.gen(function*() {
        yield* createSessions("s1")
        const events = yield* EventsRepo
        const inserted = yield* events.insert(
          event("s1", { id: "evt-1", priority: "critical", timestamp: at(5), data: { pr: 42 } })
        )
        expect(yield* events.get("evt-1")).toEqual(inserted)
        expect(inserted.priority).toBe("critical")
        expect(DateTime.toEpochMillis(inserted.timestamp)).toBe(base + 5)
        expect(inserted.data).toEqual({ pr: 42 })
      }).pipe(Effect.provide(TestLayer)))

    it.effect("fails with NotFound for an unknown session", () =>
      Effect.gen(function*() {
        const events = yield* EventsRepo
        const error = yield* Effect.flip(events.insert(event("ghost")))
        expect(error).toEqual(new NotFound({ entity: "Session", id: "ghost" }))
        expect(yield* countEvents).toBe(0)
      }).pipe(Effect.provide(TestLayer)))

    it.effect("fails with AlreadyExists for a duplicate id", () =>
      Effect.gen(function*() {
        yield* createSessions("s1")
        const events = yield* EventsRepo
        yield* events.insert(event("s1", { id: "evt-1", message: "first" }))
        const error = yield* Effect.flip(events.insert(event("s1", { id: "evt-1", message: "second" })))
        expect(error).toEqual(new AlreadyExists({ entity: "Event", id: "evt-1" }))
        expect((yield* events.get("evt-1")).message).toBe("first")
      }).pipe(Effect.provide(TestLayer)))

    it.effect("refuses bad input with InvalidInput before any SQL", () =>
      Effect.gen(function*() {
        const events = yield* EventsRepo
        // The session does not exist: had the statement run, the error would be NotFound.
        const bad: ReadonlyArray<EventInsert> = [
          event("ghost", { id: "bad id" }),
          event("ghost", { eventType: "session_exploded" as never }),
          event("ghost", { priority: "high" as never }),
          event("ghost", { data: { tokens: 10n } }),
          event("bad/session"),
          event("ghost", { projectId: "" }),
          event("ghost", { timestamp: new Date() as never })
        ]
        for (const input of bad) {
          const error = yield* Effect.flip(events.insert(input))
          expect(error._tag).toBe("DbError")
          expect(error._tag === "DbError" && error.reason).toBe("InvalidInput")
        }
        expect(yield* countEvents).toBe(0)
      }).pipe(Effect.provide(TestLayer)))

    it.effect("round-trips any JSON data", () =>
      Effect.gen(function*() {
        yield* createSessions("s1")
        const events = yield* EventsRepo
        const payloads: ReadonlyArray<unknown> = [
          null,
          [1, "two", null, [true]],
          { pr: { number: 7, labels: ["a", "b"], merged: false, review: { comments: [{ body: "ok" }] } } },
          `it's "quoted" \\ and 'single' — ünïcode`,
          0,
          true,
          {}
        ]
        for (const [i, data] of payloads.entries()) {
          yield* events.insert(event("s1", { id: `evt-${i}`, data }))
          expect((yield* events.get(`evt-${i}`)).data).toEqual(data)
        }
        const listed = yield* events.listBySession("s1")
        expect(listed.map((e) => e.data)).toEqual([...payloads].reverse())
      }).pipe(Effect.provide(TestLayer)))
  })

  describe("insertMany", () => {
    it.effect("writes nothing when one event names an unknown session", () =>
      Effect.gen(function*() {
        yield* createSessions("s1")
        const events = yield* EventsRepo
        const batch = Array.from({ length: 1_001 }, (_, i) => event(i === 700 ? "ghost" : "s1"))
        const error = yield* Effect.flip(events.insertMany(batch))
        expect(error).toEqual(new NotFound({ entity: "Session", id: "ghost" }))
        expect(yield* countEvents).toBe(0)
      }).pipe(Effect.provide(TestLayer)))

    it.effect("writes nothing when a statement fails after earlier chunks went in", () =>
      Effect.gen(function*() {
        yield* createSessions("s1")
        const sql = yield* SqlClient.SqlClient
        // A failure no pre-check can foresee, in the second chunk of 500 rows.
        if (backend.name === "postgres") {
          yield* sql`CREATE FUNCTION explode() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF NEW.message = 'explode' THEN RAISE EXCEPTION 'refused by trigger'; END IF; RETURN NEW; END $$`
          yield* sql`CREATE TRIGGER explode BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION explode()`
        } else {
          yield* sql`CREATE TRIGGER explode BEFORE INSERT ON events WHEN NEW.message = 'explode'
          BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END`
        }
        const events = yield* EventsRepo
        const batch = Array.from({ length: 1_001 }, (_, i) => event("s1", { message: i === 700 ? "explode" : "ok" }))
        const error = yield* Effect.flip(events.insertMany(batch))
        expect(error._tag === "DbError" && error.message).toContain("refused by trigger")
        expect(yield* countEvents).toBe(0)
      }).pipe(Effect.provide(TestLayer)))

    it.effect("writes nothing when an id is taken, in the database or twice in the batch", () =>
      Effect.gen(function*() {
        yield* createSessions("s1")
        const events = yield* EventsRepo
        yield* events.insert(event("s1", { id: "taken" }))
        const fresh = Array.from({ length: 600 }, () => event("s1"))
        expect(yield* Effect.flip(events.insertMany([...fresh, event("s1", { id: "taken" })]))).toEqual(
          new AlreadyExists({ entity: "Event", id: "taken" })
        )
        expect(
          yield* Effect.flip(events.insertMany([event("s1", { id: "twice" }), ...fresh, event("s1", { id: "twice" })]))
        ).toEqual(new AlreadyExists({ entity: "Event", id: "twice" }))
        expect(yield* countEvents).toBe(1)
      }).pipe(Effect.provide(TestLayer)))

    it.effect("refuses bad input naming its index, before any SQL", () =>
      Effect.gen(function*() {
        yield* createSessions("s1")
        const events = yield* EventsRepo
        const batch = [event("ghost"), event("s1"), event("s1", { data: { tokens: 1n } }), event("s1")]
        const { result, statements } = yield* captureStatements(Effect.either(events.insertMany(batch)))
        const error = Either.getLeft(result).pipe(Option.getOrThrow)
        expect(error._tag === "DbError" && error.reason).toBe("InvalidInput")
        expect(error.message).toContain("events[2]")
        expect(statements).toEqual([])
        expect(yield* countEvents).toBe(0)
      }).pipe(Effect.provide(TestLayer)))

    it.effect("returns 0 for an empty batch without SQL", () =>
      Effect.gen(function*() {
        const events = yield* EventsRepo
        const { result, statements } = yield* captureStatements(events.insertMany([]))
        expect(result).toBe(0)
        expect(statements).toEqual([])
      }).pipe(Effect.provide(TestLayer)))

    it.effect("writes 50,000 events in one call", () =>
      Effect.gen(function*() {
        yield* createSessions("s1", "s2")
        const events = yield* EventsRepo
        const batch = Array.from({ length: 50_000 }, (_, i) =>
          event(i % 2 === 0 ? "s1" : "s2", { message: `m${i}`, data: { i } }))
        expect(yield* events.insertMany(batch)).toBe(50_000)
        expect(yield* countEvents).toBe(50_000)
        expect((yield* events.listBySession("s2", { limit: 1 }))[0]!.data).toEqual({ i: 49_999 })
      }).pipe(Effect.provide(TestLayer)))
  })

  describe("lists", () => {
    it.effect("orders events of the same millisecond newest inserted first, stably", () =>
      Effect.gen(function*() {
        yield* createSessions("s1")
        yield* TestClock.setTime(base)
        const events = yield* EventsRepo
        yield* events.insertMany(Array.from({ length: 500 }, (_, i) => event("s1", { message: `${i}` })))
        yield* Effect.forEach(
          Array.from({ length: 500 }, (_, i) => event("s1", { message: `${500 + i}` })),
          events.insert,
          { discard: true }
        )
        const expected = Array.from({ length: 1_000 }, (_, i) => `${999 - i}`)
        expect(messages(yield* events.listBySession("s1"))).toEqual(expected)
        expect(messages(yield* events.listBySession("s1"))).toEqual(expected)
        expect(messages(yield* events.listRecent(1_000))).toEqual(expected)
      }).pipe(Effect.provide(TestLayer)))

    it.effect("pages with `before` through every event exactly once, in order", () =>
      Effect.gen(function*() {
        yield* createSessions("s1", "s2")
        const events = yield* EventsRepo
        // Timestamps out of insertion order, with many ties.
        const offsets = Array.from({ length: 2_345 }, (_, i) => ((i * 7_919) % 97) * 1_000)
        yield* events.insertMany(offsets.map((offset, i) =>
          event(i % 5 === 0 ? "s2" : "s1", { message: `${i}`, timestamp: at(offset) })
        ))
        yield* events.insertMany(offsets.map((offset, i) => event("s1", { message: `${2_345 + i}`, timestamp: at(offset) })))
        const inS1 = offsets.flatMap((offset, i) => i % 5 === 0 ? [] : [{ offset, i }])
          .concat(offsets.map((offset, i) => ({ offset, i: 2_345 + i })))
        const expected = inS1.sort((a, b) => b.offset - a.offset || b.i - a.i).map(({ i }) => `${i}`)

        const seen: Array<string> = []
        let before: string | undefined
        let pages = 0
        // Bounded, so that a cursor that fails to advance ends the loop instead of the test run.
        while (pages <= expected.length / 100 + 1) {
          const page = yield* events.listBySession("s1", { limit: 100, before })
          if (page.length === 0) break
          pages++
          seen.push(...messages(page))
          before = page[page.length - 1]!.id
        }
        expect(seen).toEqual(expected)
        expect(new Set(seen).size).toBe(expected.length)
        expect(pages).toBe(Math.ceil(expected.length / 100))
        expect(messages(yield* events.listBySession("s1"))).toEqual(expected)
      }).pipe(Effect.provide(TestLayer)))

    it.effect("fails with NotFound for an unknown cursor and InvalidInput for bad options", () =>
      Effect.gen(function*() {
        yield* createSessions("s1")
        const events = yield* EventsRepo
        yield* events.insert(event("s1"))
        expect(yield* Effect.flip(events.listBySession("s1", { before: "nope" }))).toEqual(
          new NotFound({ entity: "Event", id: "nope" })
        )
        const badOptions = [
          { limit: 0 },
          { limit: 1.5 },
          { limit: -3 },
          { before: "not an id" },
          { minPriority: "high" as EventPriority },
          { since: new Date() as never }
        ]
        for (const options of badOptions) {
          const error = yield* Effect.flip(events.listBySession("s1", options))
          expect(error._tag === "DbError" && error.reason).toBe("InvalidInput")
        }
        const badSession = yield* Effect.flip(events.listBySession("s 1"))
        expect(badSession._tag === "DbError" && badSession.reason).toBe("InvalidInput")
        const badLimit = yield* Effect.flip(events.listRecent(0))
        expect(badLimit._tag === "DbError" && badLimit.reason).toBe("InvalidInput")
      }).pipe(Effect.provide(TestLayer)))

    it.effect("filters by minimum priority, since (inclusive) and until (exclusive)", () =>
      Effect.gen(function*() {
        yield* createSessions("s1")
        const events = yield* EventsRepo
        const priorities: ReadonlyArray<EventPriority> = ["info", "action", "urgent", "critical"]
        yield* events.insertMany(Array.from({ length: 8 }, (_, i) =>
          event("s1", { message: `${i}`, priority: priorities[i % 4]!, timestamp: at(i * 1_000) })
        ))
        expect(messages(yield* events.listBySession("s1", { minPriority: "urgent" }))).toEqual(["7", "6", "3", "2"])
        expect(messages(yield* events.listBySession("s1", { minPriority: "info" }))).toHaveLength(8)
        expect(messages(yield* events.listBySession("s1", { since: at(2_000), until: at(5_000) }))).toEqual([
          "4",
          "3",
          "2"
        ])
        expect(messages(yield* events.listBySession("s1", { since: at(2_001) }))).toEqual(["7", "6", "5", "4", "3"])
        expect(messages(yield* events.listBySession("s1", { until: at(1_999) }))).toEqual(["1", "0"])
        expect(
          messages(
            yield* events.listBySession("s1", { minPriority: "action", since: at(1_000), until: at(7_000), limit: 2 })
          )
        ).toEqual(["6", "5"])
      }).pipe(Effect.provide(TestLayer)))

    it.effect("lists by project, by type and the most recent", () =>
      Effect.gen(function*() {
        yield* createSessions("a1", "a2", "b1")
        const events = yield* EventsRepo
        yield* events.insertMany([
          event("a1", { projectId: "proj-a", message: "0", eventType: "pr_created", timestamp: at(0) }),
          event("b1", { message: "1", eventType: "pr_created", timestamp: at(1_000) }),
          event("a2", { projectId: "proj-a", message: "2", eventType: "ci_failing", timestamp: at(2_000) }),
          event("a1", { projectId: "proj-a", message: "3", eventType: "pr_created", timestamp: at(3_000) }),
          event("b1", { message: "4", eventType: "ci_failing", timestamp: at(4_000) })
        ])
        expect(messages(yield* events.listByProject("proj-a"))).toEqual(["3", "2", "0"])
        expect(messages(yield* events.listByProject("proj-a", { limit: 2 }))).toEqual(["3", "2"])
        expect(messages(yield* events.listByProject("proj-b1"))).toEqual(["4", "1"])
        expect(yield* events.listByProject("proj-none")).toEqual([])
        expect(messages(yield* events.listByType("pr_created"))).toEqual(["3", "1", "0"])
        expect(messages(yield* events.listByType("ci_failing", { since: at(3_000) }))).toEqual(["4"])
        expect(messages(yield* events.listRecent(3))).toEqual(["4", "3", "2"])
        expect(messages(yield* events.listRecent(100))).toEqual(["4", "3", "2", "1", "0"])
        const badType = yield* Effect.flip(events.listByType("pr_exploded" as never))
        expect(badType._tag === "DbError" && badType.reason).toBe("InvalidInput")
      }).pipe(Effect.provide(TestLayer)))
  })

  describe("get and find", () => {
    it.effect("find returns None and get NotFound for an unknown id; both refuse an invalid id", () =>
      Effect.gen(function*() {
        yield* createSessions("s1")
        const events = yield* EventsRepo
        const inserted = yield* events.insert(event("s1"))
        expect(yield* events.find(inserted.id)).toEqual(Option.some(inserted))
        expect(yield* events.find("missing")).toEqual(Option.none())
        expect(yield* Effect.flip(events.get("missing"))).toEqual(new NotFound({ entity: "Event", id: "missing" }))
        expect((yield* Effect.flip(events.find("../x"))).reason).toBe("InvalidInput")
      }).pipe(Effect.provide(TestLayer)))
  })

  describe("deleteOlderThan", () => {
    it.effect("deletes only events strictly older than the cutoff and returns their count", () =>
      Effect.gen(function*() {
        yield* createSessions("s1", "s2")
        const events = yield* EventsRepo
        yield* events.insertMany(Array.from({ length: 10 }, (_, i) =>
          event(i % 2 === 0 ? "s1" : "s2", { message: `${i}`, timestamp: at(i * 1_000) })
        ))
        expect(yield* events.deleteOlderThan(at(4_000))).toBe(4)
        expect(messages(yield* events.listRecent(100))).toEqual(["9", "8", "7", "6", "5", "4"])
        expect(yield* events.deleteOlderThan(at(4_000))).toBe(0)
        expect(yield* countEvents).toBe(6)
      }).pipe(Effect.provide(TestLayer)))

    it.effect("fails whole: when clearing the change log fails, no event is deleted", () =>
      Effect.gen(function*() {
        yield* createSessions("s1")
        const events = yield* EventsRepo
        const sql = yield* SqlClient.SqlClient
        yield* events.insertMany(Array.from({ length: 4 }, (_, i) => event("s1", { message: `${i}`, timestamp: at(i * 1_000) })))
        // The second of the operation's statements fails, after the first deleted the events.
        if (backend.name === "sqlite") {
          yield* sql`CREATE TRIGGER refuse_log_delete BEFORE DELETE ON event_log BEGIN SELECT RAISE(ABORT, 'refused'); END`
        } else {
          yield* sql`CREATE FUNCTION refuse_log_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE 'refused'; END $$`
          yield* sql`CREATE TRIGGER refuse_log_delete BEFORE DELETE ON event_log FOR EACH ROW EXECUTE FUNCTION refuse_log_delete()`
        }
        const error = yield* Effect.flip(events.deleteOlderThan(at(2_000)))
        expect(error._tag).toBe("DbError")
        expect(error.message).toContain("refused")
        expect(yield* countEvents).toBe(4)
        yield* backend.name === "sqlite" ? sql`DROP TRIGGER refuse_log_delete` : sql`DROP TRIGGER refuse_log_delete ON event_log`
        expect(yield* events.deleteOlderThan(at(2_000))).toBe(2)
      }).pipe(Effect.provide(TestLayer)))
  })

  describe("streamBySession", () => {
    it.effect("yields every event once, newest first, one page per query", () =>
      Effect.gen(function*() {
        yield* createSessions("s1", "s2")
        const events = yield* EventsRepo
        yield* events.insertMany(Array.from({ length: 100 }, (_, i) =>
          event(i % 10 === 0 ? "s2" : "s1", { message: `${i}`, timestamp: at((i % 13) * 1_000) })
        ))
        const expected = messages(yield* events.listBySession("s1"))
        expect(expected).toHaveLength(90)
        const { result, statements } = yield* captureStatements(
          Stream.runCollect(events.streamBySession("s1", { pageSize: 7 }))
        )
        expect(messages(Array.from(result))).toEqual(expected)
        const selects = statements.filter(([text]) => text.includes("ORDER BY"))
        expect(selects).toHaveLength(Math.ceil(90 / 7))
        for (const [, params] of selects) expect(params[params.length - 1]).toBe(7)
      }).pipe(Effect.provide(TestLayer)))

    it.effect("pages 1,000 at a time by default and ends on an exact last page", () =>
      Effect.gen(function*() {
        yield* createSessions("s1")
        const events = yield* EventsRepo
        yield* events.insertMany(Array.from({ length: 2_000 }, (_, i) => event("s1", { message: `${i}` })))
        const { result, statements } = yield* captureStatements(Stream.runCollect(events.streamBySession("s1")))
        expect(messages(Array.from(result))).toEqual(Array.from({ length: 2_000 }, (_, i) => `${1_999 - i}`))
        const selects = statements.filter(([text]) => text.includes("ORDER BY"))
        expect(selects.map(([, params]) => params[params.length - 1])).toEqual([1_000, 1_000, 1_000])
        expect(Array.from(yield* Stream.runCollect(events.streamBySession("nobody")))).toEqual([])
        const bad = yield* Effect.flip(Stream.runDrain(events.streamBySession("s1", { pageSize: 0 })))
        expect(bad._tag === "DbError" && bad.reason).toBe("InvalidInput")
      }).pipe(Effect.provide(TestLayer)))
  })

  describe("concurrency and transactions", () => {
    it.effect("commits 200 concurrent inserts", () =>
      Effect.gen(function*() {
        yield* createSessions("s1", "s2")
        const events = yield* EventsRepo
        const inserted = yield* Effect.forEach(
          Array.from({ length: 200 }, (_, i) => event(i % 2 === 0 ? "s1" : "s2", { message: `${i}` })),
          events.insert,
          { concurrency: 64 }
        )
        expect(new Set(inserted.map((e) => e.id)).size).toBe(200)
        expect(yield* countEvents).toBe(200)
        for (const e of inserted) expect(yield* events.get(e.id)).toEqual(e)
      }).pipe(Effect.provide(TestLayer)))

    it.effect("fails only the caller whose concurrent insert fails", () =>
      Effect.gen(function*() {
        yield* createSessions("s1")
        const events = yield* EventsRepo
        const results = yield* Effect.forEach(
          Array.from({ length: 200 }, (_, i) => event(i === 100 ? "ghost" : "s1", { message: `${i}` })),
          (input) => Effect.either(events.insert(input)),
          { concurrency: 64 }
        )
        const failures = results.flatMap((result, i) => Either.isLeft(result) ? [{ i, error: result.left }] : [])
        expect(failures).toEqual([{ i: 100, error: new NotFound({ entity: "Session", id: "ghost" }) }])
        expect(yield* countEvents).toBe(199)
      }).pipe(Effect.provide(TestLayer)))

    it.effect("rolls back an insert whose surrounding transaction fails", () =>
      Effect.gen(function*() {
        yield* createSessions("s1")
        const events = yield* EventsRepo
        const failed = yield* Effect.flip(Database.transaction(Effect.gen(function*() {
          yield* events.insert(event("s1", { id: "doomed" }))
          yield* events.insertMany([event("s1", { id: "doomed-too" })])
          expect(yield* countEvents).toBe(2)
          return yield* Effect.fail("boom" as const)
        })))
        expect(failed).toBe("boom")
        expect(yield* events.find("doomed")).toEqual(Option.none())
        expect(yield* countEvents).toBe(0)
        yield* Database.transaction(events.insert(event("s1", { id: "kept" })))
        expect(yield* events.find("kept")).toSatisfy(Option.isSome)
      }).pipe(Effect.provide(TestLayer)))
  })

  // SQLite only: EXPLAIN QUERY PLAN (PostgreSQL's plans are checked below).
  if (backend.name === "sqlite") describe("query plans [SQLite only]", () => {
    const explain = (statement: readonly [string, ReadonlyArray<unknown>]) =>
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql.unsafe<{ detail: string }>(`EXPLAIN QUERY PLAN ${statement[0]}`, statement[1])).pipe(
          Effect.map((rows) => rows.map((row) => row.detail))
        )

    it.effect("listBySession walks idx_events_session_timestamp without sorting", () =>
      Effect.gen(function*() {
        yield* createSessions("s1")
        const events = yield* EventsRepo
        const first = yield* events.insert(event("s1", { timestamp: at(5_000) }))
        yield* events.insert(event("s1", { timestamp: at(1_000) }))
        const calls = pagingCalls(events, first.id)
        for (const call of calls) {
          const { statements } = yield* captureStatements(call)
          const [select] = statements.filter(([text]) => text.includes("ORDER BY"))
          const plan = yield* explain(select!)
          expect(plan.join("\n")).toContain("USING INDEX idx_events_session_timestamp (session_id=?")
          expect(plan.join("\n")).not.toContain("TEMP B-TREE")
        }
      }).pipe(Effect.provide(TestLayer)))

    it.effect("listRecent walks idx_events_timestamp without sorting", () =>
      Effect.gen(function*() {
        const events = yield* EventsRepo
        const { statements } = yield* captureStatements(events.listRecent(10))
        const plan = (yield* explain(statements[0]!)).join("\n")
        expect(plan).toContain("USING INDEX idx_events_timestamp")
        expect(plan).not.toContain("TEMP B-TREE")
      }).pipe(Effect.provide(TestLayer)))

    it.effect("the dashboard's pages read their index in order without sorting", () =>
      Effect.gen(function*() {
        yield* createSessions("s1")
        const events = yield* EventsRepo
        const first = yield* events.insert(event("s1", { timestamp: at(5_000), priority: "urgent" }))
        for (const { call, index, merged } of dashboardCalls(events, yield* SessionsRepo, first.id)) {
          const { statements } = yield* captureStatements(call)
          const [select] = statements.filter(([text]) => text.includes("ORDER BY"))
          const plan = (yield* explain(select!)).join("\n")
          expect(plan, select![0]).toContain(`USING INDEX ${index}`)
          expect(plan, select![0]).not.toContain("TEMP B-TREE")
          if (merged) expect(plan, select![0]).toContain("MERGE (UNION ALL)")
        }
      }).pipe(Effect.provide(TestLayer)))

    it.effect("the lifecycle poll finds live sessions through the status index", () =>
      Effect.gen(function*() {
        const sessions = yield* SessionsRepo
        const { statements } = yield* captureStatements(sessions.list({ terminal: false, archived: false }))
        const plan = (yield* explain(statements[0]!)).join("\n")
        expect(plan).toContain("USING INDEX idx_sessions_status_created_at (status=?)")
      }).pipe(Effect.provide(TestLayer)))
  })

  // PostgreSQL only: the same queries walk the same indices (which end with `seq`) in order.
  // The planner would scan a table this small; with scans and sorts priced out, a plan that
  // still has no Sort node is one whose index gives the order. 20 sessions and fresh
  // statistics make the session's index the selective one, as in a real event log.
  if (backend.name === "postgres") describe("query plans [PostgreSQL only]", () => {
    const explain = (statement: readonly [string, ReadonlyArray<unknown>]) =>
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql.withTransaction(Effect.gen(function*() {
          yield* sql`SET LOCAL enable_seqscan = off`
          yield* sql`SET LOCAL enable_bitmapscan = off`
          yield* sql`SET LOCAL enable_sort = off`
          yield* sql`SET LOCAL enable_incremental_sort = off`
          const rows = yield* sql.unsafe<{ "QUERY PLAN": string }>(`EXPLAIN ${statement[0]}`, statement[1])
          return rows.map((row) => row["QUERY PLAN"]).join("\n")
        })))

    it.effect("listBySession walks idx_events_session_timestamp backwards without sorting", () =>
      Effect.gen(function*() {
        const sessionIds = Array.from({ length: 20 }, (_, i) => `s${i + 1}`)
        yield* createSessions(...sessionIds)
        const events = yield* EventsRepo
        yield* events.insertMany(Array.from({ length: 2_000 }, (_, i) =>
          event(sessionIds[i % 20]!, { timestamp: at((i % 97) * 100) })
        ))
        const first = yield* events.insert(event("s1", { timestamp: at(5_000) }))
        yield* Effect.flatMap(SqlClient.SqlClient, (sql) => sql`ANALYZE events`)
        const calls = pagingCalls(events, first.id)
        for (const call of calls) {
          const { statements } = yield* captureStatements(call)
          const [select] = statements.filter(([text]) => text.includes("ORDER BY"))
          const plan = yield* explain(select!)
          expect(plan).toMatch(/Index Scan Backward using idx_events_session_timestamp on events/)
          expect(plan).not.toMatch(/Sort/)
        }
      }).pipe(Effect.provide(TestLayer)))

    it.effect("listRecent walks idx_events_timestamp backwards without sorting", () =>
      Effect.gen(function*() {
        const events = yield* EventsRepo
        const { statements } = yield* captureStatements(events.listRecent(10))
        const plan = yield* explain(statements[0]!)
        expect(plan).toMatch(/Index Scan Backward using idx_events_timestamp on events/)
        expect(plan).not.toMatch(/Sort/)
      }).pipe(Effect.provide(TestLayer)))

    it.effect("the dashboard's pages read their index backwards without sorting", () =>
      Effect.gen(function*() {
        const sessionIds = Array.from({ length: 20 }, (_, i) => `s${i + 1}`)
        yield* createSessions(...sessionIds)
        const events = yield* EventsRepo
        yield* events.insertMany(Array.from({ length: 2_000 }, (_, i) =>
          event(sessionIds[i % 20]!, {
            timestamp: at((i % 97) * 100),
            eventType: i % 7 === 0 ? "pr_created" : "status_changed",
            priority: i % 13 === 0 ? "urgent" : "info"
          })
        ))
        const first = yield* events.insert(event("s1", { timestamp: at(5_000), priority: "urgent" }))
        yield* Effect.flatMap(SqlClient.SqlClient, (sql) => sql`ANALYZE`)
        for (const { call, index, merged } of dashboardCalls(events, yield* SessionsRepo, first.id)) {
          const { statements } = yield* captureStatements(call)
          const [select] = statements.filter(([text]) => text.includes("ORDER BY"))
          const plan = yield* explain(select!)
          expect(plan, select![0]).toMatch(new RegExp(`Index Scan Backward using ${index}`))
          expect(plan, select![0]).not.toMatch(/Sort\s+\(cost/)
          if (merged) expect(plan, select![0]).toMatch(/Merge Append/)
        }
      }).pipe(Effect.provide(TestLayer)))

    // Issue 16, with the planner's own costs: a session, a project and a type each holding a tenth
    // of 20,000 events spread over time, with messages as long as real ones. Asked with a plain
    // equality, the custom plan of a session's or project's page walks idx_events_timestamp and
    // filters out the other nine rows in ten.
    it.effect("a page of a large session, project or type reads its own index, with the planner's own costs", () =>
      Effect.gen(function*() {
        const others = Array.from({ length: 999 }, (_, i) => `s${i + 1}`)
        yield* createSessions("big", ...others)
        const events = yield* EventsRepo
        yield* events.insertMany(Array.from({ length: 20_000 }, (_, i) =>
          event(i % 10 === 0 ? "big" : others[i % 999]!, {
            id: `e${i}`,
            timestamp: at(i * 1_000),
            eventType: i % 10 === 5 ? "pr_created" : "status_changed",
            message: `event ${i} `.padEnd(160, "·")
          })
        ))
        yield* Effect.flatMap(SqlClient.SqlClient, (sql) => sql`ANALYZE events`)
        const pages = [
          { index: "idx_events_session_timestamp", call: events.listBySession("big", { limit: 50 }) },
          { index: "idx_events_session_timestamp", call: events.listBySession("big", { limit: 50, before: "e10000" }) },
          { index: "idx_events_project_timestamp", call: events.listByProject("proj-big", { limit: 50 }) },
          { index: "idx_events_type_timestamp", call: events.listByType("pr_created", { limit: 50 }) }
        ]
        for (const { call, index } of pages) {
          const { result, statements } = yield* captureStatements(call)
          expect(result).toHaveLength(50)
          const [select] = statements.filter(([text]) => text.includes("ORDER BY"))
          const rows = yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
            sql.unsafe<{ "QUERY PLAN": string }>(`EXPLAIN ${select![0]}`, select![1]))
          const plan = rows.map((row) => row["QUERY PLAN"]).join("\n")
          expect(plan, select![0]).toMatch(new RegExp(`Index Scan Backward using ${index} on events`))
          expect(plan, select![0]).not.toMatch(/Sort/)
        }
      }).pipe(Effect.provide(TestLayer)))
  })

  it.effect("countPerHour counts the events of each hour from since, start inclusive, end exclusive; bad options are InvalidInput", () =>
    Effect.gen(function*() {
      yield* createSessions("s1", "s2")
      const events = yield* EventsRepo
      const hour = 3_600_000
      const hourStart = Date.parse("2026-11-26T08:00:00.000Z")
      const stamp = (ms: number) => DateTime.unsafeMake(hourStart + ms)
      yield* events.insertMany([
        event("s1", { timestamp: stamp(-1) }), // before the window
        event("s1", { timestamp: stamp(0) }), // hour 0, its first instant
        event("s2", { timestamp: stamp(hour - 1) }), // hour 0, its last millisecond
        event("s1", { timestamp: stamp(2 * hour + 5) }), // hour 2
        event("s2", { timestamp: stamp(2 * hour + 6) }),
        event("s1", { timestamp: stamp(3 * hour) }) // past a three-hour window
      ])
      const since = DateTime.unsafeMake(hourStart)
      expect(yield* events.countPerHour({ since, hours: 3 })).toEqual([2, 0, 2])
      expect(yield* events.countPerHour({ since, hours: 4 })).toEqual([2, 0, 2, 1])
      expect(yield* events.countPerHour({ since: DateTime.unsafeMake(hourStart - 24 * hour), hours: 1 })).toEqual([0])
      for (const hours of [0, 169, 1.5]) {
        expect(yield* Effect.flip(events.countPerHour({ since, hours }))).toMatchObject({ reason: "InvalidInput" })
      }
    }).pipe(Effect.provide(TestLayer)))
})
