import { describe, expect, it } from "@effect/vitest"
import * as DateTime from "effect/DateTime"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import fc from "fast-check"
import { invalidId, session, validId } from "../fixtures/arbitraries.js"
import {
  AgentCost,
  AgentSessionInfo,
  EventId,
  EventPriorities,
  makeEventId,
  parseTimestamp,
  ProjectId,
  RuntimeHandle,
  Session,
  SessionId,
  SessionStatus,
  SessionStatuses,
  Timestamp
} from "../../src/index.js"

describe("ids", () => {
  it("accept exactly the non-empty strings of letters, digits, - and _", () => {
    for (const schema of [SessionId, ProjectId, EventId]) {
      const decode = Schema.decodeUnknownEither(schema)
      fc.assert(fc.property(validId, (id) => Either.isRight(decode(id))))
      fc.assert(fc.property(invalidId, (id) => Either.isLeft(decode(id))))
      expect(Either.isLeft(decode(""))).toBe(true)
      expect(Either.isLeft(decode(42))).toBe(true)
    }
  })

  it("makeEventId makes valid, distinct UUID v4 ids", () => {
    const ids = Array.from({ length: 1000 }, makeEventId)
    expect(new Set(ids).size).toBe(1000)
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    }
  })
})

describe("enums", () => {
  it("SessionStatus helpers follow domain.md", () => {
    expect(SessionStatus.literals).toHaveLength(16)
    expect(SessionStatus.literals.filter(SessionStatuses.isTerminal)).toEqual(["merged", "done", "exited", "killed"])
    expect(SessionStatus.literals.filter(SessionStatuses.isRestorable)).toEqual(["exited"])
    expect(
      SessionStatus.literals.filter(SessionStatuses.needsAttention).map((s) => [s, SessionStatuses.attentionReason(s)])
    ).toEqual([
      ["ci_failed", "CI failed"],
      ["ci_fix_failed", "CI fix attempt failed"],
      ["changes_requested", "Changes requested by reviewer"],
      ["merge_conflicts", "Merge conflicts detected"]
    ])
    expect(SessionStatuses.displayLabel("pr_open")).toBe("PR Open")
    expect(SessionStatuses.displayLabel("ci_fix_sent")).toBe("CI Fix Sent")
    expect(SessionStatuses.attentionReason("working")).toBeUndefined()
  })

  it("EventPriority is ordered info < action < urgent < critical", () => {
    expect([...EventPriorities.all].reverse().sort(EventPriorities.Order)).toEqual(
      ["info", "action", "urgent", "critical"]
    )
    expect(EventPriorities.atLeast("urgent")).toEqual(["urgent", "critical"])
    expect(EventPriorities.atLeast("info")).toEqual(["info", "action", "urgent", "critical"])
  })
})

