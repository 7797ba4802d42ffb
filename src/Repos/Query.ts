/**
 * How a repository asks the database, shaped like @effect/sql's `SqlSchema`: a statement in,
 * rows decoded by the table's row codec out, every driver failure a `DbError` (see
 * Connection/Failures), and statements run by the backend's fastest path. A repository method
 * is then what it asks: validate, one of these, a span.
 *
 * @since 0.1.0
 */
import type { SqlError } from "@effect/sql/SqlError"
import type * as Statement from "@effect/sql/Statement"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type { BackendShape, Table, TableRow } from "../Connection/Backend.js"
import { isDuplicateKey, isMissingParent, queryError } from "../Connection/Failures.js"
import { columnName } from "../Schemas/Column.js"
import { AlreadyExists, DbError, NotFound } from "../Schemas/Errors.js"
import type * as RowCodec from "../Schemas/RowCodec.js"
import { StorableUtc } from "../Schemas/Timestamp.js"
import * as Spans from "../Spans.js"
import { firstIssue } from "./Input.js"

/**
 * Decodes the stored rows of one table, or fails with `DbError` reason `Decode` naming the
 * table, the row's key and the column.
 *
 * @since 0.1.0
 */
export interface RowDecoder<A> {
  /** A row as an object of its columns. */
  readonly one: (row: unknown) => Either.Either<A, DbError>
  /** A row as the array of the codec's columns, in order. */
  readonly oneValues: (values: ReadonlyArray<unknown>) => Either.Either<A, DbError>
  readonly allValues: (rows: ReadonlyArray<ReadonlyArray<unknown>>) => Either.Either<Array<A>, DbError>
  /** The key column's value of a row as the array of the codec's columns. */
  readonly keyOf: (values: ReadonlyArray<unknown>) => unknown
}

/** @since 0.1.0 */
export const rowDecoder = <A, I>(codec: RowCodec.RowCodec<A, I>, table: string, keyColumn: string): RowDecoder<A> => {
  const keyIndex = codec.columns.indexOf(keyColumn)
  const failure = (error: ParseResult.ParseError, key: unknown) => {
    const { message, path } = firstIssue(error)
    return new DbError({
      reason: "Decode",
      message: `Cannot decode ${table} row ${JSON.stringify(key)}, column ${columnName(path)}: ${message}`,
      cause: error
    })
  }
  const oneValues = (values: ReadonlyArray<unknown>): Either.Either<A, DbError> =>
    Either.mapLeft(codec.decodeValues(values), (error) => failure(error, values[keyIndex]))
  return {
    one: (row) => Either.mapLeft(codec.decode(row), (error) => failure(error, (row as Record<string, unknown>)[keyColumn])),
    oneValues,
    keyOf: (values) => values[keyIndex],
    allValues: (rows) => {
      const out: Array<A> = new Array(rows.length)
      for (let i = 0; i < rows.length; i++) {
        const result = oneValues(rows[i]!)
        if (Either.isLeft(result)) return Either.left(result.left)
        out[i] = result.right
      }
      return Either.right(out)
    }
  }
}

/**
 * A failed insert: a duplicate key is `AlreadyExists`, anything else the `DbError` of
 * `queryError`.
 *
 * @since 0.1.0
 */
export const insertFailure = (entity: string, id: string) => (error: SqlError): AlreadyExists | DbError =>
  isDuplicateKey(error) ? new AlreadyExists({ entity, id }) : queryError(error)

/**
 * A failed insert of a row that references a parent: as `insertFailure`, and a missing parent
 * is `NotFound`.
 *
 * @since 0.1.0
 */
export const childInsertFailure =
  (entity: string, id: string, parent: { readonly entity: string; readonly id: string }) =>
  (error: SqlError): AlreadyExists | NotFound | DbError =>
    isMissingParent(error) ? new NotFound(parent) : insertFailure(entity, id)(error)

/**
 * A failed write of a row whose parent may be missing (an upsert cannot hit a duplicate key):
 * `NotFound` for the parent, anything else the `DbError` of `queryError`.
 *
 * @since 0.1.0
 */
