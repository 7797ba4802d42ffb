import { describe, expect, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Statement from "@effect/sql/Statement"
import Sqlite from "better-sqlite3"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Cause from "effect/Cause"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { promisify } from "node:util"
import { Database, DbError, latestMigrationId, ProjectsRepo, Repos, SessionsRepo } from "../src/index.js"
import * as Maintenance from "../src/Maintenance.js"
import { migrate } from "../src/Migrations/index.js"
import {
  type Backend,
  describeBackends,
  describePostgres,
  freshPgDatabase,
  pgQuery,
  pgUrl,
  postgres
} from "./fixtures/backends.js"
import { originalSchema } from "./fixtures/originalSchema.js"
import { tempDir } from "./fixtures/tempDir.js"
import { recordingTracer } from "./fixtures/recordingTracer.js"

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

  it.each([
    "postgres://ennio:s3cret@db.internal:5432/ennio",
    "postgresql://ennio:s3cret@db.internal/ennio?sslmode=require",
    "POSTGRES://ennio@localhost/ennio",
    "postgres:///ennio?host=/var/run/postgresql"
  ])("accepts %j as PostgreSQL, keeping the URL redacted", (url) => {
    const target = Either.getOrThrow(Database.parseUrl(url))
    expect(target._tag).toBe("Postgres")
    if (target._tag !== "Postgres") return
    expect(Redacted.value(target.url)).toBe(url)
    expect(String(target.url)).not.toContain("s3cret")
    expect(target.display).not.toContain("s3cret")
    expect(JSON.stringify(target)).not.toContain("s3cret")
  })

  it("redactUrl masks the password, in the user info and as a query parameter", () => {
    expect(Database.redactUrl("postgres://ennio:s3cret@db:5432/x")).toBe("postgres://ennio:***@db:5432/x")
    expect(Database.redactUrl("postgresql://ennio:p%40ss@w@rd@db/x")).toBe("postgresql://ennio:***@db/x")
    expect(Database.redactUrl("postgres://db/x?user=u&password=s3cret&sslmode=require")).toBe(
      "postgres://db/x?user=u&password=***&sslmode=require"
    )
    expect(Database.redactUrl("postgres://ennio@db/x")).toBe("postgres://ennio@db/x")
    expect(Database.redactUrl("sqlite:ennio.db")).toBe("sqlite:ennio.db")
  })

  it.each(["", "   ", "mysql://localhost/db", "ennio.db", "/tmp/x.db", "sqlite:", "postgres:/nohost", "postgres://[::1/x"])(
    "refuses %j with reason Connection and the accepted forms",
    (url) => {
      const result = Database.parseUrl(url)
      expect(Either.isLeft(result)).toBe(true)
      const error = Either.getLeft(result).pipe(Option.getOrThrow)
      expect(error.reason).toBe("Connection")
      expect(error.message).toContain(Database.acceptedUrlForms)
    }
  )

  it("does not repeat the password of a refused URL", () => {
    const error = Either.getLeft(Database.parseUrl("mysql://root:hunter22@localhost/db")).pipe(Option.getOrThrow)
    expect(error.message).toContain("mysql://root:***@localhost/db")
    expect(error.message).not.toContain("hunter22")
  })

  it.effect("a refused URL fails the layer with DbError", () =>
    Effect.gen(function*() {
      const error = yield* buildError(Database.layer({ url: "mysql://localhost/db" }))
      expect(error._tag).toBe("DbError")
      expect(error.reason).toBe("Connection")
    }))
})

// No server needed: the port is closed.
describe("PostgreSQL URLs without a server", () => {
  const password = "s3cret-Passw0rd"
  const unreachable = `postgres://ennio:${password}@127.0.0.1:1/ennio`

  const expectConnectionError = (error: DbError) => {
    expect(error.reason).toBe("Connection")
    expect(error.message).toContain("PostgreSQL")
    expect(error.message).toContain("://ennio:***@127.0.0.1:1/ennio")
    expect(error.message).toContain("ECONNREFUSED")
    for (const text of [error.message, String(error), JSON.stringify(error), Cause.pretty(Cause.fail(error))]) {
      expect(text).not.toContain(password)
    }
  }

  it.effect("a server that cannot be reached fails the layer with reason Connection, without the password", () =>
    Effect.gen(function*() {
      expectConnectionError(yield* buildError(Database.layer({ url: unreachable })))
      expectConnectionError(yield* buildError(Database.layer({ url: unreachable.replace("postgres:", "postgresql:") })))
    }))

  it.effect("DATABASE_URL selects PostgreSQL too", () =>
    Effect.gen(function*() {
      const error = yield* buildError(Database.layerConfig).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["DATABASE_URL", unreachable]])))
      )
      expectConnectionError(error)
    }))
})

