/**
 * What the output stream can show: its width and whether it takes colour.
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import type * as Effect from "effect/Effect"

/**
 * Text styles; each is the identity when colour is off.
 *
 * @since 0.1.0
 */
export interface Palette {
  readonly bold: (text: string) => string
  readonly dim: (text: string) => string
  readonly red: (text: string) => string
  readonly yellow: (text: string) => string
  readonly green: (text: string) => string
  readonly cyan: (text: string) => string
}

/** @since 0.1.0 */
export interface Screen {
  readonly width: number
  readonly palette: Palette
}

const sgr = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`
const plain = (text: string) => text

/** @since 0.1.0 */
export const makePalette = (colour: boolean): Palette =>
  colour
    ? {
      bold: sgr(1, 22),
      dim: sgr(2, 22),
      red: sgr(31, 39),
      yellow: sgr(33, 39),
      green: sgr(32, 39),
      cyan: sgr(36, 39)
    }
    : { bold: plain, dim: plain, red: plain, yellow: plain, green: plain, cyan: plain }

// The width tables are laid out for when the stream does not say (a pipe, a file).
const defaultWidth = 80

/**
 * Colour only on a terminal, and never when `NO_COLOR` is set (no-color.org) or the terminal is dumb.
 *
 * @since 0.1.0
 */
export const takesColour = (stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean =>
  stream.isTTY === true && (env.NO_COLOR ?? "") === "" && env.TERM !== "dumb"

/**
 * The screen behind a stream of this process (stdout for results, stderr for traces and progress).
 *
 * @since 0.1.0
 */
export const of = (stream: NodeJS.WriteStream): Screen => ({
  width: stream.isTTY === true && stream.columns > 0 ? stream.columns : defaultWidth,
  palette: makePalette(takesColour(stream, process.env))
})

// SGR sequences (colour, bold…), the only escapes @effect/cli writes.
const sgrSequence = /\x1b\[[0-9;]*m/g

const plainText = (args: ReadonlyArray<unknown>) =>
  args.map((arg) => typeof arg === "string" ? arg.replace(sgrSequence, "") : arg)

/**
 * Runs `effect` with a Console that drops styling from what goes to a stream without
 * colour: @effect/cli styles its help and usage errors whatever the stream.
 *
 * @since 0.1.0
 */
export const withColourOnlyWhereShown = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Console.consoleWith((console) => {
    const stdout = takesColour(process.stdout, process.env)
    const stderr = takesColour(process.stderr, process.env)
    return Console.withConsole(effect, {
      ...console,
      log: (...args) => console.log(...(stdout ? args : plainText(args))),
      info: (...args) => console.info(...(stdout ? args : plainText(args))),
      error: (...args) => console.error(...(stderr ? args : plainText(args))),
      warn: (...args) => console.warn(...(stderr ? args : plainText(args)))
    })
  })
