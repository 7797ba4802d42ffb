/**
 * Group commit: writes that arrive together from concurrent fibers are gathered into one
 * transaction. Each caller completes only after the transaction holding its write has
 * committed, and a write that fails fails only its own caller.
 *
 * The hand-off is a plain array and one `Effect.async` per caller: a Queue and a Deferred
 * per write cost more than the SQLite statement they wait for.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
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
  readonly resume: (exit: Exit.Exit<B, E | DbError>) => void
  /** The caller was interrupted before its write was taken: skip it. */
  abandoned: boolean
}

/** @since 0.1.0 */
export interface GroupCommitOptions<A, B, E> {
  /** Writes one item in one statement; inside the batch's transaction, or alone when the batch is one write. */
  readonly write: (item: A) => Effect.Effect<B, E | DbError>
  /**
   * Writes a whole batch in as few statements as it can, returning one result per item in
   * order. When it fails, its transaction is rolled back and each item is written alone with
   * `write` in a new transaction, so that only the failing items fail.
   */
  readonly writeBatch?: ((items: ReadonlyArray<A>) => Effect.Effect<ReadonlyArray<B>, E | DbError>) | undefined
  /** The most writes one transaction gathers. */
  readonly maxBatch?: number | undefined
}

/**
 * Starts a writer fiber in the current scope and returns the function callers submit to.
 * Inside a caller's own transaction the write runs directly, as part of that transaction.
 * When the scope closes, writes not yet taken fail with `DbError` reason `Connection`.
 *
 * @since 0.1.0
 */
export const make = <A, B, E>(
  options: GroupCommitOptions<A, B, E>
): Effect.Effect<(item: A) => Effect.Effect<B, E | DbError>, never, SqlClient.SqlClient | Scope.Scope> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const maxBatch = options.maxBatch ?? 512
    let pending: Array<Pending<A, B, E>> = []
    let closed = false
    // The writer, when it is waiting for work.
    let wake: (() => void) | undefined

    const closedExit = Exit.fail(
      new DbError({ reason: "Connection", message: "The database layer was closed before the write was committed" })
    )
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        closed = true
        const left = pending
        pending = []
        for (const entry of left) entry.resume(closedExit)
      })
    )

    // SQLite undoes a failed statement alone; PostgreSQL aborts the transaction unless the
    // statement ran under a savepoint.
    const isolate = sql.onDialectOrElse({
      pg: () => (effect: Effect.Effect<B, E | DbError>): Effect.Effect<B, E | DbError> =>
        Effect.mapError(sql.withTransaction(effect), (e) => isSqlError(e) ? queryFailure(e) : e),
      orElse: () => (effect: Effect.Effect<B, E | DbError>): Effect.Effect<B, E | DbError> => effect
    })

    const oneByOne = (batch: ReadonlyArray<Pending<A, B, E>>) =>
      sql.withTransaction(Effect.forEach(batch, (entry) => Effect.exit(isolate(options.write(entry.item)))))

    const writes = (batch: ReadonlyArray<Pending<A, B, E>>) => {
      // A write alone needs no transaction of its own: it is one statement.
      if (batch.length === 1) return Effect.map(Effect.exit(options.write(batch[0]!.item)), (exit) => [exit])
      const writeBatch = options.writeBatch
      if (writeBatch === undefined) return oneByOne(batch)
      // A failed batch rolls back whole; the items are then written again one by one.
      return sql.withTransaction(writeBatch(batch.map((entry) => entry.item))).pipe(
        Effect.map((results) => results.map((result) => Exit.succeed(result))),
        Effect.orElse(() => oneByOne(batch))
      )
    }

    const commitBatch = (batch: ReadonlyArray<Pending<A, B, E>>) =>
      Effect.map(Effect.exit(writes(batch)), (committed) => {
        if (Exit.isSuccess(committed)) {
          for (let i = 0; i < batch.length; i++) batch[i]!.resume(committed.value[i]!)
          return
        }
        const failed = Exit.fail(
          new DbError({
            reason: batchFailureReason(committed.cause),
            message: "The batch transaction failed to commit",
            cause: committed.cause
          })
        )
        for (const entry of batch) entry.resume(failed)
      })

    /** Up to `maxBatch` waiting writes, or none (all were abandoned). */
    const take = (): Array<Pending<A, B, E>> => {
      const batch = pending.length <= maxBatch ? pending : pending.slice(0, maxBatch)
      pending = pending.length <= maxBatch ? [] : pending.slice(maxBatch)
      return batch.filter((entry) => !entry.abandoned)
    }

    const nextBatch = Effect.suspend(() =>
      pending.length > 0 ? Effect.sync(take) : Effect.async<Array<Pending<A, B, E>>>((resume) => {
        wake = () => {
          wake = undefined
          resume(Effect.sync(take))
        }
        return Effect.sync(() => {
          wake = undefined
        })
      })
    )

    // A batch once taken is committed and answered even while the scope closes.
    yield* nextBatch.pipe(
      Effect.flatMap((batch) => batch.length === 0 ? Effect.void : Effect.uninterruptible(commitBatch(batch))),
      Effect.forever,
      Effect.forkScoped
    )

    const submit = (item: A) =>
      Effect.async<B, E | DbError>((resume) => {
        if (closed) return resume(closedExit)
        const entry: Pending<A, B, E> = { item, resume, abandoned: false }
        pending.push(entry)
        wake?.()
        return Effect.sync(() => {
          entry.abandoned = true
        })
      })

    return (item: A): Effect.Effect<B, E | DbError> =>
      Effect.withFiberRuntime((fiber) =>
        Context.getOption(fiber.getFiberRef(FiberRef.currentContext), SqlClient.TransactionConnection)._tag === "Some"
          ? options.write(item)
          : submit(item)
      )
  })
