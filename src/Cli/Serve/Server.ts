/**
 * The dashboard's HTTP server: @effect/platform's `HttpServer` on Node, answering only GET and
 * HEAD (nothing it serves can write), admitting requests as `Access` says, with a
 * Content-Security-Policy that allows no script but its own file. Closing its scope ends the
 * live streams first, then closes the server, then the live feed and the database.
 *
 * @since 0.1.0
 */
import * as http from "node:http"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type { Repositories } from "../../Repos/Repos.js"
import * as Access from "./Access.js"
import * as LiveFeed from "./LiveFeed.js"
import * as Pages from "./Pages.js"
import { jsonError, router } from "./Routes.js"

/**
 * The server could not listen (the port is taken, the address is not this machine's).
 *
 * @since 0.1.0
 */
export class ListenError extends Data.TaggedError("ListenError")<{ readonly message: string }> {}

/** @since 0.1.0 */
export interface ServeOptions {
  readonly host: string
  readonly port: number
  readonly token: Option.Option<string>
}

/**
 * Sent with every answer: no script but the dashboard's own file, nothing loaded from
 * elsewhere, no framing, no guessing of content types, no referrer.
 *
 * @since 0.1.0
 */
export const securityHeaders = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-resource-policy": "same-origin"
} as const

// How long closing waits for the live streams to end before closing their connections anyway.
const drainFor = Schedule.spaced("10 millis").pipe(Schedule.upTo("2 seconds"))

const isMachineReadable = (url: string) => url.startsWith("/api/") || url.startsWith("/live/")

/** An answer that is not a route's: JSON for the API and the live streams, a page otherwise. */
const refusal = (url: string, status: number, tag: string, message: string, headers: Record<string, string> = {}) =>
  isMachineReadable(url)
    ? jsonError(status, { _tag: tag, message }, headers)
    : HttpServerResponse.text(Pages.errorPage(tag, message).markup, { status, headers, contentType: "text/html; charset=utf-8" })

const app = (token: Option.Option<string>) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const url = request.url
    if (request.method !== "GET" && request.method !== "HEAD") {
      return refusal(url, 405, "MethodNotAllowed", `${request.method} is not allowed: this dashboard only reads`, {
        allow: "GET, HEAD"
      })
    }
    const queryToken = URL.canParse(url, "http://dashboard")
      ? new URL(url, "http://dashboard").searchParams.get("token") ?? undefined
      : undefined
    const admission = Access.admit(request, token, queryToken)
    if (admission._tag === "Refused") {
      return refusal(url, admission.status, admission.status === 401 ? "Unauthorized" : "Forbidden", admission.message)
    }
    const started = performance.now()
    const routed = yield* router.pipe(
      Effect.catchTag("RouteNotFound", () =>
        Effect.succeed(refusal(url, 404, "RouteNotFound", `Nothing is served at ${url.split("?")[0]}`)))
    )
    // The server's time to read and render (a live stream's is its start): what the bench measures.
    const response = HttpServerResponse.setHeader(routed, "server-timing", `app;dur=${(performance.now() - started).toFixed(1)}`)
    return admission.setCookie && Option.isSome(token)
      ? yield* HttpServerResponse.setCookie(response, Access.cookieName, token.value, {
        httpOnly: true,
        sameSite: "strict",
        path: "/"
      }).pipe(Effect.orElseSucceed(() => response))
      : response
  }).pipe(Effect.map(HttpServerResponse.setHeaders(securityHeaders)))

const urlHost = (host: string) => host.includes(":") && !host.startsWith("[") ? `[${host}]` : host

/**
 * Serves the dashboard until interrupted, then closes it cleanly.
 *
 * @since 0.1.0
 */
export const run = (options: ServeOptions): Effect.Effect<never, ListenError, Repositories> =>
  Effect.scoped(Effect.gen(function*() {
    const feedContext = yield* Layer.build(LiveFeed.layer)
    const feed = Context.get(feedContext, LiveFeed.LiveFeed)
    const server = http.createServer()
    const httpServer = yield* NodeHttpServer.make(() => server, { host: options.host, port: options.port }).pipe(
      Effect.mapError((error) =>
        new ListenError({
          message: `Cannot listen on ${urlHost(options.host)}:${options.port}: ${
            error.cause instanceof Error ? error.cause.message : String(error.cause)
          }`
        })
      )
    )
    yield* HttpServer.serveEffect()(app(options.token)).pipe(
      Effect.provideService(HttpServer.HttpServer, httpServer),
      Effect.provide(feedContext)
    )
    // Runs before the server's own close, which would otherwise wait for the open live streams.
    yield* Effect.addFinalizer(() =>
      feed.close.pipe(
        Effect.zipRight(Effect.repeat(feed.open, { until: (open) => open === 0, schedule: drainFor })),
        Effect.zipRight(Effect.sync(() => {
          server.closeIdleConnections()
          // A connection still answering after the streams ended is closed a moment later.
          setTimeout(() => server.closeAllConnections(), 500).unref()
        }))
      )
    )
    const port = httpServer.address._tag === "TcpAddress" ? httpServer.address.port : options.port
    yield* Console.log(
      `ennio-db serve: http://${urlHost(options.host)}:${port}/${
        Option.isSome(options.token) ? " (token required: open ?token=… once, or send Authorization: Bearer …)" : ""
      }; Ctrl-C stops it`
    )
    return yield* Effect.never
  }))
