/**
 * Issue: databases written by the original implementation hold timestamps in several spellings,
 * and it keeps writing `datetime('now')` spellings next to ennio-db. Every list, page, stream,
 * filter and delete must follow the instant, not the text. Property tests: random sessions and
 * events, each stamped in a random spelling, written in random order partly by plain SQL before
 * ennio-db opens the file (made by the original's schema), partly by plain SQL from another
 * connection while it is open, partly through the repositories; every operation equals the same
 * operation computed in memory by instant, ties in reverse insertion order.
 */
import { describe, expect, it } from "@effect/vitest"
import Sqlite from "better-sqlite3"
import * as Chunk from "effect/Chunk"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import fc from "fast-check"
import * as path from "node:path"
import * as Pg from "pg"
import {
  EventPriorities,
  type EventPriority,
  EventsRepo,
  type EventType,
  type OrchestratorEvent,
  parseTimestamp,
  Repos,
  Session,
  SessionsRepo,
  SessionStatus,
  SessionStatuses
} from "../../src/index.js"
import { describeBackends, freshPgDatabase, pgSkipReason, pgUrl } from "../fixtures/backends.js"
import { originalSchema } from "../fixtures/originalSchema.js"
import { spellingOf } from "../fixtures/spellings.js"
import { tempDir } from "../fixtures/tempDir.js"

type Writer = "before" | "plain" | "repo"

interface SessionSpec {
  readonly id: string
  readonly projectId: string
  readonly status: SessionStatus
  readonly archived: boolean
  readonly ms: number
  readonly seed: number
  readonly writer: Writer
}

interface EventSpec {
  readonly id: string
  readonly session: number
  readonly eventType: EventType
  readonly priority: EventPriority
  readonly ms: number
  readonly seed: number
  readonly writer: Writer
}

/** What the model knows of a row once written: its instant and its place in insertion order. */
interface Written<A> {
  readonly spec: A
  readonly instant: number
  readonly order: number
}

const projects = ["alpha", "beta", "gamma"] as const
const types: ReadonlyArray<EventType> = ["pr_created", "ci_failing", "status_changed", "merge_ready"]
const priorities: ReadonlyArray<EventPriority> = ["info", "action", "urgent", "critical"]
const base = Date.UTC(2026, 10, 26, 7, 59, 0)
// Few distinct instants, a few seconds apart: many ties, and spellings that drop the fraction or
// the seconds land on the same instant as others.
const instant = fc.integer({ min: 0, max: 30 }).map((k) => base + k * 2_345 + (k % 4) * 250)
const writer = fc.constantFrom<Writer>("before", "plain", "repo")

const world = fc.record({
  sessions: fc.array(
    fc.record({
      projectId: fc.constantFrom(...projects),
      status: fc.constantFrom(...SessionStatus.literals),
      archived: fc.boolean(),
      ms: instant,
      seed: fc.nat(),
      writer
    }),
    { minLength: 1, maxLength: 12 }
  ),
  events: fc.array(
    fc.record({
      session: fc.nat(),
      eventType: fc.constantFrom(...types),
      priority: fc.constantFrom(...priorities),
      ms: instant,
      seed: fc.nat(),
      writer
    }),
    { maxLength: 80 }
  ),
  pageSize: fc.integer({ min: 1, max: 7 }),
  limit: fc.integer({ min: 1, max: 30 }),
  since: instant,
  until: instant,
  cutoff: instant,
  statuses: fc.subarray([...SessionStatus.literals], { minLength: 1, maxLength: 4 })
})
type World = typeof world extends fc.Arbitrary<infer A> ? A : never

/** Writes rows the way the original implementation does: plain SQL, the spelling as given. */
interface PlainWriter {
  readonly session: (spec: SessionSpec, createdAt: string, archivedAt: string | null) => Promise<void>
  readonly event: (spec: EventSpec, sessionId: string, projectId: string, timestamp: string) => Promise<void>
  readonly close: () => Promise<void>
}

