/**
 * The three expected failures of every operation.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * No row with that id.
 *
 * @since 0.1.0
 */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  entity: Schema.String,
  id: Schema.String
}) {
  override get message(): string {
    return `${this.entity} ${JSON.stringify(this.id)} not found`
  }
}

/**
 * A row with that id exists already.
 *
 * @since 0.1.0
 */
export class AlreadyExists extends Schema.TaggedError<AlreadyExists>()("AlreadyExists", {
  entity: Schema.String,
  id: Schema.String
}) {
  override get message(): string {
    return `${this.entity} ${JSON.stringify(this.id)} already exists`
  }
}

/**
 * Why a `DbError` happened. The first six are the statement's or the input's; the rest are
 * faults of the environment, each named so a caller can act on it (see `DbError.retryable`).
 *
 * @since 0.1.0
 */
export const DbErrorReason = Schema.Literal(
  "Connection",
  "Migration",
  "Query",
  "Constraint",
  "Decode",
  "InvalidInput",
  "Busy",
  "DiskFull",
  "IoError",
  "ReadOnly",
  "Corrupt",
  "Closed"
)
/** @since 0.1.0 */
export type DbErrorReason = typeof DbErrorReason.Type

// The reasons whose operation may succeed if made again, without anyone fixing anything.
const retryableReasons: ReadonlySet<DbErrorReason> = new Set(["Busy", "Connection"])

/**
 * Everything else that can go wrong, with a reason to match on:
 * `Connection` (cannot open or reach the database), `Migration` (a migration failed, the
 * database is newer than this module, or the file is not ennio-db's), `Query` (the statement
 * failed), `Constraint` (a constraint other than a duplicate id or a missing parent), `Decode`
 * (a stored row does not match its schema), `InvalidInput` (the input was refused before any
 * SQL ran), `Busy` (the database stayed locked by another connection, or the transaction
 * conflicted with one), `DiskFull`, `IoError`, `ReadOnly` (the file, its folder or its mount,
 * or the server, cannot be written), `Corrupt` (a damaged page or index), `Closed` (the layer
 * was closed). An operation that fails with any of them has written nothing.
 *
 * @since 0.1.0
 */
export class DbError extends Schema.TaggedError<DbError>()("DbError", {
  reason: DbErrorReason,
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  /**
   * Whether the same operation may succeed if made again later: `Busy` (the lock frees) and
   * `Connection` (a lost server connection reconnects; a server that is starting accepts).
   */
  get retryable(): boolean {
    return retryableReasons.has(this.reason)
  }

  /** `error.retryable`, as a predicate for `Effect.retry({ while: DbError.isRetryable })`. */
  static isRetryable(error: unknown): boolean {
    return error instanceof DbError && error.retryable
  }
}

/** @since 0.1.0 */
export type RepoError = NotFound | AlreadyExists | DbError
