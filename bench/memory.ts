/**
 * Child process of the memory check (run with --expose-gc): streams one session through
 * `EventsRepo.streamBySession` and prints, as one JSON line, how much the heap grew.
 *
 *   node --expose-gc --import tsx bench/memory.ts <database file> <session id>
 */
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Stream from "effect/Stream"
import { EventsRepo, Repos } from "../src/index.js"

const [file, sessionId] = process.argv.slice(2)
const gc = globalThis.gc
if (file === undefined || sessionId === undefined || gc === undefined) {
  throw new Error("usage: node --expose-gc --import tsx bench/memory.ts <database file> <session id>")
}

const runtime = ManagedRuntime.make(Repos.layerDatabase({ url: `sqlite:${file}` }))
const events = await runtime.runPromise(EventsRepo)
const heapUsed = () => process.memoryUsage().heapUsed
const collectEvery = 10
// Collect every collectable page of the heap before the baseline.
gc()
gc()
const baseline = heapUsed()
let peak = baseline
let retained = baseline
let streamed = 0
let pages = 0
const start = process.hrtime.bigint()
await runtime.runPromise(
  Stream.runForEachChunk(events.streamBySession(sessionId), (chunk) =>
    Effect.sync(() => {
      streamed += chunk.length
      pages++
      // Sampled per page without forcing a collection: the peak includes garbage not yet collected.
      peak = Math.max(peak, heapUsed())
      // Collected every few pages, so the peak measures what the stream holds, not how lazily V8 collects.
      if (pages % collectEvery === 0) {
        gc()
        retained = Math.max(retained, heapUsed())
      }
    }))
)
const seconds = Number(process.hrtime.bigint() - start) / 1e9
await runtime.dispose()
const mb = (bytes: number) => bytes / 1_048_576
console.log(JSON.stringify({
  events: streamed,
  pages,
  collectEveryPages: collectEvery,
  seconds,
  baselineMb: mb(baseline),
  peakGrowthMb: mb(peak - baseline),
  retainedGrowthMb: mb(retained - baseline)
}))
