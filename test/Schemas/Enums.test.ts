import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { ActivityState, EventPriority, EventType, SessionStatus } from "../../src/index.js"

describe("enum failures", () => {
  it.each([
    ["SessionStatus", SessionStatus],
    ["ActivityState", ActivityState],
    ["EventType", EventType],
    ["EventPriority", EventPriority]
  ] as const)("%s names every allowed spelling and the value it got", (name, schema) => {
    const result = Schema.decodeUnknownEither(schema)("zombie")
    const [issue] = ParseResult.ArrayFormatter.formatErrorSync(Either.getLeft(result).pipe((o) => {
      if (o._tag === "None") throw new Error("decoded an unknown value")
      return o.value
    }))
    expect(issue?.message).toBe(`expected a ${name} (${schema.literals.join(", ")}), got "zombie"`)
  })
})
