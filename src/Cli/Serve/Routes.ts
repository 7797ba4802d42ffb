/**
 * What the dashboard answers, as an @effect/platform `HttpRouter`: the pages, `/api/…` (the
 * same data as JSON, under `--json`'s field names), the live streams, and its two assets.
 * Every read goes through the repositories; a failure is a page or a JSON error naming its
 * `_tag`, with the status that fits (404 NotFound, 400 InvalidInput, 503 for a database that
 * is busy, closed or unreachable).
 *
 * @since 0.1.0
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { EventsRepo } from "../../Repos/EventsRepo.js"
import { MetricsRepo } from "../../Repos/MetricsRepo.js"
import { ProjectsRepo } from "../../Repos/ProjectsRepo.js"
import { SessionsRepo } from "../../Repos/SessionsRepo.js"
import { EventPriority, EventType, SessionStatus } from "../../Schemas/Enums.js"
import { DbError, type RepoError } from "../../Schemas/Errors.js"
import * as JsonOutput from "../JsonOutput.js"
import { latestEventsShown } from "../SessionsCommand.js"
import * as Assets from "./Assets.js"
import type { Html } from "./Html.js"
import { LiveFeed } from "./LiveFeed.js"
import * as Overview from "./Overview.js"
import * as Pages from "./Pages.js"

// A page of a session's timeline: read with one more, to know whether an older page exists.
const timelinePage = 50
// The API's largest page, and its default (as `events --limit`).
const apiMaxLimit = 1_000
const apiDefaultLimit = 50
// A comment on an idle live stream this often, so that a dropped connection is noticed.
const keepAlive = Schedule.spaced("15 seconds")

/** The HTTP status of a repository failure. */
export const statusOf = (error: RepoError): number => {
  if (error._tag === "NotFound") return 404
  if (error._tag === "AlreadyExists") return 409
  switch (error.reason) {
    case "InvalidInput":
      return 400
    case "Busy":
    case "Closed":
    case "Connection":
      return 503
    default:
      return 500
  }
}

/** A repository failure as JSON: its tag and fields, and its message. */
const errorJson = (error: RepoError) =>
  error._tag === "DbError"
    ? { _tag: error._tag, reason: error.reason, message: error.message }
    : { _tag: error._tag, entity: error.entity, id: error.id, message: error.message }

const retryAfter = (error: RepoError) => error._tag === "DbError" && DbError.isRetryable(error) ? { "retry-after": "1" } : {}

/** @since 0.1.0 */
export const jsonError = (status: number, body: { readonly _tag: string; readonly message: string }, headers = {}) =>
  HttpServerResponse.unsafeJson(body, { status, headers })

const page = (markup: Html, status = 200) =>
  HttpServerResponse.text(markup.markup, { status, contentType: "text/html; charset=utf-8" })

/** A page route: a failure is an error page with its status. */
const pageRoute = <R>(handler: Effect.Effect<Html, RepoError, R>) =>
  handler.pipe(
    Effect.map((markup) => page(markup)),
    Effect.catchAll((error) =>
      Effect.succeed(
        page(Pages.errorPage(error._tag === "NotFound" ? "Not found" : error._tag, error.message), statusOf(error)).pipe(
          HttpServerResponse.setHeaders(retryAfter(error))
        )
      )
    )
  )

/** A route answering JSON's way: a failure is JSON naming its `_tag`, with its status. */
const jsonFailures = <A, R>(handler: Effect.Effect<A, RepoError, R>) =>
  Effect.catchAll(handler, (error) => Effect.succeed(jsonError(statusOf(error), errorJson(error), retryAfter(error))))

/** An API route: its value as JSON. */
const apiRoute = <R>(handler: Effect.Effect<unknown, RepoError, R>) =>
  jsonFailures(Effect.map(handler, (body) => HttpServerResponse.unsafeJson(body)))

const invalid = (message: string) => new DbError({ reason: "InvalidInput", message })

/** A query parameter, as given once (the first of several), or undefined when absent or empty. */
const parameter = (name: string) =>
  Effect.map(HttpServerRequest.ParsedSearchParams, (search) => {
    const value = search[name]
    const first = Array.isArray(value) ? value[0] : value
    return first === undefined || first === "" ? undefined : first
  })

