/**
 * The SQLite backend behind `Database.layer`: one better-sqlite3 handle (see SqliteFile and
 * SqliteConnection), the `SqliteClient` @effect/sql runs over it, and the repositories' fast
 * statement path.
 *
 * @since 0.1.0
 */
import type * as Reactivity from "@effect/experimental/Reactivity"
import * as Client from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import type { SqlError } from "@effect/sql/SqlError"
import * as Statement from "@effect/sql/Statement"
import { SqliteClient, TypeId } from "@effect/sql-sqlite-node/SqliteClient"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type { DbError } from "../Schemas/Errors.js"
import * as Spans from "../Spans.js"
import { type BackendShape, fromClient, pollingChanges, type Table, type TableRow } from "./Backend.js"
import * as Checkpointer from "./Checkpointer.js"
import { typedTransactions } from "./Failures.js"
import * as SqliteChanges from "./SqliteChanges.js"
import * as SqliteConnection from "./SqliteConnection.js"
import * as SqliteFile from "./SqliteFile.js"
import * as TimeOrder from "./TimeOrder.js"

const spanAttributes: ReadonlyArray<readonly [string, unknown]> = [["db.system.name", "sqlite"]]

/**
 * The fast statement path. @effect/sql opens a scope, takes the semaphore and compiles per
 * statement; better-sqlite3 is synchronous, so when no transaction is open on the handle a
 * statement can run at once, atomically with that check. It still waits behind another
 * fiber's open transaction, runs on the transaction's connection inside one, defers to
 * @effect/sql when a statement transformer is installed, and emits the same `sql.execute`
 * span as @effect/sql. Many rows are written by multi-row inserts of up to 64 rows (see
 * `insertRows`).
 */
// How often a follower's own handle asks SQLite whether another connection has committed.
const dataVersionPollMs = 25
// An in-memory database has no other connection to poll from: its followers read again at this pace.
const memoryPollMs = 50
// The most rows one insert statement takes (a power of two: the texts are of 1, 2, 4, … rows).
const maxRowsPerInsert = 64

const makeBackend = (
  sql: Client.SqlClient,
  connection: SqliteConnection.SqliteConnection,
  filename: string
): BackendShape => {
  const ordinary = fromClient(sql)

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
        return Spans.contextual(values ? statement.values : statement) as Effect.Effect<ReadonlyArray<A>, SqlError>
      }
      const [text, params] = statement.compile()
      const context = fiber.currentContext
      const safeIntegers = Context.get(context, Client.SafeIntegers)
      const execute = onHandle(
        Context.getOption(context, Client.TransactionConnection),
        () => connection.runNow(text, params, false, safeIntegers, values),
        (other) => values ? other.executeValues(text, params) : other.execute(text, params, undefined)
      )
      return Spans.statement("sqlite", text, values ? "executeValues" : "execute", 1, execute)
    })

  // The inserts of each table, compiled once for the keys its rows have (the row codec's, in
  // order): of 1, 2, 4, … 64 rows. Many rows go in as few multi-row statements as that allows:
  // inside a transaction each statement that fires the change-log trigger opens a statement
  // journal, once for its rows rather than once a row (see bench/README.md).
  const inserts = new Map<Table, { readonly keys: ReadonlyArray<string>; readonly texts: Array<string> }>()
  /** The insert of `rowCount` rows like `first` into `table`, for each row count asked. */
  const insertTexts = (table: Table, first: TableRow): (rowCount: number) => string => {
    const keys = Object.keys(first)
    let known = inserts.get(table)
    if (known === undefined || known.keys.length !== keys.length || !known.keys.every((key, i) => key === keys[i])) {
      known = { keys, texts: [] }
      inserts.set(table, known)
    }
    const { texts } = known
    return (rowCount) => {
      let text = texts[rowCount]
      if (text === undefined) {
        // The table named as the repositories' own statements name it (unquoted: one of four constants).
        ;[text] = sql`INSERT INTO ${sql.literal(table)} ${sql.insert(Array<TableRow>(rowCount).fill(first))}`.compile()
        texts[rowCount] = text
      }
      return text
    }
  }

  const insertRows = (table: Table, rows: ReadonlyArray<TableRow>): Effect.Effect<void, SqlError> =>
    Effect.withFiberRuntime((fiber) => {
      if (rows.length === 0) return Effect.void
      if (fiber.getFiberRef(Statement.currentTransformer)._tag === "Some") {
        return Spans.contextual(ordinary.insertRows(table, rows))
      }
      // Every row binds its values in the first row's key order, which the texts follow.
      const first: TableRow = rows[0]!
      const textOf = insertTexts(table, first)
      const oneRow = textOf(1)
      const context = fiber.currentContext
      const safeIntegers = Context.get(context, Client.SafeIntegers)
      // Outside a transaction each statement commits alone: a retry goes on from the one refused.
      let next = 0
      const execute = onHandle(
        Context.getOption(context, Client.TransactionConnection),
        (): Exit.Exit<void, SqlError> => {
          while (next < rows.length) {
            let rowCount = maxRowsPerInsert
            while (rowCount > rows.length - next) rowCount /= 2
            const params: Array<unknown> = []
            for (let i = next; i < next + rowCount; i++) params.push(...Object.values(rows[i]!))
            const exit = connection.runNow(textOf(rowCount), params, false, safeIntegers)
            if (Exit.isFailure(exit)) return Exit.failCause(exit.cause)
            next += rowCount
          }
          return Exit.void
        },
        (other) => Effect.forEach(rows, (row) => other.execute(oneRow, Object.values(row), undefined), { discard: true })
      )
      // One span for the call, with the one-row text and the number of rows, as for a batch.
      return Spans.statement("sqlite", oneRow, rows.length === 1 ? "execute" : "BATCH execute", rows.length, execute)
    })

  return {
    run: runner(false),
    values: runner(true),
    insertRows,
    rowsPerStatement: 1,
    concurrentWrites: false,
    time: TimeOrder.make(sql),
    isolate: ordinary.isolate,
    changes: filename === ":memory:"
      ? pollingChanges(memoryPollMs)
      : SqliteChanges.make(filename, dataVersionPollMs)
  }
}

