/**
 * `npm run bench [-- --quick] [--pg URL] [--out DIR]`: every workload on every side, then the
 * query plans, the write workloads again with `synchronous: "full"` (raw and ennio-db), the
 * memory check and the cold start, then the PostgreSQL column (W1–W8, W10 on the `pg` driver and
 * on ennio-db over PostgreSQL): on the server `--pg URL` or `ENNIO_TEST_PG_URL` names, as it is,
 * or else on a throwaway server of default durability started for the run (skipped, with the
 * reason, where PostgreSQL is not installed). Prints the table and writes
 * bench/results.{json,svg} (bench/results.quick.{json,svg} in quick mode, so a quick run never
 * replaces a full one; `--out DIR` writes them to DIR instead).
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
import { ennio, ennioFull, explainEvents } from "./ennio.js"
import { Fixtures } from "./fixtures.js"
import { type Measurement, type Runner, runInRotation, runOnce } from "./measure.js"
import { checkStreamMemory } from "./memory-check.js"
import { type PgOrigin, type PostgresResult, probePostgres, runPostgres } from "./pg.js"
import { startPgServer } from "./pg-server.js"
import { raw, rawFull } from "./raw.js"
import {
  type BenchResults,
  type FullSyncResult,
  type FullSyncWorkloadResult,
  type Machine,
  render,
  verdicts,
  type WorkloadResult
} from "./report.js"
import { type FullSide, type FullSideName, type Side, type SideHandle, sideLabels, type SideName } from "./side.js"
import { fullSyncTargets, fullSyncWorkloads, judgeColumn } from "./targets.js"
import { assertSame, canonicalFileDigest, digest, summarize } from "./verify.js"
import { makeWorkloads, type Workload } from "./workloads.js"

const sides: ReadonlyArray<Side> = [raw, drizzleBuilder, drizzlePrepared, ennio]
const fullSides: ReadonlyArray<FullSide> = [rawFull, ennioFull]
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

interface Lane<Name extends SideName | FullSideName> {
  readonly side: Side<Name>
  readonly file: string
  readonly handle: SideHandle
  readonly runner: Runner
}

interface Ran<Name extends SideName | FullSideName> {
  readonly results: Array<Measurement & { readonly side: Name; readonly ratioToRaw: number }>
  /** What the first side (raw) returned (a read) or left (a write): the other columns must match it. */
  readonly fingerprint: string
  /** With `canonical`, for a write: the backend-neutral digest of the table the first side left. */
  readonly canonical: string | undefined
}

/**
 * Runs one workload on `sides` (the first is raw, the ratios' base), each on its own fresh
 * database: all sides warm up, then their rounds alternate (in a rotating order), then the
 * sides are checked to have done the same work. With `canonical` (the PostgreSQL column will
 * run), also returns the backend-neutral digest of the table raw left, for a write.
 */
const runSides = async <Name extends SideName | FullSideName>(
  workload: Workload,
  sides: ReadonlyArray<Side<Name>>,
  fixtures: Fixtures,
  canonical: boolean
): Promise<Ran<Name>> => {
  let expected: string | undefined
  const lanes: Array<Lane<Name>> = []
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
      if (canonical && lane === lanes[0]) expected = canonicalFileDigest(lane.file, workload.check.query)
    }
    fixtures.remove(lane.file)
  }
  assertSame(workload.id, fingerprints)
  const measured = lanes.map((lane) => ({ side: lane.side.name, ...lane.runner.result() }))
  const rawRate = measured[0]!.opsPerSec
  for (const result of measured) {
    progress(`  ${sideLabels[result.side].padEnd(20)} ${Math.round(result.opsPerSec).toLocaleString("en-US")} ops/s`)
  }
  return {
    results: measured.map((result) => ({ ...result, ratioToRaw: result.opsPerSec / rawRate })),
    fingerprint: fingerprints[0]![1],
    canonical: expected
  }
}

/**
 * Runs one workload on every side of the SQLite column; returns its result and what the other
 * columns must match (`Ran`: the fingerprint, and with `canonical` the backend-neutral digest).
 */
const runWorkload = async (
  workload: Workload,
  fixtures: Fixtures,
  canonical: boolean
): Promise<readonly [WorkloadResult, Ran<SideName>]> => {
  const ran = await runSides(workload, sides, fixtures, canonical)
  return [{ id: workload.id, title: workload.title, results: ran.results }, ran]
}

/**
 * The `synchronous: "full"` column: the write workloads once more on raw better-sqlite3 with
 * `PRAGMA synchronous = FULL` and ennio-db with `synchronous: "full"`, each checked to leave the
 * table the SQLite column left.
 */
