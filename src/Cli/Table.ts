/**
 * Aligned text tables that fit the screen: columns marked `shrink` give up width (their
 * cells cut with `…`) until the table fits; colour is applied after alignment so that
 * escape codes never disturb it.
 *
 * @since 0.1.0
 */
import type { Screen } from "./Screen.js"

/** @since 0.1.0 */
export interface Column {
  readonly header: string
  readonly align?: "left" | "right"
  /** This column may be narrowed, down to six characters or its header's width, to fit the screen. */
  readonly shrink?: boolean
}

/**
 * A cell: text, or text with a style (a `Palette` function).
 *
 * @since 0.1.0
 */
export type Cell = string | { readonly text: string; readonly style: (text: string) => string }

const gap = "  "

const textOf = (cell: Cell): string => typeof cell === "string" ? cell : cell.text

/**
 * Cuts `text` to `width` characters, ending with `…` when something was cut.
 *
 * @since 0.1.0
 */
export const truncate = (text: string, width: number): string =>
  text.length <= width ? text : width <= 1 ? text.slice(0, width) : `${text.slice(0, width - 1)}…`

/** Column widths: the widest cell of each, then the widest shrinkable ones narrowed a character at a time. */
const fitWidths = (columns: ReadonlyArray<Column>, rows: ReadonlyArray<ReadonlyArray<Cell>>, width: number) => {
  const widths = columns.map((column, i) =>
    rows.reduce((widest, row) => Math.max(widest, textOf(row[i] ?? "").length), column.header.length)
  )
  let excess = widths.reduce((sum, w) => sum + w, gap.length * (columns.length - 1)) - width
  while (excess > 0) {
    let widest = -1
    columns.forEach((column, i) => {
      const narrowest = Math.min(column.header.length, 6)
      if (column.shrink === true && widths[i]! > narrowest && (widest < 0 || widths[i]! > widths[widest]!)) {
        widest = i
      }
    })
    if (widest < 0) break
    widths[widest]!--
    excess--
  }
  return widths
}

/**
 * Renders the header (bold) and the rows as lines, without trailing spaces.
 *
 * @since 0.1.0
 */
export const render = (
  columns: ReadonlyArray<Column>,
  rows: ReadonlyArray<ReadonlyArray<Cell>>,
  screen: Screen
): Array<string> => {
  const widths = fitWidths(columns, rows, screen.width)
  const line = (cells: ReadonlyArray<Cell>, headerStyle?: (text: string) => string) =>
    columns.map((column, i) => {
      const cell = cells[i] ?? ""
      const text = truncate(textOf(cell), widths[i]!)
      const padding = " ".repeat(widths[i]! - text.length)
      const style = headerStyle ?? (typeof cell === "string" ? undefined : cell.style)
      const styled = style === undefined || text === "" ? text : style(text)
      if (column.align === "right") return padding + styled
      return i === columns.length - 1 ? styled : styled + padding
    }).join(gap).trimEnd()
  return [line(columns.map((column) => column.header), screen.palette.bold), ...rows.map((row) => line(row))]
}

/**
 * Renders label–value pairs as an indented, aligned block; values are cut to the screen.
 *
 * @since 0.1.0
 */
export const fields = (pairs: ReadonlyArray<readonly [label: string, value: Cell]>, screen: Screen): Array<string> => {
  const labelWidth = pairs.reduce((widest, [label]) => Math.max(widest, label.length), 0)
  const valueWidth = Math.max(10, screen.width - labelWidth - 2 - gap.length)
  return pairs.map(([label, value]) => {
    const text = truncate(textOf(value), valueWidth)
    const styled = typeof value === "string" || text === "" ? text : value.style(text)
    return `  ${screen.palette.dim(label.padEnd(labelWidth))}${gap}${styled}`.trimEnd()
  })
}
