/**
 * A stream over a change log (migration 8): the rows whose log position is past a cursor, in
 * position order, which is commit order. It reads the log's newest position, then the rows
 * up to it a page at a time, and, once caught up, waits on the backend's change feed; a page
 * is read only when the consumer asks for one, so a slow consumer holds one page in memory.
 *
 * Reading up to the newest position seen first is what makes a filtered page safe to skip
 * past: every position up to it belongs to a transaction that had committed (or rolled back,
 * leaving a gap) when it was read, so none can appear later.
 *
 * @since 0.1.0
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { DbError } from "../Schemas/Errors.js"

/** @since 0.1.0 */
export interface ChangeStreamOptions<A> {
  /** Opens the watch of the log for the stream's life: see `Backend.ChangeFeed`. */
  readonly watch: Effect.Effect<Effect.Effect<void>, DbError, Scope.Scope>
  /** Where to start, read after the watch is open so that no commit falls between them. */
  readonly start: Effect.Effect<number, DbError>
  /** The log's newest position (0 when empty). */
  readonly newest: Effect.Effect<number, DbError>
  /** Up to `limit` rows with `after < position <= upTo` that match, in position order. */
  readonly page: (
    after: number,
    upTo: number,
    limit: number
  ) => Effect.Effect<ReadonlyArray<readonly [position: number, row: A]>, DbError>
  readonly pageSize: number
}

// A lost connection or a held lock heals: the follower reads again, for at most this long.
const healing = Schedule.spaced("250 millis").pipe(Schedule.upTo("60 seconds"))

const retried = <A, R>(effect: Effect.Effect<A, DbError, R>): Effect.Effect<A, DbError, R> =>
  Effect.retry(effect, { while: DbError.isRetryable, schedule: healing })

/**
 * The rows of a log past its start, with their positions, as they are committed.
 *
 * @since 0.1.0
 */
export const make = <A>(
  options: ChangeStreamOptions<A>
): Stream.Stream<readonly [position: number, row: A], DbError> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const wait = yield* retried(options.watch)
    let cursor = yield* retried(options.start)
    const next: Effect.Effect<Chunk.Chunk<readonly [number, A]>, DbError> = Effect.gen(function*() {
      while (true) {
        const newest = yield* retried(options.newest)
        if (newest > cursor) {
          const rows = yield* retried(options.page(cursor, newest, options.pageSize))
          cursor = rows.length === options.pageSize ? rows[rows.length - 1]![0] : newest
          if (rows.length > 0) return Chunk.unsafeFromArray(rows)
        } else {
          yield* wait
        }
      }
    })
    return Stream.repeatEffectChunk(next)
  }))

/**
 * A cursor: `<log>@<position>`, opaque to its holder.
 *
 * @since 0.1.0
 */
export const cursorOf = (log: string, position: number): string => `${log}@${position}`

/**
 * The position a cursor of `log` names, or `InvalidInput`.
 *
 * @since 0.1.0
 */
export const positionOf = (log: string, cursor: unknown): Either.Either<number, DbError> => {
  const invalid = () =>
    Either.left(new DbError({ reason: "InvalidInput", message: `Invalid ${log} cursor: expected one a ${log} stream gave` }))
  if (typeof cursor !== "string" || !cursor.startsWith(`${log}@`)) return invalid()
  const digits = cursor.slice(log.length + 1)
  if (!/^(?:0|[1-9][0-9]{0,15})$/.test(digits)) return invalid()
  const position = Number(digits)
  return Number.isSafeInteger(position) ? Either.right(position) : invalid()
}
