/**
 * `ennio-db status`: the dashboard.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Chunk from "effect/Chunk"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Options from "@effect/cli/Options"
import { EventsRepo } from "../Repos/EventsRepo.js"
import { SessionsRepo } from "../Repos/SessionsRepo.js"
import { SessionStatuses } from "../Schemas/Enums.js"
import * as Cells from "./Cells.js"
import { UsageError } from "./Failures.js"
import * as Format from "./Format.js"
import * as Interrupt from "./Interrupt.js"
import { ennioDb, withDatabase } from "./GlobalOptions.js"
import * as JsonOutput from "./JsonOutput.js"
import * as Screen from "./Screen.js"
import * as StatusReport from "./StatusReport.js"
import * as Table from "./Table.js"

// The attention list stops here; `sessions list --status …` shows the rest.
const attentionShown = 15
// Below this width per project, the status matrix gives way to one row per project and status.
const matrixColumnWidth = 9
const statusLabelWidth = "Changes Requested".length

const projectsTable = (report: StatusReport.StatusReport, screen: Screen.Screen) => {
  const { palette } = screen
  const row = (id: Table.Cell, name: string, counts: StatusReport.SessionCounts, metrics: typeof report.metrics) => [
    id,
    name,
    Format.count(counts.sessions),
    Format.count(counts.active),
    counts.needsAttention === 0
      ? Format.count(0)
      : { text: Format.count(counts.needsAttention), style: (text: string) => palette.bold(palette.red(text)) },
    Format.tokens(metrics.tokensIn + metrics.tokensOut),
    Format.usd(metrics.costUsd)
  ]
  return Table.render(
    [
      { header: "PROJECT", shrink: true },
      { header: "NAME", shrink: true },
      { header: "SESSIONS", align: "right" },
      { header: "ACTIVE", align: "right" },
      { header: "ATTENTION", align: "right" },
      { header: "TOKENS", align: "right" },
      { header: "COST", align: "right" }
    ],
    [
      ...report.projects.map((entry) =>
        row(entry.id, Option.getOrElse(Option.map(entry.project, (p) => p.name), () => ""), entry.counts, entry.metrics)
      ),
      row({ text: "TOTAL", style: palette.bold }, "", report.counts, report.metrics)
    ],
    screen
  )
}

const statusMatrix = (report: StatusReport.StatusReport, screen: Screen.Screen) => {
  const statuses = report.counts.byStatus.map(([status]) => status)
  const countOf = (counts: StatusReport.SessionCounts, status: string) =>
    counts.byStatus.find(([s]) => s === status)?.[1] ?? 0
  const fitsAsMatrix = statusLabelWidth + (report.projects.length + 1) * matrixColumnWidth <= screen.width
  if (fitsAsMatrix) {
    return Table.render(
      [
        { header: "STATUS" },
        ...report.projects.map((entry) => ({ header: entry.id, align: "right" as const, shrink: true })),
        { header: "TOTAL", align: "right" }
      ],
      statuses.map((status) => [
        Cells.status(status, screen.palette),
        ...report.projects.map((entry) => {
          const n = countOf(entry.counts, status)
          return n === 0 ? { text: "·", style: screen.palette.dim } : Format.count(n)
        }),
        Format.count(countOf(report.counts, status))
      ]),
      screen
    )
  }
  return Table.render(
    [{ header: "PROJECT", shrink: true }, { header: "STATUS" }, { header: "SESSIONS", align: "right" }],
    report.projects.flatMap((entry) =>
      entry.counts.byStatus.map(([status, n]) => [entry.id, Cells.status(status, screen.palette), Format.count(n)])
    ),
    screen
  )
}

const attentionTable = (report: StatusReport.StatusReport, screen: Screen.Screen) => {
  const shown = report.needsAttention.slice(0, attentionShown)
  const lines = Table.render(
    [
      { header: "SESSION", shrink: true },
      { header: "REASON", shrink: true },
      { header: "PR" },
      { header: "LAST ACTIVITY" }
    ],
    shown.map((session) => [
      session.id,
      Cells.attentionReason(SessionStatuses.attentionReason(session.status) ?? "", screen.palette),
      Cells.pr(session.prNumber),
      Format.instant(session.lastActivityAt)
    ]),
    screen
  )
  const hidden = report.needsAttention.length - shown.length
  return hidden === 0
    ? lines
    : [...lines, screen.palette.dim(`… and ${Format.count(hidden)} more: ennio-db sessions list --status <status>`)]
}

const eventsTable = (report: StatusReport.StatusReport, screen: Screen.Screen) =>
  Table.render(
    [
      { header: "TIME" },
      { header: "PRIORITY" },
      { header: "SESSION", shrink: true },
      { header: "MESSAGE", shrink: true }
    ],
    report.urgentEvents.map((event) => [
      Format.instant(event.timestamp),
      Cells.priority(event.priority, screen.palette),
      event.sessionId,
      event.message
    ]),
    screen
  )

/**
 * The dashboard as text, sections separated by blank lines.
 *
 * @since 0.1.0
 */
