import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { Database } from "../../src/index.js"
import * as GroupCommit from "../../src/Repos/GroupCommit.js"

// The hand-off between callers and the writer fiber, with a write that waits on a gate.
describe("group commit's hand-off", () => {
  it.effect("answers a batch in flight when the scope closes, and fails the writes not yet taken", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const gate = yield* Deferred.make<void>()
      const written: Array<number> = []
      const submit = yield* GroupCommit.make({
        write: (item: number) =>
          Effect.zipRight(Deferred.await(gate), Effect.sync(() => written.push(item))).pipe(Effect.as(item))
      }).pipe(Effect.provideService(Scope.Scope, scope))
      const first = yield* Effect.fork(submit(1))
      // The writer holds 1; 2 and 3 wait behind it.
      yield* TestClock.adjust(0)
      const rest = yield* Effect.fork(Effect.all([Effect.either(submit(2)), Effect.either(submit(3))], { concurrency: 2 }))
      yield* TestClock.adjust(0)
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(closing)
      expect(yield* Fiber.join(first)).toBe(1)
      const [second, third] = yield* Fiber.join(rest)
      for (const result of [second, third]) {
        expect(result).toMatchObject({ _tag: "Left", left: { _tag: "DbError", reason: "Closed" } })
      }
      expect(written).toEqual([1])
      // After the close, a new write fails at once.
      expect(yield* Effect.either(submit(4))).toMatchObject({ _tag: "Left", left: { reason: "Closed" } })
    }).pipe(Effect.provide(Database.layerMemory)))

  it.effect("does not write for a caller interrupted before its write was taken", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const written: Array<number> = []
      const submit = yield* GroupCommit.make({
        write: (item: number) =>
          Effect.zipRight(Deferred.await(gate), Effect.sync(() => written.push(item))).pipe(Effect.as(item))
      })
      const first = yield* Effect.fork(submit(1))
      yield* TestClock.adjust(0)
      const second = yield* Effect.fork(submit(2))
      const third = yield* Effect.fork(submit(3))
      yield* TestClock.adjust(0)
      yield* Fiber.interrupt(second)
      yield* Deferred.succeed(gate, undefined)
      expect([yield* Fiber.join(first), yield* Fiber.join(third)]).toEqual([1, 3])
      expect(written).toEqual([1, 3])
    }).pipe(Effect.scoped, Effect.provide(Database.layerMemory)))

  it.effect("on SQLite a lone write waits a turn and leads: interrupted then, it writes nothing, and the writes gathered behind it are written", () =>
    Effect.gen(function*() {
      const written: Array<ReadonlyArray<number>> = []
      const submit = yield* GroupCommit.make({
        write: (item: number) => Effect.sync(() => written.push([item])).pipe(Effect.as(item)),
        writeBatch: (items: ReadonlyArray<number>) =>
          Effect.sync(() => written.push(items)).pipe(Effect.as(items.map((item) => Exit.succeed(item))))
      })
      // Forked fibers start in order once this one yields: 1 finds nothing in flight and waits
      // its turn to lead, 2 and 3 join it; 1 is interrupted before its turn comes.
      const leader = yield* Effect.fork(submit(1))
      const others = yield* Effect.fork(Effect.all([submit(2), submit(3)], { concurrency: 2 }))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(leader)
      expect(yield* Fiber.join(others)).toEqual([2, 3])
      expect(written).toEqual([[2, 3]])
      // Alone, a write is one `write`; three submitted in one turn are one batch, on its leader.
      written.length = 0
      expect(yield* submit(4)).toBe(4)
      expect(yield* Effect.all([submit(5), submit(6), submit(7)], { concurrency: 3 })).toEqual([5, 6, 7])
      expect(written).toEqual([[4], [5, 6, 7]])
    }).pipe(Effect.scoped, Effect.provide(Database.layerMemory)))
})
