/**
 * The benchmark's own PostgreSQL server, for a run given no `--pg URL` and no
 * `ENNIO_TEST_PG_URL`: scripts/pg-test-server.sh with `ENNIO_PG_DURABLE=1` (PostgreSQL's
 * default durability: fsync, synchronous_commit and full_page_writes on) in a folder of its own
 * under the temporary folder, on 127.0.0.1 and a free port, run as the `postgres` user when
 * root. Stopped and deleted by `stop`, or when the process exits, or — killed, crashed — by a
 * watcher process within a second or two of its end.
 */
import { spawn, spawnSync } from "node:child_process"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const script = fileURLToPath(new URL("../scripts/pg-test-server.sh", import.meta.url))

export interface PgServer {
  readonly url: string
  /** The cluster's folder (data, log, password), deleted by `stop`. */
  readonly dir: string
  /** The file system the data folder is on (`ext2/ext3` for ext4, `tmpfs`…): a tmpfs makes fsync free. */
  readonly fileSystem: string
  readonly stop: () => void
}

export type PgServerStart =
  | { readonly status: "started"; readonly server: PgServer }
  | { readonly status: "skipped"; readonly reason: string }

/** Runs the script in its own process group, so that Ctrl-C in the terminal reaches only this process. */
const runScript = (command: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn(script, [command], { env, detached: true, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.on("error", (error) => resolve({ code: -1, stdout, stderr: `${stderr}${error.message}` }))
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })

const lastLine = (text: string) => text.trim().split("\n").pop() ?? ""

/**
 * Starts a durable throwaway server, or says why not: PostgreSQL is not installed
 * (`scripts/pg-test-server.sh bin` fails), or the server did not start.
 */
export const startPgServer = async (): Promise<PgServerStart> => {
  const bin = spawnSync(script, ["bin"], { encoding: "utf8" })
  if (bin.status !== 0) {
    return {
      status: "skipped",
      reason: `PostgreSQL is not installed (${lastLine(bin.stderr ?? "") || "scripts/pg-test-server.sh bin failed"}); ` +
        "install it, or pass --pg URL or set ENNIO_TEST_PG_URL"
    }
  }
  const dir = path.join(os.tmpdir(), `ennio-bench-pg-${process.pid}-${Date.now().toString(36)}`)
  const env = { ...process.env, ENNIO_PG_DIR: dir, ENNIO_PG_DURABLE: "1" }
  // tsx SIGKILLs a busy process on Ctrl-C (no exit handlers run): a detached watcher stops the server once it is gone.
  const watcher = spawn(
    "bash",
    ["-c", 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; exec "$2" stop', "ennio-bench-pg-watcher", `${process.pid}`, script],
    { env, detached: true, stdio: "ignore" }
  )
  watcher.unref()
  let stopped = false
  const stop = () => {
    if (stopped) return
    stopped = true
    process.off("exit", stop)
    spawnSync(script, ["stop"], { env, stdio: "ignore" })
    watcher.kill()
  }
  // Registered before the start: an interrupted start leaves no cluster behind.
  process.on("exit", stop)
  const started = await runScript("start", env)
  const url = /ENNIO_TEST_PG_URL='([^']+)'/.exec(started.stdout)?.[1]
  if (started.code !== 0 || url === undefined) {
    stop()
    return {
      status: "skipped",
      reason: `the benchmark's PostgreSQL server did not start: ${lastLine(started.stderr) || `exit code ${started.code}`}`
    }
  }
  const fileSystem = spawnSync("stat", ["-f", "-c", "%T", dir], { encoding: "utf8" }).stdout?.trim() || "unknown"
  return { status: "started", server: { url, dir, fileSystem, stop } }
}

/** The value of `--name VALUE` or `--name=VALUE` on the command line, if given. */
export const option = (name: string): string | undefined => {
  const args = process.argv.slice(2)
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name) return args[i + 1]
    if (args[i]!.startsWith(`${name}=`)) return args[i]!.slice(name.length + 1)
  }
  return undefined
}

/**
 * The server a bench script measures: `--pg URL`, else `ENNIO_TEST_PG_URL`, else a durable one
 * of its own (`stop` deletes it). Ctrl-C ends the script with exit 130.
 */
export const serverForScript = async (): Promise<{ readonly url: string; readonly stop?: () => void }> => {
  process.on("SIGINT", () => process.exit(130))
  const given = option("--pg") ?? (process.env.ENNIO_TEST_PG_URL || undefined)
  if (given !== undefined) return { url: given }
  const started = await startPgServer()
  if (started.status === "skipped") throw new Error(started.reason)
  return { url: started.server.url, stop: started.server.stop }
}
