/**
 * What the PostgreSQL reliability tests share: the child fixture, bundled once per test file
 * (a child then starts in a fraction of a second), children read as lines, and a private
 * PostgreSQL server the restart test may stop and start.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process"
import * as crypto from "node:crypto"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"
import { type Fixture, prepareFixture } from "../reliability/support/harness.js"

const here = import.meta.dirname
export const repoRoot = path.resolve(here, "..", "..")
export const serverScript = path.join(repoRoot, "scripts", "pg-test-server.sh")

export type { Fixture }

/** Bundles test/postgres/fixtures/child.ts into one ES module (better-sqlite3 and pg-native stay outside). */
export const bundleChild = (): Promise<Fixture> => prepareFixture(path.join(here, "fixtures", "child.ts"))

export interface Child {
  readonly process: ChildProcess
  readonly lines: Array<string>
  readonly stderr: () => string
  readonly exit: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
  /** Resolves once `count` lines satisfy `predicate`; rejects when the child exits first or after `timeoutMs`. */
  readonly waitForLines: (predicate: (line: string) => boolean, count: number, timeoutMs: number) => Promise<void>
}

export const spawnChild = (fixture: Fixture, mode: string, config: unknown): Child => {
  const proc = spawn(fixture.command, [...fixture.args, mode, JSON.stringify(config)], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"]
  })
  const lines: Array<string> = []
  let pending = ""
  let err = ""
  const listeners = new Set<() => void>()
  proc.stdout!.setEncoding("utf8")
  proc.stderr!.setEncoding("utf8")
  proc.stdout!.on("data", (chunk: string) => {
    pending += chunk
    const parts = pending.split("\n")
    pending = parts.pop()!
    lines.push(...parts)
    for (const listener of listeners) listener()
  })
  proc.stderr!.on("data", (chunk: string) => {
    err += chunk
  })
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on("close", (code, signal) => {
      resolve({ code, signal })
      for (const listener of listeners) listener()
    })
  })
  let exited = false
  void exit.then(() => {
    exited = true
  })
  const waitForLines = (predicate: (line: string) => boolean, count: number, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (lines.filter(predicate).length >= count) {
          done()
          resolve()
        } else if (exited) {
          done()
          reject(new Error(`child ${mode} exited early; stdout:\n${lines.slice(-20).join("\n")}\nstderr:\n${err}`))
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`child ${mode}: fewer than ${count} expected lines in ${timeoutMs} ms; stderr:\n${err}`))
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        listeners.delete(check)
      }
      listeners.add(check)
      check()
    })
  return { process: proc, lines, stderr: () => err, exit, waitForLines }
}

const run = promisify(execFile)

/** Whether this machine has the PostgreSQL server programs `scripts/pg-test-server.sh` needs. */
export const serverProgramsFound = (): boolean => spawnSync(serverScript, ["bin"], { stdio: "ignore" }).status === 0

/**
 * A private PostgreSQL server in a temporary folder for the scope (`scripts/pg-test-server.sh`
 * with its own `ENNIO_PG_DIR`), stopped and deleted when the scope closes: its URL, and
 * `halt`/`start` to stop it and bring it back.
 */
export const privateServer: Effect.Effect<
  { readonly url: string; readonly halt: Effect.Effect<void>; readonly start: Effect.Effect<void> },
  never,
  Scope.Scope
> = Effect.gen(function*() {
  const dir = path.join(os.tmpdir(), `ennio-pg-private-${crypto.randomBytes(4).toString("hex")}`)
  const env = { ...process.env, ENNIO_PG_DIR: dir }
  const server = (command: string) => Effect.promise(() => run(serverScript, [command], { env }))
  const started = yield* Effect.acquireRelease(server("start"), () => server("stop"))
  const url = /ENNIO_TEST_PG_URL='([^']+)'/.exec(started.stdout)?.[1]
  if (url === undefined) return yield* Effect.die(`no URL from ${serverScript} start: ${started.stdout}`)
  return { url, halt: Effect.asVoid(server("halt")), start: Effect.asVoid(server("start")) }
})
