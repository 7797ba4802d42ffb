/**
 * The operator's commands as real processes: check finds planted damage, backup while four
 * writer processes insert, vacuum, restore, and copy between SQLite and PostgreSQL (killed
 * mid-way too).
 */
import Sqlite from "better-sqlite3"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Database from "../../src/Database.js"
import * as Maintenance from "../../src/Maintenance.js"
import { latestMigrationId } from "../../src/Migrations/index.js"
import { freshPgDatabase, pgQuery, pgUrl } from "../fixtures/backends.js"
import { originalSchema } from "../fixtures/originalSchema.js"
import { buildCli, type CliRun, makeTempDir } from "./fixtures/cli.js"
import { canMountTmpfs } from "../fixtures/mount.js"

type Cli = Awaited<ReturnType<typeof buildCli>>
let cli: Cli["cli"]
let cliSignalled: Cli["cliSignalled"]
// How long a whole copy of the demo database to PostgreSQL took: the kill test stops one part-way.
let wholeCopyMs = 3000
let removeCli = () => {}
const temp = makeTempDir()
const demoUrl = temp.url("demo.db")
const demoFile = path.join(temp.dir, "demo.db")

const json = (run: CliRun): any => {
  expect(run.stderr).toBe("")
  expect(run.code).toBe(0)
  return JSON.parse(run.stdout)
}

/** A SQLite file's rows of every table, in key order, as plain objects. */
const sqliteRows = (file: string) => {
  const db = new Sqlite(file, { readonly: true })
  try {
    return {
      projects: db.prepare("SELECT * FROM projects ORDER BY project_id").all(),
      sessions: db.prepare("SELECT * FROM sessions ORDER BY rowid").all(),
      events: db.prepare("SELECT * FROM events ORDER BY rowid").all(),
      session_metrics: db.prepare("SELECT * FROM session_metrics ORDER BY session_id").all()
    }
  } finally {
    db.close()
  }
}

const fresh = (name: string) => {
  const file = path.join(temp.dir, name)
  return { file, url: `sqlite:${file}` }
}

beforeAll(async () => {
  ;({ cli, cliSignalled, remove: removeCli } = await buildCli())
  expect((await cli(["--database-url", demoUrl, "demo", "--sessions", "200"])).code).toBe(0)
}, 120_000)

afterAll(() => {
  removeCli()
  temp.remove()
})

describe("check", () => {
  it("a healthy database: exit 0, every row read, nothing changed", async () => {
    const before = fs.readFileSync(demoFile)
    const report = json(await cli(["--database-url", demoUrl, "--json", "check"]))
    expect(report.healthy).toBe(true)
    expect(report.problems).toEqual([])
    expect(report.rows.sessions).toBe(200)
    expect(report.rows.events).toBeGreaterThan(1000)
    expect(fs.readFileSync(demoFile).equals(before)).toBe(true)
  })

  it("finds each kind of damage planted by plain SQL: exit 1, table, id, column and why", async () => {
    const { file, url } = fresh("damaged.db")
    fs.copyFileSync(demoFile, file)
    const db = new Sqlite(file)
    const [session] = db.prepare("SELECT id FROM sessions ORDER BY id LIMIT 2").all() as Array<{ id: string }>
    const [event] = db.prepare("SELECT id FROM events ORDER BY id LIMIT 1").all() as Array<{ id: string }>
    db.pragma("foreign_keys = OFF")
    db.prepare("UPDATE sessions SET status = 'exploded' WHERE id = ?").run(session!.id)
    db.prepare("UPDATE events SET data = 'not json' WHERE id = ?").run(event!.id)
    db.prepare("UPDATE projects SET created_at = 'yesterday' WHERE project_id = (SELECT min(project_id) FROM projects)")
      .run()
    db.prepare("UPDATE session_metrics SET ci_runs = -3 WHERE session_id = (SELECT min(session_id) FROM session_metrics)")
      .run()
    db.prepare(
      "INSERT INTO events (id, event_type, priority, session_id, project_id, timestamp, message, data) " +
        "SELECT 'orphan', event_type, priority, 'no-such-session', project_id, timestamp, message, data FROM events LIMIT 1"
    ).run()
    db.prepare("DELETE FROM effect_sql_migrations WHERE migration_id = 3").run()
    db.close()
    const run = await cli(["--database-url", url, "check"])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/^ennio-db: check found 6 problems/)
    expect(run.stdout).toMatch(new RegExp(`decode  sessions  ${session!.id}  status  `))
    expect(run.stdout).toMatch(new RegExp(`decode  events  ${event!.id}  data  `))
    expect(run.stdout).toMatch(/decode  projects  \S+  created_at  /)
    expect(run.stdout).toMatch(/decode  session_metrics  \S+  ci_runs  /)
    expect(run.stdout).toMatch(/foreign_key  events  rowid \d+  /)
    expect(run.stdout).toMatch(/migration  effect_sql_migrations  3  migration_id  /)
  })
})

