/**
 * The connection of one better-sqlite3 handle: the statements @effect/sql sends and the ones
 * the backend's fast path runs, each prepared once, and the transaction open on the handle.
 *
 * @since 0.1.0
 */
import * as Client from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import type Sqlite from "better-sqlite3"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { isSqliteBusy } from "./Failures.js"
import { firstPauseMs, pause, whileLocked } from "./LockWait.js"

// Distinct statements a connection keeps prepared; the repositories use a few dozen.
const prepareCacheCapacity = 500

// The transaction statements @effect/sql sends, named here so the connection knows them.
export const beginSql = "BEGIN IMMEDIATE"
export const commitSql = "COMMIT"
export const rollbackSql = "ROLLBACK"
export const savepointSql = (name: string) => `SAVEPOINT ${name}`
export const rollbackSavepointPrefix = "ROLLBACK TO SAVEPOINT "

const statementFailure = (cause: unknown) => new SqlError({ cause, message: "Failed to execute statement" })

/** @since 0.1.0 */
export interface SqliteConnection extends Connection {
  readonly db: Sqlite.Database
  readonly runNow: (
    sql: string,
    params: ReadonlyArray<unknown>,
    raw: boolean,
    safeIntegers: boolean,
    values?: boolean
  ) => Exit.Exit<ReadonlyArray<any>, SqlError>
  /** Runs a statement of the open transaction (see `make`). */
  readonly inTransaction: <A>(now: () => Exit.Exit<A, SqlError>) => Exit.Exit<A, SqlError>
  /** Runs a statement outside any transaction, once the handle is free, trying again while it is locked elsewhere. */
  readonly autocommit: <A>(now: () => Exit.Exit<A, SqlError>) => Effect.Effect<A, SqlError>
  /** Takes the handle for a transaction, until the scope closes. */
  readonly acquireForTransaction: Effect.Effect<void, never, Scope.Scope>
  readonly export: Effect.Effect<Uint8Array, SqlError>
  readonly backup: (destination: string) => Effect.Effect<{ totalPages: number; remainingPages: number }, SqlError>
  readonly loadExtension: (path: string) => Effect.Effect<void, SqlError>
}

/**
 * The connection @effect/sql runs statements and transactions on, and the fast path's
 * `runNow`. It keeps track of the transaction open on the handle:
 *
 * - `BEGIN IMMEDIATE` and statements outside a transaction that SQLite refuses with
 *   SQLITE_BUSY are tried again asynchronously (see `whileLocked`), waiting for another
 *   fiber's transaction to end before each try;
 * - SQLite rolls a whole transaction back by itself after some failures (a full disk, an I/O
 *   error). From then on the transaction's statements would each commit on their own, so they
 *   fail instead, with that first failure, until @effect/sql's ROLLBACK ends it (a no-op);
 * - a COMMIT that fails and leaves the transaction open rolls it back, so that the handle is
 *   never left inside a transaction nobody will end.
 *
 * @since 0.1.0
 */
