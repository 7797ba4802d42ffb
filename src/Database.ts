/**
 * The database layer: parses the URL, opens the connection (SQLite, or PostgreSQL for a
 * `postgres://` URL), runs the embedded migrations, and provides `SqlClient` to the
 * repositories.
 *
 * @since 0.1.0
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqlClient from "@effect/sql/SqlClient"
import { SqliteClient } from "@effect/sql-sqlite-node/SqliteClient"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { Backend } from "./Connection/Backend.js"
import type * as PostgresBackend from "./Connection/PostgresBackend.js"
import { transaction as typedTransaction } from "./Connection/Failures.js"
import * as SqliteBackend from "./Connection/SqliteBackend.js"
import { readOnlyUrl } from "./Connection/PostgresReadOnly.js"
import { inspectSqlite, inspectWith, migrate, migrateWith } from "./Migrations/index.js"
import { DbError } from "./Schemas/Errors.js"

/** @since 0.1.0 */
export type Synchronous = "normal" | "full"

/**
 * What the database layer provides, whichever the backend: the `SqlClient` and the `Backend`
 * the repositories run their statements through. The driver's own client is there too, as `SqliteClient` or as
 * `PgClient`, for `Effect.serviceOption`; `layerMemory` provides `SqliteClient` in its type.
 *
 * @since 0.1.0
 */
export type DatabaseServices = SqlClient.SqlClient | Backend | MigrationsApplied

/**
 * The migrations the layer applied as it opened the database, `[id, name]` in order: empty
 * when it was up to date.
 *
 * @since 0.1.0
 */
export class MigrationsApplied extends Context.Tag("ennio-db/MigrationsApplied")<
  MigrationsApplied,
  ReadonlyArray<readonly [id: number, name: string]>
>() {}

/** @since 0.1.0 */
export interface DatabaseOptions {
  /**
   * `sqlite:ennio.db`, `sqlite:relative/or/absolute.db`, `sqlite://path`, `sqlite::memory:`,
   * or `postgres://user:password@host:port/database` (also `postgresql://`).
   */
  readonly url: string
  /** SQLite's `synchronous`: `normal` (the default, safe in WAL mode) or `full` (survives power loss). */
  readonly synchronous?: Synchronous | undefined
  /**
   * SQLite: how long a statement waits for another connection's lock before failing with
   * `DbError` reason `Busy` (default 10,000 ms). The process keeps running while it waits.
   */
  readonly busyTimeoutMs?: number | undefined
  /**
   * Open a database that holds other programs' tables as well, adding ennio-db's tables beside
   * them (default `false`: such a database is refused untouched). Tables with ennio-db's names
   * must still be ennio-db's own. A SQLite file is switched to WAL mode.
   */
  readonly allowOtherTables?: boolean | undefined
  /**
   * Open for reading only (default `false`): nothing is created, migrated or switched, and a
   * write fails with `DbError` reason `ReadOnly`. A SQLite file must exist and is read in the
   * journal mode it is in; a PostgreSQL session starts every transaction READ ONLY. A database
   * that is not ennio-db's is still refused; one that lacks migrations is opened as it is
   * (`MigrationsApplied` is always empty).
   */
  readonly readOnly?: boolean | undefined
}

/**
 * A database URL, parsed.
 *
 * @since 0.1.0
 */
export type DatabaseTarget =
  | { readonly _tag: "SqliteFile"; readonly filename: string }
  | { readonly _tag: "SqliteMemory" }
  | {
    readonly _tag: "Postgres"
    /** The URL as given, password included. */
    readonly url: Redacted.Redacted<string>
    /** The URL with its password masked (`postgres://user:***@host:5432/db`): for messages and logs. */
    readonly display: string
  }

/** @since 0.1.0 */
export const acceptedUrlForms =
  "sqlite:ennio.db, sqlite:relative/or/absolute.db, sqlite://path, sqlite::memory:, " +
  "postgres://user:password@host:port/database (or postgresql://)"

/** @since 0.1.0 */
export const defaultUrl = "sqlite:ennio.db"

/**
 * A database URL fit for a message or a log line: the password of `scheme://user:password@…`
 * and a `password=` query parameter become `***`.
 *
 * @since 0.1.0
 */
