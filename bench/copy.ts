/**
 * Copy benchmark: `ennio-db copy` (the command, in a process of its own) of a SQLite database of N events into an empty PostgreSQL
 * database, in events/s, beside a plain baseline on the same rows: better-sqlite3 iterating the
 * table and `pg` inserting batches with `INSERT … SELECT FROM unnest($1::text[], …)`, no
 * decoding and no verification. Also the copy's peak RSS.
 *
 *     npx tsx bench/copy.ts [--events N] [--pg URL]     (default 1,000,000; URL or ENNIO_TEST_PG_URL)
 */
import Sqlite from "better-sqlite3"
import * as Effect from "effect/Effect"
import { execFileSync, spawn } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Pg from "pg"
import * as Database from "../src/Database.js"

const argument = (name: string): string | undefined => {
  const i = process.argv.indexOf(name)
  return i === -1 ? undefined : process.argv[i + 1]
}

const events = Number(argument("--events") ?? 1_000_000)
const pgUrl = argument("--pg") ?? process.env["ENNIO_TEST_PG_URL"]
if (pgUrl === undefined) {
  console.error("bench/copy.ts needs a PostgreSQL server: --pg URL or ENNIO_TEST_PG_URL")
  process.exit(2)
}

const sessions = 1000
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ennio-copy-bench-"))
const file = path.join(dir, "source.db")

/** The source: ennio-db's migrations, then sessions and events written by raw better-sqlite3. */
const buildSource = async () => {
  await Effect.runPromise(Effect.provide(Effect.void, Database.layer({ url: `sqlite:${file}` })))
  const db = new Sqlite(file)
  db.pragma("journal_mode = WAL")
  const session = db.prepare("INSERT INTO sessions (id, project_id, status, config_hash, created_at, last_activity_at) VALUES (?, 'bench', 'working', 'h', ?, ?)")
  const event = db.prepare(
    "INSERT INTO events (id, event_type, priority, session_id, project_id, timestamp, message, data) VALUES (?, 'ci_failing', 'action', ?, 'bench', ?, ?, ?)"
  )
  const start = Date.parse("2026-01-01T00:00:00Z")
  db.transaction(() => {
    for (let s = 0; s < sessions; s++) session.run(`s${s}`, new Date(start).toISOString(), new Date(start).toISOString())
    for (let e = 0; e < events; e++) {
      // Every tenth event shares its predecessor's timestamp: ties the copy must keep in order.
      const at = new Date(start + (e - (e % 10 === 0 ? 1 : 0)) * 1000).toISOString()
      event.run(`e${e}`, `s${e % sessions}`, at, `CI failed on run ${e}`, JSON.stringify({ run: e, attempt: e % 3 }))
    }
  })()
  db.close()
}

const admin = new Pg.Pool({ connectionString: pgUrl, max: 1 })
const freshDatabase = async () => {
  const name = `ennio_copy_${crypto.randomBytes(5).toString("hex")}`
  await admin.query(`CREATE DATABASE ${name}`)
  const url = new URL(pgUrl)
  url.pathname = `/${name}`
  return { name, url: url.toString() }
}

/** The command a user runs, built as `npm run build` builds it (inside node_modules, where it finds its drivers). */
const cliDir = path.resolve("node_modules/.cache/ennio-copy-bench")
const buildCli = () => execFileSync(process.execPath, ["scripts/build-cli.mjs", cliDir], { stdio: "ignore" })

/** The peak RSS of a running process so far (Linux's high-water mark), in kB; undefined once it has gone. */
const highWaterKb = (pid: number): number | undefined => {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))
    return match === null ? undefined : Number(match[1])
  } catch {
    return undefined
  }
}

/** `ennio-db copy` in a process of its own: its time, and its peak RSS read from /proc while it runs. */
const ennio = async () => {
  const target = await freshDatabase()
  const started = performance.now()
  const child = spawn(process.execPath, [path.join(cliDir, "cli.js"), "--json", "copy", "--from", `sqlite:${file}`, "--to", target.url], {
    stdio: ["ignore", "pipe", "inherit"]
  })
  let out = ""
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk))
  let peakKb = 0
  const sampler = setInterval(() => (peakKb = Math.max(peakKb, highWaterKb(child.pid!) ?? 0)), 20)
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve))
  const seconds = (performance.now() - started) / 1000
  clearInterval(sampler)
  if (code !== 0) throw new Error(`ennio-db copy exited with ${code}`)
  await admin.query(`DROP DATABASE ${target.name} WITH (FORCE)`)
  return { seconds, peakRssMb: Math.round(peakKb / 1000), rows: JSON.parse(out).copied }
}

/** The baseline: the same tables created by ennio-db's migrations, filled by batches of unnest() inserts. */
const plain = async () => {
  const target = await freshDatabase()
  await Effect.runPromise(Effect.provide(Effect.void, Database.layer({ url: target.url })))
  const db = new Sqlite(file, { readonly: true })
  const pool = new Pg.Pool({ connectionString: target.url, max: 1 })
  const client = await pool.connect()
  const started = performance.now()
  await client.query("BEGIN")
  const sessionRows = db.prepare("SELECT id, project_id, status, config_hash, created_at, last_activity_at FROM sessions ORDER BY rowid").raw().all() as Array<Array<string>>
  await client.query(
    "INSERT INTO sessions (id, project_id, status, config_hash, created_at, last_activity_at) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[])",
    [0, 1, 2, 3, 4, 5].map((c) => sessionRows.map((row) => row[c]))
  )
  const batch = 5000
  let columns: Array<Array<unknown>> = Array.from({ length: 8 }, () => [])
  const flush = async () => {
    if (columns[0]!.length === 0) return
    await client.query(
      "INSERT INTO events (id, event_type, priority, session_id, project_id, timestamp, message, data) " +
        "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::jsonb[])",
      columns
    )
    columns = Array.from({ length: 8 }, () => [])
  }
  for (const row of db.prepare("SELECT id, event_type, priority, session_id, project_id, timestamp, message, data FROM events ORDER BY rowid").raw().iterate() as Iterable<Array<unknown>>) {
    row.forEach((value, c) => columns[c]!.push(value))
    if (columns[0]!.length === batch) await flush()
  }
  await flush()
  await client.query("COMMIT")
  const seconds = (performance.now() - started) / 1000
  client.release()
  await pool.end()
  db.close()
  await admin.query(`DROP DATABASE ${target.name} WITH (FORCE)`)
  return { seconds }
}

const main = async () => {
  const built = performance.now()
  await buildSource()
  console.log(`source: ${events.toLocaleString("en")} events, ${sessions} sessions, ${Math.round(fs.statSync(file).size / 1e6)} MB, built in ${((performance.now() - built) / 1000).toFixed(1)} s`)
  buildCli()
  const ours = await ennio()
  console.log(`ennio-db copy (the command: snapshot, decode, encode, insert, verify counts and checksums): ${ours.seconds.toFixed(1)} s, ${Math.round(events / ours.seconds).toLocaleString("en")} events/s, peak RSS ${ours.peakRssMb} MB`)
  const baseline = await plain()
  console.log(`plain INSERT … SELECT FROM unnest() in batches of 5,000: ${baseline.seconds.toFixed(1)} s, ${Math.round(events / baseline.seconds).toLocaleString("en")} events/s`)
  console.log(`ratio: ${(baseline.seconds / ours.seconds).toFixed(2)} of the baseline's speed`)
}

main().finally(async () => {
  await admin.end()
  fs.rmSync(dir, { recursive: true, force: true })
})
