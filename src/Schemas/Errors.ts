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

/** @since 0.1.0 */
export const DbErrorReason = Schema.Literal("Connection", "Migration", "Query", "Constraint", "Decode", "InvalidInput")
/** @since 0.1.0 */
export type DbErrorReason = typeof DbErrorReason.Type

/**
 * Everything else that can go wrong, with a reason to match on:
 * `Connection` (cannot open or reach the database), `Migration` (a migration failed or the
 * database is newer than this module), `Query` (the statement failed), `Constraint` (a
 * constraint other than a duplicate id or a missing parent), `Decode` (a stored row does
 * not match its schema), `InvalidInput` (the input was refused before any SQL ran).
 *
 * @since 0.1.0
 */
export class DbError extends Schema.TaggedError<DbError>()("DbError", {
  reason: DbErrorReason,
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {}

/** @since 0.1.0 */
export type RepoError = NotFound | AlreadyExists | DbError
