import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { ActivityState, EventPriority, EventType, SessionStatus } from "../../src/index.js"

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
