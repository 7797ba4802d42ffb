/**
 * Another program's database is left as it was: a file (or a PostgreSQL schema) that is not
 * empty, not ennio-db's and not the original implementation's is refused with `DbError`
 * reason `Migration`, naming the tables and columns that do not match, before anything is
 * written — no WAL switch, no tracking table, the same bytes. `allowOtherTables` opts in to
 * sharing one.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import Sqlite from "better-sqlite3"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as path from "node:path"
import { Database, DbError, Repos, SessionsRepo } from "../../src/index.js"
import { describePostgres, freshPgDatabase, pgQuery } from "../fixtures/backends.js"
import { originalSchema } from "../fixtures/originalSchema.js"
import { tempDir } from "../fixtures/tempDir.js"
import { figures, snapshotTree } from "./support/harness.js"

/** An app's own database, in rollback-journal mode as most programs leave theirs. */
const appSchema = `
  CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
  CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), total REAL);
  INSERT INTO users (email) VALUES ('ada@example.com'), ('alan@example.com');
  INSERT INTO orders (user_id, total) VALUES (1, 12.5);`

const makeFile = (dir: string, name: string, schema: string) => {
  const file = path.join(dir, name)
  const db = new Sqlite(file)
  db.exec(schema)
  db.close()
  return file
}

const journalMode = (file: string) => {
  const db = new Sqlite(file, { readonly: true })
  try {
    return db.pragma("journal_mode", { simple: true })
  } finally {
    db.close()
  }
}

const tables = (file: string) => {
  const db = new Sqlite(file, { readonly: true })
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<
      { name: string }
    >).map((row) => row.name)
  } finally {
    db.close()
  }
}

const buildError = (options: Database.DatabaseOptions) =>
  Effect.flip(Effect.scoped(Layer.build(Database.layer(options))))

const refusals: Array<string> = []

/** Refused with Migration naming `named`, and the folder exactly as it was (no -wal, no -shm, same bytes, same mode). */
const expectRefusedUntouched = (dir: string, file: string, named: ReadonlyArray<string>, options = {}) =>
  Effect.gen(function*() {
    const before = snapshotTree(dir)
    const mode = journalMode(file)
    const error = yield* buildError({ url: `sqlite:${file}`, ...options })
    expect(error).toBeInstanceOf(DbError)
    expect(error.reason, error.message).toBe("Migration")
    for (const name of named) expect(error.message).toContain(name)
    expect(snapshotTree(dir)).toEqual(before)
    expect(journalMode(file)).toBe(mode)
    expect(tables(file)).not.toContain("effect_sql_migrations")
    refusals.push(error.message)
    return error
  })

