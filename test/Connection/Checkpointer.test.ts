import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import Sqlite from "better-sqlite3"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Checkpointer from "../../src/Connection/Checkpointer.js"
import { Database } from "../../src/index.js"
import { tempDir } from "../fixtures/tempDir.js"

const autocheckpoint = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.map(sql<{ wal_autocheckpoint: number }>`PRAGMA wal_autocheckpoint`, ([row]) => Number(row!.wal_autocheckpoint)))

/** Writes `pages` pages of 4 KiB rows into a scratch table. */
const writePages = (pages: number) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.gen(function*() {
      yield* sql`CREATE TABLE IF NOT EXISTS scratch (k INTEGER PRIMARY KEY, v BLOB NOT NULL)`
      for (let k = 0; k < pages; k++) yield* sql`INSERT INTO scratch (v) VALUES (${new Uint8Array(4000)})`
    }))

const fileSize = (file: string) => (fs.existsSync(file) ? fs.statSync(file).size : 0)

/** Polls `condition` every 20 ms for up to `ms`, returning whether it held. */
const eventually = (condition: () => boolean, ms = 10_000) =>
  Effect.promise(async () => {
    for (const end = Date.now() + ms; Date.now() < end;) {
      if (condition()) return true
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    return condition()
  })

describe("WAL checkpoints in a worker thread", () => {
  it.live("a process that only reads starts no worker: the writer keeps SQLite's own checkpoint", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const url = `sqlite:${path.join(dir, "a.db")}`
      // Migrating writes; the second opening finds the database up to date and only reads.
      yield* Effect.provide(Effect.void, Database.layer({ url }))
      expect(yield* Effect.provide(autocheckpoint, Database.layer({ url }))).toBe(1_000)
    }).pipe(Effect.scoped))

  it.live("a read-only handle starts no worker, even for a statement that is not a read (VACUUM INTO)", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "a.db")
      yield* Effect.provide(Effect.void, Database.layer({ url: `sqlite:${file}` }))
      const copied = path.join(dir, "copy.db")
      const after = yield* Effect.provide(
        Effect.zipRight(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`VACUUM INTO ${copied}`), autocheckpoint),
        Database.layer({ url: `sqlite:${file}`, readOnly: true })
      )
      expect(fs.existsSync(copied)).toBe(true)
      expect(after).toBe(1_000)
    }).pipe(Effect.scoped))

  it.live("checkpoints what the writer commits, without the writer; closing stops the worker", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "a.db")
      yield* Effect.gen(function*() {
        yield* writePages(3_000)
        // The writer's own checkpoint waits for 10,000 pages: only the worker copies these.
        expect(yield* autocheckpoint).toBe(Checkpointer.backstopPages)
        expect(yield* eventually(() => fileSize(file) > 3_000 * 4096)).toBe(true)
      }).pipe(Effect.provide(Layer.fresh(Database.layer({ url: `sqlite:${file}` }))))
      // Closed: the last connection removed the WAL, so the worker's was closed before it.
      expect(fs.existsSync(`${file}-wal`)).toBe(false)
      const db = new Sqlite(file, { readonly: true })
      try {
        expect(db.prepare("SELECT count(*) AS n FROM scratch").get()).toEqual({ n: 3_000 })
      } finally {
        db.close()
      }
    }).pipe(Effect.scoped))

  it.live("falls back to the writer's own checkpoint when the worker cannot run", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const db = new Sqlite(path.join(dir, "a.db"))
      try {
        db.pragma("journal_mode = WAL")
        // The worker cannot open a file that does not exist, and stops.
        const checkpointer = Checkpointer.make(path.join(dir, "missing", "b.db"), db)
        checkpointer.noteWrite()
        expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(Checkpointer.backstopPages)
        expect(yield* eventually(() => db.pragma("wal_autocheckpoint", { simple: true }) === 1_000)).toBe(true)
        yield* Effect.promise(checkpointer.close)
      } finally {
        db.close()
      }
    }).pipe(Effect.scoped))
})