describe("file databases [SQLite only]", () => {
  it.scoped("use WAL, foreign keys, only a moment's busy wait in the driver, synchronous NORMAL and temporary storage in memory", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const settings = yield* Effect.all([
        pragma("journal_mode"),
        pragma("foreign_keys"),
        pragma("busy_timeout"),
        pragma("synchronous"),
        pragma("temp_store")
      ]).pipe(Effect.provide(Database.layer({ url: `sqlite:${dir}/a.db` })))
      expect(settings[0]).toBe("wal")
      expect(settings[1]).toBe(1)
      // Longer lock waits are asynchronous (test/reliability/locks.test.ts): the driver waits a moment only.
      expect(Number(settings[2])).toBeLessThan(100)
      expect(settings[3]).toBe(1)
      expect(settings[4]).toBe(2)
    }))

  it.scoped("VACUUM builds its copy in a temporary file, and temporary storage is in memory again after it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const sent: Array<string> = []
      const after = yield* Effect.flatMap(Maintenance.Maintenance, (maintenance) => maintenance.vacuum).pipe(
        (vacuum) =>
          Statement.withTransformer(vacuum, (statement) =>
            Effect.sync(() => {
              sent.push(statement.compile()[0])
              return statement
            })),
        Effect.zipRight(pragma("temp_store")),
        Effect.provide(Layer.provideMerge(Maintenance.layer, Database.layer({ url: `sqlite:${dir}/a.db` })))
      )
      const at = (text: string) => sent.findIndex((sql) => sql.trim() === text)
      expect(at("VACUUM")).toBeGreaterThan(0)
      expect(at("PRAGMA temp_store = FILE")).toBe(at("VACUUM") - 1)
      expect(at("PRAGMA temp_store = MEMORY")).toBe(at("VACUUM") + 1)
      expect(after).toBe(2)
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

describeBackends("migrations", (backend: Backend) => {
  it.effect("apply V1–V8 once, recorded in the tracking table", () =>
    Effect.gen(function*() {
      const rows = yield* appliedMigrations
      expect(rows.map((row) => [row.migration_id, row.name])).toEqual([
        [1, "sessions"],
        [2, "events"],
        [3, "projects"],
        [4, "session_metrics"],
        [5, "indices"],
        [6, "event_time_indices"],
        [7, "instant_indices"],
        [8, "change_logs"],
        [9, "insertion_order_indices"]
      ])
      expect(latestMigrationId).toBe(9)
      expect(yield* migrate).toEqual([])
    }).pipe(Effect.provide(backend.layer)))

  it.effect("each build of the test layer is its own empty database", () =>
    Effect.gen(function*() {
      const count = Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ n: number }>`SELECT count(*) AS n FROM sessions`)
      yield* Effect.flatMap(SessionsRepo, (repo) => repo.insert({ id: "s1", projectId: "p", configHash: "h" })).pipe(
        Effect.provide(SessionsRepo.Default.pipe(Layer.provide(backend.layer)))
      )
      const rows = yield* Effect.provide(count, backend.layer)
      expect(rows[0]!.n).toBe(0)
    }))

  it.effect("Database.transaction commits together, rolls back on a typed error or a defect, and nests", () =>
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
    }).pipe(Effect.provide(SessionsRepo.Default.pipe(Layer.provideMerge(backend.layer)))))
})

