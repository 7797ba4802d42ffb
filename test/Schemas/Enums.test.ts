import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import {
  ActivityState,
  EventPriorities,
  EventPriority,
  EventType,
  SessionStatus,
  SessionStatuses
} from "../../src/index.js"

describe("enum failures", () => {
  type Decode = (input: unknown) => Either.Either<string, ParseResult.ParseError>
  const cases: ReadonlyArray<readonly [string, Decode, ReadonlyArray<string>]> = [
    ["SessionStatus", Schema.decodeUnknownEither(SessionStatus), SessionStatus.literals],
    ["ActivityState", Schema.decodeUnknownEither(ActivityState), ActivityState.literals],
    ["EventType", Schema.decodeUnknownEither(EventType), EventType.literals],
    ["EventPriority", Schema.decodeUnknownEither(EventPriority), EventPriority.literals]
  ]
  it.each(cases)("%s names every allowed spelling and the value it got", (name, decode, literals) => {
    const result = decode("zombie")
    const [issue] = ParseResult.ArrayFormatter.formatErrorSync(Either.getLeft(result).pipe((o) => {
      if (o._tag === "None") throw new Error("decoded an unknown value")
      return o.value
    }))
    expect(issue?.message).toBe(`expected a ${name} (${literals.join(", ")}), got "zombie"`)
  })

  it.each(cases)("%s describes a value JSON cannot (a bigint, a symbol)", (name, decode) => {
    for (const [value, shown] of [[7n, "7"], [Symbol.for("x"), "Symbol(x)"]] as const) {
      const [issue] = ParseResult.ArrayFormatter.formatErrorSync(Either.getLeft(decode(value)).pipe((o) => {
        if (o._tag === "None") throw new Error("decoded an unknown value")
        return o.value
      }))
      expect(issue?.message).toContain(`${name} (`)
      expect(issue?.message).toContain(`got ${shown}`)
    }
  })
})

describe("enum helpers", () => {
  // Names an object literal answers for through Object.prototype, and near misses.
  const notEnumValues = [
    "constructor",
    "__proto__",
    "toString",
    "hasOwnProperty",
    "valueOf",
    "isPrototypeOf",
    "",
    "WORKING",
    "ci_failed "
  ]

  it("SessionStatuses answer only for real statuses", () => {
    for (const name of notEnumValues) {
      expect(SessionStatuses.needsAttention(name), name).toBe(false)
      expect(SessionStatuses.attentionReason(name), name).toBeUndefined()
      expect(SessionStatuses.displayLabel(name), name).toBeUndefined()
      expect(SessionStatuses.isTerminal(name), name).toBe(false)
      expect(SessionStatuses.isRestorable(name), name).toBe(false)
    }
    for (const status of SessionStatus.literals) {
      expect(typeof SessionStatuses.displayLabel(status)).toBe("string")
      const reason = SessionStatuses.attentionReason(status)
      expect(reason === undefined || typeof reason === "string").toBe(true)
      expect(SessionStatuses.needsAttention(status)).toBe(reason !== undefined)
    }
  })

  it("EventPriorities answer only for real priorities", () => {
    for (const name of notEnumValues) {
      expect(EventPriorities.rank(name), name).toBeUndefined()
      expect(EventPriorities.atLeast(name), name).toEqual([])
    }
    expect(EventPriority.literals.map((p) => EventPriorities.rank(p))).toEqual([0, 1, 2, 3])
  })
})
