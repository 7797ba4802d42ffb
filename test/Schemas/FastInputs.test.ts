import { describe, expect, it } from "@effect/vitest"
import * as DateTime from "effect/DateTime"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import fc from "fast-check"
import {
  ActivityState,
  EventId,
  EventInsert,
  EventPriority,
  EventType,
  MetricsDelta,
  SessionId,
  SessionStatus
} from "../../src/index.js"
import { fastEventInsert, fastEventRow, OrchestratorEvent } from "../../src/Schemas/Event.js"
import { fastId } from "../../src/Schemas/RowCodec.js"
import { fastSessionInsert, SessionInsert } from "../../src/Schemas/Session.js"
import { fastMetricsDelta, metricsDeltaRow, SessionMetrics } from "../../src/Schemas/SessionMetrics.js"
import * as Arb from "../fixtures/arbitraries.js"

const deeper = (depth: number): unknown => {
  let value: unknown = 1
  for (let i = 0; i < depth; i++) value = [value]
  return value
}

/** Text and JSON that do not read back as written: what `Text` and `JsonValueInput` refuse. */
const unstorable: fc.Arbitrary<unknown> = fc.oneof(
  fc.tuple(fc.string(), fc.integer({ min: 0xd800, max: 0xdfff }), fc.string())
    .map(([a, code, b]) => `${a}${String.fromCharCode(code)}${b}`),
  fc.string({ unit: "binary" }),
  fc.constantFrom(
    { text: "a\ud800" },
    { ["\udc00"]: 1 },
    [1, [2, "\udbff"]],
    { a: undefined },
    [Number.NaN],
    { when: new Date(0) },
    new Map([["a", 1]]),
    { n: 1n },
    [1, , 2],
    deeper(101),
    deeper(20_000)
  ),
  Arb.jsonValue
)
const junkOrUnstorable = fc.oneof(Arb.junk, unstorable)

/**
 * A fast input path may decline anything, but what it accepts must be exactly what the Schema
 * decodes it to. Inputs: valid ones, the same with a field replaced by junk, deleted, set to
 * `undefined`, or inherited instead of own, and junk of every kind.
 */
const agreesWithSchema = <A>(
  name: string,
  schema: Schema.Schema<A, any>,
  fast: (input: unknown) => A | undefined,
  valid: fc.Arbitrary<Record<string, unknown>>,
  fields: ReadonlyArray<string>
) =>
  describe(name, () => {
    const decode = Schema.decodeUnknownEither(schema, { onExcessProperty: "ignore" })
    const check = (input: unknown) => {
      const accepted = fast(input)
      if (accepted !== undefined) expect(Either.getOrThrow(decode(input))).toStrictEqual(accepted)
    }
    const broken = fc.tuple(valid, fc.constantFrom(...fields), junkOrUnstorable, fc.constantFrom("set", "delete", "inherit"))
      .map(([input, field, junk, how]) => {
        const copy: Record<string, unknown> = { ...input }
        if (how === "set") copy[field] = junk
        if (how === "delete") delete copy[field]
        if (how !== "inherit") return copy
        const value = copy[field]
        delete copy[field]
        return Object.assign(Object.create({ [field]: value }), copy)
      })

    it("accepts valid input, decoded as the Schema decodes it", () => {
      fc.assert(fc.property(valid, (input) => {
        expect(fast(input)).toStrictEqual(Either.getOrThrow(decode(input)))
      }), { numRuns: 500 })
    })

    it("never accepts what the Schema refuses, nor differs from it", () => {
      fc.assert(fc.property(fc.oneof(broken, junkOrUnstorable), check), { numRuns: 3000 })
    })
  })

const maybe = <A>(arb: fc.Arbitrary<A>) => fc.option(arb, { nil: undefined })
const withOptional = (required: Record<string, unknown>, optional: Record<string, unknown>) => {
  const out: Record<string, unknown> = { ...required }
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) out[key] = value
  return out
}

