/**
 * What every repository shares: input validation before SQL, row decoding with errors that
 * name table, row and column, and the mapping of driver failures to the error model.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type * as Statement from "@effect/sql/Statement"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { isDuplicateKey, isMissingParent } from "../Connection/Failures.js"
import { queryError, transaction } from "../Database.js"
import { columnName } from "../Schemas/Column.js"
import { AlreadyExists, DbError, NotFound } from "../Schemas/Errors.js"
import * as RowCodec from "../Schemas/RowCodec.js"

const firstIssue = (error: ParseResult.ParseError): { path: string; message: string } => {
  const [issue] = ParseResult.ArrayFormatter.formatErrorSync(error)
  return issue === undefined
    ? { path: "", message: error.message }
    : { path: issue.path.map(String).join("."), message: issue.message }
}

/**
 * Decodes caller input with `schema`, or fails with `DbError` reason `InvalidInput`
 * naming the field — before any SQL runs. The result is an `Either`: an `Effect` to yield,
 * or a value to test synchronously in a loop. `fast` (see RowCodec) accepts the valid inputs
 * it recognises without the Schema interpreter; it returns `undefined` for the rest.
 *
 * @since 0.1.0
 */
export const validator = <A, I>(
  schema: Schema.Schema<A, I>,
  what: string,
  fast: (input: unknown) => NoInfer<A> | undefined = () => undefined
) => {
  const decode = Schema.decodeUnknownEither(schema, { errors: "first", onExcessProperty: "ignore" })
  return (input: unknown): Either.Either<A, DbError> => {
    const valid = fast(input)
    if (valid !== undefined) return Either.right(valid)
    const result = decode(input)
    if (Either.isRight(result)) return result as Either.Either<A, never>
    const { message, path } = firstIssue(result.left)
    return Either.left(
      new DbError({
        reason: "InvalidInput",
        message: `Invalid ${what}${path === "" ? "" : ` ${path}`}: ${message}`,
        cause: result.left
      })
    )
  }
}

/**
 * Encodes a domain value to its row, or fails with `InvalidInput` (a value that cannot be
 * stored, such as a branded id built with a cast).
 *
 * @since 0.1.0
 */
export const encoder = <A, I>(codec: RowCodec.RowCodec<A, I>, what: string) =>
  (value: A): Either.Either<I, DbError> => {
    const result = codec.encode(value)
    if (Either.isRight(result)) return result as Either.Either<I, never>
    const { message, path } = firstIssue(result.left)
    return Either.left(
      new DbError({
        reason: "InvalidInput",
        message: `Invalid ${what}${path === "" ? "" : ` ${columnName(path)}`}: ${message}`,
        cause: result.left
      })
    )
  }

/**
 * Decodes stored rows of `table`, or fails with `DbError` reason `Decode` naming the
 * table, the row's key and the column.
 *
 * @since 0.1.0
 */
export const rowDecoder = <A, I>(codec: RowCodec.RowCodec<A, I>, table: string, keyColumn: string) => {
  const keyIndex = codec.columns.indexOf(keyColumn)
  const failure = (error: ParseResult.ParseError, key: unknown) => {
    const { message, path } = firstIssue(error)
    return new DbError({
      reason: "Decode",
      message: `Cannot decode ${table} row ${JSON.stringify(key)}, column ${columnName(path)}: ${message}`,
      cause: error
    })
  }
  const one = (row: unknown): Either.Either<A, DbError> =>
    Either.mapLeft(codec.decode(row), (error) => failure(error, (row as Record<string, unknown>)[keyColumn]))
  const all = (rows: ReadonlyArray<unknown>): Either.Either<Array<A>, DbError> => {
    const out: Array<A> = new Array(rows.length)
    for (let i = 0; i < rows.length; i++) {
      const result = one(rows[i])
      if (Either.isLeft(result)) return Either.left(result.left)
      out[i] = result.right
    }
    return Either.right(out)
  }
  /** Rows read as arrays of `codec.columns` (see `StatementRunner.values`). */
  const oneValues = (values: ReadonlyArray<unknown>): Either.Either<A, DbError> =>
    Either.mapLeft(codec.decodeValues(values), (error) => failure(error, values[keyIndex]))
  const allValues = (rows: ReadonlyArray<ReadonlyArray<unknown>>): Either.Either<Array<A>, DbError> => {
    const out: Array<A> = new Array(rows.length)
    for (let i = 0; i < rows.length; i++) {
      const result = oneValues(rows[i]!)
      if (Either.isLeft(result)) return Either.left(result.left)
      out[i] = result.right
    }
    return Either.right(out)
  }
  return { one, all, oneValues, allValues }
}