const sqliteWriter = (file: string): PlainWriter => {
  const db = new Sqlite(file)
  const session = db.prepare(`INSERT INTO sessions (id, project_id, status, config_hash, created_at, last_activity_at,
    archived_at) VALUES (?, ?, ?, 'cfg', ?, ?, ?)`)
  const event = db.prepare(`INSERT INTO events (id, event_type, priority, session_id, project_id, timestamp, message,
    data) VALUES (?, ?, ?, ?, ?, ?, 'written by the original', 'null')`)
  return {
    session: async (spec, createdAt, archivedAt) => {
      session.run(spec.id, spec.projectId, spec.status, createdAt, createdAt, archivedAt)
    },
    event: async (spec, sessionId, projectId, timestamp) => {
      event.run(spec.id, spec.eventType, spec.priority, sessionId, projectId, timestamp)
    },
    close: async () => {
      db.close()
    }
  }
}

const pgWriter = async (url: string): Promise<PlainWriter> => {
  const client = new Pg.Client({ connectionString: url, options: "-c TimeZone=UTC" })
  await client.connect()
  return {
    session: async (spec, createdAt, archivedAt) => {
      await client.query(
        `INSERT INTO sessions (id, project_id, status, config_hash, created_at, last_activity_at, archived_at)
         VALUES ($1, $2, $3, 'cfg', $4, $4, $5)`,
        [spec.id, spec.projectId, spec.status, createdAt, archivedAt]
      )
    },
    event: async (spec, sessionId, projectId, timestamp) => {
      await client.query(
        `INSERT INTO events (id, event_type, priority, session_id, project_id, timestamp, message, data)
         VALUES ($1, $2, $3, $4, $5, $6, 'written by the original', 'null')`,
        [spec.id, spec.eventType, spec.priority, sessionId, projectId, timestamp]
      )
    },
    close: () => client.end()
  }
}

const newestFirst = <A>(rows: ReadonlyArray<Written<A>>): Array<Written<A>> =>
  [...rows].sort((a, b) => b.instant - a.instant || b.order - a.order)

const ids = (events: ReadonlyArray<{ readonly id: string }>) => events.map((event) => event.id)

/**
 * Writes the world (plain SQL before opening, then plain SQL and repositories interleaved while
 * open) and checks every operation against the model.
 */
