/**
 * Identifiers: non-empty ASCII letters, digits, `-` and `_` (domain.md).
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import * as Schema from "effect/Schema"
import { expected } from "./Text.js"

const idPattern = /^[A-Za-z0-9_-]+$/

const idString = (name: string) =>
  Schema.String.annotations(expected("a string")).pipe(
    Schema.pattern(idPattern, {
      message: () => `${name} must be a non-empty string of ASCII letters, digits, '-' and '_'`
    })
  )

/** @since 0.1.0 */
export const SessionId = idString("SessionId").pipe(Schema.brand("SessionId"))
/** @since 0.1.0 */
export type SessionId = typeof SessionId.Type

/** @since 0.1.0 */
export const ProjectId = idString("ProjectId").pipe(Schema.brand("ProjectId"))
/** @since 0.1.0 */
export type ProjectId = typeof ProjectId.Type

/** @since 0.1.0 */
export const EventId = idString("EventId").pipe(Schema.brand("EventId"))
/** @since 0.1.0 */
export type EventId = typeof EventId.Type

/**
 * A new random event id (UUID v4: its characters are all allowed).
 *
 * @since 0.1.0
 */
export const makeEventId = (): EventId => EventId.make(randomUUID())
