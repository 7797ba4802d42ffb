/**
 * The database layer: parses the URL, opens the connection, runs the embedded migrations,
 * and provides `SqlClient` (and `SqliteClient`) to the repositories.
 *
 * @since 0.1.0
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { SqliteClient } from "@effect/sql-sqlite-node/SqliteClient"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Sqlite from "./Connection/Sqlite.js"
import { StatementRunner } from "./Connection/StatementRunner.js"
import { migrate } from "./Migrations/index.js"
import { DbError } from "./Schemas/Errors.js"

/** @since 0.1.0 */
export type Synchronous = Sqlite.Synchronous

/**
 * What the database layer provides: the `SqlClient` (also as `SqliteClient`) and the
 * statement runner the repositories use.
 *
 * @since 0.1.0
 */
export type DatabaseServices = SqlClient.SqlClient | SqliteClient | StatementRunner

/** @since 0.1.0 */
export interface DatabaseOptions {
  /** `sqlite:ennio.db`, `sqlite:relative/or/absolute.db`, `sqlite://path` or `sqlite::memory:`. */
  readonly url: string
  /** SQLite's `synchronous`: `normal` (the default, safe in WAL mode) or `full` (survives power loss). */
  readonly synchronous?: Synchronous | undefined
}

/**
 * A database URL, parsed.
 *
 * @since 0.1.0
 */
export type DatabaseTarget =
  | { readonly _tag: "SqliteFile"; readonly filename: string }
  | { readonly _tag: "SqliteMemory" }

/** @since 0.1.0 */
export const acceptedUrlForms = "sqlite:ennio.db, sqlite:relative/or/absolute.db, sqlite://path, sqlite::memory:"

/** @since 0.1.0 */
export const defaultUrl = "sqlite:ennio.db"

/**
 * Parses a database URL, or explains which forms are accepted.
 *
 * @since 0.1.0
 */
export const parseUrl = (url: string): Either.Either<DatabaseTarget, DbError> => {
  const refuse = (why: string) =>
    Either.left(
      new DbError({
        reason: "Connection",
        message: `Unsupported database URL ${JSON.stringify(url)}: ${why}. Accepted forms: ${acceptedUrlForms}`
      })
    )
  if (!url.startsWith("sqlite:")) return refuse(url.trim() === "" ? "it is empty" : "unknown scheme")
  if (url === "sqlite::memory:") return Either.right({ _tag: "SqliteMemory" })
  const filename = url.startsWith("sqlite://") ? url.slice("sqlite://".length) : url.slice("sqlite:".length)
  if (filename === "" || filename.includes("\0")) return refuse("no file path")
  return Either.right({ _tag: "SqliteFile", filename })
}

// Busy timeout: how long a writer waits for another process's lock before failing.
const busyTimeoutMs = 10_000

const makeClient = (options: DatabaseOptions) =>
  Effect.gen(function*() {
    const target = yield* parseUrl(options.url)
    const { client, runner } = yield* Sqlite.make({
      filename: target._tag === "SqliteMemory" ? ":memory:" : target.filename,
      synchronous: options.synchronous ?? "normal",
      busyTimeoutMs
    })
    yield* Effect.provideService(migrate, SqlClient.SqlClient, client)
    return Context.make(SqliteClient, client).pipe(
      Context.add(SqlClient.SqlClient, client),
      Context.add(StatementRunner, runner)
    )
  })

/**
 * Opens the database at `url`, migrates it, and provides `SqlClient` and `SqliteClient`.
 * Nothing can query before the migrations have finished.
 *
 * @since 0.1.0
 */
export const layer = (options: DatabaseOptions): Layer.Layer<DatabaseServices, DbError> =>
  Layer.scopedContext(makeClient(options)).pipe(Layer.provide(Reactivity.layer))

/**
 * `layer` with the URL read from `DATABASE_URL` (default `sqlite:ennio.db`) and
 * `synchronous` from `DATABASE_SYNCHRONOUS` (default `normal`).
 *
 * @since 0.1.0
 */
export const layerConfig: Layer.Layer<DatabaseServices, DbError> = Layer.unwrapEffect(
  Effect.map(
    Config.all({
      url: Config.withDefault(Config.string("DATABASE_URL"), defaultUrl),
      synchronous: Config.withDefault(Config.literal("normal", "full")("DATABASE_SYNCHRONOUS"), "normal" as const)
    }),
    layer
  ).pipe(
    Effect.mapError((error) =>
      new DbError({ reason: "Connection", message: `Invalid database configuration: ${error}`, cause: error })
    )
  )
)

/**
 * A private in-memory database, migrated: every build of this layer gets its own.
 *
 * @since 0.1.0
 */
export const layerMemory: Layer.Layer<DatabaseServices, DbError> = layer({
  url: "sqlite::memory:"
})

/**
 * Maps a driver failure to `DbError` reason `Query`.
 *
 * @since 0.1.0
 */
export const queryError = (error: SqlError): DbError =>
  new DbError({ reason: "Query", message: describeSqlError(error), cause: error })

/** @since 0.1.0 */
export const describeSqlError = (error: SqlError): string => {
  const cause = error.cause as { message?: unknown; code?: unknown } | undefined
  const detail = typeof cause?.message === "string" ? cause.message : String(error.cause)
  return typeof cause?.code === "string" ? `${error.message}: ${detail} (${cause.code})` : `${error.message}: ${detail}`
}

/**
 * Runs `effect` in one transaction: every repository operation inside commits together,
 * and any failure (a typed error or a defect) rolls all of it back. Nested calls become
 * savepoints.
 *
 * @since 0.1.0
 */
export const transaction = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E | DbError, R | SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.withTransaction(effect).pipe(
      Effect.catchIf(
        (error): error is SqlError => (error as { _tag?: unknown })?._tag === "SqlError",
        (error) => Effect.fail(queryError(error))
      )
    ))
