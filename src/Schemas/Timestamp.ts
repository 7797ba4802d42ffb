/**
 * Stored timestamps: decoded from every spelling found in existing databases,
 * written as RFC 3339 UTC with milliseconds.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

// `2026-11-26 08:06:52` (SQLite datetime), `…T…[.f{1,9}](Z|±hh:mm)` (sqlx, RFC 3339),
// `2026-11-26 08:06:52[.f{1,6}]±hh[:mm]` (PostgreSQL's text output of a timestamptz).
const spelling =
  /^(\d{4})-(\d{2})-(\d{2})([T ])(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}(?::\d{2})?)?$/

/** The decimal number in `text[start, start + length)`, or -1 when a character is not a digit. */
const digits = (text: string, start: number, length: number): number => {
  let value = 0
  for (let i = start; i < start + length; i++) {
    const digit = text.charCodeAt(i) - 48
    if (digit < 0 || digit > 9) return -1
    value = value * 10 + digit
  }
  return value
}

const daysInMonth = (year: number, month: number): number =>
  month === 2
    ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28)
    : month === 4 || month === 6 || month === 9 || month === 11
    ? 30
    : 31

/**
 * The epoch of a timestamp in the spelling ennio-db writes (`2026-11-26T08:06:52.123Z`),
 * read by hand: rows are read far more often than written, and `Date.parse` with a check
 * that the value prints back was the largest cost of decoding a row. `undefined` for
 * anything else, which the general parser then reads (years before 100 included, which
 * `Date.UTC` would move to the 1900s).
 */
const parseCanonical = (text: string): number | undefined => {
  if (
    text.length !== 24 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84 ||
    text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58 || text.charCodeAt(19) !== 46 ||
    text.charCodeAt(23) !== 90
  ) return undefined
  const year = digits(text, 0, 4)
  const month = digits(text, 5, 2)
  const day = digits(text, 8, 2)
  const hour = digits(text, 11, 2)
  const minute = digits(text, 14, 2)
  const second = digits(text, 17, 2)
  const millis = digits(text, 20, 3)
  if (
    year < 100 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour < 0 || hour > 23 ||
    minute < 0 || minute > 59 || second < 0 || second > 59 || millis < 0
  ) return undefined
  return Date.UTC(year, month - 1, day, hour, minute, second, millis)
}

/**
 * Parses a stored timestamp; `undefined` when it is not one of the accepted spellings.
 *
 * @since 0.1.0
 */
export const parseTimestamp = (text: string): DateTime.Utc | undefined => {
  const canonical = parseCanonical(text)
  if (canonical !== undefined) return DateTime.unsafeMake(canonical)
  // The spelling ennio-db writes, exactly: what parses and prints back unchanged.
  if (text.length === 24 && text.charCodeAt(23) === 90 /* Z */) {
    const epoch = Date.parse(text)
    if (!Number.isNaN(epoch) && new Date(epoch).toISOString() === text) return DateTime.unsafeMake(epoch)
  }
  const m = spelling.exec(text)
  if (m === null) return undefined
  const [, y, mo, d, sep, h, mi, s, frac, zone] = m
  // A space-separated value without zone is SQLite's datetime('now'): UTC. A `T` needs a zone.
  if (sep === "T" && zone === undefined) return undefined
  const month = Number(mo)
  const day = Number(d)
  const hour = Number(h)
  const minute = Number(mi)
  const second = Number(s)
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    return undefined
  }
  const millis = frac === undefined ? 0 : Number(frac.padEnd(3, "0").slice(0, 3))
  let epoch = Date.UTC(Number(y), month - 1, day, hour, minute, second, millis)
  // Date.UTC rolls 31 February over into March: reject instead.
  if (new Date(epoch).getUTCDate() !== day) return undefined
  if (zone !== undefined && zone !== "Z") {
    const sign = zone[0] === "-" ? -1 : 1
    const zoneMinutes = zone.length === 3 ? 0 : Number(zone.slice(4, 6))
    if (zoneMinutes > 59) return undefined
    epoch -= sign * (Number(zone.slice(1, 3)) * 60 + zoneMinutes) * 60_000
  }
  return Option.getOrUndefined(DateTime.make(epoch))
}

/**
 * Formats a timestamp the way ennio-db writes it: `2026-11-26T08:06:52.123Z`.
 *
 * @since 0.1.0
 */
export const formatTimestamp = (dateTime: DateTime.DateTime): string => DateTime.formatIso(dateTime)

/**
 * A stored timestamp column: `string` ⇄ `DateTime.Utc`.
 *
 * @since 0.1.0
 */
export const Timestamp = Schema.transformOrFail(Schema.String, Schema.DateTimeUtcFromSelf, {
  strict: true,
  decode: (text, _, ast) => {
    const parsed = parseTimestamp(text)
    return parsed === undefined
      ? ParseResult.fail(new ParseResult.Type(ast, text, `unreadable timestamp ${JSON.stringify(text)}`))
      : ParseResult.succeed(parsed)
  },
  encode: (dateTime) => ParseResult.succeed(formatTimestamp(dateTime))
}).annotations({ identifier: "Timestamp" })
