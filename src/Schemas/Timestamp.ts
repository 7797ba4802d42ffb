/**
 * Stored timestamps: decoded from every spelling found in existing databases,
 * written as RFC 3339 UTC with milliseconds, years 0000 to 9999 only.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { expected } from "./Text.js"

// `2026-11-26 08:06[:52[.f{1,9}]]` with `T` or a space, then nothing (UTC), `Z`, or `±hh[:mm]`:
// SQLite's datetime('now'), sqlx's RFC 3339, their forms without seconds, PostgreSQL's text output.
const spelling =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::\d{2})?)?$/

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

// 400 Gregorian years: `Date.UTC` reads years 0–99 as 1900–1999, so those are computed 400 years on.
const fourCenturiesMs = 146_097 * 86_400_000

/** The epoch of a valid calendar date and time of day, for any year 0–9999. */
const epochOf = (year: number, month: number, day: number, hour: number, minute: number): number =>
  year < 100
    ? Date.UTC(year + 400, month - 1, day, hour, minute) - fourCenturiesMs
    : Date.UTC(year, month - 1, day, hour, minute)

/**
 * The milliseconds of `second` and its fraction (the `count` digits of `text` from `start`),
 * computed as SQLite's `julianday()` does (fraction capped at .999, then rounded to the
 * millisecond), so that the instant a row decodes to is the one SQLite's time indices order it by.
 */
const millisOfSecond = (second: number, text: string, start: number, count: number): number => {
  let ms = 0
  if (count > 0) {
    let scale = 1
    for (let i = start; i < start + count; i++) {
      ms = ms * 10 + (text.charCodeAt(i) - 48)
      scale *= 10
    }
    ms /= scale
    if (ms > 0.999) ms = 0.999
  }
  return Math.trunc((second + ms) * 1000 + 0.5)
}

/**
 * The epoch of a timestamp in UTC with seconds, read by hand: rows are read far more often than
 * written. Covers what ennio-db writes (`2026-11-26T08:06:52.123Z`), what PostgreSQL prints in
 * UTC (`2026-11-26 08:06:52.123456+00`) and SQLite's `datetime('now')` (`2026-11-26 08:06:52`).
 * `undefined` for anything else, which `spelling` then reads, to the same instant.
 */
const parseUtc = (text: string): number | undefined => {
  const length = text.length
  const separator = text.charCodeAt(10)
  if (
    length < 19 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || (separator !== 84 && separator !== 32) ||
    text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58
  ) return undefined
  const end = text.charCodeAt(length - 1) === 90
    ? length - 1
    : text.endsWith("+00")
    ? length - 3
    : text.endsWith("+00:00")
    ? length - 6
    : length
  const fractionDigits = end === 19 ? 0 : end - 20
  if (fractionDigits < 0 || fractionDigits > 9 || (end !== 19 && (fractionDigits === 0 || text.charCodeAt(19) !== 46))) {
    return undefined
  }
  const year = digits(text, 0, 4)
  const month = digits(text, 5, 2)
  const day = digits(text, 8, 2)
  const hour = digits(text, 11, 2)
  const minute = digits(text, 14, 2)
  const second = digits(text, 17, 2)
  if (
    year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour < 0 || hour > 23 ||
    minute < 0 || minute > 59 || second < 0 || second > 59 || digits(text, 20, fractionDigits) < 0
  ) return undefined
  return epochOf(year, month, day, hour, minute) + millisOfSecond(second, text, 20, fractionDigits)
}

/**
 * The epoch milliseconds of a stored timestamp, or `undefined` when it is not one of the
 * accepted spellings. A value without a zone is UTC, as SQLite and sqlx read it.
 *
 * @since 0.1.0
 */
export const parseTimestampMillis = (text: string): number | undefined => parseUtc(text) ?? parseSpelling(text)

/**
 * `parseTimestampMillis` through the pattern alone: every accepted spelling.
 *
 * @internal
 */
