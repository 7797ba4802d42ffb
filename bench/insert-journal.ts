/**
 * What an insert into `events` costs SQLite itself inside a transaction, better-sqlite3 alone on
 * ennio-db's schema (a copy of the benchmark's template): the change-log trigger as shipped
 * (migration 8), its statement journal kept in memory (`temp_store = MEMORY`, as ennio-db's
 * connections set it), 64 rows in one statement instead of 64 one-row statements (as ennio-db's
 * `insertRows` sends a batch), and the table without the trigger. Printed: the median over
 * transactions of 64 rows of each case, µs a row, in three rounds.
 *
 *   npx tsx bench/insert-journal.ts [--transactions N]
 */
import type Sqlite from "better-sqlite3"
import { openConnection } from "./connection.js"
import { eventSpec, sessionSpecs } from "./data.js"
import { Fixtures } from "./fixtures.js"
import { seedRows } from "./raw.js"

const rowsPerTransaction = 64
const flag = process.argv.indexOf("--transactions")
const transactions = flag === -1 ? 100 : Number(process.argv[flag + 1])
const columns = "id, event_type, priority, session_id, project_id, timestamp, message, data"

interface Case {
  readonly name: string
  readonly setup: (db: Sqlite.Database) => void
  readonly multiRow: boolean
}

const cases: ReadonlyArray<Case> = [
  { name: "64 one-row inserts, the trigger as shipped", setup: () => {}, multiRow: false },
  { name: "64 one-row inserts, temp_store = MEMORY", setup: (db) => db.pragma("temp_store = MEMORY"), multiRow: false },
  { name: "one 64-row insert, temp_store = MEMORY", setup: (db) => db.pragma("temp_store = MEMORY"), multiRow: true },
  { name: "64 one-row inserts, no change-log trigger", setup: (db) => db.exec("DROP TRIGGER event_log_insert"), multiRow: false }
]

const fixtures = await Fixtures.make()
try {
  const [session] = sessionSpecs("journal", 1)
  for (let round = 1; round <= 3; round++) {
    const medians: Array<string> = []
    for (const [index, { multiRow, name, setup }] of cases.entries()) {
      const db = openConnection(fixtures.fresh(`journal-${round}-${index}`, (seed) => seedRows(seed, { sessions: [session!] })))
      try {
        setup(db)
        const one = db.prepare(`INSERT INTO events (${columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
        const many = db.prepare(
          `INSERT INTO events (${columns}) VALUES ${Array(rowsPerTransaction).fill("(?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`
        )
        let next = 0
        const values = () => {
          const e = eventSpec("journal", next++, session!)
          return [e.id, e.eventType, e.priority, e.sessionId, e.projectId, e.timestamp, e.message, JSON.stringify(e.data)]
        }
        const transaction = db.transaction(() => {
          if (multiRow) many.run(...Array.from({ length: rowsPerTransaction }, values).flat())
          else for (let i = 0; i < rowsPerTransaction; i++) one.run(...values())
        })
        const perRow: Array<number> = []
        for (let t = 0; t < transactions * 1.5; t++) {
          const start = process.hrtime.bigint()
          transaction()
          // The first third warms up.
          if (t >= transactions / 2) perRow.push(Number(process.hrtime.bigint() - start) / 1_000 / rowsPerTransaction)
        }
        perRow.sort((a, b) => a - b)
        medians.push(`${name}: ${perRow[Math.floor(perRow.length / 2)]!.toFixed(1)} µs a row`)
      } finally {
        db.close()
      }
    }
    console.log(`round ${round}\n  ${medians.join("\n  ")}`)
  }
} finally {
  fixtures.dispose()
}
