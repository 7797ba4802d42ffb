/**
 * The SQLite connection behind `Database.layer`: one better-sqlite3 handle, opened only
 * after the path has been checked, with WAL, foreign keys and `BEGIN IMMEDIATE` transactions.
 *
 * better-sqlite3 is synchronous: SQLite's own busy timeout waits for another connection's
 * lock on the main thread, stopping every fiber and timer of the process (and two layers on
 * one file in one process could never let each other go). So the driver waits only a moment
 * (`driverBusyTimeoutMs`, enough for another process's commit to end), and a statement still
 * refused with SQLITE_BUSY, which did nothing, is tried again after an asynchronous pause,
 * until the busy timeout has passed.
 *
 * @since 0.1.0
 */
import type * as Reactivity from "@effect/experimental/Reactivity"
import * as Client from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import * as Statement from "@effect/sql/Statement"
import { SqliteClient, TypeId } from "@effect/sql-sqlite-node/SqliteClient"
import Sqlite from "better-sqlite3"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as path from "node:path"
import { DbError } from "../Schemas/Errors.js"
import * as Spans from "../Spans.js"
import * as Checkpointer from "./Checkpointer.js"
import { isSqliteBusy, sqliteOpenError, typedTransactions } from "./Failures.js"
import { StatementRunner, type StatementRunnerShape } from "./StatementRunner.js"

/** @since 0.1.0 */
export type Synchronous = "normal" | "full"

/** @since 0.1.0 */
export interface SqliteOptions {
  /** A file path, or `:memory:`. */
  readonly filename: string
  readonly synchronous: Synchronous
  /** Milliseconds a statement waits for another connection's lock before failing with `Busy`. */
  readonly busyTimeoutMs: number
  /** Runs on the new handle before anything can write to the file; a `DbError` it throws refuses the file untouched. */
  readonly inspect?: ((db: Sqlite.Database) => void) | undefined
}

const sqliteHeader = Buffer.from("SQLite format 3\0", "latin1")

// Distinct statements a connection keeps prepared; the repositories use a few dozen.
const prepareCacheCapacity = 500

const connectionError = (message: string) => new DbError({ reason: "Connection", message })

/**
 * Checks the path before SQLite sees it, so that a file that is not a database is
 * refused without being touched, and creates a new database file with mode 0600.
 */
const preparePath = (filename: string): Effect.Effect<void, DbError> =>
  Effect.try({
    try: () => {
      const stat = fs.statSync(filename, { throwIfNoEntry: false })
      if (stat === undefined) {
        // Folders it creates are private too: whoever can write there can swap the database or its WAL.
        fs.mkdirSync(path.dirname(filename), { recursive: true, mode: 0o700 })
        try {
          fs.closeSync(fs.openSync(filename, "wx", 0o600))
        } catch (error) {
          // Another process created it first: it is theirs to have set up.
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
        }
        return
      }
      if (stat.isDirectory()) throw connectionError(`Cannot open database ${filename}: it is a directory`)
      if (!stat.isFile()) throw connectionError(`Cannot open database ${filename}: it is not a regular file`)
      if (stat.size === 0) return
      const header = Buffer.alloc(sqliteHeader.length)
      const fd = fs.openSync(filename, "r")
      try {
        fs.readSync(fd, header, 0, header.length, 0)
      } finally {
        fs.closeSync(fd)
      }
      if (!header.equals(sqliteHeader)) {
        throw connectionError(`Cannot open database ${filename}: the file is not a SQLite database`)
      }
    },
    catch: (error) => error instanceof DbError ? error : sqliteOpenError(filename, error)
  })

// How long the driver itself waits for a lock, blocking the thread: another process's commit
// usually ends within it, and writer processes sharing a file lost much of their throughput
// when every such wait went through the event loop (see the README's Reliability).
const driverBusyTimeoutMs = 2

// Pauses between tries of a statement SQLite refused with SQLITE_BUSY: doubling from the
// first to the longest, so that a short wait is noticed soon and a long one costs little.
const firstPauseMs = 1
const longestPauseMs = 16

/** Real time: another process's lock frees in real time, whatever Clock a test provides. */
const pause = (ms: number): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), ms)
    return Effect.sync(() => clearTimeout(timer))
  })

/**
 * Runs `attempt` again while it fails because another connection holds a lock (`locked`),
 * pausing in between without blocking the thread, until `deadline` (a `performance.now()`
 * time); then fails with the last refusal.
 */
const whileLocked = <A, E>(
  attempt: Effect.Effect<A, E>,
  locked: (error: E) => boolean,
  deadline: number,
  firstPause = firstPauseMs
): Effect.Effect<A, E> => {
  const loop = (pauseMs: number): Effect.Effect<A, E> =>
    Effect.catchIf(attempt, (error) => locked(error) && performance.now() < deadline, () => {
      // Jittered, so that processes waiting for one lock do not try in step.
      const jittered = Math.ceil(pauseMs * (0.5 + Math.random()))
      const left = Math.max(1, Math.ceil(deadline - performance.now()))
      return Effect.zipRight(pause(Math.min(jittered, left)), loop(Math.min(pauseMs * 2, longestPauseMs)))
    })
  return loop(firstPause)
}