describe("migrations [SQLite only]", () => {
  it.effect("create the reference tables, foreign keys and index names", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const indices = yield* sql<{ name: string }>`SELECT name FROM sqlite_master
        WHERE type = 'index' AND name LIKE 'idx_%' ORDER BY name`
      expect(indices.map((row) => row.name)).toEqual([
        "idx_events_event_type",
        "idx_events_priority_timestamp",
        "idx_events_project_timestamp",
        "idx_events_session_id",
        "idx_events_session_timestamp",
        "idx_events_timestamp",
        "idx_events_type_timestamp",
        "idx_session_log_session",
        "idx_sessions_created_at",
        "idx_sessions_project_created_at",
        "idx_sessions_project_status",
        "idx_sessions_status_created_at"
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

  it.scoped("a failing migration fails the layer with reason Migration naming it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "broken.db")
      yield* Effect.provide(Effect.void, Database.layer({ url: `sqlite:${file}` }))
      // Back at migration 4, with a table that takes the name V5 gives an index.
      const db = new Sqlite(file)
      db.exec(`DELETE FROM effect_sql_migrations WHERE migration_id >= 5; DROP INDEX idx_events_session_id;
        CREATE TABLE idx_events_session_id (id TEXT)`)
      db.close()
      const error = yield* buildError(Database.layer({ url: `sqlite:${file}` }))
      expect(error.reason).toBe("Migration")
      expect(error.message).toContain("5_indices")
      expect(error.message).toContain("idx_events_session_id")
      const check = new Sqlite(file, { readonly: true })
      const recorded = check.prepare("SELECT count(*) AS n FROM effect_sql_migrations").get() as { n: number }
      check.close()
      expect(recorded.n).toBe(4)
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

describe("a database made by the original implementation [SQLite only]", () => {
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

// PostgreSQL: test/postgres/reliability.test.ts starts 16 processes at once.
describe("concurrent start [SQLite only]", () => {
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

describePostgres("PostgreSQL databases", () => {
  const password = pgUrl === undefined ? "" : decodeURIComponent(new URL(pgUrl).password)

  it.effect("migrations create the reference tables with PostgreSQL types, defaults, cascading keys and index names", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const columns = yield* sql<{
        table_name: string
        column_name: string
        data_type: string
        column_default: string | null
        is_nullable: string
        collation_name: string | null
        is_identity: string
      }>`SELECT table_name, column_name, data_type, column_default, is_nullable, collation_name, is_identity
        FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name IN ('sessions', 'events', 'projects', 'session_metrics')
        ORDER BY table_name, ordinal_position`
      const table = (name: string) =>
        columns.filter((c) => c.table_name === name).map((c) => `${c.column_name} ${c.data_type}`)
      expect(table("sessions")).toEqual([
        "id text", "project_id text", "status text", "activity text", "branch text", "issue_id text",
        "workspace_path text", "runtime_handle jsonb", "agent_info jsonb", "agent_name text", "pr_url text",
        "pr_number bigint", "tmux_name text", "config_hash text", "role text", "metadata jsonb",
        "created_at timestamp with time zone", "last_activity_at timestamp with time zone",
        "restored_at timestamp with time zone", "archived_at timestamp with time zone", "seq bigint"
      ])
      expect(table("events")).toEqual([
        "id text", "event_type text", "priority text", "session_id text", "project_id text",
        "timestamp timestamp with time zone", "message text", "data jsonb", "seq bigint"
      ])
      expect(table("projects")).toEqual([
        "project_id text", "name text", "repo text", "path text", "default_branch text", "config_hash text",
        "created_at timestamp with time zone", "updated_at timestamp with time zone"
      ])
      expect(table("session_metrics")).toEqual([
        "session_id text", "total_tokens_in bigint", "total_tokens_out bigint", "estimated_cost_usd double precision",
        "ci_runs bigint", "ci_failures bigint", "review_rounds bigint", "time_to_first_pr_secs bigint",
        "time_to_merge_secs bigint", "updated_at timestamp with time zone"
      ])
      const column = (tableName: string, name: string) =>
        columns.find((c) => c.table_name === tableName && c.column_name === name)!
      expect(column("sessions", "status").column_default).toBe("'spawning'::text")
      expect(column("sessions", "metadata").column_default).toBe("'{}'::jsonb")
      expect(column("sessions", "created_at").column_default).toBe("now()")
      expect(column("events", "data").column_default).toBe("'{}'::jsonb")
      expect(column("projects", "default_branch").column_default).toBe("'main'::text")
      expect(column("session_metrics", "total_tokens_in").column_default).toBe("0")
      expect(column("session_metrics", "estimated_cost_usd").column_default).toBe("0.0")
      expect(column("session_metrics", "updated_at").column_default).toBe("now()")
      expect(column("sessions", "activity").is_nullable).toBe("YES")
      expect(column("sessions", "config_hash").is_nullable).toBe("NO")
      expect(column("sessions", "seq").is_identity).toBe("YES")
      expect(column("events", "seq").is_identity).toBe("YES")
      expect(columns.filter((c) => c.data_type === "text").every((c) => c.collation_name === "C")).toBe(true)

      const foreignKeys = yield* sql<{ child: string; column: string; parent: string; on_delete: string }>`
        SELECT c.conrelid::regclass::text AS child, a.attname AS "column", c.confrelid::regclass::text AS parent,
          c.confdeltype AS on_delete
        FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.contype = 'f' ORDER BY child`
      expect(foreignKeys).toEqual([
        { child: "events", column: "session_id", parent: "sessions", on_delete: "c" },
        { child: "session_metrics", column: "session_id", parent: "sessions", on_delete: "c" }
      ])
      const indices = yield* sql<{ indexname: string; indexdef: string }>`SELECT indexname, indexdef FROM pg_indexes
        WHERE schemaname = current_schema() AND indexname LIKE 'idx_%' ORDER BY indexname`
      expect(indices.map((i) => i.indexdef.replace(/ ON \w+\.| USING btree/g, (m) => m.startsWith(" ON") ? " ON " : "")))
        .toEqual([
          "CREATE INDEX idx_events_event_type ON events (event_type)",
          "CREATE INDEX idx_events_priority_timestamp ON events (priority, \"timestamp\", seq)",
          "CREATE INDEX idx_events_project_timestamp ON events (project_id, \"timestamp\", seq)",
          "CREATE UNIQUE INDEX idx_events_seq ON events (seq)",
          "CREATE INDEX idx_events_session_id ON events (session_id)",
          "CREATE INDEX idx_events_session_timestamp ON events (session_id, \"timestamp\", seq)",
          "CREATE INDEX idx_events_timestamp ON events (\"timestamp\", seq)",
          "CREATE INDEX idx_events_type_timestamp ON events (event_type, \"timestamp\", seq)",
          "CREATE INDEX idx_session_log_session ON session_log (session_id)",
          "CREATE INDEX idx_sessions_created_at ON sessions (created_at, seq)",
          "CREATE INDEX idx_sessions_project_created_at ON sessions (project_id, created_at, seq)",
          "CREATE INDEX idx_sessions_project_status ON sessions (project_id, status)",
          "CREATE UNIQUE INDEX idx_sessions_seq ON sessions (seq)",
          "CREATE INDEX idx_sessions_status_created_at ON sessions (status, created_at, seq)"
        ])
    }).pipe(Effect.provide(postgres.layer)))

  it.scoped("migrations are idempotent: a second build on the same database applies nothing", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase()
      const layer = Database.layer({ url })
      yield* Effect.provide(Effect.void, layer)
      const again = yield* Effect.provide(Effect.zip(migrate, appliedMigrations), layer)
      expect(again[0]).toEqual([])
      expect(again[1]).toHaveLength(latestMigrationId)
    }))

  it.scoped("a failing migration fails the layer with reason Migration naming it, and leaves nothing behind", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase()
      // A type named sessions: V1's CREATE TABLE IF NOT EXISTS skips, and V2 cannot reference it.
      yield* pgQuery(url, "CREATE TYPE sessions AS (id TEXT)")
      const error = yield* buildError(Database.layer({ url }))
      expect(error.reason).toBe("Migration")
      expect(error.message).toContain("2_events")
      expect(error.message).toContain("sessions")
      // DDL is transactional: V1 and the tracking table went with the failure.
      const [[left]] = yield* pgQuery(url, `SELECT to_regclass('effect_sql_migrations')::text AS tracking,
        to_regclass('events')::text AS events`)
      expect(left).toEqual({ tracking: null, events: null })
    }))

  it.scoped("refuses a database written by a newer version, without modifying it", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase()
      yield* Effect.provide(Effect.void, Database.layer({ url }))
      yield* pgQuery(url, "INSERT INTO effect_sql_migrations (migration_id, name) VALUES (99, 'from_the_future')")
      const snapshot = pgQuery(url, "SELECT migration_id, name FROM effect_sql_migrations ORDER BY migration_id",
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
      const before = yield* snapshot
      const error = yield* buildError(Database.layer({ url }))
      expect(error.reason).toBe("Migration")
      expect(error.message).toContain("newer")
      expect(yield* snapshot).toEqual(before)
    }))

  it.scoped("text sorts by code point in a database whose own collation sorts otherwise (ICU en-US)", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase("TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'")
      const [[collation]] = yield* pgQuery(url, "SELECT 'alpha' < 'Beta' AS lowercase_first")
      expect(collation).toEqual({ lowercase_first: true })
      const names = yield* Effect.gen(function*() {
        const projects = yield* ProjectsRepo
        for (const [id, name] of [["p1", "beta"], ["p2", "Beta"], ["p3", "alpha"], ["p4", "Zulu"]]) {
          yield* projects.insert({ id: id!, name: name!, repo: "r", path: "/p", configHash: "h" })
        }
        return (yield* projects.list()).map((p) => p.name)
      }).pipe(Effect.provide(Repos.layerDatabase({ url })))
      expect(names).toEqual(["Beta", "Zulu", "alpha", "beta"])
    }))

  it.scoped.skipIf(password === "")("a wrong password fails with reason Connection, naming neither password", () =>
    Effect.gen(function*() {
      const url = new URL(pgUrl!)
      url.password = "wrong-Passw0rd"
      const error = yield* buildError(Database.layer({ url: url.toString() }))
      expect(error.reason).toBe("Connection")
      expect(error.message).toContain("password authentication failed")
      for (const text of [error.message, JSON.stringify(error), Cause.pretty(Cause.fail(error))]) {
        expect(text).not.toContain("wrong-Passw0rd")
        expect(text).not.toContain(password)
      }
    }))

  it.scoped.skipIf(password === "")("no span attribute or log line carries the password", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase()
      const { spans, tracer } = yield* recordingTracer
      const logs: Array<string> = []
      const logger = Logger.make(({ annotations, message }) => logs.push(JSON.stringify({ message, annotations })))
      yield* Effect.gen(function*() {
        const sessions = yield* SessionsRepo
        yield* sessions.insert({ id: "s1", projectId: "p", configHash: "h" })
        yield* Effect.flip(sessions.insert({ id: "s1", projectId: "p", configHash: "h" }))
        yield* Effect.logError("after the inserts")
      }).pipe(
        Effect.provide(Repos.layerDatabase({ url })),
        Effect.withTracer(tracer),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
        Logger.withMinimumLogLevel(LogLevel.All)
      )
      expect(spans.map((s) => s.name)).toContain("sql.execute")
      expect(logs.length).toBeGreaterThan(0)
      const attributes = spans.flatMap((span) => Array.from(span.attributes.values(), (value) => String(value)))
      expect(attributes).toContain("postgresql")
      for (const text of [...attributes, ...logs]) expect(text).not.toContain(password)
    }))
})

