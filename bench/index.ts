/**
 * `npm run bench [-- --quick] [--pg URL] [--out DIR]`: every workload on every side, then the
 * query plans, the memory check and the cold start, then the PostgreSQL column (W1–W8, W10 on the
 * `pg` driver and on ennio-db over PostgreSQL) when `--pg URL` or `ENNIO_TEST_PG_URL` names a
 * server; prints the table and writes bench/results.{json,svg} (bench/results.quick.{json,svg}
 * in quick mode, so a quick run never replaces a full one; `--out DIR` writes them to DIR instead).
 */
import Sqlite from "better-sqlite3"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { renderChart } from "./chart.js"
import { coldStart } from "./cold-start.js"
import { full, pgFull, pgQuick, quick } from "./config.js"
import { drizzleBuilder, drizzlePrepared } from "./drizzle.js"
import { ennio, explainEvents } from "./ennio.js"
import { Fixtures } from "./fixtures.js"
import { type Runner, runInRotation, runOnce } from "./measure.js"
import { checkStreamMemory } from "./memory-check.js"
import { type PostgresResult, probePostgres, runPostgres, skipReason } from "./pg.js"
import { raw } from "./raw.js"
import { type BenchResults, type Machine, render, verdicts, type WorkloadResult } from "./report.js"
import { type Side, type SideHandle, sideLabels } from "./side.js"
import { assertSame, canonicalFileDigest, digest, summarize } from "./verify.js"
import { makeWorkloads, type Workload } from "./workloads.js"

const sides: ReadonlyArray<Side> = [raw, drizzleBuilder, drizzlePrepared, ennio]
const benchDir = fileURLToPath(new URL(".", import.meta.url))

const progress = (line: string) => process.stderr.write(`${line}\n`)

const packageVersion = (name: string): string =>
  (JSON.parse(fs.readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), "utf8")) as {
    version: string
  }).version

const machine = (loadAverage: number): Machine => {
  const memory = new Sqlite(":memory:")
  const sqlite = memory.prepare<[], { v: string }>("SELECT sqlite_version() AS v").get()!.v
  memory.close()
  const cpus = os.cpus()
  return {
    node: process.version,
    v8: process.versions.v8,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage,
    date: new Date().toISOString(),
    versions: {
      sqlite,
      "better-sqlite3": packageVersion("better-sqlite3"),
      "drizzle-orm": packageVersion("drizzle-orm"),
      effect: packageVersion("effect"),
      "@effect/sql": packageVersion("@effect/sql"),
      "@effect/sql-pg": packageVersion("@effect/sql-pg"),
      pg: packageVersion("pg")
    }
  }
}

/** Which ennio-db was measured: the commit, and whether src/ had uncommitted changes. */
const source = (): string => {
  const git = (...args: Array<string>) =>
    spawnSync("git", args, { cwd: fileURLToPath(new URL("..", import.meta.url)), encoding: "utf8" })
  const head = git("rev-parse", "--short", "HEAD")
  if (head.status !== 0) return "unknown (not a git checkout)"
  const changed = git("status", "--porcelain", "--", "src").stdout.trim() !== ""
  return `${head.stdout.trim()}${changed ? " with uncommitted changes in src/" : ""}`
}

interface Lane {
  readonly side: Side
  readonly file: string
  readonly handle: SideHandle
  readonly runner: Runner
}

/**
 * Runs one workload on every side, each on its own fresh database: all sides warm up, then
 * their rounds alternate (in a rotating order), then the sides are checked to have done the same work.
 * With `canonical` (the PostgreSQL column will run), also returns what the PostgreSQL sides must
 * match: for a read, the fingerprint of the rows every side returned; for a write, the
 * backend-neutral digest of the table raw better-sqlite3 left.
 */
const runWorkload = async (
  workload: Workload,
  fixtures: Fixtures,
  canonical: boolean
): Promise<readonly [WorkloadResult, string | undefined]> => {
  let expected: string | undefined
  const lanes: Array<Lane> = []
  const fingerprints: Array<readonly [string, string]> = []
  try {
    for (const side of sides) {
      const file = workload.database(side.name)
      const handle = await side.open(file)
      const run = workload.bind(handle)
      lanes.push({ side, file, handle, runner: workload.runner(run) })
      if (workload.check.kind === "result") fingerprints.push([side.name, summarize(await runOnce(run, 0))])
    }
    await runInRotation(lanes.map((lane) => lane.runner))
  } finally {
    for (const lane of lanes) await lane.handle.close()
  }
  for (const lane of lanes) {
    if (workload.check.kind === "digest") {
      fingerprints.push([lane.side.name, digest(lane.file, workload.check.query)])
      if (canonical && lane.side.name === "raw") expected = canonicalFileDigest(lane.file, workload.check.query)
    }
    fixtures.remove(lane.file)
  }
  assertSame(workload.id, fingerprints)
  const measured = lanes.map((lane) => ({ side: lane.side.name, ...lane.runner.result() }))
  const rawRate = measured.find((result) => result.side === "raw")!.opsPerSec
  for (const result of measured) {
    progress(`  ${sideLabels[result.side].padEnd(20)} ${Math.round(result.opsPerSec).toLocaleString("en-US")} ops/s`)
  }
  return [{
    id: workload.id,
    title: workload.title,
    results: measured.map((result) => ({ ...result, ratioToRaw: result.opsPerSec / rawRate }))
  }, canonical && workload.check.kind === "result" ? fingerprints[0]![1] : expected]
}

