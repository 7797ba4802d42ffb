import { describe, expect, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import Sqlite from "better-sqlite3"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { promisify } from "node:util"
import { Database, DbError, latestMigrationId, SessionsRepo } from "../src/index.js"
import { migrate } from "../src/Migrations/index.js"
import { tempDir } from "./fixtures/tempDir.js"

const run = promisify(execFile)

const pragma = (name: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe<Record<string, unknown>>(`PRAGMA ${name}`)).pipe(
    Effect.map((rows) => Object.values(rows[0]!)[0])
  )

const buildError = <A>(layer: Layer.Layer<A, DbError>) =>
  Effect.flip(Effect.scoped(Layer.build(layer)))

const appliedMigrations = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ migration_id: number; name: string }>`SELECT migration_id, name FROM effect_sql_migrations ORDER BY migration_id`)

describe("parseUrl", () => {
  it("accepts the four SQLite forms", () => {
    expect(Database.parseUrl("sqlite:ennio.db")).toEqual(Either.right({ _tag: "SqliteFile", filename: "ennio.db" }))
    expect(Database.parseUrl("sqlite:dir/a.db")).toEqual(Either.right({ _tag: "SqliteFile", filename: "dir/a.db" }))
    expect(Database.parseUrl("sqlite:/abs/a.db")).toEqual(Either.right({ _tag: "SqliteFile", filename: "/abs/a.db" }))
    expect(Database.parseUrl("sqlite:///abs/a.db")).toEqual(
      Either.right({ _tag: "SqliteFile", filename: "/abs/a.db" })
    )
    expect(Database.parseUrl("sqlite://rel/a.db")).toEqual(Either.right({ _tag: "SqliteFile", filename: "rel/a.db" }))
    expect(Database.parseUrl("sqlite::memory:")).toEqual(Either.right({ _tag: "SqliteMemory" }))
  })

  it.each(["", "   ", "postgres://u:p@localhost/db", "mysql://localhost/db", "ennio.db", "/tmp/x.db", "sqlite:"])(
    "refuses %j with reason Connection and the accepted forms",
    (url) => {
      const result = Database.parseUrl(url)
      expect(Either.isLeft(result)).toBe(true)
      const error = Either.getLeft(result).pipe(Option.getOrThrow)
      expect(error.reason).toBe("Connection")
      expect(error.message).toContain(Database.acceptedUrlForms)
    }
  )

  it.effect("a refused URL fails the layer with DbError", () =>
    Effect.gen(function*() {
      const error = yield* buildError(Database.layer({ url: "mysql://localhost/db" }))
      expect(error._tag).toBe("DbError")
      expect(error.reason).toBe("Connection")
    }))
})

describe("file databases", () => {
  it.scoped("use WAL, foreign keys, a busy timeout and synchronous NORMAL", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const settings = yield* Effect.all([
        pragma("journal_mode"),
        pragma("foreign_keys"),
        pragma("busy_timeout"),
        pragma("synchronous")
      ]).pipe(Effect.provide(Database.layer({ url: `sqlite:${dir}/a.db` })))
      expect(settings[0]).toBe("wal")
      expect(settings[1]).toBe(1)
      expect(Number(settings[2])).toBeGreaterThanOrEqual(5000)
      expect(settings[3]).toBe(1)
    }))

  it.scoped("synchronous FULL on request", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const synchronous = yield* pragma("synchronous").pipe(
        Effect.provide(Database.layer({ url: `sqlite://${dir}/a.db`, synchronous: "full" }))
      )
      expect(synchronous).toBe(2)
    }))

  it.scoped("creates missing parent folders and a new file with mode 0600", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "nested", "deeper", "ennio.db")
      yield* Effect.provide(Effect.void, Database.layer({ url: `sqlite:${file}` }))
      expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    }))

  it.scoped("never widens an existing file's mode", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "ennio.db")
      fs.writeFileSync(file, "")
      fs.chmodSync(file, 0o640)
      yield* Effect.provide(Effect.void, Database.layer({ url: `sqlite:${file}` }))
      expect(fs.statSync(file).mode & 0o777).toBe(0o640)
    }))

  it.scoped("refuses a file that is not a database and leaves it byte-for-byte unchanged", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "notes.db")
      const content = Buffer.from("these are my notes, not a database\n".repeat(300))
      fs.writeFileSync(file, content)
      const error = yield* buildError(Database.layer({ url: `sqlite:${file}` }))
      expect(error.reason).toBe("Connection")
      expect(error.message).toContain(file)
      expect(fs.readFileSync(file).equals(content)).toBe(true)
      expect(fs.readdirSync(dir)).toEqual(["notes.db"])
    }))

  it.scoped("refuses a path that is a folder", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const error = yield* buildError(Database.layer({ url: `sqlite:${dir}` }))
      expect(error.reason).toBe("Connection")
      expect(error.message).toContain(dir)
    }))
})