describe("opening for reading only", () => {
  const readOnly = (url: string) => Repos.layerDatabase({ url, readOnly: true })
  const insertRefused = Effect.flatMap(SessionsRepo, (repo) =>
    Effect.flip(repo.insert({ id: "ro-2", projectId: "ro", configHash: "h" })))

  const writesNothing = (url: string) =>
    Effect.gen(function*() {
      yield* Effect.flatMap(SessionsRepo, (repo) => repo.insert({ id: "ro-1", projectId: "ro", configHash: "h" })).pipe(
        Effect.provide(Repos.layerDatabase({ url }))
      )
      const [found, refused, applied] = yield* Effect.all([
        Effect.flatMap(SessionsRepo, (repo) => repo.get("ro-1")),
        insertRefused,
        Database.MigrationsApplied
      ]).pipe(Effect.provide(readOnly(url)))
      expect(found.id).toBe("ro-1")
      expect(refused).toBeInstanceOf(DbError)
      expect(refused).toMatchObject({ _tag: "DbError", reason: "ReadOnly" })
      expect(applied).toEqual([])
      const ids = yield* Effect.flatMap(SessionsRepo, (repo) => repo.list()).pipe(Effect.provide(Repos.layerDatabase({ url })))
      expect(ids.map((session) => session.id)).toEqual(["ro-1"])
    })

  it.scoped("SQLite: reads, refuses a write with reason ReadOnly, and leaves the file's bytes as they were", () =>
    Effect.gen(function*() {
      const file = path.join(yield* tempDir, "ro.db")
      yield* writesNothing(`sqlite:${file}`)
      const before = fs.readFileSync(file)
      yield* Effect.provide(insertRefused, readOnly(`sqlite:${file}`))
      expect(fs.readFileSync(file).equals(before)).toBe(true)
    }))

  it.scoped("SQLite: a missing file is refused with reason Connection and not created", () =>
    Effect.gen(function*() {
      const file = path.join(yield* tempDir, "absent", "ro.db")
      const error = yield* buildError(Database.layer({ url: `sqlite:${file}`, readOnly: true }))
      expect(error).toMatchObject({ reason: "Connection" })
      expect(error.message).toMatch(/no such file/)
      expect(fs.existsSync(path.dirname(file))).toBe(false)
    }))

  it.scoped("SQLite: the original implementation's file is read as it is, without migrating it", () =>
    Effect.gen(function*() {
      const file = path.join(yield* tempDir, "original.db")
      const db = new Sqlite(file)
      db.exec(originalSchema)
      db.prepare("INSERT INTO sessions (id, project_id, config_hash) VALUES ('old-1', 'old', 'cfg')").run()
      db.close()
      const before = fs.readFileSync(file)
      const sessions = yield* Effect.flatMap(SessionsRepo, (repo) => repo.list()).pipe(
        Effect.provide(readOnly(`sqlite:${file}`))
      )
      expect(sessions.map((session) => session.id)).toEqual(["old-1"])
      expect(fs.readFileSync(file).equals(before)).toBe(true)
      const tables = new Sqlite(file, { readonly: true })
      const tracking = tables.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'effect_sql_migrations'").get()
      tables.close()
      expect(tracking).toEqual({ n: 0 })
    }))

  it.scoped("SQLite: a private in-memory database cannot be read-only", () =>
    Effect.gen(function*() {
      const error = yield* buildError(Database.layer({ url: "sqlite::memory:", readOnly: true }))
      expect(error).toMatchObject({ reason: "Connection" })
    }))
})

