/**
 * Row codecs: a row schema plus hand-written fast paths for the rows that are valid.
 *
 * Decoding a row through the generic Schema interpreter costs more than the query itself
 * (figures in the README's Performance section). The fast paths check the same rules
 * directly; whenever one declines (returns `undefined`), the Schema runs instead and reports
 * the failure. The fast paths only ever accept what the Schema accepts, with an equal result:
 * property tests in test/Schemas/RowCodec.test.ts hold them to that.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { isPlainObject, isWellFormed, jsonProblem } from "./Text.js"
import { columnName } from "./Column.js"
import { formatStorableMillis, isStorable, parseTimestamp } from "./Timestamp.js"

export { isPlainObject }

/** @since 0.1.0 */
export interface RowCodec<A, I> {
  readonly schema: Schema.Schema<A, I>
  /** The columns a row is read as, in order, for `SELECT <columnList>` and `decodeValues`. */
  readonly columns: ReadonlyArray<string>
  /** The fast paths alone: `undefined` where they decline. */
  readonly fast: FastPaths<A, I>
  /** Decodes a row read as an object of columns. */
  readonly decode: (row: unknown) => Either.Either<A, ParseResult.ParseError>
  /** Decodes a row read as an array of the values of `columns`, which spares the driver building an object. */
  readonly decodeValues: (values: ReadonlyArray<unknown>) => Either.Either<A, ParseResult.ParseError>
  readonly encode: (value: A) => Either.Either<I, ParseResult.ParseError>
}

/** @since 0.1.0 */
export interface FastPaths<A, I> {
  readonly decode: (row: Record<string, unknown>) => A | undefined
  readonly decodeValues: (values: ReadonlyArray<unknown>) => A | undefined
  readonly encode: (value: A) => I | undefined
}

const none = () => undefined

/**
 * Pairs a row schema with its columns and fast paths; with neither, the Schema alone.
 * `columnList` is the constant text of the columns, `"id, project_id, …"` (line breaks allowed).
 *
 * @since 0.1.0
 */
export const make = <A, I>(
  schema: Schema.Schema<A, I>,
  columnList = "",
  fastPaths: Omit<FastPaths<A, I>, "decode"> = { decodeValues: none, encode: none }
): RowCodec<A, I> => {
  const columns = columnList === "" ? [] : columnList.split(/\s*,\s*/)
  const slowDecode = Schema.decodeUnknownEither(schema, { errors: "first" })
  const slowEncode = Schema.encodeEither(schema, { errors: "first" })
  const valuesOf = (row: Record<string, unknown>) => columns.map((column) => row[column])
  const rowOf = (values: ReadonlyArray<unknown>) => Object.fromEntries(columns.map((column, i) => [column, values[i]]))
  const fast: FastPaths<A, I> = {
    decode: (row) => fastPaths.decodeValues(valuesOf(row)),
    decodeValues: fastPaths.decodeValues,
    encode: fastPaths.encode
  }
  return {
    schema,
    columns,
    fast,
    decode: (row) => {
      const value = typeof row === "object" && row !== null ? fast.decode(row as Record<string, unknown>) : undefined
      return value === undefined ? slowDecode(row) : Either.right(value)
    },
    decodeValues: (values) => {
      const value = fast.decodeValues(values)
      return value === undefined ? slowDecode(rowOf(values)) : Either.right(value)
    },
    encode: (value) => {
      const row = fast.encode(value)
      return row === undefined ? slowEncode(value) : Either.right(row)
    }
  }
}

/**
 * One column of a table, as its row codec reads and writes it: the field of the row class,
 * the column (`columnName(field)` unless named), how a stored value becomes the field, and how
 * the field is written. `take` and `write` throw `decline` (see `refuse`) on what they do not
 * accept, so that the Schema decides and reports.
 *
 * @since 0.1.0
 */
export interface ColumnSpec {
  readonly field: string
  readonly column?: string
  readonly take: (value: unknown) => unknown
  readonly write: (value: unknown) => unknown
}

