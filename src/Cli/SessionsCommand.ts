/**
 * `ennio-db sessions list` and `ennio-db sessions show ID`.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { EventsRepo } from "../Repos/EventsRepo.js"
import { MetricsRepo } from "../Repos/MetricsRepo.js"
import { SessionsRepo } from "../Repos/SessionsRepo.js"
import { SessionStatus, SessionStatuses } from "../Schemas/Enums.js"
import type { Session } from "../Schemas/Session.js"
import * as Cells from "./Cells.js"
import * as EventsCommand from "./EventsCommand.js"
import * as Format from "./Format.js"
import { ennioDb, withDatabase } from "./GlobalOptions.js"
import * as JsonOutput from "./JsonOutput.js"
import * as MetricsCommand from "./MetricsCommand.js"
import * as Screen from "./Screen.js"
import * as Table from "./Table.js"

/** How many of its latest events `sessions show` (and the dashboard's `/api/sessions/ID`) includes. */
export const latestEventsShown = 10

const list = Command.make("list", {
  project: Options.text("project").pipe(
    Options.withPseudoName("PROJECT_ID"),
    Options.withDescription("Only this project's sessions"),
    Options.optional
  ),
  status: Options.text("status").pipe(
    Options.withPseudoName("STATUS"),
    Options.withDescription(`Only sessions with this status: ${SessionStatus.literals.join(", ")}`),
    Options.filterMap(Schema.decodeUnknownOption(SessionStatus), "--status takes a status such as ci_failed"),
    Options.optional
  )
}, ({ project, status }) =>
  Effect.gen(function*() {
    const { json } = yield* ennioDb
    const sessions = yield* withDatabase("sessions list")(
      Effect.flatMap(SessionsRepo, (repo) =>
        repo.list({ projectId: Option.getOrUndefined(project), status: Option.getOrUndefined(status) }))
    )
    if (json) return yield* JsonOutput.print(sessions.map(JsonOutput.session))
    if (sessions.length === 0) return yield* Console.log("No sessions.")
    const screen = Screen.of(process.stdout)
    const table = Table.render(
      [
        { header: "SESSION", shrink: true },
        { header: "PROJECT", shrink: true },
        { header: "STATUS" },
        { header: "PR" },
        { header: "CREATED" }
      ],
      sessions.map((session) => [
        session.id,
        session.projectId,
        Cells.status(session.status, screen.palette),
        Cells.pr(session.prNumber),
        Format.instant(session.createdAt)
      ]),
      screen
    )
    const footer = `${Format.count(sessions.length)} sessions, newest created first`
    yield* Console.log([...table, screen.palette.dim(footer)].join("\n"))
  })).pipe(Command.withDescription("List sessions, newest first"))

const details = (session: Session, screen: Screen.Screen): Array<readonly [string, Table.Cell]> => {
  const reason = SessionStatuses.attentionReason(session.status)
  const agent = Option.all([session.agentName, session.role]).pipe(
    Option.map(([name, role]) => `${name} (${role})`),
    Option.orElse(() => session.agentName)
  )
  return [
    ["Project", session.projectId],
    [
      "Status",
      reason === undefined
        ? Cells.status(session.status, screen.palette)
        : Cells.attentionReason(`${SessionStatuses.displayLabel(session.status)}: ${reason}`, screen.palette)
    ],
    ["Activity", Cells.optional(session.activity, String)],
    ["Agent", Cells.optional(agent, String)],
    ["Issue", Cells.optional(session.issueId, String)],
    ["Branch", Cells.optional(session.branch, String)],
    ["Pull request", Cells.optional(Option.all([session.prNumber, session.prUrl]), ([n, url]) => `#${n} ${url}`)],
    ["Workspace", Cells.optional(session.workspacePath, String)],
    ["Summary", Cells.optional(Option.flatMap(session.agentInfo, (info) => info.summary), String)],
    ["Created", Format.instant(session.createdAt)],
    ["Last activity", Format.instant(session.lastActivityAt)],
    ...Option.match(session.restoredAt, {
      onNone: () => [],
      onSome: (at) => [["Restored", Format.instant(at)] as const]
    }),
    ...Option.match(session.archivedAt, {
      onNone: () => [],
      onSome: (at) => [["Archived", Format.instant(at)] as const]
    })
  ]
}

const show = Command.make("show", { id: Args.text({ name: "SESSION_ID" }) }, ({ id }) =>
  Effect.gen(function*() {
    const { json } = yield* ennioDb
    const { events, metrics, session } = yield* withDatabase("sessions show")(Effect.gen(function*() {
      const session = yield* Effect.flatMap(SessionsRepo, (repo) => repo.get(id))
      const metrics = yield* Effect.flatMap(MetricsRepo, (repo) => repo.find(id))
      const events = yield* Effect.flatMap(EventsRepo, (repo) => repo.listBySession(id, { limit: latestEventsShown }))
      return { session, metrics, events }
    }))
    if (json) {
      return yield* JsonOutput.print({
        session: JsonOutput.session(session),
        metrics: Option.getOrNull(Option.map(metrics, JsonOutput.metrics)),
        events: events.map(JsonOutput.event)
      })
    }
    const screen = Screen.of(process.stdout)
    const heading = screen.palette.bold
    yield* Console.log([
      heading(`Session ${session.id}`),
      ...Table.fields(details(session, screen), screen),
      "",
      heading("Metrics"),
      ...Option.match(metrics, {
        onNone: () => ["  No metrics recorded."],
        onSome: (m) => Table.fields(MetricsCommand.fields(m), screen)
      }),
      "",
      heading(`Latest events (${events.length})`),
      ...(events.length === 0 ? ["  No events."] : EventsCommand.table(events, screen))
    ].join("\n"))
  })).pipe(Command.withDescription("Show a session, its metrics and its latest events"))

/** @since 0.1.0 */
export const sessions = Command.make("sessions").pipe(
  Command.withDescription("List or show sessions"),
  Command.withSubcommands([list, show])
)
