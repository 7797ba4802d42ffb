/**
 * Backup stall: `ennio-db backup` (`Maintenance.backup`) of a SQLite file of N events while 4 writer processes
 * insert one event a transaction; the longest write of any writer while the backup ran, beside
 * the longest outside it (the writers' own contention), and the backup's time (a process's
 * start included) and size.
 *
 *     npx tsx bench/backup-stall.ts [--events N]     (default 1,000,000)
 */
import Sqlite from "better-sqlite3"
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as Database from "../src/Database.js"

const argument = (name: string): string | undefined => {
  const i = process.argv.indexOf(name)
  return i === -1 ? undefined : process.argv[i + 1]
}
const events = Number(argument("--events") ?? 1_000_000)
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ennio-backup-bench-"))
const file = path.join(dir, "source.db")

const buildSource = async () => {
  await Effect.runPromise(Effect.provide(Effect.void, Database.layer({ url: `sqlite:${file}` })))
  const db = new Sqlite(file)
  db.prepare("INSERT INTO sessions (id, project_id, status, config_hash) VALUES ('s0', 'bench', 'working', 'h')").run()
  const event = db.prepare(
    "INSERT INTO events (id, event_type, priority, session_id, project_id, timestamp, message, data) " +
      "VALUES (?, 'ci_failing', 'action', 's0', 'bench', ?, ?, ?)"
  )
  const start = Date.parse("2026-01-01T00:00:00Z")
  db.transaction(() => {
    for (let e = 0; e < events; e++) {
      event.run(`e${e}`, new Date(start + e * 1000).toISOString(), `CI failed on run ${e}`, JSON.stringify({ run: e }))
    }
  })()
  db.close()
}

const writerScript = `
  const Sqlite = require("better-sqlite3")
  const db = new Sqlite(process.argv[1]); db.pragma("busy_timeout = 10000")
  const insert = db.prepare("INSERT INTO events (id, event_type, priority, session_id, project_id, timestamp, message, data) VALUES (?, 'ci_failing', 'action', 's0', 'bench', ?, 'w', '{}')")
  let n = 0
  process.on("SIGTERM", () => process.exit(0))
  const loop = () => {
    for (let i = 0; i < 20; i++) {
      const t = Date.now()
      insert.run("w" + process.argv[2] + "-" + n++, new Date().toISOString())
      process.stdout.write(t + " " + (Date.now() - t) + "\\n")
    }
    setImmediate(loop)
  }
  loop()
`

const main = async () => {
  const built = performance.now()
  await buildSource()
  const bytes = fs.statSync(file).size
  console.log(`source: ${events.toLocaleString("en")} events, ${Math.round(bytes / 1e6)} MB, built in ${((performance.now() - built) / 1000).toFixed(1)} s`)
  const writes: Array<readonly [number, number]> = []
  const writers = [0, 1, 2, 3].map((w) => {
    const child = spawn(process.execPath, ["-e", writerScript, file, String(w)], { cwd: root, stdio: ["ignore", "pipe", "inherit"] })
    let partial = ""
    child.stdout.setEncoding("utf8")
    child.stdout.on("data", (chunk: string) => {
      const lines = (partial + chunk).split("\n")
      partial = lines.pop()!
      for (const line of lines) {
        const [at, took] = line.split(" ").map(Number)
        writes.push([at!, took!])
      }
    })
    return child
  })
  await new Promise((resolve) => setTimeout(resolve, 2000))
  const backupFile = path.join(dir, "backup.db")
  const started = Date.now()
  // In a process of its own, as an operator runs it: this one keeps reading the writers' pipes.
  const code = await new Promise<number | null>((resolve) => {
    const backup = spawn("npx", ["tsx", "src/Cli/Main.ts", "--database-url", `sqlite:${file}`, "backup", backupFile], {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"]
    })
    backup.on("exit", resolve)
  })
  const ended = Date.now()
  if (code !== 0) throw new Error(`backup exited with ${code}`)
  await new Promise((resolve) => setTimeout(resolve, 2000))
  for (const writer of writers) writer.kill("SIGTERM")
  const longest = (during: boolean) =>
    Math.max(0, ...writes.filter(([at, took]) => (at + took >= started && at <= ended) === during).map(([, took]) => took))
  const during = writes.filter(([at]) => at >= started && at <= ended).length
  console.log(
    `backup: ${((ended - started) / 1000).toFixed(1)} s, ${Math.round(fs.statSync(backupFile).size / 1e6)} MB; ` +
      `${during.toLocaleString("en")} writes of 4 writers committed meanwhile`
  )
  console.log(`longest write: ${longest(true)} ms during the backup, ${longest(false)} ms outside it`)
}

main().finally(() => fs.rmSync(dir, { recursive: true, force: true }))
