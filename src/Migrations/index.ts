/**
 * The embedded migrations and the run that applies them while the Database layer builds.
 *
 * @since 0.1.0
 */
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import { isEnvironmentFault, isSqlError, reasonOf } from "../Connection/Failures.js"
import { DbError } from "../Schemas/Errors.js"
import V1 from "./0001_sessions.js"
import V2 from "./0002_events.js"
import V3 from "./0003_projects.js"
import V4 from "./0004_session_metrics.js"
import V5 from "./0005_indices.js"
import V6 from "./0006_event_time_indices.js"
import V7 from "./0007_instant_indices.js"
import V8 from "./0008_change_logs.js"
import V9 from "./0009_insertion_order_indices.js"

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
  "7_instant_indices": V7,
  "8_change_logs": V8,
  "9_insertion_order_indices": V9
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

/** Whether the database has the migrations tracking table. */
const hasMigrationsTable = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const tables = yield* sql.onDialectOrElse({
    pg: () =>
      sql<{ readonly found: number }>`SELECT count(*) AS found FROM pg_catalog.pg_tables
    WHERE schemaname = current_schema() AND tablename = ${migrationsTable}`,
    orElse: () =>
      sql<{ readonly found: number }>`SELECT count(*) AS found FROM sqlite_master
    WHERE type = 'table' AND name = ${migrationsTable}`
  })
  return Number(tables[0]?.found ?? 0) > 0
})

/** The highest migration id recorded in the database, 0 when nothing is recorded yet. */
const recordedMigrationId = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  if (!(yield* hasMigrationsTable)) return 0
  const rows = yield* sql<{ readonly latest: number | null }>`SELECT max(migration_id) AS latest FROM ${
    sql(migrationsTable)
  }`
  return Number(rows[0]?.latest ?? 0)
})

/**
 * The ids of the migrations the database records as applied, in order: none when it has no
 * tracking table (a database the original implementation wrote). Reads only.
 *
 * @since 0.1.0
 */
export const recordedMigrations = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  if (!(yield* hasMigrationsTable)) return []
  const rows = yield* sql<{ readonly migration_id: number }>`SELECT migration_id FROM ${
    sql(migrationsTable)
  } ORDER BY migration_id`
  return rows.map((row) => Number(row.migration_id))
})

/**
 * The ids of this module's migrations missing from `applied` (what `recordedMigrations` read), in order.
 *
 * @since 0.1.0
 */
export const missingFrom = (applied: ReadonlyArray<number>): ReadonlyArray<number> =>
  Object.keys(migrations).map((key) => Number.parseInt(key, 10)).filter((id) => !applied.includes(id))

/**
 * Fails with `Migration` unless the database records every migration: what a reader that may not
 * migrate (a read-only handle) checks before queries that need the current tables.
 *
 * @since 0.1.0
 */
export const requireCurrent: Effect.Effect<void, DbError, SqlClient.SqlClient> = recordedMigrations.pipe(
  Effect.map(missingFrom),
  Effect.mapError((error) =>
    new DbError({ reason: "Query", message: `Cannot read the migrations table: ${error.message}`, cause: error })
  ),
  Effect.flatMap((missing) =>
    missing.length === 0 ? Effect.void : Effect.fail(
      new DbError({
        reason: "Migration",
        message: `This database, opened for reading only, lacks migration${missing.length > 1 ? "s" : ""} ${
          missing.join(", ")
        }: migrate it first (ennio-db migrate, or open it once for writing)`
      })
    )
  )
)

// The migrator wraps the driver's failure twice; the innermost message says what went wrong. A
// fault of the environment (a full disk, a lock held too long) keeps its own reason.
const migrationFailure = (error: unknown): DbError => {
  const messages: Array<string> = []
  let reason: DbError["reason"] = "Migration"
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    if (!messages.includes(cause.message)) messages.push(cause.message)
    if (isSqlError(cause) && isEnvironmentFault(reasonOf(cause))) reason = reasonOf(cause)
  }
  return new DbError({ reason, message: messages.join(": ") || String(error), cause: error })
}