export const make = (
  db: Sqlite.Database,
  semaphore: Effect.Semaphore,
  busyTimeoutMs: number,
  afterWrite: () => void
): SqliteConnection => {
  // Prepared statements with what the hot path asks of them, so it crosses into native code once.
  interface Prepared {
    readonly statement: Sqlite.Statement
    readonly reader: boolean
    readonly writes: boolean
    safeIntegers: boolean
  }
  const statements = new Map<string, Prepared>()
  // The same statements prepared a second time in raw mode, returning rows as arrays.
  const valueStatements = new Map<string, Prepared>()
  const prepareNew = (sql: string, values: boolean): Prepared => {
    const statement = db.prepare(sql)
    if (values && statement.reader) statement.raw(true)
    return { statement, reader: statement.reader, writes: !statement.readonly, safeIntegers: false }
  }
  const prepareIn = (cache: Map<string, Prepared>, sql: string, values: boolean): Prepared => {
    let prepared = cache.get(sql)
    if (prepared === undefined) {
      if (cache.size >= prepareCacheCapacity) cache.clear()
      prepared = prepareNew(sql, values)
      cache.set(sql, prepared)
    }
    return prepared
  }

  const runNow = (
    sql: string,
    params: ReadonlyArray<unknown>,
    raw: boolean,
    safeIntegers: boolean,
    values = false
  ): Exit.Exit<ReadonlyArray<any>, SqlError> => {
    try {
      const prepared = prepareIn(values ? valueStatements : statements, sql, values)
      const statement = prepared.statement
      if (prepared.safeIntegers !== safeIntegers) {
        statement.safeIntegers(safeIntegers)
        prepared.safeIntegers = safeIntegers
      }
      if (prepared.reader) {
        const rows = statement.all(params)
        if (prepared.writes) afterWrite()
        return Exit.succeed(rows)
      }
      const result = statement.run(params)
      if (prepared.writes) afterWrite()
      return Exit.succeed(raw ? (result as unknown as ReadonlyArray<any>) : [])
    } catch (cause) {
      return Exit.fail(statementFailure(cause))
    }
  }

  // Whether @effect/sql's transaction is open on the handle, and the failure that made SQLite
  // roll it back by itself, if one did.
  let open = false
  let lost: SqlError | undefined

  const inTransaction = <A>(now: () => Exit.Exit<A, SqlError>): Exit.Exit<A, SqlError> => {
    if (lost !== undefined) return Exit.fail(lost)
    const exit = now()
    if (exit._tag === "Failure" && open && !db.inTransaction) {
      const failure = Cause.failureOption(exit.cause)
      lost = new SqlError({
        cause: failure._tag === "Some" ? failure.value.cause : Cause.squash(exit.cause),
        message: "The transaction was rolled back by SQLite after this failure"
      })
    }
    return exit
  }

  const locked = (error: SqlError) => !open && isSqliteBusy(error.cause)
  const refusedByLock = (exit: Exit.Exit<unknown, SqlError>) => {
    const failure = exit._tag === "Failure" ? Cause.failureOption(exit.cause) : Option.none()
    return failure._tag === "Some" && locked(failure.value)
  }
  /** Tries again after `first` was refused by another connection's lock, until `deadline`; `first` otherwise. */
  const settle = <A>(
    first: Exit.Exit<A, SqlError>,
    again: () => Effect.Effect<A, SqlError>,
    deadline = performance.now() + busyTimeoutMs
  ) =>
    refusedByLock(first)
      ? Effect.zipRight(pause(firstPauseMs), whileLocked(again(), locked, deadline, firstPauseMs * 2))
      : first
  // Checked when the statement runs: the handle is free, or another fiber's transaction is open.
  const whenFree = <A>(now: () => Exit.Exit<A, SqlError>): Effect.Effect<A, SqlError> =>
    Effect.suspend(() => db.inTransaction ? semaphore.withPermits(1)(Effect.suspend(now)) : now())
  const autocommit = <A>(now: () => Exit.Exit<A, SqlError>): Effect.Effect<A, SqlError> =>
    Effect.suspend(() => {
      if (db.inTransaction) return whileLocked(whenFree(now), locked, performance.now() + busyTimeoutMs)
      const exit = now()
      return exit._tag === "Success" ? exit : settle(exit, () => whenFree(now))
    })

  // When the fiber about to begin a transaction started waiting for the handle: its wait for
  // the lock counts from then, not from its turn among this process's transactions.
  let beginDeadline = 0
  const acquireForTransaction = Effect.uninterruptibleMask((restore) =>
    Effect.suspend(() => {
      const since = performance.now()
      return Effect.zipRight(
        restore(semaphore.take(1)),
        Effect.tap(Effect.scope, (scope) => {
          beginDeadline = since + busyTimeoutMs
          return Scope.addFinalizer(scope, semaphore.release(1))
        })
      )
    })
  )
  // The fiber beginning holds the handle already: it waits for the lock alone.
  const begin = () => runNow(beginSql, [], false, false)
  const beginTransaction = Effect.suspend(() => settle(begin(), () => Effect.suspend(begin), beginDeadline)).pipe(
    Effect.tap(() => {
      open = true
      lost = undefined
    })
  )

  const commit = (): Exit.Exit<ReadonlyArray<any>, SqlError> => {
    const failed = lost
    lost = undefined
    open = false
    if (failed !== undefined) return Exit.fail(failed)
    const exit = runNow(commitSql, [], false, false)
    if (exit._tag === "Failure" && db.inTransaction) runNow(rollbackSql, [], false, false)
    return exit
  }

  const rollback = (): Exit.Exit<ReadonlyArray<any>, SqlError> => {
    lost = undefined
    open = false
    // Nothing to undo when SQLite has rolled the transaction back already.
    return db.inTransaction ? runNow(rollbackSql, [], false, false) : Exit.succeed([])
  }

  /** A statement @effect/sql sends: the transaction's own, or one outside any transaction. */
  const run = (sql: string, params: ReadonlyArray<unknown>, raw: boolean, values = false) =>
    Effect.withFiberRuntime<ReadonlyArray<any>, SqlError>((fiber) => {
      const safeIntegers = Context.get(fiber.currentContext, Client.SafeIntegers)
      const now = () => runNow(sql, params, raw, safeIntegers, values)
      return open ? inTransaction(now) : autocommit(now)
    })

  const transactionStatement = (sql: string): Effect.Effect<ReadonlyArray<any>, SqlError> | undefined => {
    if (sql === beginSql) return beginTransaction
    if (sql === commitSql) return Effect.suspend(commit)
    if (sql === rollbackSql) return Effect.suspend(rollback)
    // The savepoint went with the transaction SQLite rolled back: its failure comes at COMMIT.
    if (sql.startsWith(rollbackSavepointPrefix) && lost !== undefined) return Effect.succeed([])
    return undefined
  }

  return {
    db,
    runNow,
    inTransaction,
    autocommit,
    acquireForTransaction,
    execute: (sql, params, transformRows) => {
      const rows = run(sql, params, false)
      return transformRows ? Effect.map(rows, transformRows) : rows
    },
    executeRaw: (sql, params) => run(sql, params, true),
    executeValues: (sql, params) => run(sql, params, false, true) as Effect.Effect<ReadonlyArray<ReadonlyArray<any>>, SqlError>,
    // Cached as well: @effect/sql sends BEGIN, COMMIT and savepoints this way, for every transaction.
    executeUnprepared: (sql, params, transformRows) => {
      const rows = transactionStatement(sql) ?? run(sql, params ?? [], false)
      return transformRows ? Effect.map(rows, transformRows) : rows
    },
    executeStream: (sql, params, transformRows) =>
      Stream.flatMap(
        Stream.fromEffect(run(sql, params, false)),
        (rows) => Stream.fromIterable(transformRows ? transformRows(rows) : rows)
      ),
    export: Effect.try({
      try: () => db.serialize(),
      catch: (cause) => new SqlError({ cause, message: "Failed to export database" })
    }),
    backup: (destination) =>
      Effect.tryPromise({
        try: () => db.backup(destination),
        catch: (cause) => new SqlError({ cause, message: "Failed to backup database" })
      }),
    loadExtension: (extension) =>
      Effect.try({
        try: () => {
          db.loadExtension(extension)
          statements.clear()
          valueStatements.clear()
        },
        catch: (cause) => new SqlError({ cause, message: "Failed to load extension" })
      })
  }
}