describe("another program's SQLite file", () => {
  it.scoped("holding other tables and none of ennio-db's: refused, byte for byte as it was (beside ennio-db's, opened)", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = makeFile(dir, "app.db", appSchema)
      const error = yield* expectRefusedUntouched(dir, file, ["orders", "users", "allowOtherTables"])
      expect(error.message).toContain(file)
      // Beside ennio-db's own tables (the original implementation's four), another table is no reason to refuse.
      const original = makeFile(dir, "original.db", `${originalSchema}
        CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me');`)
      const sessions = yield* Effect.flatMap(SessionsRepo, (repo) => repo.list()).pipe(
        Effect.provide(Repos.layerDatabase({ url: `sqlite:${original}` }))
      )
      expect(sessions).toEqual([])
      const db = new Sqlite(original, { readonly: true })
      expect(db.prepare("SELECT body FROM notes").all()).toEqual([{ body: "keep me" }])
      db.close()
    }))

  it.scoped("a sessions table of its own (other columns): refused naming the columns it lacks", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = makeFile(dir, "theirs.db", "CREATE TABLE sessions (token TEXT PRIMARY KEY, user_id INTEGER, expires INTEGER)")
      yield* expectRefusedUntouched(dir, file, ["sessions", "project_id", "config_hash", "last_activity_at"])
    }))

  it.scoped("a look-alike sessions table (id, created_at): refused, not recorded as migrated", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = makeFile(dir, "lookalike.db", "CREATE TABLE sessions (id TEXT PRIMARY KEY, created_at TEXT)")
      const error = yield* expectRefusedUntouched(dir, file, ["table sessions lacks columns", "project_id", "status"])
      expect(error.message).not.toMatch(/lacks columns[^;]*\bcreated_at\b/)
    }))

  it.scoped("another Effect program's migration table: refused naming its migrations", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = makeFile(
        dir,
        "effect-app.db",
        `${appSchema}
        CREATE TABLE effect_sql_migrations (migration_id integer PRIMARY KEY NOT NULL,
          created_at datetime NOT NULL DEFAULT current_timestamp, name VARCHAR(255) NOT NULL);
        INSERT INTO effect_sql_migrations (migration_id, name) VALUES (1, 'create_users'), (2, 'create_orders');`
      )
      const before = snapshotTree(dir)
      const error = yield* buildError({ url: `sqlite:${file}` })
      expect(error.reason).toBe("Migration")
      expect(error.message).toContain("1_create_users")
      expect(snapshotTree(dir)).toEqual(before)
      refusals.push(error.message)
    }))

  it.scoped("an ennio-db database whose table lost a column, or a table with a column it cannot fill: refused", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const dropped = path.join(dir, "dropped.db")
      yield* Effect.scoped(Layer.build(Database.layer({ url: `sqlite:${dropped}` })))
      const db = new Sqlite(dropped)
      db.exec("ALTER TABLE events DROP COLUMN message")
      db.close()
      const before = snapshotTree(dir)
      const error = yield* buildError({ url: `sqlite:${dropped}` })
      expect(error.reason, error.message).toBe("Migration")
      expect(error.message).toContain("table events lacks column message")
      expect(snapshotTree(dir)).toEqual(before)
      refusals.push(error.message)
      // The original's schema with a NOT NULL column, without a default, that no ennio-db insert fills.
      const unfillable = makeFile(
        dir,
        "unfillable.db",
        originalSchema.replace("time_to_merge_secs INTEGER,", "time_to_merge_secs INTEGER, owner TEXT NOT NULL,")
      )
      yield* expectRefusedUntouched(dir, unfillable, ["table session_metrics", "owner"])
    }))

  it.scoped("refused without allowOtherTables; with it, ennio-db's tables go beside the app's, whose rows stay", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = makeFile(dir, "shared.db", appSchema)
      const read = (sql: string) => {
        const db = new Sqlite(file, { readonly: true })
        try {
          return db.prepare(sql).all()
        } finally {
          db.close()
        }
      }
      const before = [read("SELECT * FROM users ORDER BY id"), read("SELECT * FROM orders ORDER BY id")]
      yield* expectRefusedUntouched(dir, file, ["users"])
      yield* Effect.flatMap(SessionsRepo, (repo) => repo.insert({ id: "s1", projectId: "p", configHash: "h" })).pipe(
        Effect.provide(Repos.layerDatabase({ url: `sqlite:${file}`, allowOtherTables: true }))
      )
      expect([read("SELECT * FROM users ORDER BY id"), read("SELECT * FROM orders ORDER BY id")]).toEqual(before)
      expect(tables(file)).toEqual(expect.arrayContaining(["users", "orders", "sessions", "effect_sql_migrations"]))
      // Once shared, it is an ennio-db database: it opens without the option.
      yield* Effect.scoped(Layer.build(Database.layer({ url: `sqlite:${file}` })))
      // The option never lets a foreign table take ennio-db's name.
      const theirs = makeFile(dir, "theirs.db", "CREATE TABLE sessions (token TEXT PRIMARY KEY)")
      yield* expectRefusedUntouched(dir, theirs, ["sessions", "project_id"], { allowOtherTables: true })
    }))
})

describePostgres("another program's PostgreSQL schema", () => {
  const relations = (url: string) =>
    Effect.map(
      pgQuery(url, "SELECT relname, relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " +
        "WHERE n.nspname = 'public' ORDER BY relname"),
      ([rows]) => rows
    )

  it.scoped("holding other tables, or a sessions table of its own: refused, nothing created", () =>
    Effect.gen(function*() {
      for (const [schema, named] of [
        ["CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL)", ["users", "allowOtherTables"]],
        ["CREATE TABLE sessions (token text PRIMARY KEY, user_id integer)", ["sessions", "project_id"]]
      ] as const) {
        const url = yield* freshPgDatabase()
        yield* pgQuery(url, schema)
        const before = yield* relations(url)
        const error = yield* buildError({ url })
        expect(error.reason, error.message).toBe("Migration")
        for (const name of named) expect(error.message).toContain(name)
        expect(yield* relations(url)).toEqual(before)
        refusals.push(`PostgreSQL: ${error.message}`)
      }
    }))

  it.scoped("refused without allowOtherTables; with it, ennio-db's tables go beside the app's", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase()
      yield* pgQuery(url, "CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL)",
        "INSERT INTO users (email) VALUES ('ada@example.com')")
      expect((yield* buildError({ url })).reason).toBe("Migration")
      yield* Effect.flatMap(SessionsRepo, (repo) => repo.insert({ id: "s1", projectId: "p", configHash: "h" })).pipe(
        Effect.provide(Repos.layerDatabase({ url, allowOtherTables: true }))
      )
      const [users] = yield* pgQuery(url, "SELECT email FROM users")
      expect(users).toEqual([{ email: "ada@example.com" }])
    }))
})

afterAll(() => {
  figures("foreign-files", { refused: refusals.length, filesModified: 0 })
  for (const line of refusals) console.log(`RELIABILITY-EXAMPLE foreign-files: ${line}`)
})