export const redactUrl = (url: string): string => {
  let redacted = url
  const start = url.indexOf("://")
  if (start !== -1) {
    const authorityStart = start + 3
    const at = url.lastIndexOf("@")
    if (at > authorityStart) {
      const userinfo = url.slice(authorityStart, at)
      const colon = userinfo.indexOf(":")
      if (colon !== -1) redacted = `${url.slice(0, authorityStart)}${userinfo.slice(0, colon)}:***${url.slice(at)}`
    }
  }
  return redacted.replace(/([?&]password=)[^&#]*/gi, "$1***")
}

const isPostgresUrl = (url: string) => /^postgres(?:ql)?:\/\//i.test(url)

/**
 * Parses a database URL, or explains which forms are accepted. The password of a refused
 * URL is not repeated in the message.
 *
 * @since 0.1.0
 */
export const parseUrl = (url: string): Either.Either<DatabaseTarget, DbError> => {
  const refuse = (why: string) =>
    Either.left(
      new DbError({
        reason: "Connection",
        message: `Unsupported database URL ${JSON.stringify(redactUrl(url))}: ${why}. ` +
          `Accepted forms: ${acceptedUrlForms}`
      })
    )
  if (isPostgresUrl(url)) {
    try {
      new URL(url)
    } catch {
      return refuse("not a valid URL")
    }
    return Either.right({ _tag: "Postgres", url: Redacted.make(url), display: redactUrl(url) })
  }
  if (!url.startsWith("sqlite:")) return refuse(url.trim() === "" ? "it is empty" : "unknown scheme")
  if (url === "sqlite::memory:") return Either.right({ _tag: "SqliteMemory" })
  const filename = url.startsWith("sqlite://") ? url.slice("sqlite://".length) : url.slice("sqlite:".length)
  if (filename === "" || filename.includes("\0")) return refuse("no file path")
  return Either.right({ _tag: "SqliteFile", filename })
}

// How long a statement waits for another connection's lock before failing, by default.
const defaultBusyTimeoutMs = 10_000

const makeSqlite = (target: Exclude<DatabaseTarget, { _tag: "Postgres" }>, options: DatabaseOptions) =>
  Effect.gen(function*() {
    const readOnly = options.readOnly === true
    if (readOnly && target._tag === "SqliteMemory") {
      return yield* new DbError({
        reason: "Connection",
        message: "A private in-memory database cannot be opened for reading only: it would hold nothing"
      })
    }
    const { backend, client } = yield* SqliteBackend.make({
      filename: target._tag === "SqliteMemory" ? ":memory:" : target.filename,
      synchronous: options.synchronous ?? "normal",
      busyTimeoutMs: options.busyTimeoutMs ?? defaultBusyTimeoutMs,
      inspect: inspectSqlite({ allowOtherTables: options.allowOtherTables ?? false }),
      readOnly
    })
    const applied = readOnly ? [] : yield* Effect.provideService(migrate, SqlClient.SqlClient, client)
    return Context.make(SqliteClient, client).pipe(
      Context.add(SqlClient.SqlClient, client),
      Context.add(Backend, backend),
      Context.add(MigrationsApplied, applied)
    )
  })

// Loaded on first use: a SQLite program never evaluates the PostgreSQL driver.
const loadPostgres = Effect.promise((): Promise<typeof PostgresBackend> => import("./Connection/PostgresBackend.js"))

const makePostgres = (target: Extract<DatabaseTarget, { _tag: "Postgres" }>, options: DatabaseOptions) =>
  Effect.gen(function*() {
    const { make } = yield* loadPostgres
    const readOnly = options.readOnly === true
    const url = readOnly ? Redacted.make(readOnlyUrl(Redacted.value(target.url))) : target.url
    const context = yield* make({ url, display: target.display })
    const allowOtherTables = options.allowOtherTables ?? false
    const opening = readOnly ? Effect.as(inspectWith({ allowOtherTables }), []) : migrateWith({ allowOtherTables })
    const applied = yield* Effect.provide(opening, context)
      .pipe(
        Effect.mapError((error) =>
          new DbError({
            reason: error.reason,
            message: `Cannot open database ${target.display}: ${error.message}`,
            cause: error
          })
        )
      )
    return Context.add(context, MigrationsApplied, applied)
  })

const makeClient = (options: DatabaseOptions): Effect.Effect<
  Context.Context<DatabaseServices>,
  DbError,
  Scope.Scope | Reactivity.Reactivity
> =>
  Effect.flatMap(
    parseUrl(options.url),
    (target): Effect.Effect<Context.Context<DatabaseServices>, DbError, Scope.Scope | Reactivity.Reactivity> =>
      target._tag === "Postgres" ? makePostgres(target, options) : makeSqlite(target, options)
  )

/**
 * Opens the database at `url` (SQLite, or PostgreSQL for `postgres://` and `postgresql://`),
 * migrates it, and provides `SqlClient`. Nothing can query before the migrations have
 * finished. A server that cannot be reached, or refuses the login, fails the layer with
 * `DbError` reason `Connection`; no message carries the password. A database that is not
 * ennio-db's (another program's tables, or tables named like ennio-db's with other columns)
 * is refused with reason `Migration` before anything is written to it.
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
export const layerMemory: Layer.Layer<DatabaseServices | SqliteClient, DbError> = Layer.scopedContext(
  makeSqlite({ _tag: "SqliteMemory" }, { url: "sqlite::memory:" })
).pipe(Layer.provide(Reactivity.layer))

// The mapping of driver failures, once exported from here: it lives with the connections now.
export {
  /** @since 0.1.0 */
  describeSqlError,
  /** @since 0.1.0 */
  isConnectionFailure,
  /** @since 0.1.0 */
  isSqlError,
  /** @since 0.1.0 */
  queryError
} from "./Connection/Failures.js"

/**
 * Runs `effect` in one transaction: every repository operation inside commits together,
 * and any failure (a typed error or a defect) rolls all of it back. Nested calls become
 * savepoints. A COMMIT or ROLLBACK that fails (a full disk, a lost connection) is a
 * `DbError` with that fault's reason, not a defect, and nothing of the transaction is kept.
 * On SQLite, BEGIN waits for another connection's write lock without blocking the process.
 *
 * @since 0.1.0
 */
export const transaction = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E | DbError, R | SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => typedTransaction(sql)(effect))
