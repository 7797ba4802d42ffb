/**
 * Stored timestamps against SQLite itself: every spelling ennio-db reads decodes to the instant
 * SQLite's `julianday()` gives it, which is what the time indices order rows by (migration 7),
 * so an order computed in memory from decoded rows and the order of a query agree.
 */
import { describe, expect, it } from "@effect/vitest"
import Sqlite from "better-sqlite3"
import * as DateTime from "effect/DateTime"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import fc from "fast-check"
import { julianDay } from "../../src/Connection/TimeOrder.js"
import { parseTimestamp, StorableUtc, Timestamp } from "../../src/index.js"
import { formatStorableMillis, parseSpelling, parseTimestampMillis } from "../../src/Schemas/Timestamp.js"
import { spellableMillis, spellingOf, storableMillis } from "../fixtures/spellings.js"

const db = new Sqlite(":memory:")
const julian = db.prepare("SELECT julianday(?) AS jd").pluck()
/** The instant SQLite reads `text` as, in epoch milliseconds, or `undefined` when it cannot. */
const sqliteMillis = (text: string): number | undefined => {
  const jd = julian.get(text) as number | null
  return jd === null ? undefined : Math.round(jd * 86_400_000) - 210_866_760_000_000
}

describe("Timestamp and SQLite", () => {
  it("every spelling decodes to the instant SQLite's julianday() reads, to the millisecond", () => {
    fc.assert(
      fc.property(spellableMillis, fc.nat(), (ms, seed) => {
        const text = spellingOf(ms, seed)
        const decoded = parseTimestamp(text)?.epochMillis
        expect(decoded, text).toBeDefined()
        expect(decoded, text).toBe(sqliteMillis(text))
      }),
      { numRuns: 20_000 }
    )
  })

  it("sub-millisecond fractions round as SQLite rounds them, .9995 and up stay in their second", () => {
    const cases: Array<[string, number]> = [
      ["2026-11-26T08:06:52.1234Z", 123],
      ["2026-11-26T08:06:52.1235Z", 124],
      ["2026-11-26T08:06:52.123456789+00:00", 123],
      ["2026-11-26T08:06:52.999999999+00:00", 999],
      ["2026-11-26 08:06:52.9995", 999],
      ["2026-11-26T08:06:52.0005Z", 1]
    ]
    for (const [text, millis] of cases) {
      expect(parseTimestamp(text)?.epochMillis, text).toBe(Date.UTC(2026, 10, 26, 8, 6, 52, millis))
      expect(sqliteMillis(text), text).toBe(Date.UTC(2026, 10, 26, 8, 6, 52, millis))
    }
  })

  // The common spellings are read by hand (see `parseUtc`); the pattern reads them all.
  it("the spellings read by hand decode to the instant the pattern reads, and refuse what it refuses", () => {
    const postgres = (ms: number, digits: number) => {
      const iso = new Date(ms).toISOString()
      const micros = `${iso.slice(20, 23)}${String(((ms % 997) + 997) % 997).padStart(3, "0")}`.slice(0, digits)
      return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${digits === 0 ? "" : `.${micros}`}+00`
    }
    // Near misses: one character of a spelling replaced by one of those the spellings use.
    const mutated = (text: string, at: number, by: string) => `${text.slice(0, at % (text.length + 1))}${by}${text.slice(at % (text.length + 1) + 1)}`
    fc.assert(
      fc.property(
        spellableMillis,
        fc.nat(),
        fc.integer({ min: 0, max: 6 }),
        fc.nat(),
        fc.constantFrom(..."0123456789 -T:.Z+9"),
        (ms, seed, digits, at, by) => {
          for (const text of [spellingOf(ms, seed), postgres(ms, digits)]) {
            expect(parseTimestampMillis(text), text).toBe(parseSpelling(text))
            expect(parseSpelling(text), text).toBeDefined()
            const near = mutated(text, at, by)
            expect(parseTimestampMillis(near), near).toBe(parseSpelling(near))
          }
        }
      ),
      { numRuns: 20_000 }
    )
    expect(parseTimestamp("2026-11-26 08:06:52.123456+00")?.epochMillis).toBe(Date.UTC(2026, 10, 26, 8, 6, 52, 123))
    expect(parseTimestamp("2026-11-26 08:06:52+00")?.epochMillis).toBe(Date.UTC(2026, 10, 26, 8, 6, 52))
    for (const text of ["2026-11-26 08:06:52X", "2026-11-26 08:06:52.+00", "2026-11-26 08:06:52.1234567890Z", "2026-02-29 08:06:52Z"]) {
      expect(parseTimestamp(text), text).toBeUndefined()
    }
  })

  it("reads the forms without seconds and the T form without a zone as UTC, as sqlx and SQLite do", () => {
    expect(parseTimestamp("2026-11-26 08:06")?.epochMillis).toBe(Date.UTC(2026, 10, 26, 8, 6))
    expect(parseTimestamp("2017-04-11T14:35+02:00")?.epochMillis).toBe(Date.UTC(2017, 3, 11, 12, 35))
    expect(parseTimestamp("2016-10-29T02:07:17")?.epochMillis).toBe(Date.UTC(2016, 9, 29, 2, 7, 17))
    expect(parseTimestamp("0050-03-01 00:00")?.epochMillis).toBe(sqliteMillis("0050-03-01 00:00"))
  })

  it("the bound julian day of an instant equals SQLite's julianday() of its written spelling", () => {
    fc.assert(
      fc.property(storableMillis, (ms) => {
        const dateTime = DateTime.unsafeMake(ms)
        expect(julianDay(dateTime)).toBe(julian.get(Schema.encodeSync(Timestamp)(dateTime)))
      }),
      { numRuns: 5_000 }
    )
  })

  it("a timestamp is written by hand as Date's toISOString writes it, for every storable instant", () => {
    const edges = [
      "0000-01-01T00:00:00.000Z", "0000-02-29T23:59:59.999Z", "0099-12-31T23:59:59.999Z", "0100-03-01T00:00:00.000Z",
      "1600-02-29T12:00:00.000Z", "1899-12-31T23:59:59.999Z", "1900-03-01T00:00:00.000Z", "1969-12-31T23:59:59.999Z",
      "1970-01-01T00:00:00.000Z", "2000-02-29T00:00:00.001Z", "2100-02-28T23:59:59.999Z", "9999-12-31T23:59:59.999Z"
    ]
    for (const text of edges) expect(formatStorableMillis(Date.parse(text))).toBe(text)
    fc.assert(
      fc.property(storableMillis, (ms) => {
        expect(formatStorableMillis(ms)).toBe(new Date(ms).toISOString())
        expect(Schema.encodeSync(Timestamp)(DateTime.unsafeMake(ms))).toBe(new Date(ms).toISOString())
      }),
      { numRuns: 20_000 }
    )
  })

  it("refuses instants outside years 0000–9999 on input and on write", () => {
    for (const text of ["+010000-01-01T00:00:00.000Z", "-000001-12-31T23:59:59.999Z"]) {
      const dateTime = DateTime.unsafeMake(text)
      expect(Either.isLeft(Schema.decodeUnknownEither(StorableUtc)(dateTime))).toBe(true)
      expect(Either.isLeft(Schema.encodeEither(Timestamp)(dateTime))).toBe(true)
    }
    for (const text of ["0000-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z"]) {
      const dateTime = DateTime.unsafeMake(text)
      expect(Schema.encodeSync(Timestamp)(Schema.decodeUnknownSync(StorableUtc)(dateTime))).toBe(text)
    }
  })
})
