import * as DateTime from "effect/DateTime"
import { describe, expect, it } from "vitest"
import * as DemoSimulation from "../../src/Cli/DemoSimulation.js"
import { type SessionStatus, SessionStatuses } from "../../src/index.js"

const date = Date.UTC(2026, 0, 5)
const day = (seed: number, dayNumber = 1, sessions = 40) =>
  DemoSimulation.plan({ seed, day: dayNumber, date, sessions })
const millis = (dateTime: DateTime.DateTime | undefined) => DateTime.toEpochMillis(dateTime!)

describe("the demo's simulated day", () => {
  it("is the same for the same seed and day, and differs otherwise", () => {
    expect(day(1)).toEqual(day(1))
    expect(day(2)).not.toEqual(day(1))
    expect(day(1, 2)).not.toEqual(day(1))
  })

  it("gives every session an id of its own, naming its day", () => {
    const ids = day(5, 3, 500).map((plan) => plan.session.id)
    expect(new Set(ids).size).toBe(500)
    for (const id of ids) expect(id).toMatch(/^(storefront|payments|infra)-d3-[0-9a-z]{4}$/)
  })

  it("has a few thousand events, in time order within the day, for about forty sessions", () => {
    const plans = day(1)
    const events = plans.flatMap((plan) => plan.events)
    expect(events.length).toBeGreaterThan(1_000)
    expect(events.length).toBeLessThan(6_000)
    const morning = DemoSimulation.morningOf(date)
    for (const plan of plans) {
      const times = plan.events.map((event) => millis(event.timestamp))
      expect(times).toEqual([...times].sort((a, b) => a - b))
      expect(times[0]).toBeGreaterThanOrEqual(morning)
      expect(times[times.length - 1]).toBeLessThan(morning + 12 * 3_600_000)
      expect(millis(plan.session.lastActivityAt)).toBe(times[times.length - 1])
    }
  })

  it("walks the lifecycle: each status change starts where the previous ended, and the row holds the last", () => {
    for (const plan of day(3, 1, 200)) {
      let status: SessionStatus = "spawning"
      for (const event of plan.events.filter((e) => e.eventType === "status_changed")) {
        const { from, to } = event.data as { from: SessionStatus; to: SessionStatus }
        expect(from).toBe(status)
        status = to
      }
      expect(plan.session.status).toBe(status)
    }
  })

  it("ends the day with sessions in many states: some finished, some needing attention", () => {
    const statuses = new Set(day(3, 1, 200).map((plan) => plan.session.status!))
    for (const status of ["working", "review_pending", "done", "exited"] as const) expect(statuses).toContain(status)
    expect([...statuses].some(SessionStatuses.needsAttention)).toBe(true)
    expect(statuses.size).toBeGreaterThanOrEqual(8)
  })

  it("gives the priorities their meaning: urgent failures, critical escalations, info for routine", () => {
    const events = day(3, 1, 200).flatMap((plan) => plan.events)
    const priorityOf = (type: string) => new Set(events.filter((e) => e.eventType === type).map((e) => e.priority))
    expect(priorityOf("ci_failing")).toEqual(new Set(["urgent"]))
    expect(priorityOf("reaction_escalated")).toEqual(new Set(["critical"]))
    expect(priorityOf("node_health_check")).toEqual(new Set(["info"]))
  })

  it("spends tokens in every session, and times the first PR and the merge of merged ones", () => {
    for (const plan of day(4, 1, 100)) {
      expect(plan.spending.some((delta) => (delta.tokensIn ?? 0) > 0)).toBe(true)
      if (plan.session.status === "done") {
        expect(plan.timeToFirstPrSecs).toBeGreaterThan(0)
        expect(plan.timeToMergeSecs).toBeGreaterThan(plan.timeToFirstPrSecs!)
      }
    }
  })
})
