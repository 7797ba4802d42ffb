/**
 * `ennio-db events SESSION_ID`: a session's event log, newest first, a page at a time.
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
import { SessionsRepo } from "../Repos/SessionsRepo.js"
import { EventType } from "../Schemas/Enums.js"
import type { OrchestratorEvent } from "../Schemas/Event.js"
import * as Cells from "./Cells.js"
import * as Format from "./Format.js"
import { ennioDb, withDatabase } from "./GlobalOptions.js"
import * as JsonOutput from "./JsonOutput.js"
import * as Screen from "./Screen.js"
import * as Table from "./Table.js"

// With --type, the log is read this many events at a time until the page is full.
const scanPageSize = 500

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

/** Up to `limit` events of `type`, older than `before`: the log scanned page by page, newest first. */
const listOfType = (sessionId: string, type: EventType, limit: number, before: string | undefined) =>
  Effect.gen(function*() {
    const repo = yield* EventsRepo
    const found: Array<OrchestratorEvent> = []
    let cursor = before
    for (;;) {
      const page = yield* repo.listBySession(sessionId, { limit: scanPageSize, before: cursor })
      found.push(...page.filter((event) => event.eventType === type))
      if (found.length >= limit || page.length < scanPageSize) return found.slice(0, limit)
      cursor = page[page.length - 1]!.id
    }
  })

/** @since 0.1.0 */
export const events = Command.make("events", {
  sessionId: Args.text({ name: "SESSION_ID" }),
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
}, ({ before, limit, sessionId, type }) =>
  Effect.gen(function*() {
    const { json } = yield* ennioDb
    const cursor = Option.getOrUndefined(before)
    const page = yield* withDatabase("events")(Effect.gen(function*() {
      // An unknown session is an error, not an empty log.
      yield* Effect.flatMap(SessionsRepo, (sessions) => sessions.get(sessionId))
      return yield* Option.match(type, {
        onNone: () => Effect.flatMap(EventsRepo, (repo) => repo.listBySession(sessionId, { limit, before: cursor })),
        onSome: (type) => listOfType(sessionId, type, limit, cursor)
      })
    }))
    if (json) return yield* JsonOutput.print(page.map(JsonOutput.event))
    if (page.length === 0) return yield* Console.log("No events.")
    const screen = Screen.of(process.stdout)
    const more = page.length === limit
      ? [screen.palette.dim(`Older events: --before ${page[page.length - 1]!.id}`)]
      : []
    yield* Console.log([...table(page, screen), ...more].join("\n"))
  })).pipe(Command.withDescription("A session's events, newest first"))
