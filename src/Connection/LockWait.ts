/**
 * Waiting for another connection's SQLite lock without blocking the process: a statement
 * refused with SQLITE_BUSY did nothing, so it is tried again after a pause on a timer, while
 * every other fiber and timer of the process keeps running.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"

// Pauses between tries of a statement SQLite refused with SQLITE_BUSY: doubling from the
// first to the longest, so that a short wait is noticed soon and a long one costs little.
export const firstPauseMs = 1
const longestPauseMs = 16

/** Real time: another process's lock frees in real time, whatever Clock a test provides. */
export const pause = (ms: number): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), ms)
    return Effect.sync(() => clearTimeout(timer))
  })

/**
 * Runs `attempt` again while it fails because another connection holds a lock (`locked`),
 * pausing in between without blocking the thread, until `deadline` (a `performance.now()`
 * time); then fails with the last refusal.
 */
export const whileLocked = <A, E>(
  attempt: Effect.Effect<A, E>,
  locked: (error: E) => boolean,
  deadline: number,
  firstPause = firstPauseMs
): Effect.Effect<A, E> => {
  const loop = (pauseMs: number): Effect.Effect<A, E> =>
    Effect.catchIf(attempt, (error) => locked(error) && performance.now() < deadline, () => {
      // Jittered, so that processes waiting for one lock do not try in step.
      const jittered = Math.ceil(pauseMs * (0.5 + Math.random()))
      const left = Math.max(1, Math.ceil(deadline - performance.now()))
      return Effect.zipRight(pause(Math.min(jittered, left)), loop(Math.min(pauseMs * 2, longestPauseMs)))
    })
  return loop(firstPause)
}