describePostgres("opening for reading only", () => {
  it.scoped("reads, refuses a write with reason ReadOnly (every transaction starts READ ONLY), keeps the URL's options", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase()
      yield* Effect.flatMap(SessionsRepo, (repo) => repo.insert({ id: "ro-1", projectId: "ro", configHash: "h" })).pipe(
        Effect.provide(Repos.layerDatabase({ url }))
      )
      const withOptions = `${url}${url.includes("?") ? "&" : "?"}options=${encodeURIComponent("-c statement_timeout=54321")}`
      const [found, refused, settings, applied] = yield* Effect.all([
        Effect.flatMap(SessionsRepo, (repo) => repo.get("ro-1")),
        Effect.flatMap(SessionsRepo, (repo) => Effect.flip(repo.insert({ id: "ro-2", projectId: "ro", configHash: "h" }))),
        Effect.flatMap(SqlClient.SqlClient, (sql) =>
          sql<{ ro: string; timeout: string }>`SELECT current_setting('default_transaction_read_only') AS ro,
            current_setting('statement_timeout') AS timeout`),
        Database.MigrationsApplied
      ]).pipe(Effect.provide(Repos.layerDatabase({ url: withOptions, readOnly: true })))
      expect(found.id).toBe("ro-1")
      expect(refused).toMatchObject({ _tag: "DbError", reason: "ReadOnly" })
      expect(settings[0]).toEqual({ ro: "on", timeout: "54321ms" })
      expect(applied).toEqual([])
      const [rows] = yield* pgQuery(url, "SELECT id FROM sessions ORDER BY id")
      expect(rows).toEqual([{ id: "ro-1" }])
    }))
})