/** The value of `--name VALUE` or `--name=VALUE`, if given. */
const option = (name: string): string | undefined => {
  const args = process.argv.slice(2)
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name) {
      const value = args[i + 1]
      if (value === undefined || value.startsWith("--")) throw new Error(`${name} needs a value`)
      return value
    }
    if (args[i]!.startsWith(`${name}=`)) return args[i]!.slice(name.length + 1)
  }
  return undefined
}

/** Set by Ctrl-C: what fails while the run's database is being dropped is no error to report. */
let interrupted = false

const main = async () => {
  const isQuick = process.argv.includes("--quick")
  const sizes = isQuick ? quick : full
  const pgUrl = option("--pg") ?? (process.env.ENNIO_TEST_PG_URL || undefined)
  const outDir = path.resolve(option("--out") ?? benchDir)
  fs.mkdirSync(outDir, { recursive: true })
  if (pgUrl === undefined) progress(`PostgreSQL column skipped: ${skipReason}`)
  else await probePostgres(pgUrl)
  const started = process.hrtime.bigint()
  // Taken before the run: the machine's load and the code as they were when measuring began.
  const machineAtStart = machine(os.loadavg()[0]!)
  const sourceAtStart = source()
  const fixtures = await Fixtures.make()
  // An interrupted run removes its files and drops its PostgreSQL database (waiting at most 5 s for that).
  const cleanups: Array<() => Promise<void>> = []
  process.once("SIGINT", () => {
    interrupted = true
    fixtures.dispose()
    const timeout = new Promise((resolve) => setTimeout(resolve, 5_000))
    void Promise.race([Promise.allSettled(cleanups.map((cleanup) => cleanup())), timeout]).then(() => process.exit(130))
  })
  try {
    const { workloads } = makeWorkloads(sizes, fixtures)
    const results: Array<WorkloadResult> = []
    const sqliteContents = new Map<string, string>()
    for (const workload of workloads) {
      progress(`${workload.id} ${workload.title}`)
      const [result, expected] = await runWorkload(workload, fixtures, pgUrl !== undefined)
      if (expected !== undefined) sqliteContents.set(workload.id, expected)
      const { explain } = workload
      results.push(
        explain === undefined ? result : { ...result, queryPlans: await explainEvents(explain.file(), explain.read) }
      )
    }
    progress(`memory: streamBySession over ${sizes.streamEvents.toLocaleString("en-US")} events`)
    const memory = checkStreamMemory(fixtures, sizes)
    progress("W9 cold start")
    const cold = coldStart(fixtures, sizes)
    // Last, so that the server's background work (autovacuum after the writes) slows no SQLite side.
    const postgres: PostgresResult = pgUrl === undefined
      ? { status: "skipped", reason: skipReason }
      : await runPostgres(pgUrl, isQuick ? pgQuick : pgFull, sizes, sqliteContents, (cleanup) => cleanups.push(cleanup))
    const bench: BenchResults = {
      mode: sizes.mode,
      machine: machineAtStart,
      source: sourceAtStart,
      settings: "file-backed, WAL, synchronous NORMAL, foreign_keys ON, the schema and indices of ennio-db's migrations",
      sizes,
      workloads: results,
      coldStart: cold,
      memory,
      verdicts: verdicts(results, cold),
      postgres,
      wallSeconds: Number(process.hrtime.bigint() - started) / 1e9
    }
    const stem = sizes.mode === "quick" ? "results.quick" : "results"
    const written = (ext: string) => path.join(outDir, `${stem}.${ext}`)
    fs.writeFileSync(written("json"), JSON.stringify(bench, null, 2) + "\n")
    fs.writeFileSync(written("svg"), renderChart(bench))
    const shown = (file: string) => {
      const relative = path.relative(process.cwd(), file)
      return relative === "" || relative.startsWith("..") ? file : relative
    }
    console.log(render(bench))
    console.log(`Written: ${shown(written("json"))}, ${shown(written("svg"))}`)
  } finally {
    fixtures.dispose()
  }
}

// Interrupted: the SIGINT handler exits once the cleanup is done.
await main().catch((error: unknown) => (interrupted ? new Promise<void>(() => {}) : Promise.reject(error)))
