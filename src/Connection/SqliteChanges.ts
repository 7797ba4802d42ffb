/**
 * Other connections' commits to a SQLite file, seen without reading any table: a read-only
 * handle of the follower's own polls `PRAGMA data_version`, which SQLite answers from the
 * shared memory of the WAL index and changes only when another connection has committed.
 * A poll takes microseconds, so it runs on the event loop between the scheduler's turns.
 *
 * @since 0.1.0
 */
import Sqlite from "better-sqlite3"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import type { DbError } from "../Schemas/Errors.js"
import type { ChangeFeed } from "./Backend.js"
import { sqliteOpenError } from "./Failures.js"

/**
 * The change feed of the file `filename`, polled every `pollMs`. Any commit signals every
 * log: the wait is a hint, and the follower reads its log to know what changed.
 *
 * @since 0.1.0
 */
export const make = (filename: string, pollMs: number): ChangeFeed => () => watch(filename, pollMs)

const watch = (filename: string, pollMs: number): Effect.Effect<Effect.Effect<void>, DbError, Scope.Scope> =>
  Effect.gen(function*() {
    const db = yield* Effect.acquireRelease(
      Effect.try({
        try: () => new Sqlite(filename, { readonly: true, fileMustExist: true }),
        catch: (error) => sqliteOpenError(filename, error)
      }),
      (db) => Effect.sync(() => db.close())
    )
    const dataVersion = db.prepare("PRAGMA data_version").pluck()
    const read = (): unknown => {
      try {
        return dataVersion.get()
      } catch (error) {
        // A poll that fails (the file went away) wakes the follower, whose read reports why.
        return error
      }
    }
    const signal = yield* Queue.sliding<void>(1)
    let last = read()
    yield* Queue.offer(signal, undefined)
    // A plain timer, not a fiber: an idle follower then costs one cheap callback a poll.
    yield* Effect.acquireRelease(
      Effect.sync(() =>
        setInterval(() => {
          const now = read()
          if (now !== last) {
            last = now
            signal.unsafeOffer(undefined)
          }
        }, pollMs)
      ),
      (timer) => Effect.sync(() => clearInterval(timer))
    )
    return Queue.take(signal)
  })