const newerDatabase = (recorded: number) =>
  new DbError({
    reason: "Migration",
    message: `The database records migration ${recorded}, newer than this version of ennio-db knows ` +
      `(latest ${latestMigrationId}): it was written by a newer ennio-db; upgrade to open it`
  })

/**
 * The tables migrations 1–4 create, with the columns the original implementation's tables
 * have: a database holding them, with no tracking table, is one it wrote.
 */
const ennioTables: ReadonlyArray<{ readonly table: string; readonly migration: number; readonly columns: ReadonlyArray<string> }> = [
  {
    table: "sessions",
    migration: 1,
    columns: [
      "id", "project_id", "status", "activity", "branch", "issue_id", "workspace_path", "runtime_handle", "agent_info",
      "agent_name", "pr_url", "pr_number", "tmux_name", "config_hash", "role", "metadata", "created_at",
      "last_activity_at", "restored_at", "archived_at"
    ]
  },
  {
    table: "events",
    migration: 2,
    columns: ["id", "event_type", "priority", "session_id", "project_id", "timestamp", "message", "data"]
  },
  {
    table: "projects",
    migration: 3,
    columns: ["project_id", "name", "repo", "path", "default_branch", "config_hash", "created_at", "updated_at"]
  },
  {
    table: "session_metrics",
    migration: 4,
    columns: [
      "session_id", "total_tokens_in", "total_tokens_out", "estimated_cost_usd", "ci_runs", "ci_failures",
      "review_rounds", "time_to_first_pr_secs", "time_to_merge_secs", "updated_at"
    ]
  }
]

/** The names `inspect` reads columns of: ennio-db's tables and the tracking table. */
const inspectedTables: ReadonlyArray<string> = [...ennioTables.map((t) => t.table), migrationsTable]

/** A column as the inspection sees it: `required` when it is NOT NULL without a default (ennio-db never fills it). */
interface StoredColumn {
  readonly name: string
  readonly required: boolean
}

/** What a database holds, read before anything is written to it. */
interface StoredSchema {
  /** Every table and view but the database's own (`sqlite_…`): name → whether it is a table. */
  readonly objects: ReadonlyMap<string, "table" | "view">
  /** The columns of those of `inspectedTables` that exist. */
  readonly columns: ReadonlyMap<string, ReadonlyArray<StoredColumn>>
  /** The tracking table's rows, when it exists and has its columns. */
  readonly recorded: ReadonlyArray<{ readonly id: number; readonly name: string }> | undefined
}

const migrationNames: ReadonlyMap<number, string> = new Map(
  Object.keys(migrations).map((key) => [Number.parseInt(key, 10), key])
)

const list = (names: ReadonlyArray<string>) => names.join(", ")

/**
 * Why ennio-db must leave a database alone, or `undefined` when it may open it: it is empty,
 * ennio-db's (its tracking table records ennio-db's migrations), or the original
 * implementation's (the four tables, no tracking table), and every ennio-db table in it has
 * the columns ennio-db reads and writes. Other programs' tables are allowed beside ennio-db's
 * own, or when `allowOtherTables` says so.
 */