/**
 * Opens the database and builds an `SqliteClient` over it, and the backend. Statements of one
 * process are serialized on the single handle; a transaction holds it until it ends.
 *
 * @since 0.1.0
 */
export const make = (
  options: SqliteFile.SqliteOptions
): Effect.Effect<
  { readonly client: SqliteClient; readonly backend: BackendShape },
  DbError,
  Scope.Scope | Reactivity.Reactivity
> =>
  Effect.gen(function*() {
    const db = yield* SqliteFile.open(options)
    const checkpointer = options.filename === ":memory:" ? undefined : Checkpointer.make(options.filename, db)
    // Added after the handle's own finalizer, so it runs first: the worker lets go before the handle closes.
    if (checkpointer !== undefined) yield* Effect.addFinalizer(() => Effect.promise(checkpointer.close))
    const semaphore = yield* Effect.makeSemaphore(1)
    const connection = SqliteConnection.make(
      db,
      semaphore,
      options.busyTimeoutMs,
      checkpointer?.noteWrite ?? (() => {})
    )
    const acquirer = semaphore.withPermits(1)(Effect.succeed(connection))
    const transactionAcquirer = Effect.as(connection.acquireForTransaction, connection)
    const client = yield* Client.make({
      acquirer,
      transactionAcquirer,
      compiler: Statement.makeCompilerSqlite(),
      spanAttributes,
      // Take the write lock at BEGIN: a deferred transaction that reads first cannot wait for it.
      beginTransaction: SqliteConnection.beginSql,
      commit: SqliteConnection.commitSql,
      rollback: SqliteConnection.rollbackSql,
      savepoint: SqliteConnection.savepointSql,
      rollbackSavepoint: (name) => `${SqliteConnection.rollbackSavepointPrefix}${name}`
    })
    typedTransactions(client)
    const sqlite = Object.assign(client as SqliteClient, {
      [TypeId]: TypeId,
      config: { filename: options.filename },
      export: Effect.flatMap(acquirer, (_) => _.export),
      backup: (destination: string) => Effect.flatMap(acquirer, (_) => _.backup(destination)),
      loadExtension: (extension: string) => Effect.flatMap(acquirer, (_) => _.loadExtension(extension))
    })
    return { client: sqlite, backend: makeBackend(sqlite, connection, options.filename) }
  })
