/**
 * Who may reach the dashboard. It binds the loopback address by default; any other address
 * needs a token, and then every request must carry it (an `Authorization: Bearer` header, or
 * the cookie a first `?token=` visit sets, so that links and the live stream carry it too).
 * Without a token, requests must name a loopback host, so that a web page elsewhere cannot
 * read the dashboard through a name that resolves to 127.0.0.1 (DNS rebinding).
 *
 * @since 0.1.0
 */
import * as crypto from "node:crypto"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { UsageError } from "../Failures.js"

/** @since 0.1.0 */
export const cookieName = "ennio_db_token"

const loopbackHosts: ReadonlySet<string> = new Set(["127.0.0.1", "::1", "[::1]", "localhost"])

/**
 * Whether `host` (an address or a name, as `--host` or a Host header's name) is this machine only.
 *
 * @since 0.1.0
 */
export const isLoopback = (host: string): boolean =>
  loopbackHosts.has(host.toLowerCase()) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)

/**
 * Refuses to serve another address than loopback without a token, and an empty token.
 *
 * @since 0.1.0
 */
export const checkBinding = (host: string, token: Option.Option<string>): Effect.Effect<void, UsageError> =>
  Option.match(token, {
    onNone: () =>
      isLoopback(host) ? Effect.void : Effect.fail(
        new UsageError({
          message: `serve binds ${host} only with --token (every request must then carry it); without one it binds 127.0.0.1`
        })
      ),
    onSome: (value) =>
      value.length < 8
        ? Effect.fail(new UsageError({ message: "--token must be at least 8 characters" }))
        : Effect.void
  })

const digest = (text: string) => crypto.createHash("sha256").update(text).digest()

/** Compares in constant time: how long a wrong token takes tells nothing about the right one. */
const sameToken = (given: string, expected: string) => crypto.timingSafeEqual(digest(given), digest(expected))

/** What a request's credentials allow. */
export type Admission =
  | { readonly _tag: "Admitted"; readonly setCookie: boolean }
  | { readonly _tag: "Refused"; readonly status: 401 | 403; readonly message: string }

const hostName = (header: string | undefined): string => {
  if (header === undefined) return ""
  const bracketed = /^(\[[^\]]*\])(?::\d+)?$/.exec(header)
  return bracketed !== null ? bracketed[1]! : header.replace(/:\d+$/, "")
}

/**
 * Whether `request` may be answered: with a token, it must carry it; without, it must name a
 * loopback host. `setCookie`: the token came in the query, and the answer should keep it.
 *
 * @since 0.1.0
 */
export const admit = (
  request: HttpServerRequest.HttpServerRequest,
  token: Option.Option<string>,
  queryToken: string | undefined
): Admission => {
  if (Option.isNone(token)) {
    return isLoopback(hostName(request.headers["host"]))
      ? { _tag: "Admitted", setCookie: false }
      : { _tag: "Refused", status: 403, message: "This dashboard answers requests for 127.0.0.1 or localhost only" }
  }
  const expected = token.value
  const authorization = request.headers["authorization"]
  const bearer = authorization?.startsWith("Bearer ") === true ? authorization.slice(7) : undefined
  if (bearer !== undefined && sameToken(bearer, expected)) return { _tag: "Admitted", setCookie: false }
  const cookie = request.cookies[cookieName]
  if (cookie !== undefined && sameToken(cookie, expected)) return { _tag: "Admitted", setCookie: false }
  if (queryToken !== undefined && sameToken(queryToken, expected)) return { _tag: "Admitted", setCookie: true }
  return { _tag: "Refused", status: 401, message: "This dashboard needs its token: ?token=… once, or Authorization: Bearer …" }
}
