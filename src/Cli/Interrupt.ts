/**
 * Commands that run until interrupted (`events --follow`, `status --watch`): for them Ctrl-C
 * or SIGTERM is how they end, so the process exits 0 rather than the shell's 130.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"

let interruptEndsWell = false

/**
 * Whether the command that ran has said that an interruption is its normal end.
 *
 * @since 0.1.0
 */
export const endsWell = (): boolean => interruptEndsWell

/**
 * Runs `effect` as a command that ends when interrupted: the interruption is its exit 0.
 *
 * @since 0.1.0
 */
export const untilInterrupted = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.zipRight(Effect.sync(() => {
    interruptEndsWell = true
  }), effect)