const check = (
  input: World,
  options: {
    readonly open: Layer.Layer<Repos.Repositories, unknown>
    readonly plain: () => Promise<PlainWriter>
    readonly fractionDigits: number
    /** Whether rows can be written before the layer first opens the database (a file made by the original). */
    readonly writesBeforeOpen: boolean
  }
) =>
  Effect.gen(function*() {
    const sessionSpecs: Array<SessionSpec> = input.sessions.map((s, i) => ({
      ...s,
      id: `s${i}`,
      writer: options.writesBeforeOpen ? s.writer : s.writer === "before" ? "plain" : s.writer
    }))
    const eventSpecs: Array<EventSpec> = input.events.map((e, i) => ({
      ...e,
      id: `e${i}`,
      session: e.session % sessionSpecs.length,
      writer: options.writesBeforeOpen ? e.writer : e.writer === "before" ? "plain" : e.writer
    }))
    const spelled = (ms: number, seed: number) => spellingOf(ms, seed, options.fractionDigits)
    const instantOf = (text: string) => parseTimestamp(text)!.epochMillis
    let order = 0
    const writtenSessions: Array<Written<SessionSpec>> = []
    const writtenEvents: Array<Written<EventSpec>> = []

    const plainSession = async (writer: PlainWriter, spec: SessionSpec) => {
      const createdAt = spelled(spec.ms, spec.seed)
      await writer.session(spec, createdAt, spec.archived ? spelled(spec.ms + 1000, spec.seed + 1) : null)
      writtenSessions.push({ spec, instant: instantOf(createdAt), order: order++ })
    }
    const plainEvent = async (writer: PlainWriter, spec: EventSpec) => {
      const session = sessionSpecs[spec.session]!
      const timestamp = spelled(spec.ms, spec.seed)
      await writer.event(spec, session.id, session.projectId, timestamp)
      writtenEvents.push({ spec, instant: instantOf(timestamp), order: order++ })
    }

    // Before ennio-db first opens the file: the original's rows.
    if (options.writesBeforeOpen) {
      const before = yield* Effect.promise(options.plain)
      yield* Effect.promise(async () => {
        for (const spec of sessionSpecs) if (spec.writer === "before") await plainSession(before, spec)
        for (const spec of eventSpecs) {
          if (spec.writer === "before" && sessionSpecs[spec.session]!.writer === "before") await plainEvent(before, spec)
        }
        await before.close()
      })
    }

    const context = yield* Layer.build(options.open)
    const sessions = yield* Effect.provide(SessionsRepo, context)
    const events = yield* Effect.provide(EventsRepo, context)
    const plain = yield* Effect.acquireRelease(Effect.promise(options.plain), (writer) => Effect.promise(writer.close))

    // While it is open: the rest, interleaved between the original's writes and ennio-db's.
    for (const spec of sessionSpecs) {
      if (writtenSessions.some((s) => s.spec === spec)) continue
      if (spec.writer === "repo") {
        yield* sessions.insert({
          id: spec.id,
          projectId: spec.projectId,
          configHash: "cfg",
          status: spec.status,
          createdAt: DateTime.unsafeMake(spec.ms)
        })
        if (spec.archived) yield* sessions.archive(spec.id)
        writtenSessions.push({ spec, instant: spec.ms, order: order++ })
      } else {
        yield* Effect.promise(() => plainSession(plain, spec))
      }
    }
    for (const spec of eventSpecs) {
      if (writtenEvents.some((e) => e.spec === spec)) continue
      const session = sessionSpecs[spec.session]!
      if (spec.writer === "repo") {
        yield* events.insert({
          id: spec.id,
          eventType: spec.eventType,
          priority: spec.priority,
          sessionId: session.id,
          projectId: session.projectId,
          message: "written by ennio-db",
          timestamp: DateTime.unsafeMake(spec.ms)
        })
        writtenEvents.push({ spec, instant: spec.ms, order: order++ })
      } else {
        yield* Effect.promise(() => plainEvent(plain, spec))
      }
    }

    const projectOf = (e: EventSpec) => sessionSpecs[e.session]!.projectId
    const model = (keep: (e: EventSpec, instant: number) => boolean) =>
      newestFirst(writtenEvents.filter((w) => keep(w.spec, w.instant))).map((w) => w.spec.id)
    const atLeast = (min: EventPriority) => (e: EventSpec) => EventPriorities.atLeast(min).includes(e.priority)

    // Lists, filters, and every page of each walk.
    for (const session of sessionSpecs) {
      expect(ids(yield* events.listBySession(session.id))).toEqual(model((e) => e.session === sessionSpecs.indexOf(session)))
      expect(ids(yield* events.listBySession(session.id, { eventType: types[0] }))).toEqual(
        model((e) => sessionSpecs[e.session] === session && e.eventType === types[0])
      )
      const streamed = yield* Stream.runCollect(events.streamBySession(session.id, { pageSize: input.pageSize }))
      expect(ids(Chunk.toReadonlyArray(streamed))).toEqual(model((e) => sessionSpecs[e.session] === session))
    }
    for (const project of projects) {
      expect(ids(yield* events.listByProject(project))).toEqual(model((e) => projectOf(e) === project))
      for (const minPriority of ["action", "urgent"] as const) {
        expect(ids(yield* events.listByProject(project, { minPriority }))).toEqual(
          model((e) => projectOf(e) === project && atLeast(minPriority)(e))
        )
      }
    }
    for (const eventType of types) {
      expect(ids(yield* events.listByType(eventType))).toEqual(model((e) => e.eventType === eventType))
    }
    expect(ids(yield* events.listRecent(input.limit))).toEqual(model(() => true).slice(0, input.limit))
    for (const minPriority of priorities) {
      expect(ids(yield* events.listRecent(input.limit, { minPriority }))).toEqual(
        model(atLeast(minPriority)).slice(0, input.limit)
      )
    }
    const since = DateTime.unsafeMake(Math.min(input.since, input.until))
    const until = DateTime.unsafeMake(Math.max(input.since, input.until))
    expect(ids(yield* events.listRecent(10_000, { since, until }))).toEqual(
      model((_, at) => at >= since.epochMillis && at < until.epochMillis)
    )
    const walk = (
      page: (before: string | undefined) => Effect.Effect<ReadonlyArray<OrchestratorEvent>, unknown>
    ) =>
      Effect.gen(function*() {
        const seen: Array<string> = []
        let before: string | undefined
        for (;;) {
          const next = yield* page(before)
          seen.push(...ids(next))
          if (next.length < input.pageSize) return seen
          before = next[next.length - 1]!.id
        }
      })
    for (const project of projects) {
      expect(yield* walk((before) => events.listByProject(project, { limit: input.pageSize, before }))).toEqual(
        model((e) => projectOf(e) === project)
      )
    }
    expect(
      yield* walk((before) => events.listRecent(input.pageSize, { before, minPriority: "action" }))
    ).toEqual(model(atLeast("action")))
    expect(
      yield* walk((before) => events.listByType(types[1]!, { limit: input.pageSize, before, since }))
    ).toEqual(model((e, at) => e.eventType === types[1] && at >= since.epochMillis))

    // Sessions.
    const sessionModel = (keep: (s: SessionSpec) => boolean) =>
      newestFirst(writtenSessions.filter((w) => keep(w.spec))).map((w) => w.spec.id)
    expect(ids(yield* sessions.list())).toEqual(sessionModel(() => true))
    for (const projectId of projects) {
      expect(ids(yield* sessions.list({ projectId }))).toEqual(sessionModel((s) => s.projectId === projectId))
    }
    expect(ids(yield* sessions.list({ terminal: false, archived: false }))).toEqual(
      sessionModel((s) => !SessionStatuses.isTerminal(s.status) && !s.archived)
    )
    expect(ids(yield* sessions.list({ statuses: input.statuses, archived: true }))).toEqual(
      sessionModel((s) => input.statuses.includes(s.status) && s.archived)
    )
    expect(ids(yield* sessions.listByStatus(input.statuses[0]!))).toEqual(
      sessionModel((s) => s.status === input.statuses[0])
    )

    // Retention: exactly the events older than the cutoff go, none newer.
    const cutoff = DateTime.unsafeMake(input.cutoff)
    const older = model((_, at) => at < input.cutoff)
    expect(yield* events.deleteOlderThan(cutoff)).toBe(older.length)
    expect(ids(yield* events.listRecent(10_000))).toEqual(model((_, at) => at >= input.cutoff))
  })

