import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import fc from "fast-check"
import {
  isWellFormed,
  JsonObjectInput,
  jsonProblem,
  JsonValueInput,
  loneSurrogateMessage,
  maxJsonDepth,
  Text
} from "../../src/Schemas/Text.js"

/**
 * What JSON reads back: -0 as 0 (the one value it changes that the check lets through), and an
 * object without a prototype as a plain object with the same keys.
 */
const asReadBack = (value: unknown): unknown => {
  if (Object.is(value, -0)) return 0
  if (Array.isArray(value)) return value.map(asReadBack)
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value)) {
      Object.defineProperty(out, key, {
        value: asReadBack((value as Record<string, unknown>)[key]),
        enumerable: true,
        writable: true,
        configurable: true
      })
    }
    return out
  }
  return value
}

const nested = (depth: number): unknown => {
  let value: unknown = "leaf"
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { deeper: value }
  return value
}

const firstIssue = (schema: Schema.Schema<any, any>, input: unknown) => {
  const result = Schema.decodeUnknownEither(schema)(input)
  if (Either.isRight(result)) return undefined
  const [issue] = ParseResult.ArrayFormatter.formatErrorSync(result.left)
  return { path: issue!.path.map(String).join("."), message: issue!.message }
}

describe("JSON a caller gives", () => {
  it("whatever the check accepts reads back equal through JSON (fast-check over every kind of value)", () => {
    const anything = fc.anything({
      maxDepth: 4,
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withNullPrototype: true,
      withObjectString: true,
      withSet: true,
      withSparseArray: true,
      withTypedArray: true,
      stringUnit: "binary"
    })
    let accepted = 0
    fc.assert(fc.property(anything, (value) => {
      if (jsonProblem(value) !== undefined) return
      accepted++
      const text = JSON.stringify(value)
      expect(typeof text).toBe("string")
      expect(JSON.parse(text)).toStrictEqual(asReadBack(value))
    }), { numRuns: 5000 })
    expect(accepted).toBeGreaterThan(500)
  })

  it("refuses what JSON cannot hold or would change, naming where", () => {
    const hole: Array<unknown> = [1, , 3]
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    class Point {
      constructor(readonly x: number) {}
    }
    // The path where the value is refused; undefined where it is the whole depth.
    const cases: ReadonlyArray<readonly [unknown, string | undefined, RegExp]> = [
      [{ a: [1, { b: "x\ud800y" }] }, "a.1.b", /lone UTF-16 surrogate \(U\+D800 at index 1\)/],
      [{ ["k\udfff"]: 1 }, "\"k\\udfff\"", /its key holds a lone UTF-16 surrogate \(U\+DFFF at index 1\)/],
      ["\udc00", "", /U\+DC00 at index 0/],
      [{ a: undefined }, "a", /undefined is not a JSON value/],
      [[undefined], "0", /undefined is not a JSON value/],
      [{ n: Number.NaN }, "n", /NaN is not a JSON value/],
      [{ n: Infinity }, "n", /Infinity is not a JSON value/],
      [{ n: 1n }, "n", /a bigint is not a JSON value/],
      [{ f: () => 1 }, "f", /a function is not a JSON value/],
      [{ s: Symbol.for("x") }, "s", /a symbol is not a JSON value/],
      [{ d: new Date(0) }, "d", /a Date is not a JSON value/],
      [{ m: new Map([["a", 1]]) }, "m", /a Map is not a JSON value/],
      [{ p: new Point(1) }, "p", /a Point is not a JSON value/],
      [{ h: hole }, "h.1", /an array hole is not a JSON value/],
      [cyclic, undefined, /nests deeper than 100 levels \(or contains itself\)/],
      [nested(20_000), undefined, /nests deeper than 100 levels/]
    ]
    for (const [value, path, message] of cases) {
      const problem = jsonProblem(value)
      expect(problem, String(message)).toBeDefined()
      expect(problem!.message).toMatch(message)
      const issue = firstIssue(JsonValueInput, value)
      expect(issue?.message).toMatch(message)
      if (path !== undefined) {
        expect(problem!.path.map(String).join("."), String(message)).toBe(path)
        expect(issue?.path).toBe(path)
      }
    }
  })

  it(`nests up to ${maxJsonDepth} levels; deeper is refused without overflowing the stack`, () => {
    expect(jsonProblem(nested(maxJsonDepth))).toBeUndefined()
    expect(jsonProblem(nested(maxJsonDepth + 1))?.message).toMatch(/nests deeper/)
    expect(jsonProblem(nested(1_000_000))?.message).toMatch(/nests deeper/)
  })

  it("a getter that throws is refused, not thrown", () => {
    const value = Object.defineProperty({}, "boom", { enumerable: true, get: () => { throw new Error("no") } })
    expect(jsonProblem(value)?.message).toMatch(/cannot be read: Error: no/)
  })

  it("JsonObjectInput takes a plain object only, decoded as itself", () => {
    const metadata = { a: [1, "two", null, { three: true }] }
    expect(Schema.decodeUnknownSync(JsonObjectInput)(metadata)).toBe(metadata)
    expect(Schema.decodeUnknownSync(JsonObjectInput)(Object.create(null))).toEqual({})
    for (const bad of [[1], "x", 1, null, new Date(0), new Map()]) {
      expect(firstIssue(JsonObjectInput, bad)?.message).toBe("expected a plain object of JSON values")
    }
    expect(firstIssue(JsonObjectInput, { deep: { x: "\ud83d" } })).toEqual({
      path: "deep.x",
      message: expect.stringMatching(/lone UTF-16 surrogate/)
    })
  })
})

describe("text a caller gives", () => {
  it("accepts well-formed text, emoji and every BMP character but the surrogates", () => {
    for (const text of ["", "plain", "😀 👩‍👩‍👧‍👦", "\u{10FFFF}", "\uFFFD", "\0", "\uFEFF"]) {
      expect(isWellFormed(text)).toBe(true)
      expect(Schema.decodeUnknownSync(Text)(text)).toBe(text)
    }
  })

  it("refuses a lone surrogate anywhere, saying which and where", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["\ud800", "U+D800 at index 0"],
      ["ok\udbff", "U+DBFF at index 2"],
      ["😀\udc00😀", "U+DC00 at index 2"],
      ["\ude00\ud83d", "U+DE00 at index 0"]
    ]
    for (const [text, where] of cases) {
      expect(isWellFormed(text)).toBe(false)
      expect(loneSurrogateMessage(text)).toContain(where)
      expect(firstIssue(Text, text)?.message).toContain(where)
    }
    fc.assert(fc.property(fc.string({ unit: "binary" }), (text) => {
      expect(Either.isRight(Schema.decodeUnknownEither(Text)(text))).toBe(
        Buffer.from(text, "utf8").toString("utf8") === text
      )
    }), { numRuns: 2000 })
  })
})
