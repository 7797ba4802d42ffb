/**
 * A progress bar on stderr, drawn only when stderr is a terminal (never into a pipe or a log).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"

/** @since 0.1.0 */
export interface ProgressBar {
  readonly advance: (done: number) => Effect.Effect<void>
  readonly finish: Effect.Effect<void>
}

const barWidth = 30

/**
 * A bar for `total` steps of `unit` (e.g. "sessions").
 *
 * @since 0.1.0
 */
export const make = (total: number, unit: string, stream: NodeJS.WriteStream = process.stderr): ProgressBar => {
  if (stream.isTTY !== true) return { advance: () => Effect.void, finish: Effect.void }
  return {
    advance: (done) =>
      Effect.sync(() => {
        const filled = Math.round((done / Math.max(total, 1)) * barWidth)
        stream.write(`\r[${"#".repeat(filled)}${".".repeat(barWidth - filled)}] ${done}/${total} ${unit}`)
      }),
    finish: Effect.sync(() => stream.write("\r\x1b[2K"))
  }
}
