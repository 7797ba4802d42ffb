/**
 * The live feed across processes (issue 14): writer processes commit events in transactions
 * held open for random whiles, so that on PostgreSQL a transaction that took an earlier
 * sequence number often commits later; follower processes print what `EventsRepo.follow`
 * delivers. Each follower must receive exactly the committed events, in change-log (commit)
 * order, each once; one stops halfway and a new process resumes from its cursor. Also: a writer
 * killed with SIGKILL mid-batch (followers see whole batches only) and, on PostgreSQL, a
 * server restart mid-stream (nothing missed).
 *
 * LIVE_EVENTS sets the events per writer (default 5,000; 4 writers).
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freshPgDatabase, pgUrl } from "../fixtures/backends.js"
import { privateServer, serverProgramsFound } from "../postgres/support.js"
import { type Child, figures, type Fixture, prepareFixture, runChild, runSeed, spawnChild, useFixture } from "./support/harness.js"
import * as path from "node:path"

const { tempDir } = useFixture(path.join(import.meta.dirname, "fixtures", "live.ts"))

// Bundled as test/postgres's child is: pg needs `require`, pg-native stays outside.
let bundled: Fixture | undefined
const fixture = (): Fixture => bundled!
beforeAll(async () => {
  bundled = await prepareFixture(path.join(import.meta.dirname, "fixtures", "live.ts"))
}, 60_000)

// The PostgreSQL databases the tests make, dropped after them.
const databases = Effect.runSync(Scope.make())
afterAll(() => Effect.runPromise(Scope.close(databases, Exit.void)))

const perWriter = Number(process.env.LIVE_EVENTS) > 0 ? Number(process.env.LIVE_EVENTS) : 5_000
const writers = 4

interface Target {
  readonly name: string
  readonly url: () => Promise<{ readonly url: string }>
}

const targets: Array<Target> = [
  {
    name: "sqlite",
    url: async () => ({ url: `sqlite:${path.join(tempDir("live"), "live.db")}` })
  },
  ...(pgUrl === undefined ? [] : [{
    name: "postgres",
    url: async () => ({ url: await Effect.runPromise(Scope.extend(freshPgDatabase(), databases)) })
  }])
]

/** The `E <id> <cursor> <data>` lines a follower printed. */
const delivered = (child: Child) =>
  child.lines.filter((line) => line.startsWith("E ")).map((line) => {
    const [, id, cursor, data] = line.split(" ", 4) as [string, string, string, string]
    return { id, cursor, data: JSON.parse(data) as { writer: string; batch: number; size: number } }
  })

const committed = async (url: string): Promise<Array<string>> =>
  (await runChild<{ ids: Array<string> }>(fixture(), "dump", { url })).summary.ids