describe("check reads only", () => {
  it("an original implementation's file: every migration reported missing, exit 1, the file not migrated", async () => {
    const { file, url } = fresh("original.db")
    const db = new Sqlite(file)
    db.exec(originalSchema)
    db.prepare("INSERT INTO sessions (id, project_id, config_hash) VALUES ('old-1', 'old', 'cfg')").run()
    db.close()
    const before = fs.readFileSync(file)
    const run = await cli(["--database-url", url, "--json", "check"])
    expect(run.code).toBe(1)
    const report = JSON.parse(run.stdout)
    expect(report.migration).toEqual({ applied: 0, latest: latestMigrationId })
    expect(report.problems.map((problem: { id: string }) => problem.id)).toEqual(
      Array.from({ length: latestMigrationId }, (_, i) => String(i + 1))
    )
    expect(report.rows.sessions).toBe(1)
    expect(fs.readFileSync(file).equals(before)).toBe(true)
  })

  it("a database that does not exist: refused, and no file is created", async () => {
    const { file, url } = fresh(path.join("nowhere", "absent.db"))
    const run = await cli(["--database-url", url, "check"])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/no such file/)
    expect(fs.existsSync(path.dirname(file))).toBe(false)
  })
})

describe("check, a damaged index", () => {
  it("an index that no longer matches its table (rewritten under writable_schema): integrity lines, exit 1", async () => {
    const { file, url } = fresh("bad-index.db")
    fs.copyFileSync(demoFile, file)
    const db = new Sqlite(file)
    db.unsafeMode(true)
    db.pragma("writable_schema = ON")
    db.prepare("UPDATE sqlite_master SET sql = 'CREATE INDEX idx_events_event_type ON events(message)' " +
      "WHERE name = 'idx_events_event_type'").run()
    db.close()
    const run = await cli(["--database-url", url, "check"])
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/^integrity  .*idx_events_event_type/m)
  })
})