const runFullSync = async (
  workloads: ReadonlyArray<Workload>,
  fixtures: Fixtures,
  normal: ReadonlyMap<string, string>
): Promise<FullSyncResult> => {
  const results: Array<FullSyncWorkloadResult> = []
  for (const workload of workloads.filter((candidate) => fullSyncWorkloads.includes(candidate.id))) {
    progress(`${workload.id} synchronous FULL: ${workload.title}`)
    const ran = await runSides(workload, fullSides, fixtures, false)
    assertSame(`${workload.id}, FULL against NORMAL`, [["FULL sides", ran.fingerprint], ["NORMAL sides", normal.get(workload.id)!]])
    const ennioFullResult = ran.results.find((result) => result.side === "ennio-full")!
    const verdict = judgeColumn(fullSyncTargets[workload.id], {
      ratio: ennioFullResult.ratioToRaw,
      p50Us: ennioFullResult.p50Us,
      rawLabel: "raw (FULL)"
    })
    results.push({
      id: workload.id,
      title: workload.title,
      results: ran.results,
      sameAsNormal: true,
      ...(verdict === undefined ? {} : { verdict })
    })
  }
  return {
    settings: "as the SQLite column, with synchronous FULL on both sides (raw: PRAGMA synchronous = FULL; " +
      "ennio-db: Database.layer({ url, synchronous: \"full\" })); the write workloads only, Drizzle left out",
    workloads: results
  }
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

/** Where the PostgreSQL column runs: a server given to the run, or one it starts; or why it does not run. */
type PgPlan =
  | { readonly status: "run"; readonly url: string; readonly origin: PgOrigin; readonly stop?: () => void }
  | { readonly status: "skipped"; readonly reason: string }

/**
 * The server of `--pg URL` or `ENNIO_TEST_PG_URL`, as it is configured; without either, a
 * throwaway one of default durability started here (bench/pg-server.ts).
 */
const planPostgres = async (): Promise<PgPlan> => {
  const flag = option("--pg")
  const given = flag ?? (process.env.ENNIO_TEST_PG_URL || undefined)
  if (given !== undefined) {
    await probePostgres(given)
    return { status: "run", url: given, origin: { kind: "given", via: flag !== undefined ? "--pg" : "ENNIO_TEST_PG_URL" } }
  }
  progress("PostgreSQL column: no --pg URL and no ENNIO_TEST_PG_URL: starting a server of default durability …")
  const start = await startPgServer()
  if (start.status === "skipped") return start
  const { server } = start
  try {
    await probePostgres(server.url)
  } catch (error) {
    server.stop()
    throw error
  }
  progress(`  started in ${server.dir} (${server.fileSystem})`)
  return {
    status: "run",
    url: server.url,
    origin: { kind: "started", dir: server.dir, fileSystem: server.fileSystem },
    stop: server.stop
  }
}

const main = async () => {
  const isQuick = process.argv.includes("--quick")
  const sizes = isQuick ? quick : full
  const outDir = path.resolve(option("--out") ?? benchDir)
  fs.mkdirSync(outDir, { recursive: true })
  // An interrupted run removes its files and drops its PostgreSQL database (waiting at most 5 s for
  // that); exiting stops the server the run started (bench/pg-server.ts).
  let fixtures: Fixtures | undefined
  const cleanups: Array<() => Promise<void>> = []
  process.once("SIGINT", () => {
    interrupted = true
    fixtures?.dispose()
    const timeout = new Promise((resolve) => setTimeout(resolve, 5_000))
    void Promise.race([Promise.allSettled(cleanups.map((cleanup) => cleanup())), timeout]).then(() => process.exit(130))
  })
  const pg = await planPostgres()
  if (pg.status === "skipped") progress(`PostgreSQL column skipped: ${pg.reason}`)
  const started = process.hrtime.bigint()
  // Taken before the run: the machine's load and the code as they were when measuring began.
  const machineAtStart = machine(os.loadavg()[0]!)
  const sourceAtStart = source()
  try {
    fixtures = await Fixtures.make()
    const { workloads } = makeWorkloads(sizes, fixtures)
    const results: Array<WorkloadResult> = []
    const sqliteContents = new Map<string, string>()
    const normalContents = new Map<string, string>()
    for (const workload of workloads) {
      progress(`${workload.id} ${workload.title}`)
      const [result, ran] = await runWorkload(workload, fixtures, pg.status === "run")
      normalContents.set(workload.id, ran.fingerprint)
      const expected = workload.check.kind === "result" ? ran.fingerprint : ran.canonical
      if (pg.status === "run" && expected !== undefined) sqliteContents.set(workload.id, expected)
      const { explain } = workload
      results.push(
        explain === undefined ? result : { ...result, queryPlans: await explainEvents(explain.file(), explain.read) }
      )
    }
    const fullSync = await runFullSync(workloads, fixtures, normalContents)
    progress(`memory: streamBySession over ${sizes.streamEvents.toLocaleString("en-US")} events`)
    const memory = checkStreamMemory(fixtures, sizes)
    progress("W9 cold start")
    const cold = coldStart(fixtures, sizes)
    // Last, so that the server's background work (autovacuum after the writes) slows no SQLite side.
    const postgres: PostgresResult = pg.status === "skipped"
      ? { status: "skipped", reason: pg.reason }
      : await runPostgres(
        pg.url,
        pg.origin,
        isQuick ? pgQuick : pgFull,
        sizes,
        sqliteContents,
        (cleanup) => cleanups.push(cleanup)
      )
    const bench: BenchResults = {
      mode: sizes.mode,
      machine: machineAtStart,
      source: sourceAtStart,
      settings: "file-backed, WAL, synchronous NORMAL, foreign_keys ON, the schema and indices of ennio-db's migrations",
      sizes,
      workloads: results,
      fullSync,
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
    fixtures?.dispose()
    if (pg.status === "run" && !interrupted) pg.stop?.()
  }
}

// Interrupted: the SIGINT handler exits once the cleanup is done.
await main().catch((error: unknown) => (interrupted ? new Promise<void>(() => {}) : Promise.reject(error)))
