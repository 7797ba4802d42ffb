import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import fc from "fast-check"
import { EventCodec } from "../../src/Schemas/Event.js"
import { ProjectCodec } from "../../src/Schemas/Project.js"
import { SessionCodec } from "../../src/Schemas/Session.js"
import { SessionMetricsCodec } from "../../src/Schemas/SessionMetrics.js"
import type { RowCodec } from "../../src/Schemas/RowCodec.js"
import * as Arb from "../fixtures/arbitraries.js"

/**
 * The fast paths must agree with the Schema on every input: same success or failure, and
 * equal values. Inputs are valid rows and values, and the same with one field replaced by junk.
 */
const agreesWithSchema = <A extends object, I extends object>(
  name: string,
  codec: RowCodec<A, I>,
  valid: fc.Arbitrary<A>
) =>
  describe(name, () => {
    const schemaDecode = Schema.decodeUnknownEither(codec.schema)
    const schemaEncode = Schema.encodeEither(codec.schema)
    const encodeSync = Schema.encodeSync(codec.schema)
    const columns = Object.keys(fc.sample(valid.map(encodeSync), 1)[0]!)
    const fields = Object.keys(fc.sample(valid, 1)[0]!)

    const same = <X>(fast: Either.Either<X, unknown>, slow: Either.Either<X, unknown>) => {
      expect(Either.isRight(fast)).toBe(Either.isRight(slow))
      if (Either.isRight(fast) && Either.isRight(slow)) expect(fast.right).toStrictEqual(slow.right)
    }

    it("decodes valid rows to the Schema's value, on the fast path", () => {
      fc.assert(fc.property(valid, (value) => {
        const row = JSON.parse(JSON.stringify(encodeSync(value)))
        same(codec.decode(row), schemaDecode(row))
        expect(codec.fast.decode(row)).toStrictEqual(value)
      }), { numRuns: 500 })
    })

    it("decodes rows with a bad column exactly as the Schema does", () => {
      fc.assert(fc.property(valid, fc.constantFrom(...columns), Arb.junk, (value, column, junk) => {
        const row = { ...encodeSync(value), [column]: junk }
        same(codec.decode(row), schemaDecode(row))
      }), { numRuns: 3000 })
    })

    it("encodes valid values to the Schema's row", () => {
      fc.assert(fc.property(valid, (value) => {
        same(codec.encode(value), schemaEncode(value))
        expect(codec.fast.encode(value)).toEqual(Either.getOrThrow(schemaEncode(value)))
      }), { numRuns: 500 })
    })

    it("encodes values with a bad field exactly as the Schema does", () => {
      const constructor = (fc.sample(valid, 1)[0]! as { constructor: new(props: object, skip: boolean) => A })
        .constructor
      fc.assert(fc.property(valid, fc.constantFrom(...fields), Arb.junk, (value, field, junk) => {
        const broken = new constructor({ ...value, [field]: junk }, true)
        same(codec.encode(broken), schemaEncode(broken))
      }), { numRuns: 3000 })
    })
  })

agreesWithSchema("SessionCodec", SessionCodec, Arb.session)
agreesWithSchema("EventCodec", EventCodec, Arb.event)
agreesWithSchema("ProjectCodec", ProjectCodec, Arb.project)
agreesWithSchema("SessionMetricsCodec", SessionMetricsCodec, Arb.metrics)

describe("a JSON key named __proto__", () => {
  it("stays data on the fast path, where Schema.Record would make it the prototype", () => {
    const row = Schema.encodeSync(SessionCodec.schema)(fc.sample(Arb.session, 1)[0]!)
    const decoded = Either.getOrThrow(SessionCodec.decode({ ...row, metadata: "{\"__proto__\":{\"admin\":true}}" }))
    expect(Object.getPrototypeOf(decoded.metadata)).toBe(Object.prototype)
    expect(Object.keys(decoded.metadata)).toEqual(["__proto__"])
    expect((decoded.metadata as { admin?: unknown }).admin).toBeUndefined()
  })
})