describe("backup and restore", () => {
  it("refuses an existing file without --force; replaces it with; mode 0600", async () => {
    const target = path.join(temp.dir, "refused.db")
    fs.writeFileSync(target, "mine")
    const refused = await cli(["--database-url", demoUrl, "backup", target])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/exists: add --force/)
    expect(fs.readFileSync(target, "utf8")).toBe("mine")
    const done = json(await cli(["--database-url", demoUrl, "--json", "backup", target, "--force"]))
    expect(done.bytes).toBeGreaterThan(0)
    expect(fs.statSync(target).mode & 0o777).toBe(0o600)
    expect(sqliteRows(target)).toEqual(sqliteRows(demoFile))
    expect(fs.readdirSync(temp.dir).filter((name) => name.endsWith(".tmp"))).toEqual([])
  })

  it("a backup taken while 4 writer processes insert holds a prefix of each writer's acknowledged commits", async () => {
    const { file, url } = fresh("busy.db")
    fs.copyFileSync(demoFile, file)
    const writerScript = `
      const Sqlite = require("better-sqlite3")
      const db = new Sqlite(process.argv[1]); db.pragma("busy_timeout = 10000")
      const w = process.argv[2]
      const model = db.prepare("SELECT * FROM events LIMIT 1").get()
      const insert = db.prepare("INSERT INTO events (id, event_type, priority, session_id, project_id, timestamp, message, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      let n = 0, worst = 0
      const stop = Date.now() + Number(process.argv[3])
      while (Date.now() < stop) {
        const t = Date.now()
        insert.run("w" + w + "-" + n, model.event_type, model.priority, model.session_id, model.project_id, new Date().toISOString(), "write " + n, "{}")
        n++
        process.stdout.write(n + " " + t + " " + (Date.now() - t) + "\\n")
      }
    `
    const writers = [0, 1, 2, 3].map((w) => {
      const child = spawn(process.execPath, ["-e", writerScript, file, String(w), "4000"], {
        cwd: path.resolve(__dirname, "../.."),
        stdio: ["ignore", "pipe", "inherit"]
      })
      let acknowledged = 0
      // Each write: when it started and how long it took (ms).
      const writes: Array<readonly [number, number]> = []
      let partial = ""
      child.stdout.setEncoding("utf8")
      child.stdout.on("data", (chunk: string) => {
        const lines = (partial + chunk).split("\n")
        partial = lines.pop()!
        for (const line of lines) {
          const [n, at, took] = line.split(" ").map(Number)
          acknowledged = n!
          writes.push([at!, took!])
        }
      })
      const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()))
      return { exited, acknowledged: () => acknowledged, writes }
    })
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const backupFile = path.join(temp.dir, "busy-backup.db")
    const before = writers.map((writer) => writer.acknowledged())
    const backupStart = Date.now()
    expect((await cli(["--database-url", url, "backup", backupFile])).code).toBe(0)
    const backupEnd = Date.now()
    await Promise.all(writers.map((writer) => writer.exited))
    expect(json(await cli(["--database-url", `sqlite:${backupFile}`, "--json", "check"])).healthy).toBe(true)
    const db = new Sqlite(backupFile, { readonly: true })
    for (const w of [0, 1, 2, 3]) {
      const ids = (db.prepare("SELECT id FROM events WHERE id LIKE ?").all(`w${w}-%`) as Array<{ id: string }>)
        .map((row) => Number(row.id.split("-")[1]))
        .sort((a, b) => a - b)
      // A prefix: 0 .. k-1, at least what was acknowledged before the backup began.
      expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i))
      expect(ids.length).toBeGreaterThanOrEqual(before[w]!)
      // At most the writes begun before the backup ended (their lines may reach this process later).
      expect(ids.length).toBeLessThanOrEqual(writers[w]!.writes.filter(([at]) => at <= backupEnd).length)
    }
    db.close()
    const longest = (during: boolean) =>
      Math.max(0, ...writers.flatMap((writer) =>
        writer.writes.filter(([at, took]) => (at + took >= backupStart && at <= backupEnd) === during).map(([, took]) => took)
      ))
    console.info(
      `[ennio-db] longest write of 4 writers: ${longest(true)} ms during the backup, ${longest(false)} ms outside it`
    )
  }, 60_000)

  it("restore writes a backup into an empty database only", async () => {
    const backupFile = path.join(temp.dir, "for-restore.db")
    expect((await cli(["--database-url", demoUrl, "backup", backupFile])).code).toBe(0)
    const { file, url } = fresh("restored.db")
    const restored = json(await cli(["--database-url", url, "--json", "restore", backupFile]))
    expect(restored.restored.sessions).toBe(200)
    expect(sqliteRows(file)).toEqual(sqliteRows(demoFile))
    const again = await cli(["--database-url", url, "restore", backupFile])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/not empty/)
  }, 60_000)
})


describe.skipIf(!canMountTmpfs)("backup onto a full disk", () => {
  it("fails with DbError DiskFull, leaves no temporary file, and writes nothing under FILE", async () => {
    const mount = fs.mkdtempSync(path.join(temp.dir, "full-"))
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs", mount])
    try {
      const target = path.join(mount, "backup.db")
      const exit = await Effect.runPromiseExit(
        Effect.flatMap(Maintenance.Maintenance, (maintenance) => maintenance.backup(target)).pipe(
          Effect.provide(Layer.provide(Maintenance.layer, Database.layer({ url: demoUrl })))
        )
      )
      expect(Exit.isFailure(exit) && Cause.failureOption(exit.cause)).toMatchObject({
        _tag: "Some",
        value: { _tag: "DbError", reason: "DiskFull" }
      })
      expect(fs.readdirSync(mount)).toEqual([])
    } finally {
      execFileSync("umount", ["-l", mount])
    }
  })
})