/** A parameter that must be one of a schema's values, or `InvalidInput` naming it. */
const literalParameter = <A extends string>(name: string, schema: Schema.Schema<A>, what: string) =>
  Effect.flatMap(parameter(name), (value) => {
    if (value === undefined) return Effect.succeed(undefined)
    return Either.match(Schema.decodeUnknownEither(schema)(value), {
      onLeft: () => Effect.fail(invalid(`${name}: ${JSON.stringify(value)} is not ${what}`)),
      onRight: Effect.succeed
    })
  })

const limitParameter = Effect.flatMap(parameter("limit"), (value) => {
  if (value === undefined) return Effect.succeed(apiDefaultLimit)
  const n = Number(value)
  return /^[0-9]+$/.test(value) && n >= 1 && n <= apiMaxLimit
    ? Effect.succeed(n)
    : Effect.fail(invalid(`limit: ${JSON.stringify(value)} is not an integer from 1 to ${apiMaxLimit}`))
})

const timelineQuery = Effect.all({
  eventType: literalParameter("type", EventType, "an event type"),
  minPriority: literalParameter("min_priority", EventPriority, "a priority (info, action, urgent, critical)"),
  before: parameter("before")
})

const sessionIdParameter = Effect.map(HttpRouter.params, (params) => params["id"] ?? "")

const overviewPage = Effect.gen(function*() {
  const feed = yield* LiveFeed
  // Read before the overview: a change after it makes a newer version, which the page gets.
  const version = yield* feed.version
  return Pages.overviewPage(yield* Overview.gather, version)
})

const sessionPage = Effect.gen(function*() {
  const id = yield* sessionIdParameter
  const timeline = yield* timelineQuery
  const feed = yield* LiveFeed
  const session = yield* Effect.flatMap(SessionsRepo, (repo) => repo.get(id))
  // Read before the events: an event committed after it reaches the page live.
  const cursor = yield* feed.cursor
  const metrics = yield* Effect.flatMap(MetricsRepo, (repo) => repo.find(id))
  const events = yield* Effect.flatMap(EventsRepo, (repo) => repo.listBySession(id, { ...timeline, limit: timelinePage + 1 }))
  const shown = events.slice(0, timelinePage)
  const older = events.length > timelinePage ? shown[shown.length - 1]!.id : undefined
  return Pages.sessionPage({ session, metrics, events: shown, timeline, older, cursor })
})

const apiSessions = Effect.gen(function*() {
  const projectId = yield* parameter("project")
  const status = yield* literalParameter("status", SessionStatus, "a session status")
  const sessions = yield* Effect.flatMap(SessionsRepo, (repo) => repo.list({ projectId, status }))
  return sessions.map(JsonOutput.session)
})

const apiSession = Effect.gen(function*() {
  const id = yield* sessionIdParameter
  const session = yield* Effect.flatMap(SessionsRepo, (repo) => repo.get(id))
  const metrics = yield* Effect.flatMap(MetricsRepo, (repo) => repo.find(id))
  const events = yield* Effect.flatMap(EventsRepo, (repo) => repo.listBySession(id, { limit: latestEventsShown }))
  return {
    session: JsonOutput.session(session),
    metrics: Option.getOrNull(Option.map(metrics, JsonOutput.metrics)),
    events: events.map(JsonOutput.event)
  }
})

const apiEvents = Effect.gen(function*() {
  const id = yield* sessionIdParameter
  const timeline = yield* timelineQuery
  const limit = yield* limitParameter
  // An unknown session is NotFound, not an empty list.
  yield* Effect.flatMap(SessionsRepo, (repo) => repo.get(id))
  const events = yield* Effect.flatMap(EventsRepo, (repo) => repo.listBySession(id, { ...timeline, limit }))
  return events.map(JsonOutput.event)
})

const apiMetrics = Effect.gen(function*() {
  const id = yield* sessionIdParameter
  yield* Effect.flatMap(SessionsRepo, (repo) => repo.get(id))
  const metrics = yield* Effect.flatMap(MetricsRepo, (repo) => repo.find(id))
  return Option.getOrNull(Option.map(metrics, JsonOutput.metrics))
})

