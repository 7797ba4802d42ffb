/**
 * Commits to PostgreSQL's change logs, seen through LISTEN/NOTIFY: migration 8's triggers
 * `NOTIFY ennio_events` or `ennio_sessions` in the writing transaction, which the server
 * delivers only if it commits. Each watch listens on a dedicated connection, outside the pool
 * (a pooled connection is shared and given back); when that connection is lost (a server
 * restart) it connects again, and then wakes the follower, whose cursor reads what was missed.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as Pg from "pg"
import { DbError } from "../Schemas/Errors.js"
import type { ChangeFeed, ChangeLog } from "./Backend.js"

/** @since 0.1.0 */
export interface ListenOptions {
  readonly url: Redacted.Redacted<string>
  /** The URL with its password masked, for messages. */
  readonly display: string
  readonly connectTimeoutMs: number
  /** Rewrites a driver message so that it cannot show the password. */
  readonly scrub: (text: string) => string
}

// The pauses between attempts to connect again, growing to the last.
const retryPausesMs = [50, 100, 250, 500, 1_000]

/**
 * The change feed of the database at `options.url`.
 *
 * @since 0.1.0
 */
export const make = (options: ListenOptions): ChangeFeed => (log) => listen(options, log)

const listen = (options: ListenOptions, log: ChangeLog): Effect.Effect<Effect.Effect<void>, DbError, Scope.Scope> =>
  Effect.gen(function*() {
    const signal = yield* Queue.sliding<void>(1)
    const state = { closed: false, client: undefined as Pg.Client | undefined, timer: undefined as NodeJS.Timeout | undefined }

    const connect = async (): Promise<void> => {
      const client = new Pg.Client({
        connectionString: Redacted.value(options.url),
        application_name: "ennio-db listener",
        connectionTimeoutMillis: options.connectTimeoutMs,
        keepAlive: true
      })
      // A lost connection emits 'error' then 'end'; 'end' starts the reconnection.
      client.on("error", () => {})
      client.on("notification", () => signal.unsafeOffer(undefined))
      try {
        await client.connect()
        await client.query(log === "events" ? "LISTEN ennio_events" : "LISTEN ennio_sessions")
      } catch (error) {
        client.end().catch(() => {})
        throw error
      }
      if (state.closed) {
        await client.end().catch(() => {})
        return
      }
      state.client = client
      client.on("end", () => {
        if (state.client === client) state.client = undefined
        if (!state.closed) reconnect(0)
      })
      // Commits made while no connection listened: the follower reads from its cursor.
      signal.unsafeOffer(undefined)
    }

    const reconnect = (attempt: number): void => {
      if (state.closed) return
      state.timer = setTimeout(() => {
        connect().catch(() => reconnect(attempt + 1))
      }, retryPausesMs[Math.min(attempt, retryPausesMs.length - 1)])
    }

    yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: connect,
        catch: (cause) =>
          new DbError({
            reason: "Connection",
            message: options.scrub(`Cannot listen on PostgreSQL at ${options.display}: ${messageOf(cause)}`),
            cause
          })
      }),
      () =>
        Effect.promise(async () => {
          state.closed = true
          if (state.timer !== undefined) clearTimeout(state.timer)
          await state.client?.end().catch(() => {})
        })
    )
    return Queue.take(signal)
  })

const messageOf = (cause: unknown): string => {
  const message = (cause as { readonly message?: unknown } | undefined)?.message
  return typeof message === "string" && message !== "" ? message : String(cause)
}
