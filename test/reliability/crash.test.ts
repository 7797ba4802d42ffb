/**
 * Crashes: writers killed with SIGKILL at random moments, and first starts killed in the
 * middle of their migrations.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import Sqlite from "better-sqlite3"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import * as Database from "../../src/Database.js"
import { latestMigrationId } from "../../src/Migrations/index.js"
import { EventsRepo } from "../../src/Repos/EventsRepo.js"
import { MetricsRepo } from "../../src/Repos/MetricsRepo.js"
import * as Repos from "../../src/Repos/Repos.js"
import {
  crashBatchEventId,
  crashBatchSize,
  crashDelta,
  crashSession,
  crashSingleEventId,
  type Delta,
  sumDeltas
} from "./fixtures/workload.js"
import {
  type Child,
  figures,
  preciseDelay,
  runSeed,
  seededRandom,
  spawnChild,
  useFixture
} from "./support/harness.js"

const { fixture: currentFixture, tempDir } = useFixture()

const suffixes = ["", "-wal", "-shm"] as const

/** Copies the database and its -wal and -shm, as a killed process left them, so they can be inspected
 * while the originals stay as they are for the next start. */
const copyDatabase = (file: string, destination: string): void => {
  fs.mkdirSync(path.dirname(destination), { recursive: true })
  for (const suffix of suffixes) {
    if (fs.existsSync(file + suffix)) fs.copyFileSync(file + suffix, destination + suffix)
  }
}

/** Builds the layer on `file` and runs `effect` with the repositories. */
const withRepos = <A, E>(file: string, effect: Effect.Effect<A, E, Repos.Repositories | SqlClient.SqlClient>) =>
  Effect.runPromise(Effect.provide(effect, Repos.layerDatabase({ url: `sqlite:${file}` })))

interface Acks {
  readonly batches: Map<number, number>
  readonly records: number
  readonly singles: Set<number>
}

const parseAcks = (lines: ReadonlyArray<string>): Acks => {
  const batches = new Map<number, number>()
  const singles = new Set<number>()
  let records = 0
  for (const line of lines) {
    const [kind, a, b] = line.split(" ")
    if (kind === "B") batches.set(Number(a), Number(b))
    else if (kind === "M") records = Math.max(records, Number(a) + 1)
    else if (kind === "E") singles.add(Number(a))
  }
  return { batches, records, singles }
}

/** What one round left in a database: its batches (id → stored count), singles, and metrics prefix. */
interface RoundState {
  readonly batches: Map<number, number>
  readonly singles: Set<number>
  /** How many record calls the stored counters are the sum of (0 when there is no row). */
  readonly recordPrefix: number
  readonly problems: Array<string>
}

const counterColumns = `total_tokens_in AS tokensIn, total_tokens_out AS tokensOut, estimated_cost_usd AS costUsd,
  ci_runs AS ciRuns, ci_failures AS ciFailures, review_rounds AS reviewRounds`

const readRound = (db: Sqlite.Database, round: number): RoundState => {
  const problems: Array<string> = []
  const sessionId = crashSession(round)
  const batches = new Map<number, number>()
  const singles = new Set<number>()
  const rows = db.prepare("SELECT id, data FROM events WHERE session_id = ?").all(sessionId) as Array<
    { id: string; data: string }
  >
  for (const row of rows) {
    const single = /^r\d+-e(\d+)$/.exec(row.id)
    if (single !== null) {
      singles.add(Number(single[1]))
      continue
    }
    const data = JSON.parse(row.data) as { batch: number; size: number; index: number }
    if (row.id !== crashBatchEventId(round, data.batch, data.index)) problems.push(`unexpected event ${row.id}`)
    if (data.size !== crashBatchSize(round, data.batch)) problems.push(`batch ${data.batch} carries a wrong size`)
    batches.set(data.batch, (batches.get(data.batch) ?? 0) + 1)
  }
  for (const [batch, n] of batches) {
    const size = crashBatchSize(round, batch)
    if (n !== size) problems.push(`round ${round} batch ${batch} is partial: ${n} of ${size} events`)
  }
  const metrics = db.prepare(`SELECT ${counterColumns} FROM session_metrics WHERE session_id = ?`).get(sessionId) as
    | Delta
    | undefined
  let recordPrefix = 0
  if (metrics !== undefined) {
    // tokensIn of the first k deltas is k(k+1)/2: it names k; the other counters must agree.
    let sum = 0
    while (sum < metrics.tokensIn) sum += crashDelta(recordPrefix++).tokensIn
    const expected = sumDeltas(Array.from({ length: recordPrefix }, (_, m) => crashDelta(m)))
    if (sum !== metrics.tokensIn || JSON.stringify(expected) !== JSON.stringify(metrics)) {
      problems.push(`round ${round} counters ${JSON.stringify(metrics)} are the sum of no prefix of the writes`)
    }
  }
  return { batches, singles, recordPrefix, problems }
}

