/**
 * Database files: one empty schema made by ennio-db's own migrations, copied fresh for
 * every side of every workload, seeded with raw better-sqlite3, removed afterwards.
 */
import type Sqlite from "better-sqlite3"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Database } from "../src/index.js"
import { openConnection } from "./connection.js"
import { eventSpec, type EventSpec, rareProjectId, sessionSpecs } from "./data.js"
import { newestPageSql, seedRows } from "./raw.js"

/**
 * A table of events in which one session holds every `stride`-th event, the rest spread over
 * other sessions; about 1% of them belong to a rare project's sessions.
 */
export interface EventTable {
  readonly file: string
  readonly totalEvents: number
  readonly sessionId: string
  readonly sessionEvents: number
  readonly rareProjectEvents: number
}

const removeDatabase = (file: string) => {
  for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(file + suffix, { force: true })
}

// Event i with i % 100 = 99 goes to the rare project (W10b): 1% of the rows, spread through time.
const rareEvery = 100
const rareSessions = 10

/**
 * The rows of an event table: `totalEvents` events; the session `<family>-s0` holds
 * `sessionEvents` of them, interleaved in time with the others' (spread over 999 more sessions),
 * and about 1% belong to `rareProjectId` (10 sessions `<family>r-s<n>`, W10b's project).
 * A table of one session only has no rare project.
 */
export const eventTableRows = (family: string, totalEvents: number, sessionEvents: number) => {
  const single = sessionEvents === totalEvents
  const common = sessionSpecs(family, single ? 1 : 1_000)
  const rare = single ? [] : sessionSpecs(`${family}r`, rareSessions, rareProjectId)
  const target = common[0]!
  const others = common.slice(1)
  const stride = totalEvents / sessionEvents
  if (!Number.isInteger(stride)) throw new Error(`${totalEvents} events cannot be shared evenly by ${sessionEvents}`)
  const isRare = (i: number) => rare.length > 0 && i % stride !== 0 && i % rareEvery === rareEvery - 1
  let rareProjectEvents = 0
  for (let i = rareEvery - 1; i < totalEvents; i += rareEvery) if (isRare(i)) rareProjectEvents++
  function* events(): Generator<EventSpec> {
    for (let i = 0; i < totalEvents; i++) {
      const owner = i % stride === 0
        ? target
        : isRare(i)
        ? rare[Math.floor(i / rareEvery) % rare.length]!
        : others[i % others.length]!
      yield eventSpec(family, i, owner)
    }
  }
  return { sessions: [...common, ...rare], sessionId: target.id, rareProjectEvents, events }
}

export class Fixtures {
  private constructor(readonly dir: string, private readonly template: string) {}

  /** A temporary folder with the migrated, empty template database. */
  static async make(): Promise<Fixtures> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ennio-bench-"))
    const template = path.join(dir, "template.db")
    // Closing the layer's scope checkpoints the WAL, so the template is one self-contained file.
    await Effect.runPromise(Effect.scoped(Layer.build(Database.layer({ url: `sqlite:${template}` }))))
    return new Fixtures(dir, template)
  }

  /** A fresh copy of the template named `name`, with `seed` applied through raw better-sqlite3. */
  fresh(name: string, seed?: (db: Sqlite.Database) => void): string {
    const file = path.join(this.dir, `${name}.db`)
    removeDatabase(file)
    fs.copyFileSync(this.template, file)
    if (seed !== undefined) {
      const db = openConnection(file)
      try {
        seed(db)
      } finally {
        db.close()
      }
    }
    return file
  }

  /** A copy of an existing database file, for a side that must not share it. */
  copy(source: string, name: string): string {
    const file = path.join(this.dir, `${name}.db`)
    removeDatabase(file)
    fs.copyFileSync(source, file)
    return file
  }

  /** `eventTableRows` written in one transaction. */
  eventTable(family: string, totalEvents: number, sessionEvents: number): EventTable {
    const { events, rareProjectEvents, sessionId, sessions } = eventTableRows(family, totalEvents, sessionEvents)
    const file = this.fresh(family, (db) => seedRows(db, { sessions, events: events() }))
    return { file, totalEvents, sessionId, sessionEvents, rareProjectEvents }
  }

  /** The id of the last event on the newest page: the `before` cursor of the next page. */
  static pageCursor(table: EventTable, limit: number): string {
    const db = openConnection(table.file)
    try {
      const page = db.prepare<[string, number], { id: string }>(newestPageSql).all(table.sessionId, limit)
      return page[page.length - 1]!.id
    } finally {
      db.close()
    }
  }

  remove(file: string): void {
    removeDatabase(file)
  }

  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true })
  }
}
