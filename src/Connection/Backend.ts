/**
 * What the repositories ask of a database, whichever it is. Each driver module provides one
 * (`SqliteBackend`, `PostgresBackend`); every difference between SQLite and PostgreSQL outside
 * the migrations lives in them: how a statement runs, how many rows are written at once, how
 * rows are ordered by time, and how one write of a batch fails alone.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type * as Statement from "@effect/sql/Statement"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { DbError } from "../Schemas/Errors.js"
import type { OrchestratorEvent } from "../Schemas/Event.js"
import type { Project } from "../Schemas/Project.js"
import type { Session } from "../Schemas/Session.js"
import type { SessionMetrics } from "../Schemas/SessionMetrics.js"
import * as TimeOrder from "./TimeOrder.js"

/**
 * The tables, and their rows as the row codecs encode them: what `insertRows` writes (its
 * column names are the keys these types fix).
 *
 * @since 0.1.0
 */
export type Table = "sessions" | "events" | "projects" | "session_metrics"

/** @since 0.1.0 */
export type TableRow =
  | typeof Session.Encoded
  | typeof OrchestratorEvent.Encoded
  | typeof Project.Encoded
  | typeof SessionMetrics.Encoded

/**
 * The change logs a follower waits on (migration 8): `events` or `sessions`.
 *
 * @since 0.1.0
 */
export type ChangeLog = "events" | "sessions"

/**
 * How a follower learns that a log may have grown: `changes(log)` opens a watch for the
 * scope's life and returns the wait, which completes at once the first time and then once a
 * commit, by any process, may have added to `log` since the last wait completed.
 *
 * @since 0.1.0
 */
export type ChangeFeed = (log: ChangeLog) => Effect.Effect<Effect.Effect<void>, DbError, Scope.Scope>

/** @since 0.1.0 */
export interface BackendShape {
  /** Runs a statement; rows as objects. */
  readonly run: <A extends object = any>(statement: Statement.Statement<A>) => Effect.Effect<ReadonlyArray<A>, SqlError>
  /** Runs a statement; rows as arrays of their column values, in the order it selects them. */
  readonly values: (
    statement: Statement.Statement<any>
  ) => Effect.Effect<ReadonlyArray<ReadonlyArray<unknown>>, SqlError>
  /**
   * Inserts rows into `table` in order, stopping at the first statement that fails: objects
   * with the same keys, in the same order. SQLite sends multi-row inserts of up to 64 rows;
   * PostgreSQL one statement (an `unnest` of one array a column for many rows), a round trip.
   */
  readonly insertRows: (table: Table, rows: ReadonlyArray<TableRow>) => Effect.Effect<void, SqlError>
  /**
   * Up to this many rows, `insertRows` is one statement, atomic without a transaction around
   * it (1 on SQLite, whose inserts of 64, 32, … rows make most batches several statements).
   */
  readonly rowsPerStatement: number
  /**
   * Whether writes run on many connections at once (PostgreSQL's pool), so that a lone write
   * gains nothing from waiting for a writer; SQLite has one connection, which a writer owns.
   */
  readonly concurrentWrites: boolean
  /** How rows are ordered and compared by time. */
  readonly time: TimeOrder.TimeOrder
  /**
   * Runs one write of a batch inside the batch's transaction so that, if it fails, the
   * transaction can go on: as it is on SQLite, which undoes the failed statement alone; under
   * a savepoint on PostgreSQL, which would abort the whole transaction.
   */
  readonly isolate: <A, E>(effect: Effect.Effect<A, E>) => Effect.Effect<A, E | SqlError>
  /** Commits to the change logs, seen without reading them: see `ChangeFeed`. */
  readonly changes: ChangeFeed
}

// A client made elsewhere tells nothing of commits: its followers read again at this pace.
const pollingMs = 100

/**
 * The change feed of a client made elsewhere: a wait that ends after a fixed pause.
 *
 * @since 0.1.0
 */
export const pollingChanges = (intervalMs: number): ChangeFeed => () =>
  Effect.sync(() => {
    let first = true
    return Effect.suspend(() => {
      if (!first) return Effect.sleep(intervalMs)
      first = false
      return Effect.void
    })
  })

// Bound parameters per statement stay far under SQLite's 32,766 and PostgreSQL's 65,535.
const rowsPerStatement = 500

/**
 * The backend of a `SqlClient` made elsewhere: statements run the ordinary @effect/sql way,
 * rows are inserted in multi-row statements, and the dialect decides the rest.
 *
 * @since 0.1.0
 */
export const fromClient = (sql: SqlClient.SqlClient): BackendShape => ({
  run: (statement) => statement,
  values: (statement) => statement.values,
  insertRows: (table, rows) =>
    Effect.forEach(
      Array.from({ length: Math.ceil(rows.length / rowsPerStatement) }, (_, i) =>
        rows.slice(i * rowsPerStatement, (i + 1) * rowsPerStatement)),
      (chunk) => sql`INSERT INTO ${sql(table)} ${sql.insert(chunk)}`.raw,
      { discard: true }
    ),
  rowsPerStatement,
  concurrentWrites: sql.onDialectOrElse({ pg: () => true, orElse: () => false }),
  time: TimeOrder.make(sql),
  isolate: sql.onDialectOrElse({
    pg: () => <A, E>(effect: Effect.Effect<A, E>) => sql.withTransaction(effect),
    orElse: () => <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E | SqlError> => effect
  }),
  changes: pollingChanges(pollingMs)
})

/** @since 0.1.0 */
export class Backend extends Context.Tag("ennio-db/Backend")<Backend, BackendShape>() {
  /** The backend the database layer provides, or the ordinary one for a `SqlClient` from elsewhere. */
  static readonly current: Effect.Effect<BackendShape, never, SqlClient.SqlClient> = Effect.flatMap(
    Effect.serviceOption(Backend),
    (backend) => backend._tag === "Some" ? Effect.succeed(backend.value) : Effect.map(SqlClient.SqlClient, fromClient)
  )
}
