/**
 * What the reliability tests share: temporary folders, the child-process fixture (bundled
 * once per test file so a child starts in a fraction of a second), line-oriented talk with
 * children, file snapshots, and the `RELIABILITY` figure lines.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll } from "vitest"

const here = import.meta.dirname
export const repoRoot = path.resolve(here, "..", "..", "..")
export const fixtureSource = path.join(here, "..", "fixtures", "child.ts")

/** A new folder under the OS temporary folder; `removeTempDir` deletes it. */
export const makeTempDir = (label: string): string => fs.mkdtempSync(path.join(os.tmpdir(), `ennio-rel-${label}-`))

export const removeTempDir = (dir: string): void => fs.rmSync(dir, { recursive: true, force: true })

/** How children run: `bundle` (default, esbuild once per file) or `tsx` (RELIABILITY_RUNNER=tsx). */
export interface Fixture {
  readonly command: string
  readonly args: ReadonlyArray<string>
  readonly dir: string
  readonly dispose: () => void
}

/**
 * Builds the child fixture into one ES module in a temporary folder readable by everyone
 * (the read-only-folder test runs it as another user). better-sqlite3 stays external, imported
 * by absolute path so the bundle runs from any folder. Any fixture under test/ may be given.
 */
export const prepareFixture = async (source = fixtureSource): Promise<Fixture> => {
  const dir = makeTempDir("fixture")
  fs.chmodSync(dir, 0o755)
  if (process.env.RELIABILITY_RUNNER === "tsx") {
    return {
      command: process.execPath,
      args: ["--import", "tsx", source],
      dir,
      dispose: () => removeTempDir(dir)
    }
  }
  const esbuild = await import("esbuild")
  const betterSqlite = createRequire(path.join(repoRoot, "package.json")).resolve("better-sqlite3")
  const outfile = path.join(dir, `${path.basename(source, ".ts")}.mjs`)
  await esbuild.build({
    entryPoints: [source],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    logLevel: "silent",
    // pg's optional native binding stays out; its CommonJS code needs `require` in the module.
    external: ["pg-native"],
    banner: { js: `import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);` },
    plugins: [{
      name: "external-better-sqlite3",
      setup(build) {
        build.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: betterSqlite, external: true }))
      }
    }]
  })
  fs.chmodSync(outfile, 0o644)
  return { command: process.execPath, args: [outfile], dir, dispose: () => removeTempDir(dir) }
}

export interface Exit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

/** A running child: its stdout as whole lines, stderr, and how it ended. */
export interface Child {
  readonly process: ChildProcess
  readonly lines: Array<string>
  readonly stderr: () => string
  readonly stdout: () => string
  readonly exit: Promise<Exit>
  /** Resolves with the first line (already received or to come) that satisfies `predicate`. */
  readonly waitForLine: (predicate: (line: string) => boolean, timeoutMs: number) => Promise<string>
  readonly kill: (signal?: NodeJS.Signals) => void
  /** Set when the process could not be started at all (e.g. EPERM when switching user). */
  readonly spawnError: () => Error | undefined
}

export interface SpawnOptions {
  readonly uid?: number
  readonly gid?: number
  readonly env?: NodeJS.ProcessEnv
  readonly cwd?: string
}

const running = new Set<ChildProcess>()

/** Kills (by pid, SIGKILL) every child this file started that is still running: for afterAll after a failure. */
export const killStrayChildren = (): void => {
  for (const proc of running) {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL")
  }
  running.clear()
}

export const spawnChild = (
  fixture: Fixture,
  mode: string,
  config: unknown,
  options: SpawnOptions = {}
): Child => {
  const proc = spawn(fixture.command, [...fixture.args, mode, JSON.stringify(config)], {
    cwd: options.cwd ?? repoRoot,
    env: options.env ?? process.env,
    stdio: ["pipe", "pipe", "pipe"],
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid })
  })
  running.add(proc)
  const lines: Array<string> = []
  const waiters: Array<{ predicate: (line: string) => boolean; resolve: (line: string) => void }> = []
  let out = ""
  let pending = ""
  let err = ""
  proc.stdout!.setEncoding("utf8")
  proc.stderr!.setEncoding("utf8")
  proc.stdout!.on("data", (chunk: string) => {
    out += chunk
    pending += chunk
    let newline = pending.indexOf("\n")
    while (newline >= 0) {
      const line = pending.slice(0, newline)
      pending = pending.slice(newline + 1)
      lines.push(line)
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i]!.predicate(line)) waiters.splice(i, 1)[0]!.resolve(line)
      }
      newline = pending.indexOf("\n")
    }
  })
  proc.stderr!.on("data", (chunk: string) => {
    err += chunk
  })
  // A child that never reads stdin must not fail the parent with EPIPE when it is ended.
  proc.stdin!.on("error", () => {})
  let spawnError: Error | undefined
  const exit = new Promise<Exit>((resolve) => {
    proc.on("error", (error) => {
      spawnError = error
      resolve({ code: null, signal: null })
    })
    proc.on("close", (code, signal) => {
      running.delete(proc)
      resolve({ code, signal })
    })
  })
  const waitForLine = (predicate: (line: string) => boolean, timeoutMs: number) => {
    const found = lines.find(predicate)
    if (found !== undefined) return Promise.resolve(found)
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`child ${mode} printed no expected line in ${timeoutMs} ms; stdout:\n${out}\nstderr:\n${err}`))
      }, timeoutMs)
      const waiter = {
        predicate,
        resolve: (line: string) => {
          clearTimeout(timer)
          resolve(line)
        }
      }
      waiters.push(waiter)
      void exit.then(() => {
        const index = waiters.indexOf(waiter)
        if (index >= 0) {
          waiters.splice(index, 1)
          clearTimeout(timer)
          reject(new Error(`child ${mode} exited before the expected line; stdout:\n${out}\nstderr:\n${err}`))
        }
      })
    })
  }
  return {
    process: proc,
    lines,
    stderr: () => err,
    stdout: () => out,
    exit,
    waitForLine,
    spawnError: () => spawnError,
    kill: (signal = "SIGKILL") => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal)
    }
  }
}