/**
 * A nullable column's `take` and `write` (see `ColumnSpec`): `NULL` ⇄ `Option.none()`, any other
 * value through `take` / `write`.
 *
 * @since 0.1.0
 */
export const nullableColumn = (
  take: (value: unknown) => unknown,
  write: (value: unknown) => unknown
): Pick<ColumnSpec, "take" | "write"> => ({
  take: (value) => takeNullable(value, take),
  write: (value) => orNull(value as Option.Option<unknown>, write)
})

/**
 * The row codec of a table whose class `schema` has exactly the fields `specs` lists, in column
 * order: the column list, `decodeValues` and `encode` all come from that one list.
 *
 * @since 0.1.0
 */
export const table = <A, I>(
  schema: Schema.Schema<A, I> & (new(...args: Array<any>) => A),
  specs: ReadonlyArray<ColumnSpec>
): RowCodec<A, I> => {
  const columns = specs.map((spec) => spec.column ?? columnName(spec.field))
  const count = specs.length
  const blank = blankOf(schema)
  return make(schema, columns.join(", "), {
    decodeValues: (values) =>
      attempt(() => {
        // The instance is filled field by field, in the class's order: no props object to copy.
        const instance = blank()
        for (let i = 0; i < count; i++) instance[specs[i]!.field] = specs[i]!.take(values[i])
        return instance as A
      }),
    encode: (value) =>
      attempt(() => {
        const row: Record<string, unknown> = {}
        const fields = value as Record<string, unknown>
        for (let i = 0; i < count; i++) row[columns[i]!] = specs[i]!.write(fields[specs[i]!.field])
        return row as I
      })
  })
}

/** Thrown inside a fast path to decline; caught by `attempt`. */
const decline: unique symbol = Symbol("RowCodec/decline")

/** Declines from inside a fast path: the Schema decides instead. */
export const refuse = (): never => {
  throw decline
}

/**
 * Runs a fast path written with the `take*` helpers, which throw to decline.
 *
 * @since 0.1.0
 */
export const attempt = <A>(f: () => A): A | undefined => {
  try {
    return f()
  } catch (error) {
    if (error === decline) return undefined
    // JSON.stringify of a bigint or a cycle: let the Schema report it.
    if (error instanceof TypeError) return undefined
    throw error
  }
}

const idPattern = /^[A-Za-z0-9_-]+$/

/** @since 0.1.0 */
export const takeString = (value: unknown): string => {
  if (typeof value !== "string") throw decline
  return value
}

/** A string without a lone surrogate, as the `Text` schema requires. */
export const takeText = (value: unknown): string => {
  if (typeof value !== "string" || !isWellFormed(value)) throw decline
  return value
}

/** A value the `JsonValueInput` schema accepts: JSON that reads back as written. */
export const takeJsonInput = (value: unknown): unknown => {
  if (jsonProblem(value) !== undefined) throw decline
  return value
}

/** @since 0.1.0 */
export const takeId = <B extends string>(value: unknown): B => {
  if (typeof value !== "string" || !idPattern.test(value)) throw decline
  return value as B
}

/** @since 0.1.0 */
export const takeLiteral = <L extends string>(literals: ReadonlySet<string>, value: unknown): L => {
  if (typeof value !== "string" || !literals.has(value)) throw decline
  return value as L
}

/** A non-negative safe integer. */
export const takeCount = (value: unknown): number => {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw decline
  return value
}

/** A positive safe integer. */
export const takePositive = (value: unknown): number => {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) throw decline
  return value
}

/** A finite number. */
export const takeFinite = (value: unknown): number => {
  if (typeof value !== "number" || !Number.isFinite(value)) throw decline
  return value
}

/** A finite, non-negative number. */
export const takeAmount = (value: unknown): number => {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) throw decline
  return value
}

/** @since 0.1.0 */
export const takeTimestamp = (value: unknown): DateTime.Utc => {
  const parsed = typeof value === "string" ? parseTimestamp(value) : undefined
  if (parsed === undefined) throw decline
  return parsed
}