export const render = (report: StatusReport.StatusReport, screen: Screen.Screen): Array<string> => {
  const heading = (title: string) => ["", screen.palette.bold(title)]
  // Each failure names its table, row and column: whoever repairs the row needs the whole message.
  const unreadable = report.unreadable.length === 0 ? [] : [
    ...heading(`UNREADABLE ROWS (${Format.count(report.unreadable.length)}), left out of the figures above`),
    ...report.unreadable.map((error) => screen.palette.red(error.message))
  ]
  if (report.counts.sessions === 0 && report.projects.length === 0) {
    return ["No projects or sessions yet. Try: ennio-db demo", ...unreadable]
  }
  return [
    ...heading(`PROJECTS (${Format.count(report.projects.length)})`).slice(1),
    ...projectsTable(report, screen),
    ...heading("SESSIONS BY STATUS"),
    ...statusMatrix(report, screen),
    ...heading(`NEEDS ATTENTION (${Format.count(report.needsAttention.length)})`),
    ...(report.needsAttention.length === 0 ? ["Nothing needs attention."] : attentionTable(report, screen)),
    ...heading("LATEST URGENT AND CRITICAL EVENTS"),
    ...(report.urgentEvents.length === 0 ? ["None."] : eventsTable(report, screen)),
    ...unreadable
  ]
}

/**
 * An interval as `--interval` takes it (`2s`, `500ms`, `1m`), in milliseconds.
 *
 * @since 0.1.0
 */
export const parseInterval = (text: string): Option.Option<number> => {
  const match = /^([1-9][0-9]{0,6})(ms|s|m)$/.exec(text.trim())
  if (match === null) return Option.none()
  const unit = match[2] === "ms" ? 1 : match[2] === "s" ? 1_000 : 60_000
  return Option.some(Number(match[1]) * unit)
}

// Clears a terminal and puts the cursor home, so that a redraw replaces the last one in place.
const clearScreen = "\u001b[H\u001b[2J"

const watch = (intervalMs: number, json: boolean) =>
  Interrupt.untilInterrupted(withDatabase("status --watch")(Effect.gen(function*() {
    const events = yield* EventsRepo
    const sessions = yield* SessionsRepo
    const terminal = process.stdout.isTTY === true
    const draw = Effect.flatMap(StatusReport.gather, (report) =>
      json
        ? Console.log(JSON.stringify(StatusReport.toJson(report)))
        : Console.log(`${terminal ? clearScreen : ""}${render(report, Screen.of(process.stdout)).join("\n")}`))
    yield* draw
    // Whatever changed within an interval makes one redraw at its end.
    const changed = Stream.merge(Stream.as(events.follow(), 1), Stream.as(sessions.changes(), 1))
    yield* Stream.runForEach(
      Stream.filter(Stream.groupedWithin(changed, 1_000_000, intervalMs), Chunk.isNonEmpty),
      () => draw
    )
  })))

/** @since 0.1.0 */
export const status = Command.make("status", {
  watch: Options.boolean("watch").pipe(
    Options.withDescription("Redraw the dashboard whenever the database changes, until interrupted")
  ),
  interval: Options.text("interval").pipe(
    Options.withPseudoName("INTERVAL"),
    Options.withDescription("--watch: redraw at most this often: 2s (default), 500ms, 1m"),
    Options.filterMap(parseInterval, "--interval takes a duration such as 2s or 500ms"),
    Options.optional
  )
}, ({ interval, watch: watching }) =>
  Effect.gen(function*() {
    const { json } = yield* ennioDb
    if (watching) return yield* watch(Option.getOrElse(interval, () => 2_000), json)
    if (Option.isSome(interval)) return yield* new UsageError({ message: "--interval goes with --watch" })
    const report = yield* withDatabase("status")(StatusReport.gather)
    if (json) return yield* JsonOutput.print(StatusReport.toJson(report))
    yield* Console.log(render(report, Screen.of(process.stdout)).join("\n"))
  })).pipe(Command.withDescription("The dashboard: sessions by project and status, what needs attention, costs"))
