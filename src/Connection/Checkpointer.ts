/**
 * WAL checkpoints off the commit path. SQLite's automatic checkpoint runs inside the commit
 * that takes the WAL past 1,000 pages, and syncs the WAL and the database file there: most of
 * a group-committed batch's cost (figures in the README's Performance section). Here a worker
 * thread with its own connection runs PASSIVE checkpoints instead (they never block a
 * writer), while the writer's automatic checkpoint stays as a backstop at ten times the usual
 * size, should the worker fall behind or fail.
 *
 * The worker starts with the first write, so a process that only reads never starts it.
 *
 * @since 0.1.0
 */
import type Sqlite from "better-sqlite3"
import { createRequire } from "node:module"
import { Worker } from "node:worker_threads"

/** The writer's own automatic checkpoint while the worker runs (SQLite's default is 1,000 pages). */
export const backstopPages = 10_000
const defaultPages = 1_000

// The worker: a PASSIVE checkpoint every `intervalMs` while the WAL grows (often enough to keep
// the WAL short, rarely enough not to sync the files all the time: see the README); after
// a second with nothing to copy it sleeps until the writer wakes it (the shared flag says so).
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads")
const Database = require(workerData.driver)
const db = new Database(workerData.filename, { fileMustExist: true, timeout: 1000 })
const sleeping = new Int32Array(workerData.flag)
let idle = 0
let timer
const tick = () => {
  let copied = 0
  try {
    const [result] = db.pragma("wal_checkpoint(PASSIVE)")
    copied = result.checkpointed
  } catch {}
  idle = copied > 0 ? 0 : idle + 1
  if (idle * workerData.intervalMs >= 1000) {
    clearInterval(timer)
    timer = undefined
    Atomics.store(sleeping, 0, 1)
  }
}
const wake = () => {
  idle = 0
  if (timer === undefined) timer = setInterval(tick, workerData.intervalMs)
}
parentPort.on("message", (message) => {
  if (message === "wake") return wake()
  if (timer !== undefined) clearInterval(timer)
  db.close()
  parentPort.close()
})
wake()
`

/** @since 0.1.0 */
export interface Checkpointer {
  /** Called after every write: starts the worker the first time, wakes it when it sleeps. */
  readonly noteWrite: () => void
  /** Stops the worker and waits for it to close its connection. */
  readonly close: () => Promise<void>
}

/**
 * The checkpointer of the database file `filename`, whose writer connection is `db`.
 *
 * @since 0.1.0
 */
export const make = (filename: string, db: Sqlite.Database, intervalMs = 50): Checkpointer => {
  // A read-only handle writes nothing (a VACUUM INTO it runs writes another file): nothing to checkpoint.
  if (db.readonly) return { noteWrite: () => {}, close: () => Promise.resolve() }
  let worker: Worker | undefined
  let exited: Promise<void> = Promise.resolve()
  let failed = false
  const sleeping = new Int32Array(new SharedArrayBuffer(4))

  // Called from the statement path: it must not throw.
  const start = () => {
    let started: Worker | undefined
    try {
      const driver = createRequire(import.meta.url).resolve("better-sqlite3")
      started = new Worker(workerSource, {
        eval: true,
        workerData: { driver, filename, intervalMs, flag: sleeping.buffer }
      })
      // Never what keeps the process alive.
      started.unref()
      const running = started
      exited = new Promise((resolve) => running.once("exit", () => resolve()))
      running.on("error", stopped)
      db.pragma(`wal_autocheckpoint = ${backstopPages}`)
      worker = running
    } catch {
      void started?.terminate()
      stopped()
    }
  }

  // Without a worker the writer checkpoints as SQLite does by default.
  const stopped = () => {
    failed = true
    worker = undefined
    try {
      if (db.open) db.pragma(`wal_autocheckpoint = ${defaultPages}`)
    } catch {
      // The connection is closing: nothing is left to checkpoint for.
    }
  }

  return {
    noteWrite: () => {
      if (worker !== undefined) {
        if (Atomics.load(sleeping, 0) === 1) {
          Atomics.store(sleeping, 0, 0)
          worker.postMessage("wake")
        }
      } else if (!failed) {
        start()
      }
    },
    close: () => {
      // Held by the process until it has closed its connection.
      worker?.ref()
      worker?.postMessage("close")
      worker = undefined
      failed = true
      return exited
    }
  }
}