describe("vacuum", () => {
  it("prune --vacuum gives the space back and reports bytes before and after", async () => {
    const { file, url } = fresh("vacuum.db")
    fs.copyFileSync(demoFile, file)
    const pruned = json(await cli(["--database-url", url, "--json", "prune", "--older-than", "0d", "--force", "--vacuum"]))
    expect(pruned.deleted).toBeGreaterThan(1000)
    expect(pruned.vacuum.bytes_after).toBeLessThan(pruned.vacuum.bytes_before)
    expect(fs.statSync(file).size).toBe(pruned.vacuum.bytes_after)
    const again = json(await cli(["--database-url", url, "--json", "vacuum"]))
    expect(again.bytes_before).toBe(pruned.vacuum.bytes_after)
  })
})

describe("export and import", () => {
  it("an export imported into an empty database exports the same lines; a header with the format and migration", async () => {
    const exported = path.join(temp.dir, "demo.jsonl")
    json(await cli(["--database-url", demoUrl, "--json", "export", "--out", exported]))
    expect(fs.statSync(exported).mode & 0o777).toBe(0o600)
    const lines = fs.readFileSync(exported, "utf8").trimEnd().split("\n")
    expect(JSON.parse(lines[0]!)).toMatchObject({ format: "ennio-db export", version: 1 })
    expect(JSON.parse(lines[1]!)).toMatchObject({ table: "projects", row: { project_id: expect.any(String) } })
    const target = fresh("imported.db")
    expect(json(await cli(["--database-url", target.url, "--json", "import", exported])).imported.sessions).toBe(200)
    const again = path.join(temp.dir, "imported.jsonl")
    json(await cli(["--database-url", target.url, "--json", "export", "--out", again]))
    expect(fs.readFileSync(again, "utf8")).toBe(`${lines.join("\n")}\n`)
    expect(sqliteRows(target.file)).toEqual(sqliteRows(demoFile))
  })

  it("a file with one invalid line imports nothing, naming the line; a database with rows is refused", async () => {
    const exported = path.join(temp.dir, "demo.jsonl")
    const lines = fs.readFileSync(exported, "utf8").trimEnd().split("\n")
    const last = JSON.parse(lines[lines.length - 1]!)
    last.row.ci_runs = -1
    const damaged = path.join(temp.dir, "damaged.jsonl")
    fs.writeFileSync(damaged, [...lines.slice(0, -1), JSON.stringify(last)].join("\n"))
    const target = fresh("not-imported.db")
    const run = await cli(["--database-url", target.url, "import", damaged])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(new RegExp(`line ${lines.length}: .*ci_runs`))
    expect(Object.values(sqliteRows(target.file)).flat()).toEqual([])
    const refused = await cli(["--database-url", demoUrl, "import", exported])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/not empty/)
  })
})

/**
 * Writer processes that each commit, until stopped, a new session and its event together
 * (`ws<w>-<n>`, `we<w>-<n>`) and a second event for their first session, into `url`'s database.
 */