/** The last line of a child's stdout parsed as JSON (each mode ends with one summary line). */
export const lastJson = <A>(child: Child): A => {
  const line = [...child.lines].reverse().find((l) => l.startsWith("{"))
  if (line === undefined) throw new Error(`no JSON summary; stdout:\n${child.stdout()}\nstderr:\n${child.stderr()}`)
  return JSON.parse(line) as A
}

/** Runs a child to its end and returns its exit and summary. */
export const runChild = async <A>(
  fixture: Fixture,
  mode: string,
  config: unknown,
  options: SpawnOptions = {}
): Promise<{ exit: Exit; summary: A; child: Child }> => {
  const child = spawnChild(fixture, mode, config, options)
  child.process.stdin!.end()
  const exit = await child.exit
  return { exit, summary: lastJson<A>(child), child }
}

/** Waits `ms` milliseconds, with sub-millisecond precision for short waits. */
export const preciseDelay = async (ms: number): Promise<void> => {
  const until = performance.now() + ms
  if (ms > 4) await new Promise((resolve) => setTimeout(resolve, ms - 3))
  while (performance.now() < until) {
    // spin: setTimeout cannot wait less than a millisecond
  }
}

/** Every file under `dir`: relative path → mode and SHA-256 of its bytes (folders marked as such). */
export const snapshotTree = (dir: string): Record<string, string> => {
  const out: Record<string, string> = {}
  const walk = (current: string) => {
    for (const name of fs.readdirSync(current).sort()) {
      const full = path.join(current, name)
      const stat = fs.lstatSync(full)
      const key = path.relative(dir, full)
      if (stat.isDirectory()) {
        out[key] = `dir ${(stat.mode & 0o7777).toString(8)}`
        walk(full)
      } else {
        const digest = createHash("sha256").update(fs.readFileSync(full)).digest("hex")
        out[key] = `file ${(stat.mode & 0o7777).toString(8)} ${stat.size} ${digest}`
      }
    }
  }
  walk(dir)
  return out
}

/** Prints one greppable line of figures: `RELIABILITY test=<name> key=value …`. */
export const figures = (test: string, values: Record<string, string | number | boolean>): void => {
  const parts = Object.entries(values).map(([key, value]) => `${key}=${String(value).replace(/\s+/g, "_")}`)
  console.log(`RELIABILITY test=${test} ${parts.join(" ")}`)
}

/** A seeded pseudo-random generator (mulberry32), so a failing run can be replayed with its seed. */
export const seededRandom = (seed: number): () => number => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The seed of this run: RELIABILITY_SEED when given, otherwise the clock. */
export const runSeed = (): number => {
  const given = Number(process.env.RELIABILITY_SEED)
  return Number.isInteger(given) && given > 0 ? given : Date.now() % 2_147_483_647
}

/**
 * Registers, for the calling test file, the bundled child fixture (built once before its
 * tests; `source` names another fixture than child.ts) and the temporary folders it makes;
 * after its tests, stray children are killed and the folders removed.
 */
export const useFixture = (source = fixtureSource) => {
  let fixture: Fixture | undefined
  const dirs: Array<string> = []
  beforeAll(async () => {
    fixture = await prepareFixture(source)
  }, 60_000)
  afterAll(() => {
    killStrayChildren()
    fixture?.dispose()
    for (const dir of dirs) removeTempDir(dir)
  })
  return {
    fixture: (): Fixture => fixture!,
    tempDir: (label: string): string => {
      const dir = makeTempDir(label)
      dirs.push(dir)
      return dir
    }
  }
}
