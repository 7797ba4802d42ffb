import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Tracer from "effect/Tracer"
import { makePalette, takesColour } from "../../src/Cli/Screen.js"
import * as SpanTree from "../../src/Cli/SpanTree.js"
import * as StatusCommand from "../../src/Cli/StatusCommand.js"
import * as StatusReport from "../../src/Cli/StatusReport.js"
import * as Table from "../../src/Cli/Table.js"
import { EventsRepo, ProjectsRepo, Repos, SessionsRepo } from "../../src/index.js"

const visible = (line: string) => line.replace(/\x1b\[[0-9;]*m/g, "")
const red = "\x1b[31m"

const colour = { width: 80, palette: makePalette(true) }
const plain = { width: 80, palette: makePalette(false) }

const seeded = Effect.gen(function*() {
  const projects = yield* ProjectsRepo
  const sessions = yield* SessionsRepo
  const events = yield* EventsRepo
  yield* projects.upsert({ id: "web", name: "Web", repo: "acme/web", path: "/srv/web", configHash: "h" })
  yield* sessions.insert({ id: "web-1", projectId: "web", configHash: "h", status: "ci_failed", prNumber: 12 })
  yield* sessions.insert({ id: "web-2", projectId: "web", configHash: "h", status: "merged" })
  yield* sessions.insert({ id: "api-1", projectId: "api", configHash: "h", status: "working" })
  yield* events.insert({
    eventType: "ci_failing",
    priority: "urgent",
    sessionId: "web-1",
    projectId: "web",
    message: "CI failed on PR #12: unit tests ".repeat(4)
  })
  return yield* StatusReport.gather
}).pipe(Effect.provide(Repos.layerMemory))

describe("colour", () => {
  it("is on only for a terminal, and never with NO_COLOR or a dumb terminal", () => {
    expect(takesColour({ isTTY: true }, {})).toBe(true)
    expect(takesColour({ isTTY: false }, {})).toBe(false)
    expect(takesColour({}, {})).toBe(false)
    expect(takesColour({ isTTY: true }, { NO_COLOR: "1" })).toBe(false)
    expect(takesColour({ isTTY: true }, { TERM: "dumb" })).toBe(false)
  })
})

describe("Table", () => {
  it("aligns columns, right-aligns numbers and narrows the shrinkable column to fit", () => {
    const lines = Table.render(
      [{ header: "ID" }, { header: "N", align: "right" }, { header: "TEXT", shrink: true }],
      [["a", "1", "short"], ["bb", "22", "x".repeat(100)]],
      { ...plain, width: 30 }
    )
    expect(lines).toEqual([
      "ID   N  TEXT",
      "a    1  short",
      `bb  22  ${"x".repeat(21)}…`
    ])
  })

  it("styles cells without disturbing the alignment", () => {
    const lines = Table.render(
      [{ header: "STATUS" }, { header: "N", align: "right" }],
      [[{ text: "bad", style: colour.palette.red }, "1"], ["good", "10"]],
      colour
    )
    expect(lines.map(visible)).toEqual(["STATUS   N", "bad      1", "good    10"])
    expect(lines[1]).toContain(`${red}bad`)
  })
})

describe("status dashboard", () => {
  it.effect("highlights what needs attention on a colour terminal, and has no codes otherwise", () =>
    Effect.gen(function*() {
      const report = yield* seeded
      const coloured = StatusCommand.render(report, colour)
      const attention = coloured.find((line) => visible(line).startsWith("web-1"))
      expect(attention).toContain(`${red}CI failed`)
      expect(coloured.join("\n")).toContain(`${red}CI Failed`)
      const text = StatusCommand.render(report, plain).join("\n")
      expect(text).not.toContain("\x1b[")
      expect(text).toBe(coloured.map(visible).join("\n"))
    }))

  it.effect("fits the width it is given", () =>
    Effect.gen(function*() {
      const report = yield* seeded
      for (const width of [60, 80, 100]) {
        for (const line of StatusCommand.render(report, { ...colour, width })) {
          expect(visible(line).length, line).toBeLessThanOrEqual(width)
        }
      }
    }))

  it.effect("counts sessions by project and status, a project without a row included", () =>
    Effect.gen(function*() {
      const report = yield* seeded
      expect(report.projects.map((p) => [p.id, p.counts.sessions, p.counts.needsAttention])).toEqual([
        ["web", 2, 1],
        ["api", 1, 0]
      ])
      expect(report.counts).toMatchObject({ sessions: 3, active: 2, needsAttention: 1 })
      expect(report.needsAttention.map((s) => s.id)).toEqual(["web-1"])
      expect(report.urgentEvents.map((e) => e.sessionId)).toEqual(["web-1"])
      expect(StatusReport.toJson(report).by_status).toEqual({ working: 1, ci_failed: 1, merged: 1 })
    }))
})

describe("span tree", () => {
  const spansOf = (program: Effect.Effect<unknown>) =>
    Effect.gen(function*() {
      let recorded: ReadonlyArray<Tracer.Span> = []
      yield* SpanTree.recordSpans(program, (spans) => Effect.sync(() => (recorded = spans)))
      return recorded
    })

  it.effect("draws children under their parent, each line ending in its duration", () =>
    Effect.gen(function*() {
      const spans = yield* spansOf(
        Effect.void.pipe(Effect.withSpan("child", { attributes: { "session.id": "s1" } }), Effect.withSpan("parent"))
      )
      const lines = SpanTree.render(spans, plain)
      expect(lines[0]).toBe("Trace: 2 spans")
      expect(lines[1]).toMatch(/^└─ parent\s+\d+\.\d+ ms$/)
      expect(lines[2]).toMatch(/^   └─ child  session\.id=s1\s+\d+\.\d+ ms$/)
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(80)
    }))

  it.effect("sums up a long run of children by name", () =>
    Effect.gen(function*() {
      const spans = yield* spansOf(
        Effect.forEach(Array.from({ length: 40 }), () => Effect.withSpan(Effect.void, "step"), { discard: true }).pipe(
          Effect.withSpan("loop")
        )
      )
      const lines = SpanTree.render(spans, plain)
      expect(lines).toHaveLength(2 + 11 + 1)
      expect(lines[lines.length - 1]).toMatch(/^   └─ … 29 more: step ×29 \(/)
    }))

  it.effect("marks a failed span", () =>
    Effect.gen(function*() {
      const spans = yield* spansOf(Effect.ignore(Effect.withSpan(Effect.fail("no"), "failing")))
      expect(SpanTree.render(spans, plain)[1]).toMatch(/failing\s+✗ \d/)
    }))
})
