/**
 * Group commit: writes that arrive together from concurrent fibers are gathered into one
 * transaction. Each caller completes only after the transaction holding its write has
 * committed, and a write that fails fails only its own caller.
 *
 * The hand-off is a plain array and one `Effect.async` per caller: a Queue and a Deferred
 * per write cost more than the SQLite statement they wait for. A write that finds nothing in
 * flight needs no hand-off: where the database takes writes on many connections (PostgreSQL)
 * it runs at once on its caller's fiber, and the writes that arrive while it (or a batch) is
 * in flight are gathered into the next batch; on SQLite, whose statements end before another
 * fiber runs, it first lets the ready fibers run, then writes what they submitted with it.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import { Backend } from "../Connection/Backend.js"
import { isSqlError, queryError } from "../Connection/Failures.js"
import { DbError } from "../Schemas/Errors.js"
import { asItIs, type MakeCurrent } from "../Spans.js"

// A batch whose transaction failed fails every write in it, with the reason of that failure
// (a lost connection, a full disk): none of them was committed.
const batchFailure = (cause: Cause.Cause<unknown>): DbError => {
  const failure = Cause.failureOption(cause)
  const error = Option.isSome(failure)
    ? isSqlError(failure.value) ? queryError(failure.value) : failure.value instanceof DbError ? failure.value : undefined
    : undefined
  return new DbError({
    reason: error?.reason ?? "Query",
    message: `The batch transaction failed to commit${error === undefined ? "" : `: ${error.message}`}`,
    cause
  })
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
   * Writes a whole batch in as few statements as it can, returning each item's exit in order.
   * It fails only when it wrote nothing: its transaction is then rolled back and each item is
   * written alone with `write` in a new transaction, so that only the failing items fail.
   * `alone`: the batch runs without a transaction (see `atomicBatch`), so what its statement
   * wrote is committed, and any item that fails after it must fail alone, as an exit.
   */
  readonly writeBatch?:
    | ((items: ReadonlyArray<A>, alone: boolean) => Effect.Effect<ReadonlyArray<Exit.Exit<B, E | DbError>>, E | DbError>)
    | undefined
  /** The most writes one transaction gathers. */
  readonly maxBatch?: number | undefined
  /**
   * Up to this many items, `writeBatch` is one statement, atomic alone: such a batch runs
   * without BEGIN and COMMIT around it (default 1: every batch of two or more is a transaction).
   */
  readonly atomicBatch?: number | undefined
}

/**
 * Starts a writer fiber in the current scope and returns the function callers submit to.
 * Inside a caller's own transaction the write runs directly, as part of that transaction.
 * When the scope closes, writes not yet taken fail with `DbError` reason `Closed`.
 *
 * @since 0.1.0
 */
export const make = <A, B, E>(
  options: GroupCommitOptions<A, B, E>
): Effect.Effect<
  (item: A, current?: MakeCurrent) => Effect.Effect<B, E | DbError>,
  never,
  SqlClient.SqlClient | Scope.Scope
> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const maxBatch = options.maxBatch ?? 512
    const atomicBatch = options.atomicBatch ?? 1
    let pending: Array<Pending<A, B, E>> = []
    let closed = false
    // The writer, when it is waiting for work.
    let wake: (() => void) | undefined

    const closedExit = Exit.fail(
      new DbError({ reason: "Closed", message: "The database layer was closed before the write was committed" })
    )
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        closed = true
        const left = pending
        pending = []
        for (const entry of left) entry.resume(closedExit)
      })
    )

    const backend = yield* Backend.current
    // On a database of many connections, a lone write runs on its caller's fiber (see `alone`).
    const direct = backend.concurrentWrites
    // Lone writes and batches in flight: while there is one, writes wait to be gathered.
    let inFlight = 0
    // A write that fails must leave the batch's transaction usable for the next (see Backend.isolate).
    const isolate = (effect: Effect.Effect<B, E | DbError>): Effect.Effect<B, E | DbError> =>
      Effect.mapError(backend.isolate(effect), (e) => isSqlError(e) ? queryError(e) : e)

    /** Up to `limit` waiting writes, skipping the abandoned. */
    const take = (limit: number): Array<Pending<A, B, E>> => {
      const batch = pending.length <= limit ? pending : pending.slice(0, limit)
      pending = pending.length <= limit ? [] : pending.slice(limit)
      return batch.filter((entry) => !entry.abandoned)
    }

    // Once the transaction holds the write lock, the writes that arrived while BEGIN waited
    // for it (another process held it) join the batch: the wait makes one larger commit.
    const withLateWrites = <X>(batch: Array<Pending<A, B, E>>, write: () => Effect.Effect<X, E | DbError | SqlError>) =>
      Effect.suspend(() => {
        if (pending.length > 0 && batch.length < maxBatch) batch.push(...take(maxBatch - batch.length))
        return write()
      })

    const oneByOne = (batch: Array<Pending<A, B, E>>) =>
      sql.withTransaction(withLateWrites(batch, () =>
        Effect.forEach(batch, (entry) => Effect.exit(isolate(options.write(entry.item))))))

    const writes = (batch: Array<Pending<A, B, E>>) => {
      // A write alone needs no transaction of its own: it is one statement.
      if (batch.length === 1) return Effect.map(Effect.exit(options.write(batch[0]!.item)), (exit) => [exit])
      const writeBatch = options.writeBatch
      if (writeBatch === undefined) return oneByOne(batch)
      // A failed batch rolls back whole (or, one statement, fails whole); the items are then written again one by one.
      const written = batch.length <= atomicBatch
        ? writeBatch(batch.map((entry) => entry.item), true)
        : sql.withTransaction(withLateWrites(batch, () => writeBatch(batch.map((entry) => entry.item), false)))
      return Effect.orElse(written, () => oneByOne(batch))
    }

    /** Writes `batch` (which may grow, see `withLateWrites`) and answers every write in it. */
    const commitBatch = (batch: Array<Pending<A, B, E>>) =>
      Effect.map(Effect.exit(writes(batch)), (committed) => {
        if (Exit.isSuccess(committed)) {
          for (let i = 0; i < batch.length; i++) batch[i]!.resume(committed.value[i]!)
          return
        }
        const failed = Exit.fail(batchFailure(committed.cause))
        for (const entry of batch) entry.resume(failed)
      })

    // The callers a batch just answered, and any other fiber ready to run, submit before the
    // next batch is taken: one larger batch instead of a small one and a large one.
    const gathered = Effect.zipRight(Effect.yieldNow(), Effect.sync(() => take(maxBatch)))
    const nextBatch = Effect.suspend(() =>
      pending.length > 0 && inFlight === 0 ? gathered : Effect.async<Array<Pending<A, B, E>>>((resume) => {
        wake = () => {
          wake = undefined
          resume(gathered)
        }
        return Effect.sync(() => {
          wake = undefined
        })
      })
    )

    // A batch once taken is committed and answered even while the scope closes.
    yield* nextBatch.pipe(
      Effect.flatMap((batch) => {
        if (batch.length === 0) return Effect.void
        inFlight++
        // Its callers submit again before the writer is idle: gathered, not one of them alone.
        return Effect.ensuring(Effect.uninterruptible(commitBatch(batch)), Effect.zipRight(Effect.yieldNow(), ended))
      }),
      Effect.forever,
      Effect.forkScoped
    )

    const submit = (item: A) =>
      Effect.async<B, E | DbError>((resume) => {
        if (closed) return resume(closedExit)
        const entry: Pending<A, B, E> = { item, resume, abandoned: false }
        pending.push(entry)
        // While a write is in flight the writer waits for it to end, gathering.
        if (inFlight === 0) wake?.()
        return Effect.sync(() => {
          entry.abandoned = true
        })
      })

    /** A lone write or a batch has ended: what gathered meanwhile is the next batch. */
    const ended = Effect.sync(() => {
      inFlight--
      if (inFlight === 0 && pending.length > 0) wake?.()
    })
    /** A write that found nothing in flight: one statement on the caller's fiber; what arrives meanwhile waits for it. */
    const alone = (item: A, current: MakeCurrent): Effect.Effect<B, E | DbError> => {
      inFlight++
      return Effect.ensuring(current(options.write(item)), ended)
    }

    /**
     * A write that found nothing in flight on a database of one writer (SQLite), whose statements
     * end before any other fiber runs: it lets the fibers that are ready run first, then writes
     * on its caller's fiber, alone, or with the writes submitted meanwhile as a batch, written
     * outside its caller's trace as the writer's are. No hand-off to the writer fiber and back.
     */
    const lead = (item: A, current: MakeCurrent): Effect.Effect<B, E | DbError> => {
      inFlight++
      return Effect.ensuring(
        Effect.zipRight(
          Effect.yieldNow(),
          Effect.suspend((): Effect.Effect<B, E | DbError> => {
            if (closed) return closedExit
            if (pending.length === 0) return current(options.write(item))
            let own: Exit.Exit<B, E | DbError> = closedExit
            const batch: Array<Pending<A, B, E>> = [{ item, resume: (exit) => void (own = exit), abandoned: false }]
            batch.push(...take(maxBatch - 1))
            return Effect.flatMap(
              Effect.uninterruptible(Effect.mapInputContext(commitBatch(batch), Context.omit(Tracer.ParentSpan))),
              () => own
            )
          })
        ),
        ended
      )
    }

    // `current` wraps a write that runs on the caller's fiber (in its transaction, or alone),
    // so that its statement's span is the caller's operation's child.
    return (item: A, current: MakeCurrent = asItIs): Effect.Effect<B, E | DbError> =>
      Effect.withFiberRuntime((fiber) =>
        writesDirectly(fiber)
          ? current(options.write(item))
          : inFlight === 0 && !closed && pending.length === 0
          ? direct ? alone(item, current) : lead(item, current)
          : submit(item)
      )
  })

// Whether a write submitted from `fiber` runs on it, inside the fiber's own transaction.
const writesDirectly = (fiber: Fiber.RuntimeFiber<unknown, unknown>): boolean =>
  Context.getOption(fiber.getFiberRef(FiberRef.currentContext), SqlClient.TransactionConnection)._tag === "Some"
