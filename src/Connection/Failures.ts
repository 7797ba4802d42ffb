/**
 * The one mapping from driver failures (better-sqlite3's SQLite result codes, PostgreSQL's
 * SQLSTATEs, socket errors) to `DbError` and its reasons, used by every path that runs SQL:
 * the repositories, transactions, group commit, the migrations and the SQLite open.
 *
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as path from "node:path"
import { DbError, type DbErrorReason } from "../Schemas/Errors.js"

/** @since 0.1.0 */
export const isSqlError = (u: unknown): u is SqlError => (u as { _tag?: unknown } | undefined)?._tag === "SqlError"

/** The driver's code: a SQLite extended result code (`SQLITE_FULL`), a SQLSTATE or a socket error. */
const codeOf = (cause: unknown): string => {
  const code = (cause as { readonly code?: unknown } | undefined)?.code
  return typeof code === "string" ? code : ""
}

const messageOf = (cause: unknown): string => {
  const message = (cause as { readonly message?: unknown } | undefined)?.message
  return typeof message === "string" ? message : ""
}

const sqlCode = (error: SqlError): string => codeOf(error.cause)

/**
 * Whether SQLite refused because another connection holds a lock it needs: the statement did
 * nothing, and may be run again.
 *
 * @since 0.1.0
 */
export const isSqliteBusy = (cause: unknown): boolean => codeOf(cause).startsWith("SQLITE_BUSY")

// SQLSTATEs and socket errors that mean the connection, not the statement, failed.
const connectionCodes: ReadonlySet<string> = new Set([
  "57P01", // admin_shutdown: the server is shutting down or restarting
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: the server is starting up
  "57P05", // idle_session_timeout
  "25P03", // idle_in_transaction_session_timeout
  "53300", // too_many_connections
  "3D000", // the database does not exist (it was dropped)
  "28000", // invalid_authorization_specification
  "28P01", // invalid_password
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN"
])

const connectionMessages = new RegExp(
  [
    "Connection terminated", // the socket closed under a query (pg)
    "Connection error", // @effect/sql-pg: the client emitted an error mid-query
    "not queryable", // a client whose connection already failed
    "timeout exceeded when trying to connect",
    "Client was closed"
  ].join("|"),
  "i"
)

// The layer's own connection was closed: better-sqlite3's closed handle, pg's ended pool.
const closedMessages = /The database connection is not open|Cannot use a pool after calling end/i

// PostgreSQL's SQLSTATEs for the faults of the environment.
const postgresReasons: ReadonlyMap<string, DbErrorReason> = new Map([
  ["55P03", "Busy"], // lock_not_available: lock_timeout, NOWAIT
  ["40001", "Busy"], // serialization_failure
  ["40P01", "Busy"], // deadlock_detected
  ["53100", "DiskFull"], // disk_full
  ["58000", "IoError"], // system_error
  ["58030", "IoError"], // io_error
  ["25006", "ReadOnly"], // read_only_sql_transaction: a standby, or default_transaction_read_only
  ["XX001", "Corrupt"], // data_corrupted
  ["XX002", "Corrupt"] // index_corrupted
])

const sqliteReason = (code: string): DbErrorReason | undefined => {
  // The primary code is the extended code up to its second underscore: SQLITE_IOERR_WRITE → SQLITE_IOERR.
  const primary = code.split("_", 2).join("_")
  switch (primary) {
    case "SQLITE_BUSY":
    case "SQLITE_LOCKED":
      return "Busy"
    case "SQLITE_FULL":
      return "DiskFull"
    case "SQLITE_IOERR":
    case "SQLITE_CANTOPEN":
      return "IoError"
    case "SQLITE_READONLY":
      return "ReadOnly"
    case "SQLITE_CORRUPT":
    case "SQLITE_NOTADB":
      return "Corrupt"
    case "SQLITE_CONSTRAINT":
      return "Constraint"
  }
  return undefined
}

/**
 * Whether a driver failure is the connection's rather than the statement's: PostgreSQL's
 * server went away, restarted or refused the login. (SQLite reports those when it opens.)
 *
 * @since 0.1.0
 */
export const isConnectionFailure = (error: SqlError): boolean => {
  const code = sqlCode(error)
  if (code.startsWith("08") || connectionCodes.has(code)) return true
  return connectionMessages.test(messageOf(error.cause)) || connectionMessages.test(error.message)
}

/**
 * The reason a driver failure is, whichever the backend. See the README's error model.
 *
 * @since 0.1.0
 */
export const reasonOf = (error: SqlError): DbErrorReason => {
  if (closedMessages.test(messageOf(error.cause))) return "Closed"
  const code = sqlCode(error)
  if (code.startsWith("SQLITE_")) return sqliteReason(code) ?? "Query"
  if (code.startsWith("23")) return "Constraint"
  if (isConnectionFailure(error)) return "Connection"
  return postgresReasons.get(code) ?? (code.startsWith("58") ? "IoError" : "Query")
}

const environmentFaults: ReadonlySet<DbErrorReason> = new Set([
  "Connection",
  "Busy",
  "DiskFull",
  "IoError",
  "ReadOnly",
  "Corrupt",
  "Closed"
])

/**
 * Whether a reason is a fault of the environment (the server, the disk, a lock, the layer's
 * life) rather than of the statement or its input.
 *
 * @since 0.1.0
 */
export const isEnvironmentFault = (reason: DbErrorReason): boolean => environmentFaults.has(reason)

/** @since 0.1.0 */
export const describeSqlError = (error: SqlError): string => {
  const cause = error.cause as { message?: unknown; code?: unknown } | undefined
  const detail = typeof cause?.message === "string" ? cause.message : String(error.cause)
  return typeof cause?.code === "string" ? `${error.message}: ${detail} (${cause.code})` : `${error.message}: ${detail}`
}