const pairedWriters = (url: string, count: number) => {
  const sqliteWriter = `
    const Sqlite = require("better-sqlite3")
    const db = new Sqlite(process.argv[1]); db.pragma("busy_timeout = 10000")
    const w = process.argv[2], at = () => new Date().toISOString()
    const session = db.prepare("INSERT INTO sessions (id, project_id, status, config_hash, created_at, last_activity_at) VALUES (?, 'p', 'working', 'h', ?, ?)")
    const event = db.prepare("INSERT INTO events (id, event_type, priority, session_id, project_id, timestamp, message, data) VALUES (?, 'ci_failing', 'action', ?, 'p', ?, 'm', '{}')")
    const pair = db.transaction((n) => {
      session.run("ws" + w + "-" + n, at(), at()); event.run("we" + w + "-" + n, "ws" + w + "-" + n, at())
      if (n > 0) event.run("wx" + w + "-" + n, "ws" + w + "-0", at())
    })
    let n = 0, stop = false
    process.on("SIGTERM", () => { stop = true })
    const loop = () => { for (let i = 0; i < 20 && !stop; i++) pair(n++); if (stop) { console.log(n); db.close() } else setImmediate(loop) }
    loop()
  `
  const pgWriter = `
    const { Client } = require("pg")
    const client = new Client({ connectionString: process.argv[1] })
    const w = process.argv[2]
    let n = 0, stop = false
    process.on("SIGTERM", () => { stop = true })
    const main = async () => {
      await client.connect()
      while (!stop) {
        await client.query("BEGIN")
        await client.query("INSERT INTO sessions (id, project_id, status, config_hash) VALUES ($1, 'p', 'working', 'h')", ["ws" + w + "-" + n])
        await client.query("INSERT INTO events (id, event_type, priority, session_id, project_id, message) VALUES ($1, 'ci_failing', 'action', $2, 'p', 'm')", ["we" + w + "-" + n, "ws" + w + "-" + n])
        if (n > 0) await client.query("INSERT INTO events (id, event_type, priority, session_id, project_id, message) VALUES ($1, 'ci_failing', 'action', $2, 'p', 'm')", ["wx" + w + "-" + n, "ws" + w + "-0"])
        await client.query("COMMIT")
        n++
      }
      console.log(n)
      await client.end()
    }
    main()
  `
  const target = url.startsWith("sqlite:") ? url.slice("sqlite:".length) : url
  return Array.from({ length: count }, (_, w) => {
    const child = spawn(process.execPath, ["-e", url.startsWith("sqlite:") ? sqliteWriter : pgWriter, target, String(w)], {
      cwd: path.resolve(__dirname, "../.."),
      stdio: ["ignore", "pipe", "inherit"]
    })
    let out = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk))
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()))
    return { stop: () => (child.kill("SIGTERM"), exited.then(() => Number(out.trim()))) }
  })
}

/** Each writer's rows in a copy: its sessions, its paired events and its second events, as numbers. */
const writerRows = (rows: { sessions: Array<{ id: string }>; events: Array<{ id: string }> }, w: number) => {
  const numbers = (ids: Array<{ id: string }>, prefix: string) =>
    ids.filter(({ id }) => id.startsWith(`${prefix}${w}-`)).map(({ id }) => Number(id.split("-")[1])).sort((a, b) => a - b)
  return { sessions: numbers(rows.sessions, "ws"), paired: numbers(rows.events, "we"), second: numbers(rows.events, "wx") }
}

const expectOneInstant = (rows: { sessions: Array<{ id: string }>; events: Array<{ id: string }> }, writers: number) => {
  for (let w = 0; w < writers; w++) {
    const { paired, second, sessions } = writerRows(rows, w)
    // A prefix of the writer's commits, each whole: session n with its event, and the second event from 1 on.
    expect(sessions.length).toBeGreaterThan(0)
    expect(sessions).toEqual(Array.from({ length: sessions.length }, (_, i) => i))
    expect(paired).toEqual(sessions)
    expect(second).toEqual(sessions.slice(1))
  }
}