/** A JSON text column holding any JSON value. */
export const takeJson = (value: unknown): unknown => {
  if (typeof value !== "string") throw decline
  try {
    return JSON.parse(value)
  } catch {
    throw decline
  }
}

/** A JSON object with string keys (not an array, not null). */
export const takeJsonObject = (value: unknown): { readonly [key: string]: unknown } => {
  const parsed = takeJson(value)
  if (!isPlainObject(parsed)) throw decline
  return parsed
}


/** A nullable column: `null` is `None`, anything else goes through `take`. */
export const takeNullable = <A>(value: unknown, take: (value: unknown) => A): Option.Option<A> =>
  value === null ? Option.none() : Option.some(take(value))

/** Writes a value as the JSON text the Schema would write. */
export const toJson = (value: unknown): string => {
  const text = JSON.stringify(value)
  // JSON.stringify(undefined) is undefined: not storable, let the Schema say so.
  if (typeof text !== "string") throw decline
  return text
}

/** Writes an `Option` as its value or `null`. */
export const orNull = <A, B>(option: Option.Option<A>, f: (value: A) => B): B | null => {
  if (!Option.isOption(option)) throw decline
  return option._tag === "Some" ? f(option.value) : null
}

/** Writes a timestamp field the way the `Timestamp` schema does. */
export const writeTimestamp = (value: unknown): string => formatStorableMillis(takeUtc(value).epochMillis)

/** A `DateTime.Utc` value of a storable year, as the Type side of a timestamp field requires. */
export const takeUtc = (value: unknown): DateTime.Utc => {
  if (!DateTime.isDateTime(value) || !DateTime.isUtc(value) || !isStorable(value)) throw decline
  return value
}

/** An instance of `constructor`, as the Type side of a class field requires. */
export const takeInstance = <A>(constructor: new(...args: Array<any>) => A, value: unknown): A => {
  if (!(value instanceof constructor)) throw decline
  return value
}

// One plain constructor per class: V8 gives its instances one compact shape, where
// Object.assign onto Object.create(prototype) grew each object a field at a time.
const blanks = new WeakMap<Function, () => Record<string, unknown>>()

/** An empty instance of the class (its prototype, no fields), to be filled with checked fields. */
const blankOf = (constructor: Function): () => Record<string, unknown> => {
  let blank = blanks.get(constructor)
  if (blank === undefined) {
    function Blank() {}
    Blank.prototype = constructor.prototype
    blank = () => new (Blank as unknown as new() => Record<string, unknown>)()
    blanks.set(constructor, blank)
  }
  return blank
}

/**
 * Builds an instance of a `Schema.Class` from props already checked: what
 * `new Class(props, true)` builds, without its per-field default handling (these classes
 * have no defaults), which costs more than the whole fast path. RowCodec.test.ts checks the
 * result is strictly equal to the Schema's. `props` is an object literal: own string keys only.
 */
export const construct = <A>(constructor: new(...args: Array<any>) => A, props: object): A => {
  const instance = blankOf(constructor)()
  for (const key in props) instance[key] = (props as Record<string, unknown>)[key]
  return instance as A
}

/** Fast paths for input structs: the same own-key rules as `Schema.Struct`. */
export const isObject = (value: unknown): value is { readonly [key: string]: unknown } =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** A required field: it must be an own property, as `Schema.Struct` requires. */
export const takeOwn = <A>(input: { readonly [key: string]: unknown }, key: string, take: (value: unknown) => A): A =>
  Object.hasOwn(input, key) ? take(input[key]) : refuse()

/** An optional field (`Schema.optional`): copied when present, `undefined` kept as `undefined`. */
export const copyOptional = <A>(
  input: { readonly [key: string]: unknown },
  output: Record<string, unknown>,
  key: string,
  take: (value: unknown) => A
): void => {
  if (Object.hasOwn(input, key)) output[key] = input[key] === undefined ? undefined : take(input[key])
}

/** The fast path of an id schema (`SessionId`, `ProjectId`, `EventId`). */
export const fastId = <B extends string>(input: unknown): B | undefined =>
  typeof input === "string" && idPattern.test(input) ? input as B : undefined