export const parentFailure = (parent: { readonly entity: string; readonly id: string }) =>
(error: SqlError): NotFound | DbError => isMissingParent(error) ? new NotFound(parent) : queryError(error)

/**
 * The queries of one table, whose rows `decode` reads: each runs its statement on the backend
 * and maps every driver failure into the error model.
 *
 * @since 0.1.0
 */
export const make = <A>(backend: BackendShape, decode: RowDecoder<A>) => {
  const values = (statement: Statement.Statement<any>) => Effect.mapError(backend.values(statement), queryError)
  return {
    /** Every row the statement selects (the codec's columns, in order), decoded. */
    findAll: (statement: Statement.Statement<any>): Effect.Effect<Array<A>, DbError> =>
      Effect.flatMap(values(statement), decode.allValues),
    /** Every row the statement selects (the codec's columns, then a change log's position), decoded, with its position. */
    findPositioned: (
      statement: Statement.Statement<any>
    ): Effect.Effect<Array<readonly [position: number, row: A]>, DbError> =>
      Effect.flatMap(values(statement), (rows) => {
        const out: Array<readonly [number, A]> = new Array(rows.length)
        for (let i = 0; i < rows.length; i++) {
          const values = rows[i]!
          const result = decode.oneValues(values)
          if (Either.isLeft(result)) return Either.left(result.left)
          out[i] = [Number(values[values.length - 1]), result.right]
        }
        return Either.right(out)
      }),
    /** Every row the statement selects, each decoded or its `Decode` error: for a reader that shows the rest. */
    findEach: (statement: Statement.Statement<any>): Effect.Effect<Array<Either.Either<A, DbError>>, DbError> =>
      Effect.map(values(statement), (rows) => rows.map(decode.oneValues)),
    /** The first row the statement selects, if any. */
    findOne: (statement: Statement.Statement<any>): Effect.Effect<Option.Option<A>, DbError> =>
      Effect.flatMap(
        values(statement),
        (rows): Either.Either<Option.Option<A>, DbError> =>
          rows.length === 0 ? Either.right(Option.none()) : Either.map(decode.oneValues(rows[0]!), Option.some)
      ),
    /** The first row the statement selects (or a write returns), or `notFound`. */
    single: (statement: Statement.Statement<any>, notFound: () => NotFound): Effect.Effect<A, NotFound | DbError> =>
      Effect.flatMap(
        values(statement),
        (rows): Either.Either<A, NotFound | DbError> =>
          rows.length === 0 ? Either.left(notFound()) : decode.oneValues(rows[0]!)
      ),
    /** The rows a write returns, each with its key and decoded or its `Decode` error: for a batch whose callers fail alone. */
    returningEach: (
      statement: Statement.Statement<any>
    ): Effect.Effect<Array<readonly [key: unknown, row: Either.Either<A, DbError>]>, DbError> =>
      Effect.map(values(statement), (rows) => rows.map((row) => [decode.keyOf(row), decode.oneValues(row)] as const)),
    /** The rows a write returns (`RETURNING` the codec's columns), decoded; a failed write is `failure`'s. */
    returning: <E = DbError>(
      statement: Statement.Statement<any>,
      failure: (error: SqlError) => E | DbError = queryError
    ): Effect.Effect<Array<A>, E | DbError> =>
      Effect.flatMap(Effect.mapError(backend.values(statement), failure), decode.allValues)
  }
}

/**
 * `find` (an `Option`) and `get` (`NotFound` when absent) of a row by its key, validated
 * before any SQL, each in a span `<repository>.find` / `.get` with the key as `attribute`:
 * the one lookup every repository has.
 *
 * @since 0.1.0
 */