const refusal = (schema: StoredSchema, allowOtherTables: boolean): DbError | undefined => {
  const problems: Array<string> = []
  const { objects, recorded } = schema
  if (objects.has(migrationsTable) && recorded === undefined) {
    problems.push(`its table ${migrationsTable} is not the one ennio-db keeps (it lacks migration_id or name)`)
  }
  const foreignMigrations = (recorded ?? [])
    .filter((row) => row.id <= latestMigrationId && migrationNames.get(row.id) !== `${row.id}_${row.name}`)
    .map((row) => `${row.id}_${row.name}`)
  if (foreignMigrations.length > 0) {
    problems.push(`${migrationsTable} records migrations ennio-db never had (${list(foreignMigrations)})`)
  }
  const applied = new Set((recorded ?? []).map((row) => row.id))
  for (const { columns: expected, migration, table } of ennioTables) {
    const kind = objects.get(table)
    if (kind === undefined) {
      if (applied.has(migration) && foreignMigrations.length === 0) {
        problems.push(`it records migration ${migrationNames.get(migration)} but has no table ${table}`)
      }
      continue
    }
    if (kind === "view") {
      problems.push(`${table} is a view, not ennio-db's table`)
      continue
    }
    const stored = schema.columns.get(table) ?? []
    const names = new Set(stored.map((column) => column.name))
    const missing = expected.filter((column) => !names.has(column))
    if (missing.length > 0) problems.push(`table ${table} lacks column${missing.length === 1 ? "" : "s"} ${list(missing)}`)
    const unfillable = stored.filter((column) => column.required && !expected.includes(column.name))
    if (unfillable.length > 0) {
      problems.push(
        `table ${table} has NOT NULL column${unfillable.length === 1 ? "" : "s"} without a default that ennio-db ` +
          `never fills (${list(unfillable.map((column) => column.name))})`
      )
    }
  }
  const ours = new Set(inspectedTables)
  const others = Array.from(objects.keys()).filter((name) => !ours.has(name)).sort()
  const whole = ennioTables.every(({ table }) => objects.get(table) === "table")
  const shared = others.length > 0 && !allowOtherTables && recorded === undefined && !whole
  if (shared) problems.push(`it holds other programs' tables (${list(others)})`)
  if (problems.length === 0) return undefined
  return new DbError({
    reason: "Migration",
    message: `it is not an ennio-db database: ${problems.join("; ")}. ennio-db left it as it was` +
      (shared ? "; give ennio-db a database of its own, or open this one with allowOtherTables" : "")
  })
}

/** The tracking table's rows, when it has the columns ennio-db's has. */
const hasTrackingColumns = (columns: ReadonlyArray<StoredColumn> | undefined) =>
  columns !== undefined && ["migration_id", "name"].every((name) => columns.some((column) => column.name === name))

/** What the inspection needs of a raw better-sqlite3 handle (typed here: the public types name no driver). */
interface RawHandle {
  prepare(source: string): { all(...params: Array<string>): Array<unknown> }
}

