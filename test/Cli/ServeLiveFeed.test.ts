/**
 * The dashboard's live feed on a real database file: a page resumes from its cursor
 * within the events the feed keeps, is told to reload past them, and is told to reload when
 * it fell so far behind that its subscription dropped deliveries.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { LiveFeed, layer as liveFeedLayer } from "../../src/Cli/Serve/LiveFeed.js"
import { EventsRepo } from "../../src/Repos/EventsRepo.js"
import * as Repos from "../../src/Repos/Repos.js"
import { SessionsRepo } from "../../src/Repos/SessionsRepo.js"
import { makeTempDir } from "./fixtures/cli.js"

const temp = makeTempDir()
afterAll(() => temp.remove())

// A database file of its own per test: the feed follows commits as the server does on a file.
let databases = 0
const TestLayer = Layer.provideMerge(
  liveFeedLayer,
  Layer.unwrapEffect(Effect.sync(() => Repos.layerDatabase({ url: temp.url(`feed-${++databases}.db`) })))
)

const event = (message: string) => ({ eventType: "status_changed" as const, sessionId: "s1", projectId: "p", message })

/** Waits until the feed's cursor moves past `before`, and settles. */
const settled = (before: string) =>
  Effect.gen(function*() {
    const feed = yield* LiveFeed
    let cursor = yield* feed.cursor
    while (cursor === before) {
      yield* Effect.sleep("20 millis")
      cursor = yield* feed.cursor
    }
    // Let the rest of the batch through: the cursor stops moving.
    while (true) {
      yield* Effect.sleep("200 millis")
      const now = yield* feed.cursor
      if (now === cursor) return cursor
      cursor = now
    }
  })

describe("LiveFeed", () => {
  it.live("a page resumes from its cursor within the kept events; past them, and from an unknown cursor, it is told to reload", () =>
    Effect.gen(function*() {
      const feed = yield* LiveFeed
      const sessions = yield* SessionsRepo
      const events = yield* EventsRepo
      yield* sessions.insert({ id: "s1", projectId: "p", configHash: "h" })
      yield* sessions.insert({ id: "s2", projectId: "p", configHash: "h" })
      const start = yield* feed.cursor
      yield* events.insertMany([event("one"), event("two"), { ...event("elsewhere"), sessionId: "s2" }, event("three")])
      const afterFour = yield* settled(start)
      // From the page's cursor: the session's events since, in order; another session's are not sent.
      const resumed = yield* feed.session({ sessionId: "s1" }, start).pipe(Stream.take(3), Stream.runCollect)
      expect(Chunk.toArray(resumed).map((message) => message._tag === "Event" ? message.event.message : "reload")).toEqual([
        "one",
        "two",
        "three"
      ])
      const [first] = Chunk.toArray(resumed)
      const fromFirst = yield* feed.session({ sessionId: "s1" }, first!._tag === "Event" ? first!.cursor : "").pipe(
        Stream.take(2),
        Stream.runCollect
      )
      expect(Chunk.toArray(fromFirst).map((message) => message._tag === "Event" ? message.event.message : "reload")).toEqual([
        "two",
        "three"
      ])
      // Nothing after the newest: the stream waits for the next event.
      const waiting = yield* feed.session({ sessionId: "s1" }, afterFour).pipe(
        Stream.take(1),
        Stream.runCollect,
        Effect.timeout("300 millis"),
        Effect.option
      )
      expect(Option.isNone(waiting)).toBe(true)
      expect(yield* feed.session({ sessionId: "s1" }, "events@999999").pipe(Stream.runCollect)).toEqual(
        Chunk.of({ _tag: "Reload" })
      )
      // 2,500 more: the feed keeps the last 2,000, so the first cursor is past resuming.
      yield* events.insertMany(Array.from({ length: 2_500 }, (_, i) => event(`bulk ${i}`)))
      yield* settled(afterFour)
      expect(yield* feed.session({ sessionId: "s1" }, first!._tag === "Event" ? first!.cursor : "").pipe(Stream.runCollect))
        .toEqual(Chunk.of({ _tag: "Reload" }))
      expect(yield* feed.open).toBe(0)
    }).pipe(Effect.provide(TestLayer)), 60_000)

  it.live("a page that fell so far behind that its subscription dropped deliveries is told to reload", () =>
    Effect.gen(function*() {
      const feed = yield* LiveFeed
      const sessions = yield* SessionsRepo
      const events = yield* EventsRepo
      yield* sessions.insert({ id: "s1", projectId: "p", configHash: "h" })
      const start = yield* feed.cursor
      yield* events.insert(event("first"))
      yield* Effect.scoped(Effect.gen(function*() {
        const pull = yield* Stream.toPull(feed.session({ sessionId: "s1" }, start))
        const [firstMessage] = Chunk.toArray(yield* pull)
        expect(firstMessage).toMatchObject({ _tag: "Event", event: { message: "first" } })
        expect(yield* feed.open).toBe(1)
        // While this page reads nothing, more than its subscription holds (4,096) arrive.
        const before = yield* feed.cursor
        yield* events.insertMany(Array.from({ length: 5_000 }, (_, i) => event(`flood ${i}`)))
        yield* settled(before)
        const next = Chunk.toArray(yield* pull)
        expect(next).toEqual([{ _tag: "Reload" }])
      }))
    }).pipe(Effect.provide(TestLayer)), 60_000)
})