export const lookup = <K, A>(
  query: ReturnType<typeof make<A>>,
  options: {
    readonly repository: string
    readonly entity: string
    readonly attribute: string
    readonly validate: (key: string) => Either.Either<K, DbError>
    readonly select: (key: K) => Statement.Statement<any>
  }
) => {
  const notFound = (key: string) => () => new NotFound({ entity: options.entity, id: key })
  return {
    find: (key: string): Effect.Effect<Option.Option<A>, DbError> =>
      Effect.flatMap(options.validate(key), (valid) => query.findOne(options.select(valid))).pipe(
        Spans.operation(`${options.repository}.find`, { [options.attribute]: key })
      ),
    get: (key: string): Effect.Effect<A, NotFound | DbError> =>
      Effect.flatMap(options.validate(key), (valid) => query.single(options.select(valid), notFound(key))).pipe(
        Spans.operation(`${options.repository}.get`, { [options.attribute]: key })
      )
  }
}

/**
 * Queries whose rows are not a table's (counts, ids, aggregates), and writes for their effect.
 * A failed statement is `failure`'s (by default the `DbError` of `queryError`).
 *
 * @since 0.1.0
 */
export const plain = (backend: BackendShape) => ({
  /** The rows as objects, undecoded. */
  rows: <R extends object, E = DbError>(
    statement: Statement.Statement<R>,
    failure: (error: SqlError) => E | DbError = queryError
  ): Effect.Effect<ReadonlyArray<R>, E | DbError> => Effect.mapError(backend.run(statement), failure),
  /** Runs a statement for its effect. */
  void: <E = DbError>(
    statement: Statement.Statement<any>,
    failure: (error: SqlError) => E | DbError = queryError
  ): Effect.Effect<void, E | DbError> => Effect.asVoid(Effect.mapError(backend.run(statement), failure)),
  /** Inserts rows into `table` (see `Backend.insertRows`). */
  insertRows: <E = DbError>(
    table: Table,
    rows: ReadonlyArray<TableRow>,
    failure: (error: SqlError) => E | DbError = queryError
  ): Effect.Effect<void, E | DbError> => Effect.mapError(backend.insertRows(table, rows), failure)
})

/**
 * The hours an hourly read covers: `hours` (1 to 168, a week) consecutive hours from `since`.
 *
 * @since 0.1.0
 */
export interface HourlyOptions {
  readonly since: DateTime.Utc
  readonly hours: number
}

/** @since 0.1.0 */
export const HourlyOptionsInput = Schema.Struct({
  since: StorableUtc,
  hours: Schema.Int.pipe(Schema.between(1, 168, { message: () => "must be an integer from 1 to 168" }))
})

/**
 * What an hourly chart asks: `hours` consecutive hours from `since`, each the sum of `value`
 * over the rows whose `instant` falls in it (`since` inclusive, each end exclusive). One range
 * scan of the time index, grouped by hour: `select` names each row's `hour` and `total`.
 *
 * @since 0.1.0
 */
export const hourlySums = (
  sql: Statement.Constructor,
  options: {
    readonly instant: Statement.Fragment
    readonly at: (dateTime: DateTime.DateTime) => Statement.Fragment
    readonly since: DateTime.Utc
    readonly hours: number
    readonly value: Statement.Fragment
  }
) => {
  const { at, hours, instant, since, value } = options
  const hourStart = (hour: number) => at(DateTime.add(since, { hours: hour }))
  // Each row's hour, as a bound number: the first hour whose end is past the row's instant.
  const arms = Array.from({ length: hours }, (_, hour) => sql`WHEN ${instant} < ${hourStart(hour + 1)} THEN CAST(${hour} AS INTEGER)`)
  return {
    select: sql`CASE ${sql.join(" ", false)(arms)} END AS hour, SUM(${value}) AS total`,
    within: sql`${instant} >= ${hourStart(0)} AND ${instant} < ${hourStart(hours)}`,
    /** The totals of the rows the grouped select returns, hour by hour (0 for an hour without rows). */
    read: (rows: ReadonlyArray<{ readonly hour: unknown; readonly total: unknown }>): Array<number> => {
      const totals: Array<number> = new Array(hours).fill(0)
      for (const row of rows) totals[Number(row.hour)] = Number(row.total ?? 0)
      return totals
    }
  }
}
