/**
 * `EventsRepo.follow` and `SessionsRepo.changes` in one process, on both backends: where a
 * stream starts (now, the start, a cursor, the newest N), its filters, cursors refused when
 * they are not ones it gave, retention-deleted events skipped, and sessions delivered at
 * their latest change. The guarantees across processes are test/reliability/live.test.ts's.
 */
import { expect, layer } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { EventsRepo, SessionsRepo } from "../../src/index.js"
import { type Backend, describeBackends } from "../fixtures/backends.js"

const event = (id: string, sessionId: string, extra: Record<string, unknown> = {}) => ({
  id,
  eventType: "status_changed" as const,
  sessionId,
  projectId: "p",
  message: id,
  ...extra
})

const ids = <A extends { readonly event: { readonly id: string } }>(chunk: Chunk.Chunk<A>) =>
  Chunk.toArray(chunk).map((followed) => followed.event.id)

describeBackends("live feed", (backend: Backend) => {
  const TestLayer = () =>
    Layer.fresh(Layer.mergeAll(EventsRepo.Default, SessionsRepo.Default).pipe(Layer.provideMerge(backend.layer)))

  layer(TestLayer(), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("follow starts now by default, from the start, after a cursor, or with the newest N; filters apply", () =>
      Effect.gen(function*() {
        const events = yield* EventsRepo
        const sessions = yield* SessionsRepo
        yield* sessions.insert({ id: "f1", projectId: "p", configHash: "h" })
        yield* sessions.insert({ id: "f2", projectId: "q", configHash: "h" })
        yield* events.insertMany([event("a", "f1"), event("b", "f2"), event("c", "f1", { priority: "urgent" })])

        const fromNow = yield* Effect.fork(Stream.runCollect(Stream.take(events.follow(), 2)))
        yield* Effect.sleep("200 millis")
        yield* events.insert(event("d", "f1"))
        yield* events.insert(event("e", "f2"))
        expect(ids(yield* Fiber.join(fromNow))).toEqual(["d", "e"])

        const all = yield* Stream.runCollect(Stream.take(events.follow({}, { fromStart: true }), 5))
        expect(ids(all)).toEqual(["a", "b", "c", "d", "e"])
        const cursor = Chunk.unsafeGet(all, 1).cursor
        expect(ids(yield* Stream.runCollect(Stream.take(events.follow({}, { after: cursor }), 3)))).toEqual(["c", "d", "e"])
        expect(ids(yield* Stream.runCollect(Stream.take(events.follow({}, { replay: 2 }), 2)))).toEqual(["d", "e"])
        expect(ids(yield* Stream.runCollect(Stream.take(events.follow({ sessionId: "f1" }, { replay: 2 }), 2))))
          .toEqual(["c", "d"])
        expect(ids(yield* Stream.runCollect(Stream.take(events.follow({ minPriority: "urgent" }, { fromStart: true }), 1))))
          .toEqual(["c"])

        for (const after of ["sessions@1", "events@-1", "events@x", "", "events@99999999999999999"]) {
          const error = yield* Effect.flip(Stream.runDrain(events.follow({}, { after })))
          expect(error.reason).toBe("InvalidInput")
        }
        const badFilter = yield* Effect.flip(Stream.runDrain(events.follow({ eventType: "nope" as never })))
        expect(badFilter.reason).toBe("InvalidInput")
      }))

    it.effect("retention-deleted events are skipped, the stream goes on", () =>
      Effect.gen(function*() {
        const events = yield* EventsRepo
        const sessions = yield* SessionsRepo
        yield* sessions.insert({ id: "r1", projectId: "p", configHash: "h" })
        const old = DateTime.unsafeMake("2020-01-01T00:00:00Z")
        yield* events.insertMany([event("old1", "r1", { timestamp: old }), event("new1", "r1"), event("old2", "r1", { timestamp: old })])
        expect(yield* events.deleteOlderThan(DateTime.unsafeMake("2021-01-01T00:00:00Z"))).toBe(2)
        const fiber = yield* Effect.fork(Stream.runCollect(Stream.take(events.follow({ sessionId: "r1" }, { fromStart: true }), 2)))
        yield* Effect.sleep("100 millis")
        yield* events.insert(event("new2", "r1"))
        expect(ids(yield* Fiber.join(fiber))).toEqual(["new1", "new2"])
      }))
  })

  layer(TestLayer(), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("changes: each changed session once at its latest state, in commit order, filtered", () =>
      Effect.gen(function*() {
        const sessions = yield* SessionsRepo
        yield* sessions.insert({ id: "c1", projectId: "p", configHash: "h" })
        yield* sessions.insert({ id: "c2", projectId: "q", configHash: "h" })
        yield* sessions.updateStatus("c1", "working")
        const start = yield* Stream.runCollect(Stream.take(sessions.changes({}, { fromStart: true }), 2))
        expect(Chunk.toArray(start).map((c) => [c.session.id, c.session.status])).toEqual([["c2", "spawning"], ["c1", "working"]])

        // Changes made before a read are delivered once, at the latest: how many elements arrive depends on timing.
        const live = yield* Effect.fork(Stream.runCollect(Stream.takeUntil(
          sessions.changes({ projectId: "p" }),
          (changed) => changed.session.archivedAt._tag === "Some"
        )))
        yield* Effect.sleep("200 millis")
        yield* sessions.updateStatus("c2", "working")
        yield* sessions.updateStatus("c1", "pr_open")
        yield* sessions.archive("c1")
        const seen = Chunk.toArray(yield* Fiber.join(live))
        expect(seen.every((changed) => changed.session.id === "c1")).toBe(true)
        expect(seen[seen.length - 1]!.session.archivedAt._tag).toBe("Some")
        const resumed = yield* Stream.runCollect(Stream.take(sessions.changes({}, { after: Chunk.unsafeGet(start, 1).cursor }), 2))
        expect(Chunk.toArray(resumed).map((c) => c.session.id)).toEqual(["c2", "c1"])
      }))
  })
})
