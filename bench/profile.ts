/**
 * CPU profile of one workload on one side: where the time goes, by package and by function.
 *
 *   npx tsx bench/profile.ts W1 [ennio-db|raw|drizzle-builder|drizzle-prepared|ennio-full|raw-full] [--quick]
 *   npx tsx bench/profile.ts W1 [ennio-pg|pg-raw|pg-unnamed] [--quick] [--pg URL]
 *
 * Warms up unprofiled, profiles every round, prints the busy time an operation (the process's
 * own work; on PostgreSQL the rest is waiting for the server), the top self-time packages and
 * functions, the inclusive time of ennio-db's and @effect/sql's functions, and writes the
 * .cpuprofile (for Chrome DevTools) to the temporary folder. The PostgreSQL sides run on the
 * server `--pg URL` or `ENNIO_TEST_PG_URL` names, or else on a throwaway server of default
 * durability (bench/pg-server.ts), in a database made for the run.
 */
import * as fs from "node:fs"
import { Session } from "node:inspector/promises"
import * as os from "node:os"
import * as path from "node:path"
import { full, pgFull, pgQuick, quick } from "./config.js"
import { drizzleBuilder, drizzlePrepared } from "./drizzle.js"
import { ennio, ennioFull, ennioPg } from "./ennio.js"
import { Fixtures } from "./fixtures.js"
import type { Runner } from "./measure.js"
import { makePgWorkloads } from "./pg.js"
import { PgFixtures } from "./pg-fixtures.js"
import { pgRaw, pgRawUnnamed } from "./pg-raw.js"
import { serverForScript } from "./pg-server.js"
import { raw, rawFull } from "./raw.js"
import type { PgSide, Side } from "./side.js"
import { makeWorkloads } from "./workloads.js"

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
  readonly columnNumber: number
}
interface CpuProfile {
  readonly nodes: ReadonlyArray<
    { readonly id: number; readonly callFrame: CallFrame; readonly children?: ReadonlyArray<number> }
  >
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

// The `synchronous: "full"` sides too (ennio-full, raw-full), for the write workloads.
const sides: ReadonlyArray<Side<string>> = [raw, drizzleBuilder, drizzlePrepared, ennio, rawFull, ennioFull]
const pgSides: ReadonlyArray<PgSide> = [ennioPg, pgRaw, pgRawUnnamed]
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

const frameName = (frame: CallFrame): string => {
  const file = frame.url.replace(/^file:\/\//, "").replace(`${root}/`, "")
  const where = file === "" ? "" : `  ${file}:${frame.lineNumber + 1}:${frame.columnNumber + 1}`
  return `${frame.functionName || "(anonymous)"}${where}`
}

// Frames whose inclusive time is shown: ennio-db's own code and @effect/sql's statement path.
const inclusiveShown = (frame: CallFrame) =>
  frame.url.includes(`${root}/src/`) || frame.url.includes("node_modules/@effect/sql")

const summarize = (profile: CpuProfile, ops: number): string => {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
  const parents = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id)
  const byFunction = new Map<string, number>()
  const byOwner = new Map<string, number>()
  const inclusive = new Map<string, number>()
  let all = 0
  let idle = 0
  profile.samples.forEach((id, i) => {
    const frame = frames.get(id)!
    const us = profile.timeDeltas[i] ?? 0
    all += us
    if (frame.functionName === "(idle)") idle += us
    const name = frameName(frame)
    byFunction.set(name, (byFunction.get(name) ?? 0) + us)
    byOwner.set(owner(frame), (byOwner.get(owner(frame)) ?? 0) + us)
    // Each function once per sample, however deep it recurses.
    const seen = new Set<string>()
    for (let node: number | undefined = id; node !== undefined; node = parents.get(node)) {
      const callFrame = frames.get(node)!
      if (!inclusiveShown(callFrame)) continue
      const key = frameName(callFrame)
      if (seen.has(key)) continue
      seen.add(key)
      inclusive.set(key, (inclusive.get(key) ?? 0) + us)
    }
  })
  const busy = all - idle
  return [
    `profiled ${(all / 1000).toFixed(0)} ms: busy ${(busy / 1000).toFixed(0)} ms, idle ${(idle / 1000).toFixed(0)} ms ` +
    `(waiting for I/O); busy ${(busy / ops).toFixed(1)} µs an operation over ${ops.toLocaleString("en-US")} operations`,
    "",
    "self time by package:",
    ...top(byOwner, all, 14),
    "",
    "top self-time functions:",
    ...top(byFunction, all, 30),
    "",
    "inclusive time, ennio-db (src/) and @effect/sql functions:",
    ...top(inclusive, all, 25)
  ].join("\n")
}

/** Profiles the rounds of `runner` (after its warm-up) and prints the summary. */
const profileRounds = async (runner: Runner, what: string): Promise<void> => {
  await runner.warmup()
  const session = new Session()
  session.connect()
  await session.post("Profiler.enable")
  await session.post("Profiler.setSamplingInterval", { interval: 100 })
  await session.post("Profiler.start")
  for (let round = 0; round < runner.rounds; round++) await runner.round()
  const { profile } = await session.post("Profiler.stop")
  session.disconnect()
  const file = path.join(os.tmpdir(), `ennio-bench-${what}.cpuprofile`)
  fs.writeFileSync(file, JSON.stringify(profile))
  const result = runner.result()
  console.log(`${what}: ${Math.round(result.opsPerSec)} ops/s, p50 ${result.p50Us.toFixed(1)} µs`)
  console.log(summarize(profile as CpuProfile, result.ops))
  console.log(`\nprofile: ${file}`)
}

/** One workload on one side of the PostgreSQL column. */
const profilePostgres = async (workloadId: string, side: PgSide, isQuick: boolean): Promise<void> => {
  const { stop, url } = await serverForScript()
  const pg = await PgFixtures.make(url)
  try {
    const { workloads } = makePgWorkloads(isQuick ? pgQuick : pgFull, isQuick ? quick : full, pg)
    const workload = workloads.find((candidate) => candidate.id === workloadId)
    if (workload === undefined) throw new Error(`no workload ${workloadId} on PostgreSQL`)
    const handle = await side.open((await workload.database(side.name)).url)
    try {
      await profileRounds(workload.runner(workload.bind(handle)), `${workload.id}-${side.name}`)
    } finally {
      await handle.close()
    }
  } finally {
    await pg.dispose()
    stop?.()
  }
}

const main = async () => {
  const [workloadId = "W1", sideName = "ennio-db"] = process.argv.slice(2)
    .filter((arg, i, all) => !arg.startsWith("--") && all[i - 1] !== "--pg")
  const isQuick = process.argv.includes("--quick")
  const pgSide = pgSides.find((candidate) => candidate.name === sideName)
  if (pgSide !== undefined) return profilePostgres(workloadId, pgSide, isQuick)
  const sizes = isQuick ? quick : full
  const side = sides.find((candidate) => candidate.name === sideName)
  const fixtures = await Fixtures.make()
  try {
    const workload = makeWorkloads(sizes, fixtures).workloads.find((candidate) => candidate.id === workloadId)
    if (side === undefined || workload === undefined) {
      throw new Error(
        `usage: npx tsx bench/profile.ts <W1…W8, W6a, W6b, W10a, W10b> [${
          [...sides, ...pgSides].map((s) => s.name).join("|")
        }] [--quick] [--pg URL]`
      )
    }
    const handle = await side.open(workload.database(side.name))
    try {
      await profileRounds(workload.runner(workload.bind(handle)), `${workload.id}-${side.name}`)
    } finally {
      await handle.close()
    }
  } finally {
    fixtures.dispose()
  }
}

await main()