const validEventInsert = fc.tuple(
    fc.record({
      eventType: fc.constantFrom(...EventType.literals),
      sessionId: Arb.validId,
      projectId: Arb.validId,
      message: fc.string()
    }),
    fc.record({
      id: maybe(Arb.validId),
      priority: maybe(fc.constantFrom(...EventPriority.literals)),
      timestamp: maybe(Arb.timestamp),
      data: maybe(Arb.jsonValue)
    })
  ).map(([required, optional]) => withOptional(required, optional))

agreesWithSchema(
  "EventInsert",
  EventInsert,
  fastEventInsert,
  validEventInsert,
  ["eventType", "sessionId", "projectId", "message", "id", "priority", "timestamp", "data"]
)

describe("fastEventRow", () => {
  it("writes the row the Schema encodes for the event a valid input and the defaults describe", () => {
    const now = DateTime.unsafeMake(Date.UTC(2026, 10, 26, 8, 6, 52, 123))
    fc.assert(fc.property(validEventInsert, Arb.validId, (input, newId) => {
      const fields = Either.getOrThrow(Schema.decodeUnknownEither(EventInsert)(input))
      const id = EventId.make(fields.id ?? newId)
      const event = new OrchestratorEvent({
        id,
        eventType: fields.eventType,
        priority: fields.priority ?? "info",
        sessionId: fields.sessionId,
        projectId: fields.projectId,
        timestamp: fields.timestamp ?? now,
        message: fields.message,
        data: fields.data === undefined ? {} : fields.data
      })
      const row = fastEventRow(fields, id, () => now)
      expect(row).toStrictEqual(Schema.encodeSync(OrchestratorEvent)(event))
    }), { numRuns: 1000 })
  })

  it("declines data that is not JSON, for the Schema to refuse", () => {
    const fields = { eventType: "pr_created", sessionId: "s", projectId: "p", message: "m", data: 1n } as const
    expect(fastEventRow(fields as never, EventId.make("e"), () => DateTime.unsafeMake(0))).toBeUndefined()
  })
})

// Each optional part: left out, given, or (where the input allows it) null or undefined.
const part = <A>(arb: fc.Arbitrary<A>, ...also: ReadonlyArray<null | undefined>) =>
  fc.oneof(fc.constant(absent), arb, ...also.map((value) => fc.constant(value)))
const absent = Symbol("absent")
const present = (fields: Record<string, unknown>) => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(fields)) if (value !== absent) out[key] = value
  return out
}

