/**
 * The SQLite write workloads alone (W2, W3, W4, W8 by default), raw better-sqlite3 against
 * ennio-db, in the benchmark's own sides and plans, once with `synchronous` NORMAL and once
 * with FULL: a quicker loop than the whole benchmark for work on the write path. Ratios are
 * ennio-db ÷ raw in the same run and mode, as the benchmark reports them.
 *
 *   npx tsx bench/sqlite-writes.ts [W3 W4 …] [--full] [--normal-only | --full-only]
 */
import * as os from "node:os"
import { full, quick } from "./config.js"
import { ennio, ennioFull } from "./ennio.js"
import { Fixtures } from "./fixtures.js"
import { runInRotation } from "./measure.js"
import { raw, rawFull } from "./raw.js"
import { makeWorkloads } from "./workloads.js"

const args = process.argv.slice(2)
const wanted = args.filter((arg) => /^W\d+$/.test(arg))
const ids = wanted.length > 0 ? wanted : ["W2", "W3", "W4", "W8"]
const modes = args.includes("--full-only")
  ? [["FULL", rawFull, ennioFull] as const]
  : args.includes("--normal-only")
  ? [["NORMAL", raw, ennio] as const]
  : [["NORMAL", raw, ennio] as const, ["FULL", rawFull, ennioFull] as const]

const fixtures = await Fixtures.make()
try {
  const { workloads } = makeWorkloads(args.includes("--full") ? full : quick, fixtures)
  console.log(`load ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`)
  for (const workload of workloads.filter((candidate) => ids.includes(candidate.id))) {
    for (const [mode, rawSide, ennioSide] of modes) {
      const lanes = []
      for (const side of [rawSide, ennioSide] as const) {
        const file = workload.database(side.name)
        const handle = await side.open(file)
        lanes.push({ file, handle, runner: workload.runner(workload.bind(handle)) })
      }
      try {
        await runInRotation(lanes.map((lane) => lane.runner))
      } finally {
        for (const lane of lanes) await lane.handle.close()
        for (const lane of lanes) fixtures.remove(lane.file)
      }
      const [rawResult, ennioResult] = lanes.map((lane) => lane.runner.result())
      console.log(
        `${workload.id} ${mode.padEnd(6)} raw ${Math.round(rawResult!.opsPerSec)} ops/s (p50 ${rawResult!.p50Us.toFixed(0)} µs)` +
          ` · ennio-db ${Math.round(ennioResult!.opsPerSec)} ops/s (p50 ${ennioResult!.p50Us.toFixed(0)} µs)` +
          ` · ratio ${(ennioResult!.opsPerSec / rawResult!.opsPerSec).toFixed(2)}`
      )
    }
  }
} finally {
  fixtures.dispose()
}