// Which constraint failed: decided with every other driver failure, in Connection/Failures.ts.
export { isDuplicateKey, isMissingParent }

/**
 * Maps a failed insert: a duplicate key is `AlreadyExists`; anything else as `queryFailure`.
 *
 * @since 0.1.0
 */
export const insertFailure = (entity: string, id: string) => (error: SqlError): AlreadyExists | DbError =>
  isDuplicateKey(error) ? new AlreadyExists({ entity, id }) : queryError(error)

/**
 * Maps a failed insert of a child row: as `insertFailure`, and a missing parent is `NotFound`.
 *
 * @since 0.1.0
 */
export const childInsertFailure =
  (entity: string, id: string, parent: { readonly entity: string; readonly id: string }) =>
  (error: SqlError): AlreadyExists | NotFound | DbError =>
    isMissingParent(error) ? new NotFound(parent) : insertFailure(entity, id)(error)

/**
 * Maps any other failed statement to `DbError`, its reason naming the fault (see
 * Connection/Failures.ts: a constraint, a lost connection, a lock, a full disk, …).
 *
 * @since 0.1.0
 */
export const queryFailure = queryError

/**
 * The column holding a row's insertion order in `sessions` and `events`, which breaks
 * timestamp ties: SQLite's rowid; on PostgreSQL, `seq` (an identity column, migration 6).
 * Elsewhere the unique id at least keeps the order total.
 *
 * @since 0.1.0
 */
export const insertionOrderColumn = (sql: SqlClient.SqlClient): Statement.Fragment =>
  sql.onDialectOrElse({
    sqlite: () => sql.literal("rowid"),
    pg: () => sql.literal("seq"),
    orElse: () => sql.literal("id")
  })


/**
 * `find` (an `Option`) and `get` (`NotFound` when absent) over one query that selects a row
 * by its key, read as values (see `StatementRunner.values`).
 *
 * @since 0.1.0
 */
export const lookup = <K, A>(options: {
  readonly validate: (key: string) => Either.Either<K, DbError>
  readonly select: (key: K) => Effect.Effect<ReadonlyArray<ReadonlyArray<unknown>>, SqlError>
  readonly decode: (values: ReadonlyArray<unknown>) => Either.Either<A, DbError>
  readonly notFound: (key: string) => NotFound
}) => {
  const rows = (key: string) =>
    Effect.flatMap(options.validate(key), (valid) => Effect.mapError(options.select(valid), queryFailure))
  return {
    find: (key: string): Effect.Effect<Option.Option<A>, DbError> =>
      Effect.flatMap(
        rows(key),
        (found): Either.Either<Option.Option<A>, DbError> =>
          found.length === 0 ? Either.right(Option.none()) : Either.map(options.decode(found[0]!), Option.some)
      ),
    get: (key: string): Effect.Effect<A, NotFound | DbError> =>
      Effect.flatMap(
        rows(key),
        (found): Either.Either<A, NotFound | DbError> =>
          found.length === 0 ? Either.left(options.notFound(key)) : options.decode(found[0]!)
      )
  }
}

/**
 * Runs a write and the decoding of the row it returns as one transaction (a savepoint inside a
 * caller's): a row that does not decode rolls the write back, so that a failure never follows
 * a commit.
 *
 * @since 0.1.0
 */
export const atomically = (sql: SqlClient.SqlClient) =>
<A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E | DbError> =>
  Effect.provideService(transaction(effect), SqlClient.SqlClient, sql)