describe("time order on a database the original implementation made [sqlite]", () => {
  it("every list, page, stream, filter and delete follows the instant", async () => {
    await fc.assert(
      fc.asyncProperty(world, (input) =>
        Effect.runPromise(Effect.scoped(Effect.gen(function*() {
          const dir = yield* tempDir
          const file = path.join(dir, "original.db")
          const made = new Sqlite(file)
          made.exec(originalSchema)
          made.close()
          yield* check(input, {
            open: Repos.layerDatabase({ url: `sqlite:${file}` }),
            plain: async () => sqliteWriter(file),
            fractionDigits: 9,
            writesBeforeOpen: true
          })
        })))
      ),
      { numRuns: 25 }
    )
  }, 120_000)
})

describe.skipIf(pgUrl === undefined)("time order on PostgreSQL [postgres]", () => {
  it("every list, page, stream, filter and delete follows the instant", async () => {
    await fc.assert(
      fc.asyncProperty(world, (input) =>
        Effect.runPromise(Effect.scoped(Effect.gen(function*() {
          const url = yield* freshPgDatabase()
          yield* check(input, {
            open: Repos.layerDatabase({ url }),
            plain: () => pgWriter(url),
            fractionDigits: 3,
            writesBeforeOpen: false
          })
        })))
      ),
      { numRuns: 10 }
    )
  }, 120_000)
})

if (pgUrl === undefined) console.info(`[ennio-db] time order on PostgreSQL: ${pgSkipReason}`)