export const parseSpelling = (text: string): number | undefined => {
  const m = spelling.exec(text)
  if (m === null) return undefined
  const [, y, mo, d, h, mi, s, fraction, zone] = m
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const hour = Number(h)
  const minute = Number(mi)
  const second = s === undefined ? 0 : Number(s)
  if (
    month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59
  ) return undefined
  let epoch = epochOf(year, month, day, hour, minute) +
    millisOfSecond(second, fraction ?? "", 0, fraction === undefined ? 0 : fraction.length)
  if (zone !== undefined && zone !== "Z") {
    const zoneMinutes = zone.length === 3 ? 0 : Number(zone.slice(4, 6))
    if (zoneMinutes > 59) return undefined
    const sign = zone[0] === "-" ? -1 : 1
    epoch -= sign * (Number(zone.slice(1, 3)) * 60 + zoneMinutes) * 60_000
  }
  return epoch
}

/**
 * Parses a stored timestamp; `undefined` when it is not one of the accepted spellings.
 *
 * @since 0.1.0
 */
export const parseTimestamp = (text: string): DateTime.Utc | undefined => {
  const epoch = parseTimestampMillis(text)
  // Years 0000–9999 shifted by at most 99 hours: always a valid date.
  return epoch === undefined ? undefined : DateTime.unsafeMake(epoch)
}

/**
 * The first and last instants every reader can read back: years 0000 to 9999, the range of
 * RFC 3339, of SQLite's date functions and of sqlx.
 *
 * @since 0.1.0
 */
export const storableRange = {
  min: DateTime.unsafeMake("0000-01-01T00:00:00.000Z"),
  max: DateTime.unsafeMake("9999-12-31T23:59:59.999Z")
} as const

/**
 * Whether an instant can be stored: its year is 0000 to 9999.
 *
 * @since 0.1.0
 */
export const isStorable = (dateTime: DateTime.DateTime): boolean => {
  const epoch = DateTime.toEpochMillis(dateTime)
  return epoch >= storableRange.min.epochMillis && epoch <= storableRange.max.epochMillis
}

/**
 * An input instant: a `DateTime.Utc` of a year 0000 to 9999 (see `storableRange`).
 *
 * @since 0.1.0
 */
export const StorableUtc = Schema.DateTimeUtcFromSelf.annotations(expected("a DateTime.Utc")).pipe(
  Schema.filter((dateTime) => isStorable(dateTime) || "must be a year from 0000 to 9999")
).annotations({ identifier: "StorableUtc" })

const twoDigits = (value: number): string => value < 10 ? `0${value}` : `${value}`

/**
 * `new Date(epochMillis).toISOString()` for an instant of a year 0000 to 9999, by hand: every
 * write formats a timestamp, and `Date` goes through the runtime's calendar for it. The date
 * is the proleptic Gregorian one of its day number (Howard Hinnant's `civil_from_days`).
 *
 * @internal
 */
export const formatStorableMillis = (epochMillis: number): string => {
  const millis = Math.trunc(epochMillis)
  const days = Math.floor(millis / 86_400_000)
  const ofDay = millis - days * 86_400_000
  const shifted = days + 719_468
  const era = Math.floor(shifted / 146_097)
  const ofEra = shifted - era * 146_097
  const yearOfEra = Math.floor(
    (ofEra - Math.floor(ofEra / 1_460) + Math.floor(ofEra / 36_524) - Math.floor(ofEra / 146_096)) / 365
  )
  const dayOfYear = ofEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100))
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153)
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
  const ms = ofDay % 1_000
  return `${year < 1000 ? `${year}`.padStart(4, "0") : year}-${twoDigits(month)}-${twoDigits(day)}T${
    twoDigits(Math.floor(ofDay / 3_600_000))
  }:${twoDigits(Math.floor(ofDay / 60_000) % 60)}:${twoDigits(Math.floor(ofDay / 1_000) % 60)}.${
    ms < 10 ? `00${ms}` : ms < 100 ? `0${ms}` : ms
  }Z`
}

/**
 * Formats a timestamp the way ennio-db writes it: `2026-11-26T08:06:52.123Z`.
 *
 * @since 0.1.0
 */
export const formatTimestamp = (dateTime: DateTime.DateTime): string =>
  isStorable(dateTime) ? formatStorableMillis(DateTime.toEpochMillis(dateTime)) : DateTime.formatIso(dateTime)

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
  encode: (dateTime, _, ast) =>
    isStorable(dateTime)
      ? ParseResult.succeed(formatTimestamp(dateTime))
      : ParseResult.fail(new ParseResult.Type(ast, dateTime, "must be a year from 0000 to 9999"))
}).annotations({ identifier: "Timestamp" })
