/**
 * The dashboard's two measurements, as the README shows them, run small: they must keep
 * running and printing their figures (the figures themselves are not asserted).
 */
import { execFile } from "node:child_process"
import * as path from "node:path"
import { promisify } from "node:util"
import { describe, expect, it } from "@effect/vitest"

const run = promisify(execFile)
const root = path.resolve(import.meta.dirname, "..", "..")
const tsx = (script: string, ...args: ReadonlyArray<string>) =>
  run(process.execPath, ["--import", "tsx", path.join(root, "bench", script), ...args], { cwd: root })

describe("the dashboard's benchmarks", () => {
  it("bench/serve-session-page.ts prints the server time of each page", async () => {
    const { stdout } = await tsx("serve-session-page.ts", "--events", "3000")
    expect(stdout).toContain("3,000 events in one session; server time (Server-Timing)")
    for (const name of ["session page, newest 50", "session page, half-way down (keyset)", "overview"]) {
      expect(stdout).toMatch(new RegExp(`${name.replace(/[()]/g, "\\$&")}.*median +[\\d.]+ ms, max +[\\d.]+ ms`))
    }
  }, 120_000)

  it("bench/serve-idle-sse.ts prints the CPU of idle live streams", async () => {
    const { stdout } = await tsx("serve-idle-sse.ts", "--seconds", "1", "--streams", "6")
    expect(stdout).toMatch(/no live streams open: +[\d.]+% of a core/)
    expect(stdout).toMatch(/6 live streams open: [\d.]+% of a core/)
  }, 120_000)
})
