/**
 * The SQLite write workloads alone (W2, W3, W4, W8 by default), raw better-sqlite3 against
 * ennio-db, in the benchmark's own sides and plans, once with `synchronous` NORMAL and once
 * with FULL: a quicker loop than the whole benchmark for work on the write path, `--repeat`
 * times (default 1) where one run's ratio swings. Ratios are ennio-db ÷ raw in the same run and
 * mode, as the benchmark reports them.
 *
 *   npx tsx bench/sqlite-writes.ts [W3 W4 …] [--full] [--normal-only | --full-only] [--repeat N]
 */
import * as os from "node:os"
import { full, quick } from "./config.js"
import { ennio, ennioFull } from "./ennio.js"
import { Fixtures } from "./fixtures.js"
import { runInRotation } from "./measure.js"
import { raw, rawFull } from "./raw.js"
import type { Side } from "./side.js"
import { makeWorkloads } from "./workloads.js"

const args = process.argv.slice(2)
const repeatAt = args.indexOf("--repeat")
const repeat = repeatAt === -1 ? 1 : Number(args[repeatAt + 1])
const wanted = args.filter((arg) => /^W\d+$/.test(arg))
const ids = wanted.length > 0 ? wanted : ["W2", "W3", "W4", "W8"]
const modes = args.includes("--full-only")
  ? [["FULL", rawFull, ennioFull] as const]
  : args.includes("--normal-only")
  ? [["NORMAL", raw, ennio] as const]
  : [["NORMAL", raw, ennio] as const, ["FULL", rawFull, ennioFull] as const]

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return (sorted[Math.floor((sorted.length - 1) / 2)]! + sorted[Math.floor(sorted.length / 2)]!) / 2
}

const fixtures = await Fixtures.make()
try {
  const { workloads } = makeWorkloads(args.includes("--full") ? full : quick, fixtures)
  console.log(`load ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`)
  /** One run of `workload` on both sides, each on a fresh copy of its file: ennio-db's ratio to raw. */
  const runOnce = async (
    workload: (typeof workloads)[number],
    mode: string,
    sides: readonly [Side<string>, Side<string>]
  ): Promise<number> => {
    const lanes = []
    for (const side of sides) {
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
    const ratio = ennioResult!.opsPerSec / rawResult!.opsPerSec
    console.log(
      `${workload.id} ${mode.padEnd(6)} raw ${Math.round(rawResult!.opsPerSec)} ops/s (p50 ${rawResult!.p50Us.toFixed(0)} µs)` +
        ` · ennio-db ${Math.round(ennioResult!.opsPerSec)} ops/s (p50 ${ennioResult!.p50Us.toFixed(0)} µs)` +
        ` · ratio ${ratio.toFixed(2)}`
    )
    return ratio
  }
  for (const workload of workloads.filter((candidate) => ids.includes(candidate.id))) {
    for (const [mode, rawSide, ennioSide] of modes) {
      const ratios: Array<number> = []
      for (let run = 0; run < repeat; run++) ratios.push(await runOnce(workload, mode, [rawSide, ennioSide]))
      if (repeat > 1) console.log(`${workload.id} ${mode} median ratio of ${repeat} runs: ${median(ratios).toFixed(2)}`)
    }
  }
} finally {
  fixtures.dispose()
}
