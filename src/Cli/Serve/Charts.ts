/**
 * The overview's charts as inline SVG: one bar an hour, each with its figure as a tooltip
 * (`<title>`), drawn by the server with no script and no chart service.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import { type Html, html } from "./Html.js"

const width = 480
const height = 120
const top = 14
const bottom = 18

/**
 * A bar chart of hourly figures from `since`, labelled with every sixth hour (UTC).
 *
 * @since 0.1.0
 */
export const hourlyBars = (options: {
  readonly title: string
  readonly since: DateTime.Utc
  readonly values: ReadonlyArray<number>
  readonly format: (value: number) => string
  readonly className: string
}): Html => {
  const { format, since, title, values } = options
  const max = Math.max(0, ...values)
  const slot = width / Math.max(1, values.length)
  const plot = height - top - bottom
  const bars = values.map((value, hour) => {
    const barHeight = max === 0 ? 0 : Math.max(value > 0 ? 1 : 0, (value / max) * plot)
    const start = DateTime.add(since, { hours: hour })
    const label = `${DateTime.formatIso(start).slice(11, 16)} UTC: ${format(value)}`
    return html`<rect x="${(hour * slot + 1).toFixed(1)}" y="${(top + plot - barHeight).toFixed(1)}" width="${
      (slot - 2).toFixed(1)
    }" height="${barHeight.toFixed(1)}"><title>${label}</title></rect>`
  })
  const ticks = values.flatMap((_, hour) =>
    hour % 6 === 0
      ? [html`<text x="${(hour * slot + 1).toFixed(1)}" y="${height - 4}">${
        DateTime.formatIso(DateTime.add(since, { hours: hour })).slice(11, 16)
      }</text>`]
      : []
  )
  return html`<figure class="chart ${options.className}"><figcaption>${title}</figcaption><svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${title}"><text class="max" x="0" y="10">max ${
    format(max)
  }</text><line x1="0" y1="${top + plot + 0.5}" x2="${width}" y2="${top + plot + 0.5}"></line>${bars}${ticks}</svg></figure>`
}
