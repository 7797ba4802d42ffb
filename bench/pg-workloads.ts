/**
 * Some PostgreSQL workloads alone (W1 and W3 by default), pg raw against ennio-db (pg), in the
 * benchmark's own sides, plans and rotation, `--repeat` times (default 1): a quicker loop than
 * the whole benchmark for work on one path, and several runs of one workload where a single
 * run's ratio swings. Ratios are ennio-db ÷ raw in the same run, as the benchmark reports them.
 *
 *   npx tsx bench/pg-workloads.ts [W1 W3 W8 …] [--full] [--repeat N] [--pg URL]
 *
 * On the server `--pg URL` or `ENNIO_TEST_PG_URL` names, or else on a throwaway server of
 * default durability (bench/pg-server.ts).
 */
import * as os from "node:os"
import { full, pgFull, pgQuick, quick } from "./config.js"
import { ennioPg } from "./ennio.js"
import { runInRotation } from "./measure.js"
import { makePgWorkloads } from "./pg.js"
import { PgFixtures } from "./pg-fixtures.js"
import { pgRaw } from "./pg-raw.js"
import { option, serverForScript } from "./pg-server.js"

const args = process.argv.slice(2)
const wanted = args.filter((arg) => /^W\d+[ab]?$/.test(arg))
const ids = wanted.length > 0 ? wanted : ["W1", "W3"]
const isFull = args.includes("--full")
const repeat = Number(option("--repeat") ?? 1)

const { stop, url } = await serverForScript()
const pg = await PgFixtures.make(url)
try {
  // Made again for every run: each run's tables are fresh, its read tables seeded again.
  const make = () => makePgWorkloads(isFull ? pgFull : pgQuick, isFull ? full : quick, pg).workloads
  const unknown = ids.filter((id) => !make().some((workload) => workload.id === id))
  if (unknown.length > 0) throw new Error(`no workload ${unknown.join(", ")} on PostgreSQL`)
  for (const id of ids) {
    const ratios: Array<number> = []
    for (let run = 0; run < repeat; run++) {
      const workload = make().find((candidate) => candidate.id === id)!
      const lanes = []
      for (const side of [pgRaw, ennioPg]) {
        const handle = await side.open((await workload.database(side.name)).url)
        lanes.push({ handle, runner: workload.runner(workload.bind(handle)) })
      }
      try {
        await runInRotation(lanes.map((lane) => lane.runner))
      } finally {
        for (const lane of lanes) await lane.handle.close()
      }
      const [raw, ennio] = lanes.map((lane) => lane.runner.result())
      ratios.push(ennio!.opsPerSec / raw!.opsPerSec)
      console.log(
        `${workload.id} load ${os.loadavg()[0]!.toFixed(2)} · raw ${Math.round(raw!.opsPerSec)} ops/s (p50 ${
          raw!.p50Us.toFixed(0)
        } µs) · ennio-db ${Math.round(ennio!.opsPerSec)} ops/s (p50 ${ennio!.p50Us.toFixed(0)} µs) · ratio ${
          ratios[run]!.toFixed(2)
        }`
      )
      await workload.done()
    }
    if (repeat > 1) {
      const sorted = [...ratios].sort((a, b) => a - b)
      const median = (sorted[Math.floor((repeat - 1) / 2)]! + sorted[Math.floor(repeat / 2)]!) / 2
      console.log(`${id} median ratio of ${repeat} runs: ${median.toFixed(2)}`)
    }
  }
} finally {
  await pg.dispose()
  stop?.()
}
