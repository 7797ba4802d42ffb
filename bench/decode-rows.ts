/**
 * What decoding a row costs ennio-db in memory, with no database: W6's events, as SQLite returns
 * them (timestamps as ennio-db writes them) and as PostgreSQL returns them (`timestamptz` as its
 * text in UTC, `2026-01-05 08:00:00.123+00`), and W7's sessions as SQLite returns them, each
 * through its table's `decodeValues`, which the repositories call for every row they read.
 * Printed: the median of five rounds, ns a row.
 *
 *   npx tsx bench/decode-rows.ts [--rows N]
 */
import { EventCodec } from "../src/Schemas/Event.js"
import type { RowCodec } from "../src/Schemas/RowCodec.js"
import { SessionCodec } from "../src/Schemas/Session.js"
import { openConnection } from "./connection.js"
import { eventSpec, sessionSpecs } from "./data.js"
import { Fixtures } from "./fixtures.js"
import { seedRows } from "./raw.js"

const flag = process.argv.indexOf("--rows")
const rowCount = flag === -1 ? 10_000 : Number(process.argv[flag + 1])
const rounds = 5
const passes = Math.max(1, Math.round(1_000_000 / rowCount))

type Codec = RowCodec<unknown, unknown>

// `2026-01-05T08:00:00.123Z` as PostgreSQL prints a timestamptz in UTC: a space, the fraction's trailing zeros dropped, `+00`.
const postgresText = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 23).replace(/\.?0+$/, "")}+00`

const fixtures = await Fixtures.make()
try {
  const sessions = sessionSpecs("decode", rowCount)
  const events = Array.from({ length: rowCount }, (_, i) => eventSpec("decode", i, sessions[i % 100]!))
  const db = openConnection(fixtures.fresh("decode", (seed) => seedRows(seed, { sessions, events })))
  // The rows as better-sqlite3 returns them to ennio-db: arrays in the codec's column order.
  const read = (codec: Codec, table: string) =>
    db.prepare(`SELECT ${codec.columns.join(", ")} FROM ${table} ORDER BY rowid`).raw().all() as Array<Array<unknown>>
  const eventRows = read(EventCodec as Codec, "events")
  const timestampAt = EventCodec.columns.indexOf("timestamp")
  const cases: ReadonlyArray<readonly [string, Codec, ReadonlyArray<ReadonlyArray<unknown>>]> = [
    ["events, as SQLite returns them", EventCodec as Codec, eventRows],
    [
      "events, as PostgreSQL returns them",
      EventCodec as Codec,
      eventRows.map((row) => row.map((value, i) => i === timestampAt ? postgresText(value as string) : value))
    ],
    ["sessions, as SQLite returns them", SessionCodec as Codec, read(SessionCodec as Codec, "sessions")]
  ]
  db.close()

  for (const [name, codec, rows] of cases) {
    const times: Array<number> = []
    for (let round = 0; round < rounds; round++) {
      const start = process.hrtime.bigint()
      for (let pass = 0; pass < passes; pass++) {
        for (const row of rows) {
          if (codec.decodeValues(row)._tag !== "Right") throw new Error(`${name}: a row does not decode: ${JSON.stringify(row)}`)
        }
      }
      times.push(Number(process.hrtime.bigint() - start) / (passes * rows.length))
    }
    const sorted = [...times].sort((a, b) => a - b)
    console.log(`${name}: ${sorted[Math.floor(rounds / 2)]!.toFixed(0)} ns a row (rounds: ${times.map((t) => t.toFixed(0)).join(", ")})`)
  }
} finally {
  fixtures.dispose()
}