const validSessionInsert = fc.tuple(
  fc.record({ id: Arb.validId, projectId: Arb.validId, configHash: fc.string() }),
  fc.record({
    status: part(fc.constantFrom(...SessionStatus.literals), undefined),
    activity: part(fc.constantFrom(...ActivityState.literals), undefined),
    branch: part(fc.string(), undefined),
    issueId: part(fc.string()),
    workspacePath: part(fc.string()),
    runtimeHandle: part(fc.record({ id: fc.string(), runtimeName: fc.string(), data: Arb.jsonObject }), undefined),
    agentInfo: part(
      fc.record({
        summary: part(fc.string(), null, undefined),
        cost: part(
          fc.record({
            inputTokens: fc.nat(),
            outputTokens: fc.nat(),
            estimatedCostUsd: fc.double({ noNaN: true, noDefaultInfinity: true })
          }),
          null,
          undefined
        )
      }).map(present),
      undefined
    ),
    agentName: part(fc.string()),
    prUrl: part(fc.webUrl()),
    prNumber: part(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
    tmuxName: part(fc.string()),
    role: part(fc.string(), undefined),
    metadata: part(Arb.jsonObject, undefined),
    createdAt: part(Arb.timestamp),
    lastActivityAt: part(Arb.timestamp, undefined)
  }).map(present)
).map(([required, optional]) => ({ ...required, ...optional }))

agreesWithSchema(
  "SessionInsert",
  SessionInsert,
  fastSessionInsert,
  validSessionInsert,
  [
    "id", "projectId", "configHash", "status", "activity", "branch", "issueId", "workspacePath", "runtimeHandle",
    "agentInfo", "agentName", "prUrl", "prNumber", "tmuxName", "role", "metadata", "createdAt", "lastActivityAt"
  ]
)

describe("SessionInsert's fast path, inside its JSON parts", () => {
  const decode = Schema.decodeUnknownEither(SessionInsert, { onExcessProperty: "ignore" })
  it("declines or agrees on a runtime handle or agent info with a part replaced by junk, deleted or inherited", () => {
    const broken = fc.tuple(
      validSessionInsert,
      fc.constantFrom(["runtimeHandle", "id"], ["runtimeHandle", "runtimeName"], ["runtimeHandle", "data"], [
        "agentInfo",
        "summary"
      ], ["agentInfo", "cost"]),
      fc.oneof(Arb.junk, Arb.jsonValue, fc.constant({ inputTokens: -1, outputTokens: 0, estimatedCostUsd: 0 })),
      fc.boolean()
    ).map(([input, [outer, inner], junk, remove]) => {
      const nested: Record<string, unknown> = { ...(input as Record<string, any>)[outer!] ?? {} }
      if (remove) delete nested[inner!]
      else nested[inner!] = junk
      return { ...input, [outer!]: nested }
    })
    fc.assert(fc.property(broken, (input) => {
      const accepted = fastSessionInsert(input)
      if (accepted !== undefined) expect(Either.getOrThrow(decode(input))).toStrictEqual(accepted)
    }), { numRuns: 3000 })
  })
})

const validMetricsDelta = fc.record({
    tokensIn: maybe(fc.nat()),
    tokensOut: maybe(fc.nat()),
    costUsd: maybe(fc.double({ min: 0, max: 1e6, noNaN: true })),
    ciRuns: maybe(fc.nat()),
    ciFailures: maybe(fc.nat()),
    reviewRounds: maybe(fc.nat())
  }).map((optional) => withOptional({}, optional))

agreesWithSchema(
  "MetricsDelta",
  MetricsDelta,
  fastMetricsDelta,
  validMetricsDelta,
  ["tokensIn", "tokensOut", "costUsd", "ciRuns", "ciFailures", "reviewRounds"]
)

describe("metricsDeltaRow", () => {
  it("writes the row the Schema encodes for the metrics holding just a valid delta", () => {
    const now = DateTime.unsafeMake(Date.UTC(2026, 10, 26, 8, 6, 52, 123))
    fc.assert(fc.property(validMetricsDelta, Arb.validId, (input, sessionId) => {
      const delta = Either.getOrThrow(Schema.decodeUnknownEither(MetricsDelta)(input))
      const id = SessionId.make(sessionId)
      const metrics = new SessionMetrics({
        sessionId: id,
        totalTokensIn: delta.tokensIn ?? 0,
        totalTokensOut: delta.tokensOut ?? 0,
        estimatedCostUsd: delta.costUsd ?? 0,
        ciRuns: delta.ciRuns ?? 0,
        ciFailures: delta.ciFailures ?? 0,
        reviewRounds: delta.reviewRounds ?? 0,
        timeToFirstPrSecs: Option.none(),
        timeToMergeSecs: Option.none(),
        updatedAt: now
      })
      expect(metricsDeltaRow(id, delta, now)).toStrictEqual(Schema.encodeSync(SessionMetrics)(metrics))
    }), { numRuns: 1000 })
  })
})

describe("ids", () => {
  it("the fast path accepts exactly what the id schemas accept", () => {
    for (const schema of [SessionId, EventId]) {
      const decode = Schema.decodeUnknownEither(schema)
      fc.assert(fc.property(fc.oneof(Arb.validId, Arb.invalidId, Arb.junk), (input) => {
        const accepted = fastId(input)
        expect(accepted !== undefined).toBe(Either.isRight(decode(input)))
        if (accepted !== undefined) expect(accepted).toBe(Either.getOrThrow(decode(input)))
      }), { numRuns: 2000 })
    }
  })

  it("keeps a DateTime that is not UTC for the Schema to refuse", () => {
    const zoned = DateTime.unsafeMakeZoned(0, { timeZone: "Europe/Rome" })
    expect(fastEventInsert({ eventType: "pr_created", sessionId: "s", projectId: "p", message: "m", timestamp: zoned }))
      .toBeUndefined()
  })
})