/** One message of a Server-Sent Events stream (data split into lines, as the format needs). */
const sseMessage = (event: string, id: string, data: string) =>
  `event: ${event}\nid: ${id}\n${data.split(/\r?\n/).map((line) => `data: ${line}`).join("\n")}\n\n`

/** A live stream as a response: first the reconnection delay, then the messages, and a keep-alive comment when idle. */
const eventStream = (messages: Stream.Stream<string>) =>
  Effect.map(HttpServerRequest.HttpServerRequest, (request) =>
    HttpServerResponse.stream(
      request.method === "HEAD"
        ? Stream.empty
        : Stream.concat(
          Stream.succeed("retry: 1000\n\n"),
          Stream.merge(messages, Stream.as(Stream.fromSchedule(keepAlive), ": keep-alive\n\n"), { haltStrategy: "left" })
        ).pipe(Stream.encodeText),
      { contentType: "text/event-stream", headers: { "cache-control": "no-store", "x-accel-buffering": "no" } }
    ))

/** What a reconnecting stream resumes from: the browser's Last-Event-ID, else the page's parameter. */
const resumeFrom = (name: string) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const lastEventId = request.headers["last-event-id"]
    return lastEventId !== undefined ? Effect.succeed(lastEventId) : Effect.map(parameter(name), (value) => value ?? "")
  })

const liveOverview = Effect.gen(function*() {
  const feed = yield* LiveFeed
  const from = yield* resumeFrom("version")
  const version = /^[0-9]{1,16}$/.test(from) ? Number(from) : 0
  return yield* eventStream(
    Stream.map(feed.overview(version), (update) => sseMessage("overview", String(update.version), update.markup))
  )
})

const liveSession = Effect.gen(function*() {
  const id = yield* sessionIdParameter
  const { eventType, minPriority } = yield* timelineQuery
  const feed = yield* LiveFeed
  yield* Effect.flatMap(SessionsRepo, (repo) => repo.get(id))
  const after = yield* resumeFrom("after")
  return yield* eventStream(
    Stream.map(feed.session({ sessionId: id, eventType, minPriority }, after), (message) =>
      message._tag === "Reload"
        ? sseMessage("reload", after, "")
        : sseMessage("event", message.cursor, Pages.eventRow(message.event).markup))
  )
})

const asset = (body: string, contentType: string) =>
  Effect.succeed(HttpServerResponse.text(body, { contentType, headers: { "cache-control": "no-cache" } }))

/** GET and HEAD (whose answer Node sends without its body). */
const read = <E, R>(path: HttpRouter.PathInput, handler: HttpRouter.Route.Handler<E, R>) =>
<E0, R0>(router: HttpRouter.HttpRouter<E0, R0>) =>
  router.pipe(HttpRouter.get(path, handler), HttpRouter.route("HEAD")(path, handler))

/**
 * The dashboard's routes.
 *
 * @since 0.1.0
 */
export const router = HttpRouter.empty.pipe(
  read("/", pageRoute(overviewPage)),
  read("/sessions/:id", pageRoute(sessionPage)),
  read("/api/overview", apiRoute(Effect.map(Overview.gather, Overview.toJson))),
  read("/api/projects", apiRoute(Effect.flatMap(ProjectsRepo, (repo) => repo.list()).pipe(Effect.map((projects) => projects.map(JsonOutput.project))))),
  read("/api/sessions", apiRoute(apiSessions)),
  read("/api/sessions/:id", apiRoute(apiSession)),
  read("/api/sessions/:id/events", apiRoute(apiEvents)),
  read("/api/sessions/:id/metrics", apiRoute(apiMetrics)),
  read("/live/overview", jsonFailures(liveOverview)),
  read("/live/sessions/:id", jsonFailures(liveSession)),
  read("/assets/live.js", asset(Assets.liveScript, "text/javascript; charset=utf-8")),
  read("/assets/style.css", asset(Assets.styleSheet, "text/css; charset=utf-8"))
)