/**
 * Maps a driver failure to `DbError`, its reason by `reasonOf`.
 *
 * @since 0.1.0
 */
export const queryError = (error: SqlError): DbError =>
  new DbError({ reason: reasonOf(error), message: describeSqlError(error), cause: error })

/**
 * Whether a failure is a duplicate key (a primary-key or unique constraint).
 *
 * @since 0.1.0
 */
export const isDuplicateKey = (error: SqlError): boolean => {
  const code = sqlCode(error)
  return code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "23505"
}

/**
 * Whether a failure is a reference to a missing parent row.
 *
 * @since 0.1.0
 */
export const isMissingParent = (error: SqlError): boolean => {
  const code = sqlCode(error)
  return code === "SQLITE_CONSTRAINT_FOREIGNKEY" || code === "23503"
}

/**
 * Whether a failure is an arithmetic result the database cannot hold: SQLite's "integer
 * overflow" of a SUM, PostgreSQL's numeric_value_out_of_range.
 *
 * @since 0.1.0
 */
export const isNumericOverflow = (error: SqlError): boolean =>
  sqlCode(error) === "22003" || messageOf(error.cause).includes("integer overflow")

/**
 * Runs `effect` in one transaction of `sql`: a driver failure anywhere in it, its COMMIT or
 * its ROLLBACK included, is the `DbError` of `queryError`, and nothing of it is kept.
 *
 * @since 0.1.0
 */
export const transaction = (sql: SqlClient.SqlClient) =>
<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | DbError, R> =>
  sql.withTransaction(effect).pipe(
    Effect.catchSomeDefect((defect) => isSqlError(defect) ? Option.some(Effect.fail(defect)) : Option.none()),
    Effect.catchIf(isSqlError, (error) => Effect.fail(queryError(error)))
  ) as Effect.Effect<A, E | DbError, R>

/**
 * @effect/sql turns a failed COMMIT or ROLLBACK into a defect. Those fail for reasons of the
 * environment (a full disk, a lost connection, a serialization failure), so here they stay
 * `SqlError` failures, which every caller maps into the error model.
 *
 * @since 0.1.0
 */
export const typedTransactions = (client: SqlClient.SqlClient): void => {
  const withTransaction = client.withTransaction
  ;(client as { withTransaction: SqlClient.SqlClient["withTransaction"] }).withTransaction = (effect) =>
    Effect.catchSomeDefect(
      withTransaction(effect),
      (defect) => isSqlError(defect) ? Option.some(Effect.fail(defect)) : Option.none()
    )
}

/**
 * Why `filename` cannot be written, when that is so: its mount is read-only, or this user may
 * read the file but not write it or its folder (where SQLite keeps the -wal and -shm files).
 */
const readOnlyLocation = (filename: string): string | undefined => {
  const denied = (target: string, mode: number): string | undefined => {
    try {
      fs.accessSync(target, mode)
      return undefined
    } catch (error) {
      return codeOf(error) || "EACCES"
    }
  }
  const why = (code: string, what: string) =>
    code === "EROFS"
      ? `${what} is on a read-only file system`
      : code === "EACCES" || code === "EPERM"
      ? `${what} is read-only for this user (permission denied)`
      : undefined
  if (fs.existsSync(filename)) {
    // A file this user cannot read is not read-only: it is unreadable.
    if (denied(filename, fs.constants.R_OK) !== undefined) return undefined
    const file = why(denied(filename, fs.constants.W_OK) ?? "", "the file")
    if (file !== undefined) return file
  }
  // The folder it would be created in: the nearest that exists.
  let folder = path.dirname(path.resolve(filename))
  while (!fs.existsSync(folder) && path.dirname(folder) !== folder) folder = path.dirname(folder)
  return why(denied(folder, fs.constants.W_OK) ?? "", "its folder")
}

// Open failures that a read-only location explains: SQLite's "unable to open database file"
// and "attempt to write a readonly database", and the file system's own refusals (a recursive
// mkdir on a read-only mount says ENOENT).
const readOnlySymptom = /^(SQLITE_CANTOPEN|SQLITE_READONLY|SQLITE_IOERR|EROFS|EACCES|EPERM|ENOENT)/

// Node's errno codes for the same faults, met while creating the file or its folders.
const errnoReasons: ReadonlyMap<string, DbErrorReason> = new Map([["ENOSPC", "DiskFull"], ["EDQUOT", "DiskFull"], [
  "EIO",
  "IoError"
]])

/**
 * Maps a failure to open a SQLite file. A location that cannot be written is `ReadOnly` (SQLite
 * itself says only "unable to open database file"); a fault of the environment keeps its
 * reason; anything else (not a database, unreadable, a bad path) is `Connection`.
 *
 * @since 0.1.0
 */
export const sqliteOpenError = (filename: string, error: unknown): DbError => {
  const prefix = `Cannot open database ${filename}`
  if (error instanceof DbError) {
    return new DbError({ reason: error.reason, message: `${prefix}: ${error.message}`, cause: error })
  }
  const code = codeOf(error)
  const detail = messageOf(error) || String(error)
  const readOnly = readOnlySymptom.test(code) ? readOnlyLocation(filename) : undefined
  if (readOnly !== undefined) {
    return new DbError({ reason: "ReadOnly", message: `${prefix}: ${readOnly} (${detail})`, cause: error })
  }
  const reason = code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CANTOPEN")
    ? "Connection"
    : sqliteReason(code) ?? errnoReasons.get(code) ?? "Connection"
  const shown = code === "" || detail.includes(code) ? detail : `${detail} (${code})`
  return new DbError({ reason, message: `${prefix}: ${shown}`, cause: error })
}