describe("Timestamp", () => {
  const decode = Schema.decodeUnknownEither(Timestamp)
  const millis = fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2200, 0, 1) })

  it("round-trips through the written form, RFC 3339 UTC with milliseconds", () => {
    fc.assert(fc.property(millis, (ms) => {
      const written = Schema.encodeSync(Timestamp)(DateTime.unsafeMake(ms))
      expect(written).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
      expect(Either.map(decode(written), (t) => t.epochMillis)).toEqual(Either.right(ms))
    }))
  })

  it("reads every spelling of existing databases", () => {
    fc.assert(fc.property(millis, fc.constantFrom(0, 3, 6, 9), (ms, digits) => {
      const iso = new Date(ms).toISOString()
      const base = iso.slice(0, 19)
      const fraction = digits === 0 ? "" : `.${iso.slice(20, 23).padEnd(digits, "0")}`
      const expected = digits === 0 ? ms - (ms % 1000) : ms
      expect(parseTimestamp(`${base}${fraction}+00:00`)?.epochMillis).toBe(expected)
      expect(parseTimestamp(`${base}${fraction}Z`)?.epochMillis).toBe(expected)
      expect(parseTimestamp(`${base.replace("T", " ")}`)?.epochMillis).toBe(ms - (ms % 1000))
    }))
    expect(parseTimestamp("2026-11-26T10:06:52.000+02:00")?.epochMillis).toBe(Date.UTC(2026, 10, 26, 8, 6, 52))
  })

  it("reads PostgreSQL's text output of a timestamptz: space, 0 to 6 fractional digits, ±hh or ±hh:mm", () => {
    fc.assert(fc.property(millis, fc.integer({ min: 0, max: 6 }), (ms, digits) => {
      const iso = new Date(ms).toISOString()
      const base = iso.slice(0, 19).replace("T", " ")
      // PostgreSQL drops trailing zeros of the fraction, and the fraction itself when it is zero.
      const fraction = iso.slice(20, 23).padEnd(digits, "0").slice(0, digits).replace(/0+$/, "")
      const text = `${base}${fraction === "" ? "" : `.${fraction}`}+00`
      const expected = ms - (ms % 1000) + Number(fraction.padEnd(3, "0").slice(0, 3))
      expect(parseTimestamp(text)?.epochMillis).toBe(expected)
      expect(parseTimestamp(`${text}:00`)?.epochMillis).toBe(expected)
    }))
    const at = Date.UTC(2026, 10, 26, 8, 6, 52, 123)
    expect(parseTimestamp("2026-11-26 08:06:52.123+00")?.epochMillis).toBe(at)
    expect(parseTimestamp("2026-11-26 08:06:52.123456+00")?.epochMillis).toBe(at)
    expect(parseTimestamp("2026-11-26 08:06:52.12+00")?.epochMillis).toBe(at - 3)
    expect(parseTimestamp("2026-11-26 08:06:52+00")?.epochMillis).toBe(at - 123)
    expect(parseTimestamp("2026-11-26 10:06:52.123+02")?.epochMillis).toBe(at)
    expect(parseTimestamp("2026-11-26 02:36:52.123-05:30")?.epochMillis).toBe(at)
    expect(parseTimestamp("2026-11-26T08:06:52.123+00")?.epochMillis).toBe(at)
  })

  it("reads the written spelling by hand exactly as Date.parse does, printing back unchanged", () => {
    // What the canonical spelling meant before the hand parser: parsed, and printed back the same.
    const reference = (text: string) => {
      const epoch = Date.parse(text)
      return !Number.isNaN(epoch) && new Date(epoch).toISOString() === text ? epoch : undefined
    }
    const anyYear = fc.integer({ min: Date.parse("0000-01-01T00:00:00.000Z"), max: Date.UTC(9999, 11, 31) })
    fc.assert(fc.property(anyYear, (ms) => {
      const text = new Date(ms).toISOString()
      expect(parseTimestamp(text)?.epochMillis).toBe(ms)
    }), { numRuns: 3000 })
    // Any digits in the shape: out-of-range fields (2026-02-29, 24:00, 60 s) are refused as before.
    const digit = (length: number) => fc.stringMatching(new RegExp(`^[0-9]{${length}}$`))
    const shaped = fc.tuple(digit(4), digit(2), digit(2), digit(2), digit(2), digit(2), digit(3)).map(
      ([y, mo, d, h, mi, s, f]) => `${y}-${mo}-${d}T${h}:${mi}:${s}.${f}Z`
    )
    fc.assert(fc.property(shaped, (text) => {
      expect(parseTimestamp(text)?.epochMillis).toBe(reference(text))
    }), { numRuns: 5000 })
    for (const text of ["2024-02-29T00:00:00.000Z", "2023-02-29T00:00:00.000Z", "2000-02-29T12:00:00.000Z",
      "1900-02-29T12:00:00.000Z", "2026-04-31T00:00:00.000Z", "0099-01-01T00:00:00.000Z"]) {
      expect(parseTimestamp(text)?.epochMillis).toBe(reference(text))
    }
  })

  it("refuses what is not a timestamp", () => {
    for (const text of ["", "yesterday", "2026-11-26", "2026-11-26T08", "2026-11-26T08:06:5", "2026-13-01 00:00:00",
      "2026-02-30 00:00:00", "2026-11-26 24:00:00", "2026-11-26T08:06:52.1234567890Z",
      "2026-11-26 08:06:52+0", "2026-11-26 08:06:52+000", "2026-11-26 08:06:52+0000", "2026-11-26 08:06:52+00:60",
      "2026-11-26 08:06:52+00:0", "infinity", "-infinity", "2026-11-26 08:06:52 BC"]) {
      expect(Either.isLeft(decode(text))).toBe(true)
    }
  })
})

describe("Session", () => {
  it("encodes to snake_case columns and decodes back to an equal value", () => {
    const encode = Schema.encodeSync(Session)
    const decode = Schema.decodeUnknownSync(Session)
    fc.assert(fc.property(session, (value) => {
      const row = encode(value)
      expect(Object.keys(row)).toContain("project_id")
      expect(typeof row.metadata).toBe("string")
      const back = decode(JSON.parse(JSON.stringify(row)))
      expect(back).toEqual(value)
    }), { numRuns: 300 })
  })

  it("writes the JSON columns with the original implementation's snake_case keys", () => {
    const row = Schema.encodeSync(Session)(new Session({
      id: SessionId.make("s"),
      projectId: ProjectId.make("p"),
      status: "working",
      activity: Option.none(),
      branch: Option.none(),
      issueId: Option.none(),
      workspacePath: Option.none(),
      runtimeHandle: Option.some(new RuntimeHandle({ id: "h", runtimeName: "tmux", data: {} })),
      agentInfo: Option.some(new AgentSessionInfo({
        summary: Option.none(),
        cost: Option.some(new AgentCost({ inputTokens: 1, outputTokens: 2, estimatedCostUsd: 0.5 }))
      })),
      agentName: Option.none(),
      prUrl: Option.none(),
      prNumber: Option.none(),
      tmuxName: Option.none(),
      configHash: "c",
      role: Option.none(),
      metadata: {},
      createdAt: DateTime.unsafeMake(0),
      lastActivityAt: DateTime.unsafeMake(0),
      restoredAt: Option.none(),
      archivedAt: Option.none()
    }))
    expect(JSON.parse(String(row.runtime_handle))).toEqual({ id: "h", runtime_name: "tmux", data: {} })
    expect(JSON.parse(String(row.agent_info))).toEqual({
      summary: null,
      cost: { input_tokens: 1, output_tokens: 2, estimated_cost_usd: 0.5 }
    })
    expect(row.created_at).toBe("1970-01-01T00:00:00.000Z")
  })
})

describe("Timestamp in the written spelling", () => {
  it("refuses what only looks like it: impossible dates and times", () => {
    for (const text of ["2026-02-29T00:00:00.000Z", "2026-02-31T00:00:00.000Z", "2026-04-31T12:00:00.000Z",
      "2026-01-01T24:00:00.000Z", "2026-01-01T23:60:00.000Z", "2026-01-01T23:59:60.000Z", "2026-00-10T00:00:00.000Z",
      "+02026-01-01T00:00:00Z"]) {
      expect(parseTimestamp(text)).toBeUndefined()
    }
    expect(parseTimestamp("2024-02-29T23:59:59.999Z")?.epochMillis).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 999))
  })
})
