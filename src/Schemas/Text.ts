/**
 * Text and JSON as callers give them: accepted only when what is stored reads back as written.
 *
 * A lone UTF-16 surrogate has no UTF-8 form: the drivers would store U+FFFD in its place (and
 * PostgreSQL refuses its JSON escape). JSON cannot hold `undefined`, functions, bigints, NaN
 * or infinities, and `JSON.stringify` writes a `Date`, a `Map` or an array hole as something
 * else; nesting deep enough overflows the stack of whoever reads or writes it.
 *
 * @since 0.1.0
 */
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

interface WellFormedString {
  isWellFormed(): boolean
}

/**
 * Whether `text` has no lone surrogate (`String.prototype.isWellFormed`, which Node 20 has
 * and the ES2022 library this project compiles against does not declare).
 *
 * @since 0.1.0
 */
export const isWellFormed = (text: string): boolean => (text as string & WellFormedString).isWellFormed()

/**
 * What is wrong with text that is not well-formed: the first lone surrogate and where it is.
 *
 * @since 0.1.0
 */
export const loneSurrogateMessage = (text: string): string => {
  let index = 0
  for (const char of text) {
    const code = char.charCodeAt(0)
    if (char.length === 1 && code >= 0xd800 && code <= 0xdfff) {
      const hex = code.toString(16).toUpperCase()
      return `holds a lone UTF-16 surrogate (U+${hex} at index ${index}), which cannot be stored as UTF-8`
    }
    index += char.length
  }
  return "holds a lone UTF-16 surrogate, which cannot be stored as UTF-8"
}

const shallow = (value: unknown): string => {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
    case "bigint":
      return `${value}n`
    case "object":
      return value === null ? "null" : Array.isArray(value) ? "an array" : "an object"
    case "function":
      return "a function"
    default:
      return String(value)
  }
}

/**
 * A failure message naming what was expected and, without looking inside it, what came.
 * Effect's default message prints the value whole, recursing without bound: a value nested
 * deep enough overflows the stack there, a defect instead of `InvalidInput`.
 *
 * @since 0.1.0
 */
export const expected = (what: string) => ({
  message: (issue: ParseResult.ParseIssue) => `expected ${what}, got ${shallow(issue.actual)}`
})

const quietUndefined = Schema.Undefined.annotations(expected("the field to be left out"))
const quietNull = Schema.Null.annotations(expected("null"))

/**
 * An optional field of an input, as `Schema.optional`, whose failure messages never print
 * the value (see `expected`): a union reports what each of its members refused.
 *
 * @since 0.1.0
 */
export const optionalInput = <S extends Schema.Schema.All>(schema: S) =>
  Schema.optionalWith(Schema.Union(schema, quietUndefined), { exact: true })

/**
 * `Schema.NullOr` for an input, with the same care as `optionalInput`.
 *
 * @since 0.1.0
 */
export const nullOrInput = <S extends Schema.Schema.All>(schema: S) => Schema.Union(schema, quietNull)

/**
 * A text field a caller gives: any string without a lone surrogate.
 *
 * @since 0.1.0
 */
export const Text = Schema.String.annotations(expected("a string")).pipe(
  Schema.filter((text) => isWellFormed(text) || loneSurrogateMessage(text), { identifier: "Text" })
)

/**
 * An object literal or a parsed JSON object: its JSON is that of its own keys.
 *
 * @since 0.1.0
 */
export const isPlainObject = (value: unknown): value is { readonly [key: string]: unknown } => {
  if (typeof value !== "object" || value === null) return false
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/**
 * How deep JSON a caller gives may nest. Every reader stops somewhere (serde_json, with which
 * the original implementation reads these columns, refuses deeper documents), and a value
 * that refers to itself stops here too.
 *
 * @since 0.1.0
 */
export const maxJsonDepth = 100

/**
 * Why a value cannot be stored as JSON that reads back equal, and where in it.
 *
 * @since 0.1.0
 */
export interface JsonProblem {
  readonly path: ReadonlyArray<string | number>
  readonly message: string
}

const tooDeep: JsonProblem = { path: [], message: `nests deeper than ${maxJsonDepth} levels (or contains itself)` }

const notJson = (what: string): JsonProblem => ({ path: [], message: `${what} is not a JSON value` })

const inside = (key: string | number, problem: JsonProblem): JsonProblem => ({
  path: [key, ...problem.path],
  message: problem.message
})

// Recursion is safe: it stops at maxJsonDepth. Paths are built only on the way out of a failure.
const problemIn = (value: unknown, depth: number): JsonProblem | undefined => {
  switch (typeof value) {
    case "string":
      return isWellFormed(value) ? undefined : { path: [], message: loneSurrogateMessage(value) }
    case "number":
      return Number.isFinite(value) ? undefined : notJson(String(value))
    case "boolean":
      return undefined
    case "object": {
      if (value === null) return undefined
      if (depth >= maxJsonDepth) return tooDeep
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) return inside(i, notJson("an array hole"))
          const problem = problemIn(value[i], depth + 1)
          if (problem !== undefined) return inside(i, problem)
        }
        return undefined
      }
      if (!isPlainObject(value)) {
        const kind = typeof value.constructor === "function" ? value.constructor.name : "object"
        return { path: [], message: `a ${kind} is not a JSON value (only plain objects and arrays are)` }
      }
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue
        // The key is named by its JSON spelling, which escapes the surrogate: the message stays well-formed.
        if (!isWellFormed(key)) {
          return inside(JSON.stringify(key), { path: [], message: `its key ${loneSurrogateMessage(key)}` })
        }
        const problem = problemIn(value[key], depth + 1)
        if (problem !== undefined) return inside(key, problem)
      }
      return undefined
    }
    case "undefined":
      return notJson("undefined")
    default:
      return notJson(`a ${typeof value}`)
  }
}

/**
 * Why `value` cannot be stored as JSON that reads back equal, or `undefined` when it can.
 *
 * @since 0.1.0
 */
export const jsonProblem = (value: unknown): JsonProblem | undefined => {
  try {
    const problem = problemIn(value, 0)
    // A path as deep as the limit says little: the first key says where.
    return problem?.message === tooDeep.message ? { ...problem, path: problem.path.slice(0, 1) } : problem
  } catch (error) {
    // A getter that throws: JSON.stringify would throw the same.
    return { path: [], message: `cannot be read: ${String(error)}` }
  }
}

const storableJson = (value: unknown): true | { path: ReadonlyArray<string | number>; message: string } =>
  jsonProblem(value) ?? true

/**
 * Any JSON value a caller gives (event data).
 *
 * @since 0.1.0
 */
export const JsonValueInput = Schema.Unknown.pipe(Schema.filter(storableJson, { identifier: "JsonValue" }))

/**
 * A JSON object a caller gives (metadata, a runtime handle's data): a plain object whose
 * values are JSON. Decoded as itself, not copied.
 *
 * @since 0.1.0
 */
export const JsonObjectInput = Schema.declare(isPlainObject, {
  identifier: "JsonObject",
  message: () => "expected a plain object of JSON values"
}).pipe(Schema.filter(storableJson))
