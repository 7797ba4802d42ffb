/**
 * The memory check of `streamBySession`: builds a one-session table and runs bench/memory.ts
 * in a child process, where `--expose-gc` makes the heap figures meaningful.
 */
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import type { Sizes } from "./config.js"
import type { Fixtures } from "./fixtures.js"
import { streamHeapBudgetMb } from "./targets.js"

export interface MemoryResult {
  readonly events: number
  readonly pages: number
  /** A full collection is forced after every this many pages. */
  readonly collectEveryPages: number
  readonly seconds: number
  readonly baselineMb: number
  /** Highest heapUsed seen after any page, less the baseline: includes the garbage of up to collectEveryPages pages. */
  readonly peakGrowthMb: number
  /** Highest heapUsed right after a forced collection, less the baseline. */
  readonly retainedGrowthMb: number
  readonly budgetMb: number
  readonly withinBudget: boolean
}

const root = fileURLToPath(new URL("..", import.meta.url))
const childScript = fileURLToPath(new URL("memory.ts", import.meta.url))

export const checkStreamMemory = (fixtures: Fixtures, sizes: Sizes): MemoryResult => {
  const table = fixtures.eventTable("stream", sizes.streamEvents, sizes.streamEvents)
  try {
    const child = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", childScript, table.file, table.sessionId], {
      cwd: root,
      encoding: "utf8",
      maxBuffer: 16 * 1024 * 1024
    })
    if (child.status !== 0) throw new Error(`memory check failed (exit ${child.status}): ${child.stderr}`)
    const lines = child.stdout.trim().split("\n")
    const measured = JSON.parse(lines[lines.length - 1]!) as Omit<MemoryResult, "budgetMb" | "withinBudget">
    if (measured.events !== sizes.streamEvents) {
      throw new Error(`memory check streamed ${measured.events} events, expected ${sizes.streamEvents}`)
    }
    return { ...measured, budgetMb: streamHeapBudgetMb, withinBudget: measured.peakGrowthMb < streamHeapBudgetMb }
  } finally {
    fixtures.remove(table.file)
  }
}
