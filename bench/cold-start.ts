/**
 * W9: `ennio-db status` as a cold process on a `demo` database, against bench/status-plain.mjs
 * reading the same counts with better-sqlite3 alone.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type { Sizes } from "./config.js"
import type { Fixtures } from "./fixtures.js"
import type { Measurement } from "./measure.js"

export type ColdStartResult =
  | { readonly status: "skipped"; readonly reason: string }
  | {
    readonly status: "ran"
    readonly demoSessions: number
    readonly plain: Measurement
    readonly cli: Measurement
    readonly ratio: number
  }

const root = fileURLToPath(new URL("..", import.meta.url))
const cli = path.join(root, "dist", "cli.js")
const plainScript = fileURLToPath(new URL("status-plain.mjs", import.meta.url))

/** Runs node with `args` to completion; returns its wall time in ns. */
const timeProcess = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): number => {
  const start = process.hrtime.bigint()
  const child = spawnSync(process.execPath, args, { cwd: root, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })
  const elapsed = Number(process.hrtime.bigint() - start)
  if (child.status !== 0) {
    throw new Error(`W9: node ${args.join(" ")} exited ${child.status}: ${child.stderr.trim().split("\n")[0]}`)
  }
  return elapsed
}

const summarize = (samplesNs: ReadonlyArray<number>): Measurement => {
  const sorted = [...samplesNs].sort((a, b) => a - b)
  const at = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]! / 1_000
  const totalSeconds = sorted.reduce((sum, ns) => sum + ns, 0) / 1e9
  return { ops: sorted.length, opsPerSec: sorted.length / totalSeconds, p50Us: at(0.5), p99Us: at(0.99) }
}

export const coldStart = (fixtures: Fixtures, sizes: Sizes): ColdStartResult => {
  if (!fs.existsSync(cli)) return { status: "skipped", reason: "dist/cli.js not built (run npm run build)" }
  const file = path.join(fixtures.dir, "w9.db")
  const env = { ...process.env, DATABASE_URL: `sqlite:${file}`, NO_COLOR: "1" }
  try {
    timeProcess([cli, "demo", "--sessions", String(sizes.demoSessions)], env)
    const plainArgs = [plainScript, file]
    const cliArgs = [cli, "status"]
    // One untimed run each so both find the file in the page cache.
    timeProcess(plainArgs, env)
    timeProcess(cliArgs, env)
    const plain: Array<number> = []
    const cliTimes: Array<number> = []
    // Alternated, so that a noisy moment of the machine hits both alike.
    for (let run = 0; run < sizes.coldRuns; run++) {
      plain.push(timeProcess(plainArgs, env))
      cliTimes.push(timeProcess(cliArgs, env))
    }
    const plainResult = summarize(plain)
    const cliResult = summarize(cliTimes)
    return {
      status: "ran",
      demoSessions: sizes.demoSessions,
      plain: plainResult,
      cli: cliResult,
      ratio: cliResult.opsPerSec / plainResult.opsPerSec
    }
  } finally {
    fixtures.remove(file)
  }
}
