/**
 * What each dialect offers for looking after a database: its own structural checks, its
 * size, giving space back, a consistent copy of a SQLite file, and the order rows are read
 * in to stream a table. The Maintenance service asks through this and nothing else.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type * as Statement from "@effect/sql/Statement"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { eventColumns } from "../Schemas/Event.js"
import { projectColumns } from "../Schemas/Project.js"
import { sessionColumns } from "../Schemas/Session.js"
import { sessionMetricsColumns } from "../Schemas/SessionMetrics.js"
import type { DbError } from "../Schemas/Errors.js"
import type { BackendShape, Table, TableRow } from "./Backend.js"
import { queryError, transaction } from "./Failures.js"

/** A problem the database's own checks report, in its words. */
export interface StructuralProblem {
  readonly check: "integrity" | "foreign_key"
  readonly table: string
  readonly id: string
  readonly detail: string
}

/** @since 0.1.0 */
export interface Housekeeping {
  readonly dialect: "sqlite" | "postgres"
  /** SQLite's `integrity_check` and `foreign_key_check`; on PostgreSQL, amcheck's B-tree checks when installed and the foreign keys by query. */
  readonly structure: Effect.Effect<{ readonly problems: ReadonlyArray<StructuralProblem>; readonly notes: ReadonlyArray<string> }, DbError>
  /** The bytes the database takes: pages × page size on SQLite, `pg_database_size` on PostgreSQL. */
  readonly sizeBytes: Effect.Effect<number, DbError>
  /** Gives free space back: `VACUUM` then a truncating checkpoint on SQLite; plain `VACUUM` on PostgreSQL. */
  readonly vacuum: Effect.Effect<void, DbError>
  /** SQLite only: a consistent copy of the database into `file` (`VACUUM INTO`), which must not exist. */
  readonly copyFileInto: Option.Option<(file: string) => Effect.Effect<void, DbError>>
  /**
   * Runs `use` with reads (`page`, `count`) that all see one instant, however long `use` takes,
   * while others keep writing: one REPEATABLE READ, READ ONLY transaction on PostgreSQL; on
   * SQLite one read transaction, which needs a handle opened read-only (there SQLite makes
   * BEGIN IMMEDIATE a read transaction that takes no lock; on a writable handle it would hold
   * the write lock throughout): see `databaseFile`.
   */
  readonly readSnapshot: ReadSnapshot
  /** SQLite: the database's file, to open read-only for `readSnapshot` (none when in memory); none on PostgreSQL. */
  readonly databaseFile: Effect.Effect<Option.Option<string>, DbError>
  /** One page of `table`'s rows after `after` (the first page when `None`): each the order key, then the codec's columns. */
  readonly page: (
    table: Table,
    after: Option.Option<string | number>,
    limit: number
  ) => Effect.Effect<ReadonlyArray<ReadonlyArray<unknown>>, DbError>
  /** How many rows `table` holds. */
  readonly count: (table: Table) => Effect.Effect<number, DbError>
  /** Inserts rows as the row codecs encode them (see `Backend.insertRows`). */
  readonly insertRows: (table: Table, rows: ReadonlyArray<TableRow>) => Effect.Effect<void, DbError>
}

/** @since 0.1.0 */
export type ReadSnapshot = <A, E, R>(
  use: (reads: Housekeeping) => Effect.Effect<A, E, R>
) => Effect.Effect<A, E | DbError, R>

/** The tables in the order a copy writes them: parents first. */
export const tablesInOrder: ReadonlyArray<Table> = ["projects", "sessions", "events", "session_metrics"]

/**
 * @since 0.1.0
 */
