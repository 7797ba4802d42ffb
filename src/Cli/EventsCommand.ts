/**
 * `ennio-db events SESSION_ID`: a session's event log, newest first, a page at a time; with
 * `--follow`, the events of every process as they are committed, until interrupted.
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
import * as Stream from "effect/Stream"
import { type EventFollowFilter, EventsRepo } from "../Repos/EventsRepo.js"
import { SessionsRepo } from "../Repos/SessionsRepo.js"
import { EventPriority, EventType } from "../Schemas/Enums.js"
import type { OrchestratorEvent } from "../Schemas/Event.js"
import * as Cells from "./Cells.js"
import { UsageError } from "./Failures.js"
import * as Format from "./Format.js"
import { ennioDb, withDatabase } from "./GlobalOptions.js"
import * as Interrupt from "./Interrupt.js"
import * as JsonOutput from "./JsonOutput.js"
import * as Screen from "./Screen.js"
import * as Table from "./Table.js"

/**
 * Events as a table: time, priority, type, message.
 *
 * @since 0.1.0
 */
export const table = (events: ReadonlyArray<OrchestratorEvent>, screen: Screen.Screen): Array<string> =>
  Table.render(
    [{ header: "TIME" }, { header: "PRIORITY" }, { header: "TYPE", shrink: true }, { header: "MESSAGE", shrink: true }],
    events.map((event) => [
      Format.instant(event.timestamp),
      Cells.priority(event.priority, screen.palette),
      event.eventType,
      event.message
    ]),
    screen
  )

/**
 * One followed event as a line: time, priority, type, session, message.
 *
 * @since 0.1.0
 */
export const line = (event: OrchestratorEvent, screen: Screen.Screen): string =>
  [
    Format.instant(event.timestamp),
    Cells.priority(event.priority, screen.palette),
    event.eventType,
    event.sessionId,
    event.message.replace(/\s*\n\s*/g, " ")
  ].join("  ")

const follow = (filter: EventFollowFilter) =>
  Interrupt.untilInterrupted(Effect.gen(function*() {
    const { json } = yield* ennioDb
    const screen = Screen.of(process.stdout)
    yield* withDatabase("events --follow")(Effect.flatMap(EventsRepo, (repo) =>
      Stream.runForEachChunk(repo.follow(filter), (chunk) =>
        Effect.sync(() => {
          let out = ""
          for (const { event } of chunk) {
            out += `${json ? JSON.stringify(JsonOutput.event(event)) : line(event, screen)}\n`
          }
          process.stdout.write(out)
        }))))
  }))

/** @since 0.1.0 */
export const events = Command.make("events", {
  sessionId: Args.text({ name: "SESSION_ID" }).pipe(Args.optional),
  follow: Options.boolean("follow").pipe(
    Options.withDescription("Print events as they are committed, by any process, until interrupted")
  ),
  project: Options.text("project").pipe(
    Options.withPseudoName("PROJECT_ID"),
    Options.withDescription("--follow: only this project's events"),
    Options.optional
  ),
  minPriority: Options.text("min-priority").pipe(
    Options.withPseudoName("PRIORITY"),
    Options.withDescription(`--follow: only events at or above this priority: ${EventPriority.literals.join(", ")}`),
    Options.filterMap(Schema.decodeUnknownOption(EventPriority), "--min-priority takes a priority such as urgent"),
    Options.optional
  ),
  limit: Options.integer("limit").pipe(
    Options.withPseudoName("N"),
    Options.withDescription("At most this many events"),
    Options.filterMap(Option.liftPredicate((n) => n > 0), "--limit takes a positive integer"),
    Options.withDefault(50)
  ),
  type: Options.text("type").pipe(
    Options.withPseudoName("TYPE"),
    Options.withDescription(`Only events of this type: ${EventType.literals.join(", ")}`),
    Options.filterMap(Schema.decodeUnknownOption(EventType), "--type takes an event type such as ci_failing"),
    Options.optional
  ),
  before: Options.text("before").pipe(
    Options.withPseudoName("EVENT_ID"),
    Options.withDescription("Only events older than this event id (the last id of the previous page)"),
    Options.optional
  )
}, ({ before, follow: following, limit, minPriority, project, sessionId: sessionOption, type }) =>
  Effect.gen(function*() {
    if (following) {
      return yield* follow({
        sessionId: Option.getOrUndefined(sessionOption),
        projectId: Option.getOrUndefined(project),
        eventType: Option.getOrUndefined(type),
        minPriority: Option.getOrUndefined(minPriority)
      })
    }
    if (Option.isNone(sessionOption)) {
      return yield* new UsageError({ message: "events takes a SESSION_ID, or --follow (see ennio-db events --help)" })
    }
    if (Option.isSome(project) || Option.isSome(minPriority)) {
      return yield* new UsageError({ message: "--project and --min-priority go with --follow" })
    }
    const sessionId = sessionOption.value
    const { json } = yield* ennioDb
    const cursor = Option.getOrUndefined(before)
    const { more, page } = yield* withDatabase("events")(Effect.gen(function*() {
      // An unknown session is an error, not an empty log.
      yield* Effect.flatMap(SessionsRepo, (sessions) => sessions.get(sessionId))
      const eventType = Option.getOrUndefined(type)
      // One more than asked: whether older events exist, for the hint.
      return yield* Effect.flatMap(EventsRepo, (repo) =>
        repo.listBySession(sessionId, { limit: limit + 1, before: cursor, eventType }))
    })).pipe(Effect.map((events) => ({ page: events.slice(0, limit), more: events.length > limit })))
    if (json) return yield* JsonOutput.print(page.map(JsonOutput.event))
    if (page.length === 0) return yield* Console.log("No events.")
    const screen = Screen.of(process.stdout)
    const hint = more ? [screen.palette.dim(`Older events: --before ${page[page.length - 1]!.id}`)] : []
    yield* Console.log([...table(page, screen), ...hint].join("\n"))
  })).pipe(Command.withDescription("A session's events, newest first; --follow: events as they are committed"))