const waitForCount = async (child: Child, count: number, timeoutMs: number) => {
  const started = Date.now()
  while (delivered(child).length < count) {
    if (Date.now() - started > timeoutMs) throw new Error(`follower saw ${delivered(child).length} of ${count}: ${child.stderr()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Each writer's events in the order it committed them: a necessary part of commit order. */
const inWriterOrder = (ids: ReadonlyArray<string>) => {
  const last = new Map<string, number>()
  for (const id of ids) {
    const [writer, n] = id.split("-") as [string, string]
    if ((last.get(writer) ?? -1) >= Number(n)) return false
    last.set(writer, Number(n))
  }
  return true
}

describe.each(targets)("live feed across processes, $name", (target) => {
  it(`${writers} writers × ${perWriter} events, a follower from the start and one resumed from its cursor`, async () => {
    const { url } = await target.url()
    const total = writers * perWriter
    const seed = runSeed()
    const sessions = Array.from({ length: writers }, (_, i) => `s${i}`)
    await runChild(fixture(), "setup", { url, sessions })
    const whole = spawnChild(fixture(), "follow", { url, fromStart: true, stop: total })
    const half = spawnChild(fixture(), "follow", { url, fromStart: true, stop: Math.floor(total / 2) })
    await Promise.all([whole.waitForLine((l) => l === "READY", 30_000), half.waitForLine((l) => l === "READY", 30_000)])
    const started = Date.now()
    const writing = Array.from({ length: writers }, (_, i) =>
      runChild(fixture(), "writer", {
        url,
        session: sessions[i],
        writer: `w${i}`,
        count: perWriter,
        maxBatch: 20,
        maxDelayMs: 4,
        seed: seed + i
      }))
    const halfExit = await half.exit
    expect(halfExit.code).toBe(0)
    const { cursor } = JSON.parse(half.lines[half.lines.length - 1]!) as { cursor: string }
    const resumed = spawnChild(fixture(), "follow", { url, after: cursor, stop: total - Math.floor(total / 2) })
    for (const { exit } of await Promise.all(writing)) expect(exit.code).toBe(0)
    const writtenMs = Date.now() - started
    expect((await whole.exit).code).toBe(0)
    expect((await resumed.exit).code).toBe(0)
    const ids = await committed(url)
    expect(ids.length).toBe(total)
    expect(new Set(ids).size).toBe(total)
    expect(inWriterOrder(ids)).toBe(true)
    expect(delivered(whole).map((e) => e.id)).toEqual(ids)
    expect([...delivered(half), ...delivered(resumed)].map((e) => e.id)).toEqual(ids)
    figures("live-followers", { backend: target.name, writers, events_per_writer: perWriter, seed, written_ms: writtenMs })
  }, 300_000)

  it("a writer killed with SIGKILL mid-batch: followers see whole batches only", async () => {
    const { url } = await target.url()
    await runChild(fixture(), "setup", { url, sessions: ["k0"] })
    const follower = spawnChild(fixture(), "follow", { url, fromStart: true })
    await follower.waitForLine((l) => l === "READY", 30_000)
    const writer = spawnChild(fixture(), "writer", {
      url,
      session: "k0",
      writer: "k",
      count: 1_000_000,
      maxBatch: 800,
      maxDelayMs: 40,
      seed: runSeed()
    })
    await writer.waitForLine((l) => l.startsWith("C 9 "), 60_000)
    writer.kill("SIGKILL")
    await writer.exit
    const ids = await committed(url)
    await waitForCount(follower, ids.length, 30_000)
    // Time for anything further to show up, which it must not.
    await new Promise((resolve) => setTimeout(resolve, 500))
    follower.kill("SIGTERM")
    await follower.exit
    const seen = delivered(follower)
    expect(seen.map((e) => e.id)).toEqual(ids)
    const batches = new Map<number, { size: number; count: number }>()
    for (const { data } of seen) {
      const batch = batches.get(data.batch) ?? { size: data.size, count: 0 }
      batch.count++
      batches.set(data.batch, batch)
    }
    for (const [, { count, size }] of batches) expect(count).toBe(size)
    figures("live-sigkill", { backend: target.name, batches: batches.size, events: ids.length })
  }, 120_000)
})

describe.each(targets)("session changes across processes, $name", (target) => {
  it("2 writer processes change 20 sessions 30 times: the follower's last state of each is the final one, cursors increase", async () => {
    const { url } = await target.url()
    const ids = Array.from({ length: 20 }, (_, i) => `c${i}`)
    await runChild(fixture(), "setup", { url, sessions: ids })
    const follower = spawnChild(fixture(), "sessionFollow", { url, fromStart: true })
    await follower.waitForLine((l) => l === "READY", 30_000)
    const writing = [ids.slice(0, 10), ids.slice(10)].map((sessions, i) =>
      runChild(fixture(), "sessionWriter", { url, sessions, steps: 30, seed: runSeed() + i }))
    for (const { exit } of await Promise.all(writing)) expect(exit.code).toBe(0)
    // The writers' last status, "done", which no earlier step uses, for every session.
    const lastOf = () => {
      const last = new Map<string, string>()
      for (const line of follower.lines.filter((l) => l.startsWith("S "))) {
        const [, id, status] = line.split(" ")
        last.set(id!, status!)
      }
      return last
    }
    const started = Date.now()
    while ([...lastOf().values()].filter((status) => status === "done").length < ids.length) {
      if (Date.now() - started > 30_000) throw new Error(`follower: ${JSON.stringify([...lastOf()])}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    follower.kill("SIGTERM")
    await follower.exit
    const positions = follower.lines.filter((l) => l.startsWith("S ")).map((l) => Number(l.split(" ")[3]!.split("@")[1]))
    expect(positions.every((position, i) => i === 0 || position > positions[i - 1]!)).toBe(true)
    figures("live-session-changes", { backend: target.name, sessions: ids.length, updates: ids.length * 31, delivered: positions.length })
  }, 120_000)
})