const readSqliteSchema = (db: RawHandle): StoredSchema => {
  const objects = new Map(
    (db.prepare(
      "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    ).all() as Array<{ readonly name: string; readonly type: "table" | "view" }>).map((row) => [row.name, row.type])
  )
  const columnsOf = db.prepare(`SELECT name, "notnull" AS not_null, dflt_value IS NOT NULL AS has_default
FROM pragma_table_info(?)`)
  const columns = new Map<string, ReadonlyArray<StoredColumn>>()
  for (const table of inspectedTables) {
    if (objects.get(table) !== "table") continue
    const rows = columnsOf.all(table) as Array<{ name: string; not_null: number; has_default: number }>
    columns.set(table, rows.map((row) => ({ name: row.name, required: row.not_null === 1 && row.has_default === 0 })))
  }
  const recorded = hasTrackingColumns(columns.get(migrationsTable))
    ? (db.prepare("SELECT migration_id AS id, name FROM effect_sql_migrations ORDER BY migration_id").all() as Array<
      { readonly id: number; readonly name: string }
    >)
    : undefined
  return { objects, columns, recorded }
}

/**
 * Inspects a SQLite file through the raw handle, before anything can write to it (the switch
 * to WAL included), and throws the `DbError` that refuses it: a database written by a newer
 * ennio-db, or one that is not ennio-db's (see the README's "Whose database").
 *
 * @since 0.1.0
 */
export const inspectSqlite = (options: { readonly allowOtherTables: boolean }) => (db: RawHandle): void => {
  const schema = readSqliteSchema(db)
  const refused = refusal(schema, options.allowOtherTables)
  if (refused !== undefined) throw refused
  const recorded = Math.max(0, ...(schema.recorded ?? []).map((row) => row.id))
  if (recorded > latestMigrationId) throw newerDatabase(recorded)
}

/** The same inspection on PostgreSQL, over the current schema, before the migration run writes. */
const inspectPostgres = (options: { readonly allowOtherTables: boolean }) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const relations = yield* sql<{ readonly name: string; readonly kind: string }>`SELECT c.relname AS name,
  c.relkind AS kind FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'f', 'v', 'm')`
    const objects = new Map(relations.map((row) => [row.name, row.kind === "v" || row.kind === "m" ? "view" : "table"] as const))
    const rows = yield* sql<{
      readonly table_name: string
      readonly column_name: string
      readonly is_nullable: string
      readonly column_default: string | null
      readonly is_identity: string
      readonly is_generated: string
    }>`SELECT table_name, column_name, is_nullable, column_default, is_identity, is_generated
FROM information_schema.columns WHERE table_schema = current_schema() AND table_name IN ${sql.in(inspectedTables)}`
    const columns = new Map<string, Array<StoredColumn>>()
    for (const row of rows) {
      const filled = row.column_default !== null || row.is_identity === "YES" || row.is_generated === "ALWAYS"
      const table = columns.get(row.table_name) ?? []
      table.push({ name: row.column_name, required: row.is_nullable === "NO" && !filled })
      columns.set(row.table_name, table)
    }
    const recorded = objects.get(migrationsTable) === "table" && hasTrackingColumns(columns.get(migrationsTable))
      ? yield* sql<{ readonly id: number; readonly name: string }>`SELECT migration_id AS id, name FROM ${
        sql(migrationsTable)
      } ORDER BY migration_id`
      : undefined
    const refused = refusal({ objects, columns, recorded }, options.allowOtherTables)
    if (refused !== undefined) return yield* refused
  })

/**
 * The inspection `migrateWith` starts with, alone: refuses a PostgreSQL schema that is not
 * ennio-db's, reading only (SQLite files are inspected by `inspectSqlite` as they open).
 *
 * @since 0.1.0
 */
export const inspectWith = (
  options: { readonly allowOtherTables: boolean }
): Effect.Effect<void, DbError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.onDialectOrElse({ pg: () => inspectPostgres(options), orElse: () => Effect.void })).pipe(
      Effect.catchAllDefect((defect) => Effect.fail(migrationFailure(defect))),
      Effect.catchIf((error) => !(error instanceof DbError), (error) => Effect.fail(migrationFailure(error)))
    )

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
 * lock). Refuses, before writing anything, a database that records a migration this module
 * does not know (it was written by a newer version), and on PostgreSQL a schema that is not
 * ennio-db's (SQLite files are inspected by `inspectSqlite` as they open). Returns what it
 * applied, `[id, name]` in order.
 *
 * @since 0.1.0
 */
export const migrateWith = (
  options: { readonly allowOtherTables: boolean }
): Effect.Effect<ReadonlyArray<readonly [id: number, name: string]>, DbError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.zipRight(
      inspectWith(options),
      Effect.flatMap(recordedMigrationId, (recorded) =>
        // Up to date, the common start: a few reads, no lock, no transaction.
        recorded === latestMigrationId ? Effect.succeed([]) : sql.onDialectOrElse({
          pg: () => postgresRun,
          orElse: () => checkedRun
        }))
    )).pipe(
      Effect.catchAllDefect((defect) => Effect.fail(migrationFailure(defect))),
      Effect.catchIf((error) => !(error instanceof DbError), (error) => Effect.fail(migrationFailure(error))),
      Effect.withSpan("Database.migrate", { captureStackTrace: false })
    )

/**
 * `migrateWith` refusing a database that holds other programs' tables.
 *
 * @since 0.1.0
 */
export const migrate: Effect.Effect<ReadonlyArray<readonly [id: number, name: string]>, DbError, SqlClient.SqlClient> =
  migrateWith({ allowOtherTables: false })