describe("copy and export of a database others keep writing", () => {
  it("SQLite: the copy and the export are the database at one instant, a prefix of each writer's commits", async () => {
    const { file, url } = fresh("live-source.db")
    fs.copyFileSync(demoFile, file)
    const writers = pairedWriters(url, 2)
    await new Promise((resolve) => setTimeout(resolve, 500))
    const target = fresh("live-copy.db")
    const exported = path.join(temp.dir, "live.jsonl")
    const copied = await cli(["--json", "copy", "--from", url, "--to", target.url])
    const exportRun = await cli(["--database-url", url, "export", "--out", exported])
    const committed = await Promise.all(writers.map((writer) => writer.stop()))
    expect(json(copied).copied.sessions).toBeGreaterThan(200)
    expect(exportRun.code).toBe(0)
    expectOneInstant(sqliteRows(target.file) as any, 2)
    const lines = fs.readFileSync(exported, "utf8").trimEnd().split("\n").slice(1).map((line) => JSON.parse(line))
    expectOneInstant({
      sessions: lines.filter((line) => line.table === "sessions").map((line) => line.row),
      events: lines.filter((line) => line.table === "events").map((line) => line.row)
    }, 2)
    for (const [w, n] of committed.entries()) {
      expect(writerRows(sqliteRows(target.file) as any, w).sessions.length).toBeLessThanOrEqual(n)
    }
  }, 60_000)

  it.skipIf(pgUrl === undefined)("PostgreSQL: the copy is the database at one instant (one REPEATABLE READ snapshot)", async () => {
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const pg = yield* freshPgDatabase()
      json(yield* Effect.promise(() => cli(["--json", "copy", "--from", demoUrl, "--to", pg])))
      const writers = pairedWriters(pg, 2)
      yield* Effect.sleep("500 millis")
      const target = fresh("live-from-pg.db")
      const copied = yield* Effect.promise(() => cli(["--json", "copy", "--from", pg, "--to", target.url]))
      yield* Effect.promise(() => Promise.all(writers.map((writer) => writer.stop())))
      expect(json(copied).copied.sessions).toBeGreaterThan(200)
      expectOneInstant(sqliteRows(target.file) as any, 2)
    })))
  }, 60_000)
})