describe("migrations", () => {
  it.effect("apply V1–V6 once, recorded in the tracking table", () =>
    Effect.gen(function*() {
      const rows = yield* appliedMigrations
      expect(rows.map((row) => [row.migration_id, row.name])).toEqual([
        [1, "sessions"],
        [2, "events"],
        [3, "projects"],
        [4, "session_metrics"],
        [5, "indices"],
        [6, "event_time_indices"]
      ])
      expect(latestMigrationId).toBe(6)
      expect(yield* migrate).toEqual([])
    }).pipe(Effect.provide(Database.layerMemory)))

  it.effect("create the reference tables, foreign keys and index names", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const indices = yield* sql<{ name: string }>`SELECT name FROM sqlite_master
        WHERE type = 'index' AND name LIKE 'idx_%' ORDER BY name`
      expect(indices.map((row) => row.name)).toEqual([
        "idx_events_event_type",
        "idx_events_session_id",
        "idx_events_session_timestamp",
        "idx_events_timestamp",
        "idx_sessions_project_status"
      ])
      const sessionColumns = yield* sql<{ name: string; dflt_value: string | null; notnull: number }>`
        SELECT name, dflt_value, "notnull" FROM pragma_table_info('sessions')`
      expect(sessionColumns.map((c) => c.name)).toEqual([
        "id", "project_id", "status", "activity", "branch", "issue_id", "workspace_path", "runtime_handle",
        "agent_info", "agent_name", "pr_url", "pr_number", "tmux_name", "config_hash", "role", "metadata",
        "created_at", "last_activity_at", "restored_at", "archived_at"
      ])
      expect(sessionColumns.find((c) => c.name === "status")?.dflt_value).toBe("'spawning'")
      const foreignKeys = yield* sql<{ table: string; from: string; on_delete: string }>`
        SELECT "table", "from", on_delete FROM pragma_foreign_key_list('events')
        UNION ALL SELECT "table", "from", on_delete FROM pragma_foreign_key_list('session_metrics')`
      expect(foreignKeys).toEqual([
        { table: "sessions", from: "session_id", on_delete: "CASCADE" },
        { table: "sessions", from: "session_id", on_delete: "CASCADE" }
      ])
    }).pipe(Effect.provide(Database.layerMemory)))

  it.scoped("are idempotent: a second build on the same file applies nothing", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const layer = Database.layer({ url: `sqlite:${dir}/a.db` })
      yield* Effect.provide(Effect.void, layer)
      const again = yield* Effect.provide(Effect.zip(migrate, appliedMigrations), layer)
      expect(again[0]).toEqual([])
      expect(again[1]).toHaveLength(latestMigrationId)
    }))

  it.effect("each layerMemory build is its own empty database", () =>
    Effect.gen(function*() {
      const count = Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ n: number }>`SELECT count(*) AS n FROM sessions`)
      yield* Effect.flatMap(SessionsRepo, (repo) => repo.insert({ id: "s1", projectId: "p", configHash: "h" })).pipe(
        Effect.provide(SessionsRepo.Default.pipe(Layer.provide(Database.layerMemory)))
      )
      const rows = yield* Effect.provide(count, Database.layerMemory)
      expect(rows[0]!.n).toBe(0)
    }))

  it.scoped("a failing migration fails the layer with reason Migration naming it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "broken.db")
      const db = new Sqlite(file)
      db.exec("CREATE TABLE events (id TEXT PRIMARY KEY)") // V5 then indexes a column this table lacks
      db.close()
      const error = yield* buildError(Database.layer({ url: `sqlite:${file}` }))
      expect(error.reason).toBe("Migration")
      expect(error.message).toContain("5_indices")
      expect(error.message).toContain("session_id")
      const check = new Sqlite(file, { readonly: true })
      const recorded = check.prepare("SELECT count(*) AS n FROM effect_sql_migrations").get() as { n: number }
      check.close()
      expect(recorded.n).toBe(0)
    }))

  it.scoped("refuses a database written by a newer version, without modifying it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "newer.db")
      yield* Effect.provide(Effect.void, Database.layer({ url: `sqlite:${file}` }))
      const db = new Sqlite(file)
      db.prepare("INSERT INTO effect_sql_migrations (migration_id, name) VALUES (99, 'from_the_future')").run()
      db.close()
      const before = fs.readFileSync(file)
      const error = yield* buildError(Database.layer({ url: `sqlite:${file}` }))
      expect(error.reason).toBe("Migration")
      expect(error.message).toContain("newer")
      expect(fs.readFileSync(file).equals(before)).toBe(true)
    }))
})

