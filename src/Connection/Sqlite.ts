/**
 * The SQLite connection behind `Database.layer`: one better-sqlite3 handle, opened only
 * after the path has been checked, with WAL, foreign keys, a busy timeout and
 * `BEGIN IMMEDIATE` transactions.
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
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as path from "node:path"
import { DbError } from "../Schemas/Errors.js"
import * as Spans from "../Spans.js"
import * as Checkpointer from "./Checkpointer.js"
import { StatementRunner, type StatementRunnerShape } from "./StatementRunner.js"

/** @since 0.1.0 */
export type Synchronous = "normal" | "full"

/** @since 0.1.0 */
export interface SqliteOptions {
  /** A file path, or `:memory:`. */
  readonly filename: string
  readonly synchronous: Synchronous
  /** Milliseconds a statement waits for another process's lock before failing. */
  readonly busyTimeoutMs: number
  /** Runs on the new handle before anything can write to the file; a `DbError` it throws refuses the file untouched. */
  readonly inspect?: ((db: Sqlite.Database) => void) | undefined
}

const sqliteHeader = Buffer.from("SQLite format 3\0", "latin1")

// Distinct statements a connection keeps prepared; the repositories use a few dozen.
const prepareCacheCapacity = 500

const connectionError = (message: string, cause?: unknown) =>
  new DbError({ reason: "Connection", message, ...(cause === undefined ? {} : { cause }) })

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
    catch: (error) =>
      error instanceof DbError
        ? error
        : connectionError(`Cannot open database ${filename}: ${(error as Error).message}`, error)
  })

const isBusy = (error: unknown) =>
  typeof (error as { code?: unknown }).code === "string" &&
  ((error as { code: string }).code.startsWith("SQLITE_BUSY") ||
    (error as { code: string }).code.startsWith("SQLITE_LOCKED"))

/** Switching to WAL needs a moment alone with the file; a concurrent opener may hold it. */
const setWalMode = (db: Sqlite.Database, deadline: number): string => {
  for (;;) {
    try {
      return String(db.pragma("journal_mode = WAL", { simple: true }))
    } catch (error) {
      if (!isBusy(error) || Date.now() > deadline) throw error
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10)
    }
  }
}

const openDatabase = (options: SqliteOptions): Effect.Effect<Sqlite.Database, DbError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.try({
      try: () => {
        const db = new Sqlite(options.filename, { timeout: options.busyTimeoutMs })
        try {
          options.inspect?.(db)
          const memory = options.filename === ":memory:"
          if (!memory) {
            const mode = setWalMode(db, Date.now() + options.busyTimeoutMs)
            if (mode !== "wal") throw new Error(`journal_mode is ${mode}, not wal`)
          }
          db.pragma("foreign_keys = ON")
          db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`)
          return db
        } catch (error) {
          db.close()
          throw error
        }
      },
      catch: (error) => {
        const message = `Cannot open database ${options.filename}: ${(error as Error).message}`
        return error instanceof DbError
          ? new DbError({ reason: error.reason, message, cause: error })
          : connectionError(message, error)
      }
    }),
    (db) => Effect.sync(() => db.close())
  )

const makeConnection = (db: Sqlite.Database, afterWrite: () => void): Connection & {
  readonly db: Sqlite.Database
  readonly runNow: (
    sql: string,
    params: ReadonlyArray<unknown>,
    raw: boolean,
    safeIntegers: boolean,
    values?: boolean
  ) => Exit.Exit<ReadonlyArray<any>, SqlError>
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
  const prepare = (sql: string) => prepareIn(statements, sql, false)

  const runNow = (
    sql: string,
    params: ReadonlyArray<unknown>,
    raw: boolean,
    safeIntegers: boolean,
    values = false
  ): Exit.Exit<ReadonlyArray<any>, SqlError> => {
    try {
      const prepared = values ? prepareIn(valueStatements, sql, true) : prepare(sql)
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
      return Exit.fail(new SqlError({ cause, message: "Failed to execute statement" }))
    }
  }

  const run = (sql: string, params: ReadonlyArray<unknown>, raw: boolean) =>
    Effect.withFiberRuntime<ReadonlyArray<any>, SqlError>((fiber) =>
      runNow(sql, params, raw, Context.get(fiber.currentContext, Client.SafeIntegers))
    )

  return {
    db,
    runNow,
    execute: (sql, params, transformRows) => {
      const rows = run(sql, params, false)
      return transformRows ? Effect.map(rows, transformRows) : rows
    },
    executeRaw: (sql, params) => run(sql, params, true),
    executeValues: (sql, params) =>
      Effect.try({
        try: () => {
          const { statement, writes } = prepare(sql)
          if (!statement.reader) {
            statement.run(params)
            if (writes) afterWrite()
            return []
          }
          try {
            const rows = statement.raw(true).all(params) as ReadonlyArray<ReadonlyArray<unknown>>
            if (writes) afterWrite()
            return rows
          } finally {
            statement.raw(false)
          }
        },
        catch: (cause) => new SqlError({ cause, message: "Failed to execute statement" })
      }),
    // Cached as well: @effect/sql sends BEGIN, COMMIT and savepoints this way, for every transaction.
    executeUnprepared: (sql, params, transformRows) => {
      const rows = run(sql, params ?? [], false)
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
const makeRunner = (
  connection: ReturnType<typeof makeConnection>,
  semaphore: Effect.Semaphore
): StatementRunnerShape => {
  /** Runs `now` when the handle is ours: inside our transaction, free, or once another fiber's transaction ends. */
  const onHandle = <A>(
    transaction: Option.Option<readonly [Connection, number]>,
    now: () => Exit.Exit<A, SqlError>,
    elsewhere: (connection: Connection) => Effect.Effect<A, SqlError>
  ): Effect.Effect<A, SqlError> =>
    transaction._tag === "Some"
      ? transaction.value[0] === connection ? Effect.suspend(now) : elsewhere(transaction.value[0])
      // Checked when the statement runs: the handle is free, or another fiber's transaction is open.
      : Effect.suspend(() => connection.db.inTransaction ? semaphore.withPermits(1)(Effect.suspend(now)) : now())

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
      const execute = onHandle(
        Context.getOption(context, Client.TransactionConnection),
        (): Exit.Exit<void, SqlError> => {
          for (const [sql, params] of compiled) {
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
    const connection = makeConnection(db, checkpointer?.noteWrite ?? (() => {}))
    const semaphore = yield* Effect.makeSemaphore(1)
    const acquirer = semaphore.withPermits(1)(Effect.succeed(connection))
    const transactionAcquirer = Effect.uninterruptibleMask((restore) =>
      Effect.as(
        Effect.zipRight(
          restore(semaphore.take(1)),
          Effect.tap(Effect.scope, (scope) => Scope.addFinalizer(scope, semaphore.release(1)))
        ),
        connection
      )
    )
    const client = yield* Client.make({
      acquirer,
      transactionAcquirer,
      compiler: Statement.makeCompilerSqlite(),
      spanAttributes,
      // Take the write lock at BEGIN: a deferred transaction that reads first cannot wait for it.
      beginTransaction: "BEGIN IMMEDIATE"
    })
    const sqlite = Object.assign(client as SqliteClient, {
      [TypeId]: TypeId,
      config: { filename: options.filename },
      export: Effect.flatMap(acquirer, (_) => _.export),
      backup: (destination: string) => Effect.flatMap(acquirer, (_) => _.backup(destination)),
      loadExtension: (extension: string) => Effect.flatMap(acquirer, (_) => _.loadExtension(extension))
    })
    return { client: sqlite, runner: makeRunner(connection, semaphore) }
  })
