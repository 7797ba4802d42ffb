/**
 * Group commit: writes that arrive together from concurrent fibers are gathered into one
 * transaction. Each caller completes only after the transaction holding its write has
 * committed, and a write that fails fails only its own caller.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import { isSqlError } from "../Database.js"
import { DbError } from "../Schemas/Errors.js"
import { queryFailure } from "./RepoSupport.js"

// A lost connection (PostgreSQL) is reason `Connection` for every write of the batch.
const batchFailureReason = (cause: Cause.Cause<unknown>): DbError["reason"] => {
  const failure = Cause.failureOption(cause)
  return Option.isSome(failure) && isSqlError(failure.value) ? queryFailure(failure.value).reason : "Query"
}

interface Pending<A, B, E> {
  readonly item: A
  readonly done: Deferred.Deferred<B, E | DbError>
}

/** @since 0.1.0 */
export interface GroupCommitOptions<A, B, E> {
  /** Writes one item; runs inside the batch's transaction. */
  readonly write: (item: A) => Effect.Effect<B, E | DbError>
  /**
   * Writes a whole batch in as few statements as it can, returning one result per item in
   * order. When it fails, its statements are undone (a savepoint) and each item is written
   * alone with `write`, so that only the failing items fail.
   */
  readonly writeBatch?: ((items: ReadonlyArray<A>) => Effect.Effect<ReadonlyArray<B>, E | DbError>) | undefined
  /** The most writes one transaction gathers. */
  readonly maxBatch?: number | undefined
}

/**
 * Starts a writer fiber in the current scope and returns the function callers submit to.
 * Inside a caller's own transaction the write runs directly, as part of that transaction.
 *
 * @since 0.1.0
 */
export const make = <A, B, E>(
  options: GroupCommitOptions<A, B, E>
): Effect.Effect<(item: A) => Effect.Effect<B, E | DbError>, never, SqlClient.SqlClient | Scope.Scope> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const maxBatch = options.maxBatch ?? 512
    const queue = yield* Effect.acquireRelease(
      Queue.unbounded<Pending<A, B, E>>(),
      (queue) => Queue.shutdown(queue)
    )
    // SQLite undoes a failed statement alone; PostgreSQL aborts the transaction unless the
    // statement ran under a savepoint.
    const isolate = sql.onDialectOrElse({
      pg: () => (effect: Effect.Effect<B, E | DbError>): Effect.Effect<B, E | DbError> =>
        Effect.mapError(sql.withTransaction(effect), (e) => isSqlError(e) ? queryFailure(e) : e),
      orElse: () => (effect: Effect.Effect<B, E | DbError>): Effect.Effect<B, E | DbError> => effect
    })

    const commitBatch = (batch: ReadonlyArray<Pending<A, B, E>>) =>
      Effect.gen(function*() {
        if (batch.length === 1) {
          const [only] = batch
          yield* Deferred.complete(only!.done, options.write(only!.item))
          return
        }
        const oneByOne = Effect.forEach(batch, (pending) => Effect.exit(isolate(options.write(pending.item))))
        const writeBatch = options.writeBatch
        const writes = writeBatch === undefined ? oneByOne : sql.withTransaction(
          Effect.map(writeBatch(batch.map((pending) => pending.item)), (results) => results.map(Exit.succeed))
        ).pipe(Effect.orElse(() => oneByOne))
        const committed = yield* sql.withTransaction(writes).pipe(Effect.exit)
        if (Exit.isSuccess(committed)) {
          for (let i = 0; i < batch.length; i++) {
            yield* Deferred.done(batch[i]!.done, committed.value[i]!)
          }
        } else {
          const failure = new DbError({
            reason: batchFailureReason(committed.cause),
            message: "The batch transaction failed to commit",
            cause: committed.cause
          })
          for (const pending of batch) yield* Deferred.fail(pending.done, failure)
        }
      })

    yield* Queue.takeBetween(queue, 1, maxBatch).pipe(
      Effect.flatMap((chunk) => commitBatch(Array.from(chunk))),
      Effect.forever,
      Effect.interruptible,
      Effect.forkScoped
    )

    return (item: A): Effect.Effect<B, E | DbError> =>
      Effect.flatMap(Effect.serviceOption(SqlClient.TransactionConnection), (transaction) =>
        Option.isSome(transaction)
          ? options.write(item)
          : Effect.flatMap(Deferred.make<B, E | DbError>(), (done) =>
            Effect.zipRight(Queue.offer(queue, { item, done }), Deferred.await(done))))
  })
