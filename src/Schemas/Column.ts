/**
 * Building blocks shared by the row schemas: a camelCase field over a snake_case column,
 * nullable columns as `Option`, JSON text columns.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { expected } from "./Text.js"

// A number whose failure message does not print what came instead (see `expected`).
const number = Schema.Number.annotations(expected("a number"))

/**
 * A field named differently from its column.
 *
 * @since 0.1.0
 */
export const column = <const K extends string, S extends Schema.Schema.Any>(name: K, schema: S) =>
  Schema.propertySignature(schema).pipe(Schema.fromKey(name))

/**
 * A nullable column: SQL `NULL` ⇄ `Option.none()`.
 *
 * @since 0.1.0
 */
export const nullable = <S extends Schema.Schema.Any>(schema: S) => Schema.OptionFromNullOr(schema)

/**
 * A TEXT column holding JSON, decoded by `schema`.
 *
 * @since 0.1.0
 */
export const jsonText = <S extends Schema.Schema.Any>(schema: S) => Schema.parseJson(schema)

/**
 * A counter column: a non-negative safe integer.
 *
 * @since 0.1.0
 */
export const Count = number.pipe(Schema.int(), Schema.nonNegative())

/**
 * A money amount: finite and not negative.
 *
 * @since 0.1.0
 */
export const Amount = number.pipe(Schema.finite(), Schema.nonNegative())

/**
 * The snake_case column behind a camelCase field name (`projectId` → `project_id`).
 *
 * @since 0.1.0
 */
export const columnName = (field: string): string => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