describe("a database made by the original implementation", () => {
  const originalSchema = `
    CREATE TABLE sessions (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'spawning',
      activity TEXT, branch TEXT, issue_id TEXT, workspace_path TEXT, runtime_handle TEXT, agent_info TEXT,
      agent_name TEXT, pr_url TEXT, pr_number INTEGER, tmux_name TEXT, config_hash TEXT NOT NULL, role TEXT,
      metadata TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL DEFAULT (datetime('now')),
      last_activity_at TEXT NOT NULL DEFAULT (datetime('now')), restored_at TEXT, archived_at TEXT);
    CREATE TABLE events (id TEXT PRIMARY KEY, event_type TEXT NOT NULL, priority TEXT NOT NULL,
      session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE, project_id TEXT NOT NULL,
      timestamp TEXT NOT NULL DEFAULT (datetime('now')), message TEXT NOT NULL, data TEXT NOT NULL DEFAULT '{}');
    CREATE TABLE projects (project_id TEXT PRIMARY KEY, name TEXT NOT NULL, repo TEXT NOT NULL, path TEXT NOT NULL,
      default_branch TEXT NOT NULL DEFAULT 'main', config_hash TEXT NOT NULL,
      created_at TEXT NOT NULL DEFAULT (datetime('now')), updated_at TEXT NOT NULL DEFAULT (datetime('now')));
    CREATE TABLE session_metrics (session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
      total_tokens_in INTEGER NOT NULL DEFAULT 0, total_tokens_out INTEGER NOT NULL DEFAULT 0,
      estimated_cost_usd REAL NOT NULL DEFAULT 0.0, ci_runs INTEGER NOT NULL DEFAULT 0,
      ci_failures INTEGER NOT NULL DEFAULT 0, review_rounds INTEGER NOT NULL DEFAULT 0,
      time_to_first_pr_secs INTEGER, time_to_merge_secs INTEGER, updated_at TEXT NOT NULL DEFAULT (datetime('now')));
    CREATE INDEX idx_events_session_id ON events(session_id);
    CREATE INDEX idx_events_event_type ON events(event_type);
    CREATE INDEX idx_sessions_project_status ON sessions(project_id, status);`

  const dumpRows = (file: string) => {
    const db = new Sqlite(file, { readonly: true })
    const rows = ["sessions", "events", "projects", "session_metrics"].map((table) =>
      db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all()
    )
    db.close()
    return rows
  }

  it.scoped("opens, keeps its rows untouched, and its rows decode", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "original.db")
      const db = new Sqlite(file)
      db.exec(originalSchema)
      db.prepare(`INSERT INTO sessions (id, project_id, status, config_hash, runtime_handle, agent_info, pr_number,
          metadata, created_at, last_activity_at, archived_at)
        VALUES ('myapp-abc123', 'myapp', 'pr_open', 'cfg1',
          '{"id":"tmux-1","runtime_name":"tmux","data":{"pane":3}}',
          '{"summary":null,"cost":{"input_tokens":10,"output_tokens":5,"estimated_cost_usd":0.5}}', 42,
          '{"k":[1,"two"]}', '2026-11-26 08:06:52', '2026-11-26T08:06:52.123456789+00:00', '2026-11-26T09:00:00.5Z')`)
        .run()
      db.prepare(`INSERT INTO sessions (id, project_id, config_hash) VALUES ('myapp-def456', 'myapp', 'cfg1')`).run()
      db.prepare(`INSERT INTO events (id, event_type, priority, session_id, project_id, timestamp, message, data)
        VALUES ('e1', 'pr_created', 'action', 'myapp-abc123', 'myapp', '2026-11-26T08:06:52+00:00', 'PR #42', 'null')`)
        .run()
      db.prepare(`INSERT INTO projects (project_id, name, repo, path, config_hash) VALUES ('myapp', 'My App',
        'org/myapp', '/src/myapp', 'cfg1')`).run()
      db.prepare(`INSERT INTO session_metrics (session_id, total_tokens_in, estimated_cost_usd)
        VALUES ('myapp-abc123', 1000, 1.25)`).run()
      db.close()
      const before = dumpRows(file)

      const sessions = yield* Effect.flatMap(SessionsRepo, (repo) =>
        Effect.all([repo.get("myapp-abc123"), repo.get("myapp-def456")])).pipe(
          Effect.provide(SessionsRepo.Default.pipe(Layer.provide(Database.layer({ url: `sqlite:${file}` }))))
        )
      expect(sessions[0].status).toBe("pr_open")
      expect(sessions[0].createdAt.epochMillis).toBe(Date.UTC(2026, 10, 26, 8, 6, 52))
      expect(sessions[0].lastActivityAt.epochMillis).toBe(Date.UTC(2026, 10, 26, 8, 6, 52, 123))
      expect(sessions[0].archivedAt.pipe(Option.map((t) => t.epochMillis))).toEqual(
        Option.some(Date.UTC(2026, 10, 26, 9, 0, 0, 500))
      )
      expect(sessions[0].runtimeHandle.pipe(Option.map((h) => h.runtimeName))).toEqual(Option.some("tmux"))
      expect(sessions[0].prNumber).toEqual(Option.some(42))
      expect(sessions[1].metadata).toEqual({})
      expect(dumpRows(file)).toEqual(before)
    }))
})