/** Checks what a round left against what its writer acknowledged; returns problems and acknowledged rows lost. */
const checkRound = (state: RoundState, acks: Acks, round: number) => {
  const problems = [...state.problems]
  let lost = 0
  for (const [batch, size] of acks.batches) {
    if (state.batches.get(batch) !== size) {
      problems.push(`round ${round}: acknowledged batch ${batch} (${size} events) is missing`)
      lost += size - (state.batches.get(batch) ?? 0)
    }
  }
  for (const single of acks.singles) {
    if (!state.singles.has(single)) {
      problems.push(`round ${round}: acknowledged event ${crashSingleEventId(round, single)} is missing`)
      lost++
    }
  }
  if (state.recordPrefix < acks.records) {
    problems.push(`round ${round}: ${acks.records} record calls acknowledged, counters hold ${state.recordPrefix}`)
    lost += acks.records - state.recordPrefix
  }
  // Batches are written one after the other: what is stored is a prefix, at most one beyond the acknowledged.
  const stored = [...state.batches.keys()].sort((a, b) => a - b)
  if (stored.some((batch, i) => batch !== i)) problems.push(`round ${round}: stored batches ${stored} are not a prefix`)
  if (stored.length > acks.batches.size + 1) problems.push(`round ${round}: more than one unacknowledged batch stored`)
  if (state.recordPrefix > acks.records + 1) problems.push(`round ${round}: more than one unacknowledged record stored`)
  const unacknowledgedSingles = [...state.singles].filter((s) => !acks.singles.has(s)).length
  if (unacknowledgedSingles > 8) problems.push(`round ${round}: ${unacknowledgedSingles} unacknowledged singles stored`)
  return {
    problems,
    lost,
    inFlightLanded: stored.length - acks.batches.size + state.recordPrefix - acks.records + unacknowledgedSingles
  }
}