describe.skipIf(pgUrl === undefined)("copy between SQLite and PostgreSQL", () => {
  it("SQLite → PostgreSQL → SQLite is equal row for row, and check passes on PostgreSQL", async () => {
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const pg = yield* freshPgDatabase()
      const started = performance.now()
      const there = yield* Effect.promise(() => cli(["--json", "copy", "--from", demoUrl, "--to", pg]))
      wholeCopyMs = performance.now() - started
      expect(json(there).copied.sessions).toBe(200)
      expect(json(yield* Effect.promise(() => cli(["--database-url", pg, "--json", "check"]))).healthy).toBe(true)
      const back = fresh("back.db")
      const home = yield* Effect.promise(() => cli(["--database-url", pg, "--json", "copy", "--to", back.url]))
      expect(json(home).checksums).toEqual(json(there).checksums)
      const original = sqliteRows(demoFile)
      const returned = sqliteRows(back.file)
      expect(returned.events.map((row: any) => row.id)).toEqual(original.events.map((row: any) => row.id))
      expect(returned.sessions.map((row: any) => row.id)).toEqual(original.sessions.map((row: any) => row.id))
      expect(returned.session_metrics).toEqual(original.session_metrics)
      expect(returned.projects.length).toBe(original.projects.length)
      // The export of the PostgreSQL copy is the SQLite original's, line for line (jsonb keeps no key order).
      const fromPg = path.join(temp.dir, "from-pg.jsonl")
      const fromSqlite = path.join(temp.dir, "from-sqlite.jsonl")
      json(yield* Effect.promise(() => cli(["--database-url", pg, "--json", "export", "--out", fromPg])))
      json(yield* Effect.promise(() => cli(["--database-url", demoUrl, "--json", "export", "--out", fromSqlite])))
      // PostgreSQL's backup is its export; restore reads it back.
      const pgBackup = path.join(temp.dir, "pg-backup.jsonl")
      json(yield* Effect.promise(() => cli(["--database-url", pg, "--json", "backup", pgBackup])))
      expect(fs.statSync(pgBackup).mode & 0o777).toBe(0o600)
      const fromBackup = fresh("from-pg-backup.db")
      expect(json(yield* Effect.promise(() => cli(["--database-url", fromBackup.url, "--json", "restore", pgBackup])))
        .restored.events).toBe(original.events.length)
      expect(sqliteRows(fromBackup.file).events.map((row: any) => row.id)).toEqual(original.events.map((row: any) => row.id))
      const parsed = (file: string) => fs.readFileSync(file, "utf8").trimEnd().split("\n").map((line) => JSON.parse(line))
      expect(parsed(fromPg)).toEqual(parsed(fromSqlite))
    })))
  }, 120_000)

  it("check on PostgreSQL: amcheck's index checks when installed, and each kind of planted damage", async () => {
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const pg = yield* freshPgDatabase()
      json(yield* Effect.promise(() => cli(["--json", "copy", "--from", demoUrl, "--to", pg])))
      yield* pgQuery(pg, "CREATE EXTENSION IF NOT EXISTS amcheck")
      const healthy = json(yield* Effect.promise(() => cli(["--database-url", pg, "--json", "check"])))
      expect(healthy).toMatchObject({ healthy: true, notes: [] })
      yield* pgQuery(
        pg,
        "SET session_replication_role = replica",
        "UPDATE sessions SET status = 'exploded' WHERE id = (SELECT min(id) FROM sessions)",
        "UPDATE session_metrics SET ci_runs = -3 WHERE session_id = (SELECT min(session_id) FROM session_metrics)",
        "INSERT INTO events (id, event_type, priority, session_id, project_id, timestamp, message, data) " +
          "SELECT 'orphan', event_type, priority, 'no-such-session', project_id, timestamp, message, data FROM events LIMIT 1",
        "DELETE FROM effect_sql_migrations WHERE migration_id = 3"
      )
      const run = yield* Effect.promise(() => cli(["--database-url", pg, "check"]))
      expect(run.code).toBe(1)
      expect(run.stderr).toMatch(/^ennio-db: check found 4 problems/)
      expect(run.stdout).toMatch(/decode  sessions  \S+  status  /)
      expect(run.stdout).toMatch(/decode  session_metrics  \S+  ci_runs  /)
      expect(run.stdout).toMatch(/foreign_key  events  orphan  /)
      expect(run.stdout).toMatch(/migration  effect_sql_migrations  3  /)
    })))
  }, 120_000)

  it("a copy killed mid-way (SIGKILL) leaves the target empty (a new copy then completes) or whole", async () => {
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const pg = yield* freshPgDatabase()
      // Killed while it writes, at about a third of a whole copy's time. Its commit comes before
      // its verification, so a kill that lands later finds a whole target: both are allowed.
      const killed = yield* Effect.promise(() =>
        cliSignalled(["copy", "--from", demoUrl, "--to", pg], "SIGKILL", Math.round(wholeCopyMs * 0.33))
      )
      expect(killed.code).toBe(null)
      // A kill before the copy's migrations created the tables leaves nothing at all: empty too.
      const [[row]] = yield* pgQuery(pg, "SELECT to_regclass('public.session_metrics') IS NOT NULL AS created")
      const { created } = row as { created: boolean }
      const count = Effect.map(
        pgQuery(
          pg,
          "SELECT (SELECT count(*) FROM projects)::int + (SELECT count(*) FROM sessions)::int + " +
            "(SELECT count(*) FROM events)::int + (SELECT count(*) FROM session_metrics)::int AS n"
        ),
        ([[row]]) => (row as { n: number }).n
      )
      const left = created ? yield* count : 0
      if (left === 0) console.info(`[ennio-db] the killed copy left an empty target (tables created: ${created})`)
      if (left === 0) {
        const again = yield* Effect.promise(() => cli(["--json", "copy", "--from", demoUrl, "--to", pg]))
        expect(json(again).copied.sessions).toBe(200)
      } else {
        // Committed whole before the kill: a second copy refuses the non-empty target, saying so.
        console.info(`[ennio-db] the killed copy had committed (${left} rows): checking the target is whole`)
        const again = yield* Effect.promise(() => cli(["copy", "--from", demoUrl, "--to", pg]))
        expect(again.code).not.toBe(0)
        expect(again.stderr).toMatch(/not empty/)
        const complete = yield* Effect.promise(() => cli(["--json", "copy", "--from", demoUrl, "--to", temp.url("whole.db")]))
        expect(left).toBe(Object.values(json(complete).copied as Record<string, number>).reduce((a, b) => a + b, 0))
      }
    })))
  }, 120_000)
})
