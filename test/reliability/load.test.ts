/**
 * Load from several processes: 16 processes starting on a fresh file at the same instant,
 * then 8 writer processes, a batch writer and a reader on one file at once.
 */
import Sqlite from "better-sqlite3"
import * as Effect from "effect/Effect"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { latestMigrationId } from "../../src/Migrations/index.js"
import * as Repos from "../../src/Repos/Repos.js"
import { SessionsRepo } from "../../src/Repos/SessionsRepo.js"
import {
  batchProject,
  batchSessions,
  type Delta,
  loadDelta,
  loadDeltaSession,
  loadEventId,
  loadProject,
  loadSessions,
  sumDeltas
} from "./fixtures/workload.js"
import {
  type Child,
  figures,
  lastJson,
  runChild,
  spawnChild,
  useFixture
} from "./support/harness.js"

const { fixture: currentFixture, tempDir } = useFixture()

describe("load from several processes", () => {
  it("16 processes build the layer at the same instant on a fresh file: all succeed, each migration runs once", async () => {
    const processes = 16
    const file = path.join(tempDir("start16"), "fresh", "ennio.db")
    const startAt = Date.now() + 2_000
    const runs = await Promise.all(
      Array.from({ length: processes }, () =>
        runChild<{ ok: boolean; ran: Array<number>; startedAt: number; finishedAt: number; error?: string }>(
          currentFixture(),
          "start",
          // The slowest of 16 starts took 4.9 s on a loaded 2-core machine; a wait past the default
          // 10 s would fail with a typed Busy, correct but not what this test is about.
          { url: `sqlite:${file}`, startAt, busyTimeoutMs: 60_000 }
        ))
    )
    for (const run of runs) {
      expect(run.summary, `${JSON.stringify(run.summary)}\n${run.child.stderr()}`).toMatchObject({ ok: true })
      expect(run.exit.code).toBe(0)
    }
    // Every migration ran in exactly one process, and is recorded exactly once.
    const ran = runs.flatMap((run) => run.summary.ran).sort((a, b) => a - b)
    const all = Array.from({ length: latestMigrationId }, (_, i) => i + 1)
    expect(ran).toEqual(all)
    const db = new Sqlite(file, { readonly: true })
    const recorded = db.prepare("SELECT migration_id FROM effect_sql_migrations ORDER BY migration_id").all()
    const integrity = db.pragma("integrity_check", { simple: true })
    db.close()
    expect(recorded).toEqual(all.map((migration_id) => ({ migration_id })))
    expect(integrity).toBe("ok")
    const starts = runs.map((run) => run.summary.startedAt)
    figures("concurrent-start", {
      processes,
      succeeded: runs.filter((run) => run.summary.ok).length,
      migrations: latestMigrationId,
      migrationRuns: ran.length,
      migratingProcesses: runs.filter((run) => run.summary.ran.length > 0).length,
      startSpreadMs: Math.max(...starts) - Math.min(...starts),
      slowestMs: Math.max(...runs.map((run) => run.summary.finishedAt - startAt))
    })
  }, 120_000)

  it("8 writers × (2,000 inserts + 1,000 metrics.record), a batch writer and a reader: nothing lost, no error, no partial batch", async () => {
    const writers = 8
    const eventsPerWriter = 2_000
    const recordsPerWriter = 1_000
    const concurrency = 16
    const dir = tempDir("load")
    const file = path.join(dir, "ennio.db")
    const url = `sqlite:${file}`

    await Effect.runPromise(
      Effect.flatMap(SessionsRepo, (sessions) =>
        Effect.forEach([
          ...loadSessions.map((id) => ({ id, projectId: loadProject })),
          ...batchSessions.map((id) => ({ id, projectId: batchProject }))
        ], ({ id, projectId }) => sessions.insert({ id, projectId, configHash: "load" }), { discard: true })).pipe(
          Effect.provide(Repos.layerDatabase({ url }))
        )
    )

    const startAt = Date.now() + 2_500
    const started = Date.now()
    const writerChildren = Array.from({ length: writers }, (_, writer) =>
      spawnChild(currentFixture(), "load-writer", {
        url,
        writer,
        events: eventsPerWriter,
        records: recordsPerWriter,
        concurrency,
        startAt
      }))
    const batchWriter = spawnChild(currentFixture(), "batch-writer", { url, startAt, maxBatches: 400 })
    const reader = spawnChild(currentFixture(), "reader", { url, startAt })
    const writerExits = await Promise.all(writerChildren.map((child) => child.exit))
    const writersDoneAt = Date.now()
    batchWriter.process.stdin!.end()
    reader.process.stdin!.end()
    const [batchExit, readerExit] = await Promise.all([batchWriter.exit, reader.exit])

    const summary = <A>(child: Child) => lastJson<A>(child)
    interface WriterSummary {
      ok: boolean
      ops: number
      errors: number
      busy: number
      firstErrors: Array<string>
      transactions: number
      startedAt: number
      finishedAt: number
    }
    const writerSummaries = writerChildren.map((child) => summary<WriterSummary>(child))
    for (const [i, s] of writerSummaries.entries()) {
      expect(s.firstErrors, `writer ${i} errors`).toEqual([])
      expect(s, writerChildren[i]!.stderr()).toMatchObject({ ok: true, errors: 0, busy: 0 })
      expect(writerExits[i]).toEqual({ code: 0, signal: null })
    }
    const batchSummary = summary<{ ok: boolean; batches: number; events: number; errors: number; firstErrors: Array<string> }>(
      batchWriter
    )
    expect(batchSummary.firstErrors).toEqual([])
    expect(batchSummary, batchWriter.stderr()).toMatchObject({ ok: true, errors: 0 })
    expect(batchExit.code).toBe(0)
    const readerSummary = summary<{
      ok: boolean
      iterations: number
      queries: number
      consistentReads: number
      eventsRead: number
      batchesSeen: number
      errors: number
      busy: number
      firstErrors: Array<string>
      violations: number
      firstViolations: Array<string>
      firstIterationAt: number
    }>(reader)
    expect(readerSummary.firstErrors).toEqual([])
    expect(readerSummary.firstViolations).toEqual([])
    expect(readerSummary, reader.stderr()).toMatchObject({ ok: true, errors: 0, violations: 0 })
    expect(readerExit.code).toBe(0)
    // Group commit was exercised: concurrent writes shared transactions.
    const groupTransactions = writerSummaries.reduce((n, s) => n + s.transactions, 0)
    expect(groupTransactions).toBeGreaterThan(0)
    // The reader really read while the writers wrote.
    expect(readerSummary.iterations).toBeGreaterThanOrEqual(2)
    expect(readerSummary.firstIterationAt).toBeLessThan(writersDoneAt)
    expect(readerSummary.batchesSeen).toBeGreaterThan(0)

    // Everything, checked with a connection of another program.
    const db = new Sqlite(file, { readonly: true })
    const integrity = db.pragma("integrity_check", { simple: true })
    const loadIds = new Set(
      (db.prepare("SELECT id FROM events WHERE project_id = ?").pluck().all(loadProject) as Array<string>)
    )
    const missing: Array<string> = []
    for (let writer = 0; writer < writers; writer++) {
      for (let i = 0; i < eventsPerWriter; i++) {
        if (!loadIds.has(loadEventId(writer, i))) missing.push(loadEventId(writer, i))
      }
    }
    const metricsRows = db.prepare(`SELECT session_id, total_tokens_in AS tokensIn, total_tokens_out AS tokensOut,
      estimated_cost_usd AS costUsd, ci_runs AS ciRuns, ci_failures AS ciFailures, review_rounds AS reviewRounds
      FROM session_metrics ORDER BY session_id`).all() as Array<Delta & { session_id: string }>
    const batches = db.prepare(`SELECT json_extract(data, '$.batch') AS batch, json_extract(data, '$.size') AS size,
      count(*) AS n FROM events WHERE project_id = ? GROUP BY batch`).all(batchProject) as Array<
        { batch: number; size: number; n: number }
      >
    db.close()

    expect(integrity).toBe("ok")
    expect(missing).toEqual([])
    expect(loadIds.size).toBe(writers * eventsPerWriter)
    const expected = new Map<string, Array<Delta>>()
    for (let writer = 0; writer < writers; writer++) {
      for (let i = 0; i < recordsPerWriter; i++) {
        const sessionId = loadDeltaSession(writer, i)
        expected.set(sessionId, [...(expected.get(sessionId) ?? []), loadDelta(writer, i)])
      }
    }
    expect(metricsRows).toEqual(
      [...expected.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([session_id, deltas]) => ({
        session_id,
        ...sumDeltas(deltas)
      }))
    )
    const partialStored = batches.filter((b) => b.n !== b.size)
    expect(partialStored).toEqual([])
    expect(batches.length).toBe(batchSummary.batches)
    expect(batches.reduce((n, b) => n + b.n, 0)).toBe(batchSummary.events)

    const durationMs = Math.max(...writerSummaries.map((s) => s.finishedAt)) - startAt
    const ops = writers * (eventsPerWriter + recordsPerWriter)
    figures("load", {
      processes: writers + 2,
      writers,
      concurrencyPerWriter: concurrency,
      singleInserts: writers * eventsPerWriter,
      eventsStored: loadIds.size,
      records: writers * recordsPerWriter,
      countersChecked: metricsRows.length * 6,
      batches: batchSummary.batches,
      batchEvents: batchSummary.events,
      groupCommitTransactions: groupTransactions,
      writerErrors: writerSummaries.reduce((n, s) => n + s.errors, 0),
      busyErrors: writerSummaries.reduce((n, s) => n + s.busy, 0) + readerSummary.busy,
      rowsLost: missing.length,
      writeMs: durationMs,
      opsPerSec: Math.round(ops / (durationMs / 1_000)),
      wallMs: Date.now() - started
    })
    figures("reader", {
      iterations: readerSummary.iterations,
      queries: readerSummary.queries,
      consistentReads: readerSummary.consistentReads,
      eventsRead: readerSummary.eventsRead,
      batchesSeen: readerSummary.batchesSeen,
      partialBatchesSeen: readerSummary.violations,
      errors: readerSummary.errors
    })
  }, 240_000)
})
