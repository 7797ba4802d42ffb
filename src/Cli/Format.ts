/**
 * How numbers, money, instants and spans of time read in tables.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"

const grouped = new Intl.NumberFormat("en-US")
const dollars = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" })

/**
 * `1234567` → `1,234,567`.
 *
 * @since 0.1.0
 */
export const count = (n: number): string => grouped.format(n)

/**
 * `1234.5` → `$1,234.50`.
 *
 * @since 0.1.0
 */
export const usd = (amount: number): string => dollars.format(amount)

/**
 * Token counts, short: `950`, `12.3k`, `4.56M`, `1.20B`.
 *
 * @since 0.1.0
 */
export const tokens = (n: number): string => {
  const short = (value: number, unit: string) => `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)}${unit}`
  if (n < 1_000) return String(n)
  if (n < 1_000_000) return short(n / 1_000, "k")
  if (n < 1_000_000_000) return short(n / 1_000_000, "M")
  return short(n / 1_000_000_000, "B")
}

/**
 * An instant in UTC to the minute: `2026-11-26 08:06`.
 *
 * @since 0.1.0
 */
export const instant = (dateTime: DateTime.DateTime): string =>
  DateTime.formatIso(DateTime.toUtc(dateTime)).slice(0, 16).replace("T", " ")

/**
 * Seconds as the two largest units: `45s`, `12m 5s`, `3h 20m`, `2d 4h`.
 *
 * @since 0.1.0
 */
export const seconds = (total: number): string => {
  const units: ReadonlyArray<readonly [string, number]> = [["d", 86_400], ["h", 3_600], ["m", 60], ["s", 1]]
  const parts: Array<string> = []
  let rest = Math.round(total)
  for (const [unit, size] of units) {
    if (parts.length === 2) break
    const amount = Math.floor(rest / size)
    rest -= amount * size
    if (amount > 0 || parts.length > 0) parts.push(`${amount}${unit}`)
  }
  return parts.length === 0 ? "0s" : parts.filter((part) => !part.startsWith("0")).join(" ")
}

/**
 * Milliseconds with the precision that matters: `0.042 ms`, `3.21 ms`, `45.6 ms`, `812 ms`.
 *
 * @since 0.1.0
 */
export const milliseconds = (ms: number): string =>
  `${ms.toFixed(ms < 1 ? 3 : ms < 10 ? 2 : ms < 100 ? 1 : 0)} ms`