export const make = (sql: SqlClient.SqlClient, backend: BackendShape): Housekeeping => {
  const rows = <A extends object>(statement: Statement.Statement<A>) => Effect.mapError(backend.run(statement), queryError)
  const values = (statement: Statement.Statement<any>) => Effect.mapError(backend.values(statement), queryError)
  const insertion = backend.time.insertionOrder
  // Sessions and events keep their insertion order (ties of equal timestamps); the others their key.
  const orderKey = (table: Table): Statement.Fragment =>
    table === "projects"
      ? sql.literal("project_id")
      : table === "session_metrics"
      ? sql.literal("session_id")
      : insertion
  const columnsOf = (table: Table): Statement.Fragment =>
    table === "projects"
      ? sql.literal(projectColumns)
      : table === "sessions"
      ? sql.literal(sessionColumns)
      : table === "events"
      ? sql.literal(eventColumns)
      : sql.literal(sessionMetricsColumns)
  const page = (table: Table, after: Option.Option<string | number>, limit: number) => {
    const key = orderKey(table)
    const where = Option.isSome(after) ? sql`WHERE ${key} > ${after.value}` : sql``
    return values(sql`SELECT ${key} AS order_key, ${columnsOf(table)} FROM ${sql(table)} ${where} ORDER BY ${key} LIMIT ${limit}`)
  }
  const count = (table: Table) =>
    Effect.map(rows(sql<{ readonly n: number }>`SELECT count(*) AS n FROM ${sql(table)}`), (found) => Number(found[0]?.n ?? 0))

  const insertRows = (table: Table, rows: ReadonlyArray<TableRow>) =>
    Effect.mapError(backend.insertRows(table, rows), queryError)

  // Foreign keys by query: the rows whose session is missing, named by their key.
  const orphans = Effect.all([
    rows(sql<{ readonly id: string }>`SELECT e.id AS id FROM events e
      WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = e.session_id)`),
    rows(sql<{ readonly id: string }>`SELECT m.session_id AS id FROM session_metrics m
      WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = m.session_id)`)
  ]).pipe(Effect.map(([events, metrics]) => [
    ...events.map((row): StructuralProblem => ({
      check: "foreign_key",
      table: "events",
      id: String(row.id),
      detail: "its session_id names no session"
    })),
    ...metrics.map((row): StructuralProblem => ({
      check: "foreign_key",
      table: "session_metrics",
      id: String(row.id),
      detail: "its session_id names no session"
    }))
  ]))

  const readSnapshot = (isolation: Effect.Effect<unknown, DbError>): ReadSnapshot => (use) =>
    transaction(sql)(Effect.gen(function*() {
      yield* isolation
      const connection = yield* SqlClient.TransactionConnection
      const inSnapshot = <A>(read: Effect.Effect<A, DbError>) =>
        Effect.provideService(read, SqlClient.TransactionConnection, connection)
      const reads: Housekeeping = {
        ...self,
        page: (table, after, limit) => inSnapshot(page(table, after, limit)),
        count: (table) => inSnapshot(count(table))
      }
      // `use` may open transactions of other databases: the snapshot's connection is only for its reads.
      return yield* Effect.mapInputContext(
        use(reads),
        (context: Context.Context<any>) => Context.omit(SqlClient.TransactionConnection)(context)
      )
    }))

  const self: Housekeeping = sql.onDialectOrElse({
    pg: (): Housekeeping => ({
      dialect: "postgres",
      structure: Effect.gen(function*() {
        const installed = yield* rows(sql<{ readonly n: number }>`SELECT count(*) AS n FROM pg_extension WHERE extname = 'amcheck'`)
        const notes: Array<string> = []
        const problems: Array<StructuralProblem> = []
        if (Number(installed[0]?.n ?? 0) > 0) {
          const indexes = yield* rows(sql<{ readonly oid: number; readonly name: string; readonly tbl: string }>`
            SELECT c.oid AS oid, c.relname AS name, t.relname AS tbl FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
            JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE a.amname = 'btree' AND n.nspname = current_schema()`)
          for (const index of indexes) {
            const failure = yield* Effect.flip(rows(sql`SELECT bt_index_check(${index.oid}::regclass, true)`))
              .pipe(Effect.option)
            if (Option.isSome(failure)) {
              problems.push({ check: "integrity", table: index.tbl, id: index.name, detail: failure.value.message })
            }
          }
        } else {
          notes.push("amcheck is not installed: PostgreSQL's index structure was not checked (CREATE EXTENSION amcheck enables it)")
        }
        problems.push(...yield* orphans)
        return { problems, notes }
      }),
      sizeBytes: Effect.map(
        rows(sql<{ readonly bytes: number }>`SELECT pg_database_size(current_database()) AS bytes`),
        (found) => Number(found[0]?.bytes ?? 0)
      ),
      vacuum: Effect.asVoid(rows(sql`VACUUM`)),
      copyFileInto: Option.none(),
      readSnapshot: readSnapshot(rows(sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`)),
      databaseFile: Effect.succeed(Option.none()),
      page,
      count,
      insertRows
    }),
    orElse: (): Housekeeping => ({
      dialect: "sqlite",
      structure: Effect.gen(function*() {
        const integrity = yield* rows(sql<{ readonly integrity_check: string }>`PRAGMA integrity_check`)
        const problems: Array<StructuralProblem> = integrity
          .filter((row) => row.integrity_check !== "ok")
          .map((row) => ({ check: "integrity", table: "", id: "", detail: row.integrity_check }))
        const foreign = yield* rows(
          sql<{ readonly table: string; readonly rowid: number; readonly parent: string }>`PRAGMA foreign_key_check`
        )
        for (const row of foreign) {
          problems.push({
            check: "foreign_key",
            table: row.table,
            id: `rowid ${row.rowid}`,
            detail: `its reference to ${row.parent} names no row`
          })
        }
        return { problems, notes: [] }
      }),
      sizeBytes: Effect.map(
        rows(sql<{ readonly bytes: number }>`SELECT page_count * page_size AS bytes
          FROM pragma_page_count(), pragma_page_size()`),
        (found) => Number(found[0]?.bytes ?? 0)
      ),
      // The rebuilt copy goes to a temporary file, not memory: it is as large as the database.
      vacuum: rows(sql`PRAGMA temp_store = FILE`).pipe(
        Effect.zipRight(rows(sql`VACUUM`)),
        Effect.ensuring(Effect.ignore(rows(sql`PRAGMA temp_store = MEMORY`))),
        Effect.zipRight(rows(sql`PRAGMA wal_checkpoint(TRUNCATE)`)),
        Effect.asVoid
      ),
      copyFileInto: Option.some((file: string) => Effect.asVoid(rows(sql`VACUUM INTO ${file}`))),
      readSnapshot: readSnapshot(Effect.void),
      databaseFile: Effect.map(
        rows(sql<{ readonly file: string }>`SELECT file FROM pragma_database_list WHERE name = 'main'`),
        (found) => Option.filter(Option.fromNullable(found[0]?.file), (file) => file !== "")
      ),
      page,
      count,
      insertRows
    })
  })
  return self
}
