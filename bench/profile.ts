/**
 * CPU profile of one workload on one side: where the time goes, by package and by function.
 *
 *   npx tsx bench/profile.ts W1 [ennio-db|raw|drizzle-builder|drizzle-prepared] [--quick]
 *
 * Warms up unprofiled, profiles every round, prints the top self-time functions and writes the
 * .cpuprofile (for Chrome DevTools) to the temporary folder.
 */
import * as fs from "node:fs"
import { Session } from "node:inspector/promises"
import * as os from "node:os"
import * as path from "node:path"
import { full, quick } from "./config.js"
import { drizzleBuilder, drizzlePrepared } from "./drizzle.js"
import { ennio } from "./ennio.js"
import { Fixtures } from "./fixtures.js"
import { raw } from "./raw.js"
import type { Side } from "./side.js"
import { makeWorkloads } from "./workloads.js"

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
  readonly columnNumber: number
}
interface CpuProfile {
  readonly nodes: ReadonlyArray<{ readonly id: number; readonly callFrame: CallFrame }>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const sides: ReadonlyArray<Side> = [raw, drizzleBuilder, drizzlePrepared, ennio]
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..")

/** Which code a frame belongs to: a package, ennio-db's src/, the bench, native calls, or V8 itself. */
const owner = ({ functionName, url }: CallFrame): string => {
  if (functionName.startsWith("(")) return functionName
  if (url === "") return "native (driver calls, builtins)"
  const modules = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)
  if (modules !== null) return modules[1]!
  if (url.startsWith("node:")) return "node"
  const local = url.replace(/^file:\/\//, "").replace(`${root}/`, "")
  return local.split("/")[0] ?? local
}

const top = (totals: Map<string, number>, all: number, count: number) =>
  [...totals].sort((a, b) => b[1] - a[1]).slice(0, count).map(([name, us]) =>
    `${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / all).toFixed(1).padStart(5)}%  ${name}`
  )

const summarize = (profile: CpuProfile): string => {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
  const byFunction = new Map<string, number>()
  const byOwner = new Map<string, number>()
  let all = 0
  profile.samples.forEach((id, i) => {
    const frame = frames.get(id)!
    const us = profile.timeDeltas[i] ?? 0
    all += us
    const file = frame.url.replace(/^file:\/\//, "").replace(`${root}/`, "")
    const where = file === "" ? "" : `  ${file}:${frame.lineNumber + 1}:${frame.columnNumber + 1}`
    const name = `${frame.functionName || "(anonymous)"}${where}`
    byFunction.set(name, (byFunction.get(name) ?? 0) + us)
    byOwner.set(owner(frame), (byOwner.get(owner(frame)) ?? 0) + us)
  })
  return ["self time by package:", ...top(byOwner, all, 12), "", "top self-time functions:", ...top(byFunction, all, 30)]
    .join("\n")
}

const main = async () => {
  const [workloadId = "W1", sideName = "ennio-db"] = process.argv.slice(2).filter((arg) => !arg.startsWith("--"))
  const sizes = process.argv.includes("--quick") ? quick : full
  const side = sides.find((candidate) => candidate.name === sideName)
  const fixtures = await Fixtures.make()
  try {
    const workload = makeWorkloads(sizes, fixtures).workloads.find((candidate) => candidate.id === workloadId)
    if (side === undefined || workload === undefined) {
      throw new Error(`usage: npx tsx bench/profile.ts <W1…W8, W6a, W6b, W10a, W10b> [${sides.map((s) => s.name).join("|")}]`)
    }
    const handle = await side.open(workload.database(side.name))
    try {
      const runner = workload.runner(workload.bind(handle))
      await runner.warmup()
      const session = new Session()
      session.connect()
      await session.post("Profiler.enable")
      await session.post("Profiler.setSamplingInterval", { interval: 100 })
      await session.post("Profiler.start")
      for (let round = 0; round < runner.rounds; round++) await runner.round()
      const { profile } = await session.post("Profiler.stop")
      session.disconnect()
      const file = path.join(os.tmpdir(), `ennio-bench-${workload.id}-${side.name}.cpuprofile`)
      fs.writeFileSync(file, JSON.stringify(profile))
      const result = runner.result()
      console.log(`${workload.id} ${workload.title} · ${side.name}: ${Math.round(result.opsPerSec)} ops/s, ` +
        `p50 ${result.p50Us.toFixed(1)} µs`)
      console.log(summarize(profile as CpuProfile))
      console.log(`\nprofile: ${file}`)
    } finally {
      await handle.close()
    }
  } finally {
    fixtures.dispose()
  }
}

await main()