describe("concurrent start", () => {
  it.scoped("8 processes building the layer at the same instant on a fresh file all succeed", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const url = `sqlite:${path.join(dir, "fresh", "ennio.db")}`
      const script = path.join(import.meta.dirname, "fixtures", "openDatabase.ts")
      const startAt = Date.now() + 1500
      const results = yield* Effect.promise(() =>
        Promise.all(Array.from({ length: 8 }, () =>
          run(process.execPath, ["--import", "tsx", script, url, String(startAt)]).then(
            (out) => out.stdout.trim(),
            (error: { stdout?: string; stderr?: string }) => `exit ${error.stdout ?? ""} ${error.stderr ?? ""}`
          )))
      )
      expect(results).toEqual(Array.from({ length: 8 }, () => "ok 0"))
      const db = new Sqlite(path.join(dir, "fresh", "ennio.db"), { readonly: true })
      const recorded = db.prepare("SELECT migration_id FROM effect_sql_migrations ORDER BY migration_id").all()
      db.close()
      expect(recorded).toEqual(Array.from({ length: latestMigrationId }, (_, i) => ({ migration_id: i + 1 })))
    }), 60_000)
})

describe("transaction", () => {
  it.effect("commits together, rolls back on a typed error or a defect, and nests", () =>
    Effect.gen(function*() {
      const repo = yield* SessionsRepo
      yield* Database.transaction(Effect.all([
        repo.insert({ id: "t1", projectId: "p", configHash: "h" }),
        repo.insert({ id: "t2", projectId: "p", configHash: "h" })
      ]))
      const failed = yield* Database.transaction(
        Effect.zipRight(repo.insert({ id: "t3", projectId: "p", configHash: "h" }), repo.get("nope"))
      ).pipe(Effect.flip)
      expect(failed._tag).toBe("NotFound")
      const died = yield* Database.transaction(
        Effect.zipRight(repo.insert({ id: "t4", projectId: "p", configHash: "h" }), Effect.die("boom"))
      ).pipe(Effect.exit)
      expect(died._tag).toBe("Failure")
      yield* Database.transaction(Effect.gen(function*() {
        yield* repo.insert({ id: "t5", projectId: "p", configHash: "h" })
        yield* Database.transaction(
          Effect.zipRight(repo.insert({ id: "t6", projectId: "p", configHash: "h" }), Effect.fail("inner"))
        ).pipe(Effect.ignore)
      }))
      const ids = (yield* repo.list()).map((s) => s.id).sort()
      expect(ids).toEqual(["t1", "t2", "t5"])
    }).pipe(Effect.provide(SessionsRepo.Default.pipe(Layer.provideMerge(Database.layerMemory)))))
})
