/**
 * Caller input checked before any SQL runs: decoded by its Schema (or a fast path held equal
 * to it), or refused with `DbError` reason `InvalidInput` naming the field.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { columnName } from "../Schemas/Column.js"
import { DbError } from "../Schemas/Errors.js"
import type * as RowCodec from "../Schemas/RowCodec.js"

/**
 * The first issue of a parse error: its path, dotted, and its message.
 *
 * @since 0.1.0
 */
export const firstIssue = (error: ParseResult.ParseError): { path: string; message: string } => {
  const [issue] = ParseResult.ArrayFormatter.formatErrorSync(error)
  return issue === undefined
    ? { path: "", message: error.message }
    : { path: issue.path.map(String).join("."), message: issue.message }
}

/**
 * Decodes caller input with `schema`, or fails with `DbError` reason `InvalidInput`
 * naming the field. The result is an `Either`: an `Effect` to yield, or a value to test
 * synchronously in a loop. `fast` (see RowCodec) accepts the valid inputs it recognises
 * without the Schema interpreter; it returns `undefined` for the rest.
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
