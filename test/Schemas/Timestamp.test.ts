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