describe("timestamps at the edges [sqlite]", () => {
  it.scoped("a stored timestamp that is no spelling fails its own row with Decode and moves no other", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "original.db")
      const made = new Sqlite(file)
      made.exec(originalSchema)
      made.exec(`INSERT INTO sessions (id, project_id, config_hash, created_at) VALUES
          ('good', 'p', 'cfg', '2026-11-26 08:00:00'), ('bad', 'p', 'cfg', '2026-11-26T07:00:00Z');
        INSERT INTO events (id, event_type, priority, session_id, project_id, timestamp, message) VALUES
          ('g1', 'pr_created', 'info', 'good', 'p', '2026-11-26 08:00:01', 'm'),
          ('g2', 'pr_created', 'info', 'good', 'p', '2026-11-26T08:00:00.5Z', 'm'),
          ('b1', 'pr_created', 'info', 'bad', 'p', 'yesterday at noon', 'm'),
          ('g3', 'pr_created', 'info', 'good', 'p', '2026-11-26T07:59:59+00:00', 'm')`)
      made.close()
      const context = yield* Layer.build(Repos.layerDatabase({ url: `sqlite:${file}` }))
      const events = yield* Effect.provide(EventsRepo, context)
      expect(ids(yield* events.listBySession("good"))).toEqual(["g1", "g2", "g3"])
      const failure = yield* Effect.flip(events.listBySession("bad"))
      expect(failure._tag === "DbError" && failure.reason).toBe("Decode")
      expect(failure.message).toMatch(/events row "b1", column timestamp/)
      // Retention never deletes what it cannot date.
      expect(yield* events.deleteOlderThan(DateTime.unsafeMake("2026-11-26T08:00:01Z"))).toBe(2)
      const left = new Sqlite(file, { readonly: true })
      const rows = left.prepare("SELECT id FROM events ORDER BY id").pluck().all()
      left.close()
      expect(rows).toEqual(["b1", "g1"])
    }))
})

describeBackends("instants outside years 0000–9999", (backend) => {
  it.effect("are refused with InvalidInput before any SQL, on every write and bound", () =>
    Effect.gen(function*() {
      const sessions = yield* SessionsRepo
      const events = yield* EventsRepo
      const session = yield* sessions.insert({ id: "s", projectId: "p", configHash: "cfg" })
      const event = { eventType: "pr_created", sessionId: "s", projectId: "p", message: "m" } as const
      for (const text of ["+010000-01-01T00:00:00.000Z", "-000001-12-31T23:59:59.999Z"]) {
        const far = DateTime.unsafeMake(text)
        const refusals = [
          yield* Effect.flip(events.insert({ ...event, timestamp: far })),
          yield* Effect.flip(events.insertMany([{ ...event, timestamp: far }])),
          yield* Effect.flip(sessions.insert({ id: "t", projectId: "p", configHash: "cfg", createdAt: far })),
          yield* Effect.flip(sessions.update(new Session({ ...session, createdAt: far }))),
          yield* Effect.flip(events.listRecent(5, { since: far })),
          yield* Effect.flip(events.deleteOlderThan(far))
        ]
        for (const refusal of refusals) {
          expect(refusal._tag === "DbError" && refusal.reason, refusal.message).toBe("InvalidInput")
          expect(refusal.message).toMatch(/year from 0000 to 9999/)
        }
      }
      // Not an instant at all, nested too deep to print: refused the same way, not a RangeError.
      let deep: unknown = {}
      for (let i = 0; i < 20_000; i++) deep = { deep }
      for (const refusal of [
        yield* Effect.flip(sessions.insert({ id: "t", projectId: "p", configHash: "cfg", createdAt: deep as never })),
        yield* Effect.flip(events.insert({ ...event, timestamp: deep as never })),
        yield* Effect.flip(events.listRecent(5, { until: deep as never }))
      ]) {
        expect(refusal._tag === "DbError" && refusal.reason, refusal.message).toBe("InvalidInput")
      }
      expect(yield* events.listBySession("s")).toEqual([])
      expect((yield* sessions.get("s")).createdAt).toEqual(session.createdAt)
    }).pipe(Effect.provide(Layer.provideMerge(Repos.layer, backend.layer))))
})