/**
 * Opens the handle and makes it ready: `inspect`, then WAL (switching needs a moment alone
 * with the file, which a concurrent opener may hold), foreign keys and `synchronous`. Each
 * step that meets another connection's lock is tried again asynchronously.
 */
const openDatabase = (options: SqliteOptions): Effect.Effect<Sqlite.Database, DbError, Scope.Scope> =>
  Effect.gen(function*() {
    const refused = (error: unknown) => sqliteOpenError(options.filename, error)
    const db = yield* Effect.acquireRelease(
      Effect.try({ try: () => new Sqlite(options.filename, { timeout: driverBusyTimeoutMs }), catch: refused }),
      (db) => Effect.sync(() => db.close())
    )
    const deadline = performance.now() + options.busyTimeoutMs
    const step = <A>(run: () => A) =>
      Effect.mapError(whileLocked(Effect.try({ try: run, catch: (error) => error }), isSqliteBusy, deadline), refused)
    const inspect = options.inspect
    if (inspect !== undefined) yield* step(() => inspect(db))
    if (options.filename !== ":memory:") {
      const mode = yield* step(() => String(db.pragma("journal_mode = WAL", { simple: true })))
      if (mode !== "wal") return yield* refused(new Error(`journal_mode is ${mode}, not wal`))
    }
    yield* step(() => {
      db.pragma("foreign_keys = ON")
      db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`)
    })
    return db
  })

// The transaction statements @effect/sql sends, named here so the connection knows them.
const beginSql = "BEGIN IMMEDIATE"
const commitSql = "COMMIT"
const rollbackSql = "ROLLBACK"
const savepointSql = (name: string) => `SAVEPOINT ${name}`
const rollbackSavepointPrefix = "ROLLBACK TO SAVEPOINT "

const statementFailure = (cause: unknown) => new SqlError({ cause, message: "Failed to execute statement" })

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
 */
const makeConnection = (
  db: Sqlite.Database,
  semaphore: Effect.Semaphore,
  busyTimeoutMs: number,
  afterWrite: () => void
): Connection & {
  readonly db: Sqlite.Database
  readonly runNow: (
    sql: string,
    params: ReadonlyArray<unknown>,
    raw: boolean,
    safeIntegers: boolean,
    values?: boolean
  ) => Exit.Exit<ReadonlyArray<any>, SqlError>
  /** Runs a statement of the open transaction (see above). */
  readonly inTransaction: <A>(now: () => Exit.Exit<A, SqlError>) => Exit.Exit<A, SqlError>
  /** Runs a statement outside any transaction, once the handle is free, trying again while it is locked elsewhere. */
  readonly autocommit: <A>(now: () => Exit.Exit<A, SqlError>) => Effect.Effect<A, SqlError>
  /** Takes the handle for a transaction, until the scope closes. */
  readonly acquireForTransaction: Effect.Effect<void, never, Scope.Scope>
  readonly export: Effect.Effect<Uint8Array, SqlError>
  readonly backup: (destination: string) => Effect.Effect<{ totalPages: number; remainingPages: number }, SqlError>
  readonly loadExtension: (path: string) => Effect.Effect<void, SqlError>
} => {
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

const spanAttributes: ReadonlyArray<readonly [string, unknown]> = [["db.system.name", "sqlite"]]

/** The `sql.execute` span @effect/sql emits, around `execute`. */
const executeSpan = <A>(
  sql: string,
  operation: string,
  batchSize: number,
  execute: Effect.Effect<A, SqlError>
): Effect.Effect<A, SqlError> =>
  Spans.leaf("sql.execute", {}, (annotate) => {
    for (const [key, value] of spanAttributes) annotate(key, value)
    annotate("db.operation.name", operation)
    annotate("db.query.text", sql)
    // OpenTelemetry: a batch is two or more operations.
    if (batchSize > 1) annotate("db.operation.batch.size", batchSize)
    return execute
  }, "client")

/**
 * The fast statement path. @effect/sql opens a scope, takes the semaphore and compiles per
 * statement; better-sqlite3 is synchronous, so when no transaction is open on the handle a
 * statement can run at once, atomically with that check. It still waits behind another
 * fiber's open transaction, runs on the transaction's connection inside one, defers to
 * @effect/sql when a statement transformer is installed, and emits the same `sql.execute`
 * span as @effect/sql.
 */
const makeRunner = (connection: ReturnType<typeof makeConnection>): StatementRunnerShape => {
  /** Runs `now` when the handle is ours: inside our transaction, free, or once another fiber's transaction ends. */
  const onHandle = <A>(
    transaction: Option.Option<readonly [Connection, number]>,
    now: () => Exit.Exit<A, SqlError>,
    elsewhere: (connection: Connection) => Effect.Effect<A, SqlError>
  ): Effect.Effect<A, SqlError> =>
    transaction._tag === "Some"
      ? transaction.value[0] === connection
        ? Effect.suspend(() => connection.inTransaction(now))
        : elsewhere(transaction.value[0])
      : connection.autocommit(now)

  const runner = (values: boolean) =>
  <A>(statement: Statement.Statement<any>): Effect.Effect<ReadonlyArray<A>, SqlError> =>
    Effect.withFiberRuntime((fiber) => {
      if (fiber.getFiberRef(Statement.currentTransformer)._tag === "Some") {
        return (values ? statement.values : statement) as Effect.Effect<ReadonlyArray<A>, SqlError>
      }
      const [sql, params] = statement.compile()
      const context = fiber.currentContext
      const safeIntegers = Context.get(context, Client.SafeIntegers)
      const execute = onHandle(
        Context.getOption(context, Client.TransactionConnection),
        () => connection.runNow(sql, params, false, safeIntegers, values),
        (other) => values ? other.executeValues(sql, params) : other.execute(sql, params, undefined)
      )
      return executeSpan(sql, values ? "executeValues" : "execute", 1, execute)
    })

  const runBatch = (statements: ReadonlyArray<Statement.Statement<any>>): Effect.Effect<void, SqlError> =>
    Effect.withFiberRuntime((fiber) => {
      if (statements.length === 0) return Effect.void
      if (fiber.getFiberRef(Statement.currentTransformer)._tag === "Some") {
        return StatementRunner.direct.runBatch(statements)
      }
      const compiled = statements.map((statement) => statement.compile())
      const context = fiber.currentContext
      const safeIntegers = Context.get(context, Client.SafeIntegers)
      // Outside a transaction each statement commits alone: a retry goes on from the one refused.
      let next = 0
      const execute = onHandle(
        Context.getOption(context, Client.TransactionConnection),
        (): Exit.Exit<void, SqlError> => {
          for (; next < compiled.length; next++) {
            const [sql, params] = compiled[next]!
            const exit = connection.runNow(sql, params, false, safeIntegers)
            if (Exit.isFailure(exit)) return Exit.failCause(exit.cause)
          }
          return Exit.void
        },
        (other) => Effect.forEach(compiled, ([sql, params]) => other.execute(sql, params, undefined), { discard: true })
      )
      const texts = Array.from(new Set(compiled.map(([sql]) => sql)))
      return executeSpan(texts.join(";\n"), "BATCH execute", compiled.length, execute)
    })

  return { run: runner(false), values: runner(true), runBatch }
}

/**
 * Opens the database and builds an `SqliteClient` over it, and the fast statement runner.
 * Statements of one process are serialized on the single handle; a transaction holds it
 * until it ends.
 *
 * @since 0.1.0
 */
export const make = (
  options: SqliteOptions
): Effect.Effect<
  { readonly client: SqliteClient; readonly runner: StatementRunnerShape },
  DbError,
  Scope.Scope | Reactivity.Reactivity
> =>
  Effect.gen(function*() {
    if (options.filename !== ":memory:") yield* preparePath(options.filename)
    const db = yield* openDatabase(options)
    const checkpointer = options.filename === ":memory:" ? undefined : Checkpointer.make(options.filename, db)
    // Added after the handle's own finalizer, so it runs first: the worker lets go before the handle closes.
    if (checkpointer !== undefined) yield* Effect.addFinalizer(() => Effect.promise(checkpointer.close))
    const semaphore = yield* Effect.makeSemaphore(1)
    const connection = makeConnection(db, semaphore, options.busyTimeoutMs, checkpointer?.noteWrite ?? (() => {}))
    const acquirer = semaphore.withPermits(1)(Effect.succeed(connection))
    const transactionAcquirer = Effect.as(connection.acquireForTransaction, connection)
    const client = yield* Client.make({
      acquirer,
      transactionAcquirer,
      compiler: Statement.makeCompilerSqlite(),
      spanAttributes,
      // Take the write lock at BEGIN: a deferred transaction that reads first cannot wait for it.
      beginTransaction: beginSql,
      commit: commitSql,
      rollback: rollbackSql,
      savepoint: savepointSql,
      rollbackSavepoint: (name) => `${rollbackSavepointPrefix}${name}`
    })
    typedTransactions(client)
    const sqlite = Object.assign(client as SqliteClient, {
      [TypeId]: TypeId,
      config: { filename: options.filename },
      export: Effect.flatMap(acquirer, (_) => _.export),
      backup: (destination: string) => Effect.flatMap(acquirer, (_) => _.backup(destination)),
      loadExtension: (extension: string) => Effect.flatMap(acquirer, (_) => _.loadExtension(extension))
    })
    return { client: sqlite, runner: makeRunner(connection) }
  })
