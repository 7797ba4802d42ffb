/**
 * `events --follow` and `status --watch` as real processes: they print what another process
 * commits, as it lands, and Ctrl-C (SIGINT) or SIGTERM ends them with exit code 0.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { figures } from "../reliability/support/harness.js"
import { makeTempDir } from "./fixtures/cli.js"

const run = promisify(execFile)
const root = path.resolve(import.meta.dirname, "..", "..")
const temp = makeTempDir()
let executable = ""
let buildDir = ""

beforeAll(async () => {
  fs.mkdirSync(path.join(root, "node_modules", ".cache"), { recursive: true })
  buildDir = fs.mkdtempSync(path.join(root, "node_modules", ".cache", "ennio-db-live-test-"))
  executable = path.join(buildDir, "cli.js")
  await run(process.execPath, [path.join(root, "scripts", "build-cli.mjs"), buildDir])
}, 120_000)

afterAll(() => {
  fs.rmSync(buildDir, { recursive: true, force: true })
  temp.remove()
})

const cli = (args: ReadonlyArray<string>) => run(process.execPath, [executable, ...args])

interface Running {
  readonly child: ChildProcess
  readonly lines: () => Array<string>
  readonly stop: (signal: NodeJS.Signals) => Promise<{ readonly code: number | null; readonly msToExit: number }>
}

const start = (args: ReadonlyArray<string>): Running => {
  const child = spawn(process.execPath, [executable, ...args], { stdio: ["ignore", "pipe", "pipe"] })
  let out = ""
  child.stdout!.on("data", (chunk) => (out += String(chunk)))
  child.stderr!.on("data", (chunk) => (out += String(chunk)))
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  return {
    child,
    lines: () => out.split("\n").filter((line) => line !== ""),
    stop: async (signal) => {
      const sentAt = performance.now()
      child.kill(signal)
      const code = await exited
      return { code, msToExit: performance.now() - sentAt }
    }
  }
}

const until = async (check: () => boolean, timeoutMs: number, what: string) => {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe("events --follow", () => {
  it("prints, one JSON object a line, what another process's demo commits; Ctrl-C exits 0", async () => {
    const url = temp.url("follow.db")
    await cli(["--database-url", url, "demo", "--sessions", "2"])
    const follower = start(["--database-url", url, "--json", "events", "--follow"])
    // The follower starts from now: wait for it to be up before writing.
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(follower.lines()).toEqual([])
    const demo = await cli(["--database-url", url, "demo", "--sessions", "3"])
    expect(demo.stdout).toContain("3 sessions")
    const written = Number(/([\d,]+) events/.exec(demo.stdout)![1]!.replace(/,/g, ""))
    await until(() => follower.lines().length >= written, 30_000, `${written} events`)
    const rows = follower.lines().map((line) => JSON.parse(line) as { id: string; session_id: string; data: unknown })
    expect(rows.length).toBe(written)
    expect(new Set(rows.map((row) => row.id)).size).toBe(written)
    const { code, msToExit } = await follower.stop("SIGINT")
    expect(code).toBe(0)
    figures("cli-follow", { events: written, ms_to_exit_after_sigint: Math.round(msToExit) })
  }, 120_000)

  it("filters by priority; SIGTERM exits 0", async () => {
    const url = temp.url("filters.db")
    await cli(["--database-url", url, "demo", "--sessions", "4"])
    const follower = start(["--database-url", url, "--json", "events", "--follow", "--min-priority", "urgent"])
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    await cli(["--database-url", url, "demo", "--sessions", "6"])
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    const rows = follower.lines().map((line) => JSON.parse(line) as { priority: string })
    expect(rows.every((row) => row.priority === "urgent" || row.priority === "critical")).toBe(true)
    expect((await follower.stop("SIGTERM")).code).toBe(0)
  }, 120_000)

  it("without SESSION_ID or --follow, and with --project without --follow: exit 2", async () => {
    const url = temp.url("usage.db")
    for (const args of [["events"], ["events", "s1", "--project", "p"]]) {
      const failed = await cli(["--database-url", url, ...args]).then(() => 0, (error: { code: number }) => error.code)
      expect(failed, args.join(" ")).toBe(2)
    }
  }, 60_000)
})

describe("status --watch", () => {
  it("without a terminal, prints a new report when another process writes; Ctrl-C exits 0", async () => {
    const url = temp.url("watch.db")
    await cli(["--database-url", url, "demo", "--sessions", "2"])
    const watcher = start(["--database-url", url, "--json", "status", "--watch", "--interval", "200ms"])
    await until(() => watcher.lines().length >= 1, 30_000, "the first report")
    const first = JSON.parse(watcher.lines()[0]!) as { sessions: number }
    expect(first.sessions).toBe(2)
    await cli(["--database-url", url, "demo", "--sessions", "3"])
    await until(
      () => watcher.lines().some((line) => (JSON.parse(line) as { sessions: number }).sessions === 5),
      30_000,
      "a report of 5 sessions"
    )
    expect((await watcher.stop("SIGINT")).code).toBe(0)
  }, 120_000)
})
