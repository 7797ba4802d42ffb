/**
 * The benchmark's tools for one path at a time, as the READMEs show them, run small: they must
 * keep running and printing their figures and the median of repeated runs (the figures
 * themselves are not asserted).
 */
import { execFile } from "node:child_process"
import * as path from "node:path"
import { promisify } from "node:util"
import { describe, expect, it } from "@effect/vitest"
import { pgSkipReason, pgUrl } from "./fixtures/backends.js"

const run = promisify(execFile)
const root = path.resolve(import.meta.dirname, "..")
const tsx = (script: string, ...args: ReadonlyArray<string>) =>
  run(process.execPath, ["--import", "tsx", path.join(root, "bench", script), ...args], { cwd: root })

describe("the benchmark's tools for one path", () => {
  it("bench/sqlite-writes.ts --repeat 2 prints each run's ratio and their median", async () => {
    const { stdout } = await tsx("sqlite-writes.ts", "W3", "--full-only", "--repeat", "2")
    const runs = stdout.match(/^W3 FULL +raw \d+ ops\/s \(p50 \d+ µs\) · ennio-db \d+ ops\/s \(p50 \d+ µs\) · ratio [\d.]+$/gm)
    expect(runs).toHaveLength(2)
    expect(stdout).toMatch(/^W3 FULL median ratio of 2 runs: [\d.]+$/m)
  }, 120_000)

  it.skipIf(pgUrl === undefined)("bench/pg-workloads.ts --repeat 2 prints each run's ratio and their median", async () => {
    const { stdout } = await tsx("pg-workloads.ts", "W1", "--repeat", "2", "--pg", pgUrl!)
    const runs = stdout.match(/^W1 load [\d.]+ · raw \d+ ops\/s \(p50 \d+ µs\) · ennio-db \d+ ops\/s \(p50 \d+ µs\) · ratio [\d.]+$/gm)
    expect(runs).toHaveLength(2)
    expect(stdout).toMatch(/^W1 median ratio of 2 runs: [\d.]+$/m)
  }, 120_000)
})

if (pgUrl === undefined) console.info(`[ennio-db] bench/pg-workloads.ts: ${pgSkipReason}`)
