/**
 * Domain values as table cells: statuses that need attention in red, finished ones in
 * green or dimmed; priorities by urgency.
 *
 * @since 0.1.0
 */
import type * as Option from "effect/Option"
import { type EventPriority, type SessionStatus, SessionStatuses } from "../Schemas/Enums.js"
import type { Palette } from "./Screen.js"
import type { Cell } from "./Table.js"

const statusStyle = (status: SessionStatus, palette: Palette): ((text: string) => string) | undefined => {
  if (SessionStatuses.needsAttention(status)) return (text) => palette.bold(palette.red(text))
  if (status === "merged" || status === "done") return palette.green
  if (SessionStatuses.isTerminal(status)) return palette.dim
  return undefined
}

/**
 * A status by its label, styled by what it asks of a human.
 *
 * @since 0.1.0
 */
export const status = (value: SessionStatus, palette: Palette): Cell => {
  const style = statusStyle(value, palette)
  const text = SessionStatuses.displayLabel(value)
  return style === undefined ? text : { text, style }
}

/**
 * The reason a session needs attention, in the same red as its status.
 *
 * @since 0.1.0
 */
export const attentionReason = (reason: string, palette: Palette): Cell => ({
  text: reason,
  style: (text) => palette.bold(palette.red(text))
})

/**
 * A priority, coloured from none (info) to bold red (critical).
 *
 * @since 0.1.0
 */
export const priority = (value: EventPriority, palette: Palette): Cell => {
  switch (value) {
    case "info":
      return value
    case "action":
      return { text: value, style: palette.cyan }
    case "urgent":
      return { text: value, style: palette.yellow }
    case "critical":
      return { text: value, style: (text) => palette.bold(palette.red(text)) }
  }
}

/**
 * An optional value, or an empty cell.
 *
 * @since 0.1.0
 */
export const optional = <A>(value: Option.Option<A>, show: (a: A) => string): string =>
  value._tag === "Some" ? show(value.value) : ""

/**
 * A pull request number as `#123`.
 *
 * @since 0.1.0
 */
export const pr = (number: Option.Option<number>): string => optional(number, (n) => `#${n}`)