describe("crashes", () => {
  it("30 rounds of SIGKILL at a random moment: integrity ok, every acknowledged write kept, batches whole", async () => {
    const rounds = 30
    const seed = runSeed()
    const random = seededRandom(seed)
    const dir = tempDir("crash")
    // One file for every round: each start after the first recovers the previous crash.
    const file = path.join(dir, "ennio.db")
    const totals = {
      killedWhileWriting: 0,
      killedDuringStartup: 0,
      ackedBatches: 0,
      ackedBatchEvents: 0,
      ackedRecords: 0,
      ackedSingles: 0,
      inFlightLanded: 0,
      rowsLost: 0,
      partialBatches: 0,
      walLeftBehind: 0
    }
    const states: Array<RoundState> = []
    const started = Date.now()
    for (let round = 0; round < rounds; round++) {
      const child: Child = spawnChild(currentFixture(), "crash-writer", { url: `sqlite:${file}`, round })
      const duringStartup = round % 6 === 5
      let delay: number
      if (duringStartup) {
        delay = random() * 200
      } else {
        await child.waitForLine((line) => line === "ready", 30_000)
        delay = random() * 250
      }
      await preciseDelay(delay)
      child.kill("SIGKILL")
      const exit = await child.exit
      expect(exit, `round ${round} ended before the kill:\n${child.stdout()}\n${child.stderr()}`).toEqual({
        code: null,
        signal: "SIGKILL"
      })
      const acks = parseAcks(child.lines)
      if (duringStartup && !child.lines.includes("ready")) totals.killedDuringStartup++
      else totals.killedWhileWriting++
      if ((fs.statSync(file + "-wal", { throwIfNoEntry: false })?.size ?? 0) > 0) totals.walLeftBehind++

      // Inspect a copy; the original stays as the kill left it, for the next round's start.
      const copy = path.join(dir, "inspect", `round-${round}.db`)
      copyDatabase(file, copy)
      const db = new Sqlite(copy)
      const integrity = db.pragma("integrity_check", { simple: true })
      const foreignKeys = db.pragma("foreign_key_check") as Array<unknown>
      const state = readRound(db, round)
      db.close()
      expect(integrity, `round ${round}`).toBe("ok")
      expect(foreignKeys).toEqual([])
      const checked = checkRound(state, acks, round)
      expect(checked.problems).toEqual([])
      // The layer builds again on the crashed copy, and the repositories read what it holds.
      const reread = await withRepos(copy, Effect.gen(function*() {
        const events = yield* EventsRepo
        const metrics = yield* MetricsRepo
        const listed = yield* events.listBySession(crashSession(round))
        const counters = yield* metrics.find(crashSession(round))
        return { events: listed.length, metrics: counters._tag }
      }))
      const storedEvents = [...state.batches.values()].reduce((n, b) => n + b, 0) + state.singles.size
      expect(reread.events).toBe(storedEvents)
      expect(reread.metrics).toBe(state.recordPrefix > 0 ? "Some" : "None")
      fs.rmSync(path.dirname(copy), { recursive: true, force: true })

      states.push(state)
      totals.ackedBatches += acks.batches.size
      totals.ackedBatchEvents += [...acks.batches.values()].reduce((n, b) => n + b, 0)
      totals.ackedRecords += acks.records
      totals.ackedSingles += acks.singles.size
      totals.inFlightLanded += checked.inFlightLanded
      totals.rowsLost += checked.lost
      totals.partialBatches += state.problems.filter((p) => p.includes("partial")).length
    }

    // The original file, as the last kill left it: the layer builds, and every round is still exactly as it was.
    const sessions = await withRepos(file, Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT id FROM sessions`))
    const db = new Sqlite(file, { readonly: true })
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok")
    for (let round = 0; round < rounds; round++) {
      const now = readRound(db, round)
      expect(now.problems).toEqual([])
      expect([...now.batches].sort(), `round ${round} batches`).toEqual([...states[round]!.batches].sort())
      expect([...now.singles].sort(), `round ${round} singles`).toEqual([...states[round]!.singles].sort())
      expect(now.recordPrefix, `round ${round} records`).toBe(states[round]!.recordPrefix)
    }
    const storedEvents = db.prepare("SELECT count(*) FROM events").pluck().get() as number
    db.close()
    expect(totals.rowsLost).toBe(0)
    expect(totals.killedWhileWriting).toBeGreaterThan(0)
    expect(totals.ackedBatches + totals.ackedRecords + totals.ackedSingles).toBeGreaterThan(0)

    figures("crash", {
      rounds,
      kills: rounds,
      seed,
      file: "one_file_for_all_rounds",
      killedWhileWriting: totals.killedWhileWriting,
      killedDuringStartup: totals.killedDuringStartup,
      walLeftBehind: totals.walLeftBehind,
      ackedBatches: totals.ackedBatches,
      ackedBatchEvents: totals.ackedBatchEvents,
      ackedRecords: totals.ackedRecords,
      ackedSingleInserts: totals.ackedSingles,
      inFlightCommitsKept: totals.inFlightLanded,
      eventsStored: storedEvents,
      sessions: sessions.length,
      integrityFailures: 0,
      partialBatches: totals.partialBatches,
      rowsLost: totals.rowsLost,
      wallMs: Date.now() - started
    })
  }, 240_000)

  describe("a first start killed in the middle of its migrations", () => {
    const schemaOf = (file: string) => {
      const db = new Sqlite(file, { readonly: true })
      const schema = db.prepare(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
      ).all()
      const migrations = db.prepare("SELECT migration_id, name FROM effect_sql_migrations ORDER BY migration_id").all()
      const integrity = db.pragma("integrity_check", { simple: true })
      db.close()
      return { schema, migrations, integrity }
    }

    let reference: ReturnType<typeof schemaOf>
    beforeAll(async () => {
      const file = path.join(tempDir("reference"), "reference.db")
      await Effect.runPromise(Effect.provide(Effect.void, Database.layer({ url: `sqlite:${file}` })))
      reference = schemaOf(file)
      expect(reference.migrations).toHaveLength(latestMigrationId)
    })

    /** What a killed start left, read from a copy: absent, empty, or which tables and records exist. */
    const classify = (file: string, scratch: string): string => {
      const stat = fs.statSync(file, { throwIfNoEntry: false })
      if (stat === undefined) return "absent"
      const walSize = fs.statSync(file + "-wal", { throwIfNoEntry: false })?.size ?? 0
      if (stat.size === 0 && walSize === 0) return "empty-file"
      const copy = path.join(scratch, `classify-${Date.now()}-${Math.random()}.db`)
      copyDatabase(file, copy)
      const db = new Sqlite(copy)
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as Array<string>
      const recorded = tables.includes("effect_sql_migrations")
        ? (db.prepare("SELECT count(*) FROM effect_sql_migrations").pluck().get() as number)
        : -1
      db.close()
      for (const suffix of suffixes) fs.rmSync(copy + suffix, { force: true })
      if (recorded < 0) return tables.length === 0 ? "no-tables" : "tables-without-tracking"
      if (recorded === 0) return tables.length === 1 ? "tracking-table-only" : "tables-unrecorded"
      return recorded === latestMigrationId ? "complete" : `partial-${recorded}`
    }

    /** The next start: the real layer, on the file as the kill left it, must migrate it to completion. */
    const nextStartCompletes = async (file: string, label: string) => {
      await Effect.runPromise(Effect.provide(Effect.void, Database.layer({ url: `sqlite:${file}` })))
      const after = schemaOf(file)
      expect(after.integrity, label).toBe("ok")
      expect(after.migrations, label).toEqual(reference.migrations.map((m) => ({ ...(m as object) })))
      expect(after.schema, label).toEqual(reference.schema)
    }

    it("killed at random moments of the real layer's first start: the next start completes the migrations", async () => {
      const dir = tempDir("migkill")
      const seed = runSeed()
      const random = seededRandom(seed)
      // How long a first start takes here, from the child's T0 to its built layer.
      let buildMs = 0
      for (let i = 0; i < 2; i++) {
        const child = spawnChild(currentFixture(), "open-signal", {
          url: `sqlite:${path.join(dir, `calibrate-${i}`, "ennio.db")}`,
          exitAfterBuild: true
        })
        const built = await child.waitForLine((line) => line.startsWith("built "), 30_000)
        buildMs = Math.max(buildMs, Number(built.split(" ")[1]))
        await child.exit
      }
      const rounds = 24
      const states = new Map<string, number>()
      for (let round = 0; round < rounds; round++) {
        const file = path.join(dir, `round-${round}`, "ennio.db")
        const child = spawnChild(currentFixture(), "open-signal", { url: `sqlite:${file}` })
        await child.waitForLine((line) => line === "T0", 30_000)
        await preciseDelay(random() * (buildMs * 1.5 + 1))
        child.kill("SIGKILL")
        const exit = await child.exit
        expect(exit.signal, child.stderr()).toBe("SIGKILL")
        const state = classify(file, dir)
        states.set(state, (states.get(state) ?? 0) + 1)
        await nextStartCompletes(file, `round ${round} (${state})`)
      }
      figures("migration-kill-random", {
        rounds,
        kills: rounds,
        seed,
        firstStartMs: buildMs.toFixed(1),
        states: [...states].map(([state, n]) => `${state}:${n}`).join(","),
        recovered: rounds
      })
    }, 120_000)

    it("killed inside the migration run, before and after each migration: the next start completes them", async () => {
      const dir = tempDir("mighook")
      const states = new Map<string, number>()
      let rounds = 0
      for (let stopAt = 1; stopAt <= latestMigrationId; stopAt++) {
        for (const position of ["before", "after"] as const) {
          const file = path.join(dir, `stop-${stopAt}-${position}`, "ennio.db")
          fs.mkdirSync(path.dirname(file), { recursive: true })
          const child = spawnChild(currentFixture(), "migrate-hooked", { file, stopAt, position })
          await child.waitForLine((line) => line === `inside ${stopAt}`, 30_000)
          child.kill("SIGKILL")
          expect((await child.exit).signal, child.stderr()).toBe("SIGKILL")
          const state = classify(file, dir)
          states.set(state, (states.get(state) ?? 0) + 1)
          await nextStartCompletes(file, `killed ${position} migration ${stopAt} (${state})`)
          rounds++
        }
      }
      figures("migration-kill-inside", {
        rounds,
        kills: rounds,
        points: `before/after_each_of_${latestMigrationId}`,
        states: [...states].map(([state, n]) => `${state}:${n}`).join(","),
        recovered: rounds
      })
    }, 120_000)
  })
})
