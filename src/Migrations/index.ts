/**
 * The embedded migrations and the run that applies them while the Database layer builds.
 *
 * @since 0.1.0
 */
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import { DbError } from "../Schemas/Errors.js"
import V1 from "./0001_sessions.js"
import V2 from "./0002_events.js"
import V3 from "./0003_projects.js"
import V4 from "./0004_session_metrics.js"
import V5 from "./0005_indices.js"
import V6 from "./0006_event_time_indices.js"
import V7 from "./0007_instant_indices.js"

/**
 * Every migration, keyed `<id>_<name>` as `Migrator.fromRecord` expects.
 *
 * @since 0.1.0
 */
export const migrations = {
  "1_sessions": V1,
  "2_events": V2,
  "3_projects": V3,
  "4_session_metrics": V4,
  "5_indices": V5,
  "6_event_time_indices": V6,
  "7_instant_indices": V7
} as const

/**
 * The table @effect/sql's Migrator records applied migrations in.
 *
 * @since 0.1.0
 */
export const migrationsTable = "effect_sql_migrations"

/** @since 0.1.0 */
export const latestMigrationId = Math.max(...Object.keys(migrations).map((key) => Number.parseInt(key, 10)))

const runMigrator = Migrator.make({})

/** The highest migration id recorded in the database, 0 when nothing is recorded yet. */
const recordedMigrationId = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const tables = yield* sql.onDialectOrElse({
    pg: () =>
      sql<{ readonly found: number }>`SELECT count(*) AS found FROM pg_catalog.pg_tables
    WHERE schemaname = current_schema() AND tablename = ${migrationsTable}`,
    orElse: () =>
      sql<{ readonly found: number }>`SELECT count(*) AS found FROM sqlite_master
    WHERE type = 'table' AND name = ${migrationsTable}`
  })
  if (Number(tables[0]?.found ?? 0) === 0) return 0
  const rows = yield* sql<{ readonly latest: number | null }>`SELECT max(migration_id) AS latest FROM ${
    sql(migrationsTable)
  }`
  return Number(rows[0]?.latest ?? 0)
})

// The migrator wraps the driver's failure twice; the innermost message says what went wrong.
const migrationFailure = (error: unknown): DbError => {
  const messages: Array<string> = []
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    if (!messages.includes(cause.message)) messages.push(cause.message)
  }
  return new DbError({ reason: "Migration", message: messages.join(": ") || String(error), cause: error })
}

const newerDatabase = (recorded: number) =>
  new DbError({
    reason: "Migration",
    message: `The database records migration ${recorded}, newer than this version of ennio-db knows ` +
      `(latest ${latestMigrationId}): it was written by a newer ennio-db; upgrade to open it`
  })

/**
 * Refuses a SQLite file that records a migration this module does not know, reading it
 * through the raw handle before anything can write to it (the switch to WAL included).
 *
 * @since 0.1.0
 */
export const refuseNewerSqlite = (db: { readonly prepare: (sql: string) => { readonly get: () => unknown } }) => {
  const table = db
    .prepare("SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = 'effect_sql_migrations'")
    .get()
  if (table === undefined) return
  const row = db.prepare("SELECT max(migration_id) AS latest FROM effect_sql_migrations").get() as
    | { readonly latest: number | null }
    | undefined
  const recorded = Number(row?.latest ?? 0)
  if (recorded > latestMigrationId) throw newerDatabase(recorded)
}

const checkedRun = Effect.gen(function*() {
  const recorded = yield* recordedMigrationId
  if (recorded > latestMigrationId) return yield* newerDatabase(recorded)
  return yield* runMigrator({ loader: Migrator.fromRecord(migrations), table: migrationsTable })
})

/**
 * The key of the transaction-scoped advisory lock that serializes migrators on PostgreSQL
 * ("ennio" in ASCII).
 *
 * @since 0.1.0
 */
export const migrationLockKey = 0x656e6e696f

/**
 * PostgreSQL: one transaction that first takes an advisory lock, so migrators starting
 * together wait for each other, then creates the tracking table (the Migrator's own
 * check-then-create races between processes, and a failed statement would abort the
 * transaction), then runs the Migrator. DDL is transactional there: a failure leaves nothing.
 */
const postgresRun = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.withTransaction(Effect.gen(function*() {
    yield* sql`SELECT pg_advisory_xact_lock(${migrationLockKey})`
    yield* sql`CREATE TABLE IF NOT EXISTS ${sql(migrationsTable)} (
  migration_id integer primary key,
  created_at timestamp with time zone not null default now(),
  name text not null
)`
    return yield* checkedRun
  })))

/**
 * Applies the migrations the database lacks, holding a lock for the whole run so that
 * processes starting together take turns (SQLite: its write lock; PostgreSQL: an advisory
 * lock). Refuses a database that records a migration this module does not know (it was
 * written by a newer version) before writing anything. Returns what it applied,
 * `[id, name]` in order.
 *
 * @since 0.1.0
 */
export const migrate: Effect.Effect<ReadonlyArray<readonly [id: number, name: string]>, DbError, SqlClient.SqlClient> =
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.flatMap(recordedMigrationId, (recorded) =>
      // Up to date, the common start: two reads, no lock, no transaction.
      recorded === latestMigrationId ? Effect.succeed([]) : sql.onDialectOrElse({
        pg: () => postgresRun,
        orElse: () => checkedRun
      }))).pipe(
    Effect.catchAllDefect((defect) => Effect.fail(migrationFailure(defect))),
    Effect.catchIf((error) => !(error instanceof DbError), (error) => Effect.fail(migrationFailure(error))),
    Effect.withSpan("Database.migrate", { captureStackTrace: false })
  )