describe.each(targets)("live feed figures, $name", (target) => {
  it("latency at 1,000 events/s from another process, and an idle follower's CPU (printed, not asserted)", async () => {
    const { url } = await target.url()
    await runChild(fixture(), "setup", { url, sessions: ["l0"] })
    const seconds = 3
    const follower = spawnChild(fixture(), "latency", { url, count: 1_000 * seconds })
    await follower.waitForLine((l) => l === "READY", 30_000)
    await new Promise((resolve) => setTimeout(resolve, 500))
    const writer = await runChild(fixture(), "paced", { url, session: "l0", rate: 1_000, seconds })
    expect(writer.exit.code).toBe(0)
    expect((await follower.exit).code).toBe(0)
    const latency = JSON.parse(follower.lines[follower.lines.length - 1]!) as { count: number; p50: number; p99: number; max: number }
    expect(latency.count).toBe(1_000 * seconds)
    const idle = await runChild<{ corePercent: number }>(fixture(), "idle", { url, seconds: 5 })
    figures("live-latency", {
      backend: target.name,
      events_per_second: 1_000,
      events: latency.count,
      p50_ms: latency.p50,
      p99_ms: latency.p99,
      max_ms: latency.max,
      idle_follower_core_percent: idle.summary.corePercent
    })
  }, 120_000)

  it("a consumer slower than the reads of 100,000 events: the heap stays bounded", async () => {
    const { url } = await target.url()
    await runChild(fixture(), "setup", { url, sessions: ["m0"] })
    const { exit, summary } = await runChild<{ seen: number; baselineMb: number; peakGrowthMb: number }>(
      fixture(),
      "backlog",
      { url, session: "m0", count: 100_000 }
    )
    expect(exit.code).toBe(0)
    expect(summary.seen).toBe(100_000)
    // The events hold 100 MB of messages: a stream that read them all at once would show it.
    expect(summary.peakGrowthMb).toBeLessThan(20)
    figures("live-slow-consumer", { backend: target.name, events: summary.seen, heap_growth_mb: summary.peakGrowthMb })
  }, 300_000)
})

const canRestart = pgUrl !== undefined && serverProgramsFound()

describe.skipIf(!canRestart)("live feed across a PostgreSQL restart", () => {
  it("the follower reconnects and misses nothing", async () => {
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const server = yield* privateServer
      const url = server.url
      yield* Effect.promise(() => runChild(fixture(), "setup", { url, sessions: ["r0"] }))
      const total = 3_000
      const follower = spawnChild(fixture(), "follow", { url, fromStart: true, stop: total })
      yield* Effect.promise(() => follower.waitForLine((l) => l === "READY", 30_000))
      const writer = spawnChild(fixture(), "writer", {
        url, session: "r0", writer: "r", count: total, maxBatch: 5, maxDelayMs: 6, seed: runSeed()
      })
      yield* Effect.promise(() => writer.waitForLine((l) => l.startsWith("C 100 "), 60_000))
      const before = delivered(follower).length
      yield* server.halt
      yield* Effect.sleep("700 millis")
      yield* server.start
      const writerExit = yield* Effect.promise(() => writer.exit)
      expect(writerExit.code).toBe(0)
      const exit = yield* Effect.promise(() => follower.exit)
      expect(exit.code).toBe(0)
      const ids = yield* Effect.promise(() => committed(url))
      expect(ids.length).toBe(total)
      expect(delivered(follower).map((e) => e.id)).toEqual(ids)
      figures("live-pg-restart", { delivered_before_restart: before, events: total })
    })))
  }, 180_000)
})
