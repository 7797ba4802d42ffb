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

/**
 * Parses a stored timestamp; `undefined` when it is not one of the accepted spellings.
 *
 * @since 0.1.0
 */
export const parseTimestamp = (text: string): DateTime.Utc | undefined => {
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
