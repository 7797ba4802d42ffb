/**
 * A SQLite database file, checked and opened: the path is looked at before SQLite sees it (a
 * file that is not a database is refused untouched; a new file is created 0600, its folders
 * 0700), then the handle is opened and made ready (inspection, WAL, foreign keys,
 * `synchronous`), every step that meets another connection's lock waiting without blocking.
 *
 * @since 0.1.0
 */
import Sqlite from "better-sqlite3"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as path from "node:path"
import { DbError } from "../Schemas/Errors.js"
import { isSqliteBusy, sqliteOpenError } from "./Failures.js"
import { whileLocked } from "./LockWait.js"

/** @since 0.1.0 */
export type Synchronous = "normal" | "full"

/** @since 0.1.0 */
export interface SqliteOptions {
  /** A file path, or `:memory:`. */
  readonly filename: string
  readonly synchronous: Synchronous
  /** Milliseconds a statement waits for another connection's lock before failing with `Busy`. */
  readonly busyTimeoutMs: number
  /** Runs on the new handle before anything can write to the file; a `DbError` it throws refuses the file untouched. */
  readonly inspect?: ((db: Sqlite.Database) => void) | undefined
  /** Opens an existing file for reading only: nothing is created, switched or written. */
  readonly readOnly?: boolean | undefined
}

const sqliteHeader = Buffer.from("SQLite format 3\0", "latin1")

const connectionError = (message: string) => new DbError({ reason: "Connection", message })

/**
 * Creates `folder` and the folders above it that are missing, mode 0700, one level at a time:
 * Node's recursive mkdir never returns on some file systems (under /proc it loops forever).
 */
const makeFolders = (folder: string): void => {
  const missing: Array<string> = []
  for (let at = path.resolve(folder); !fs.existsSync(at); at = path.dirname(at)) {
    if (path.dirname(at) === at) break
    missing.unshift(at)
  }
  for (const level of missing) {
    try {
      fs.mkdirSync(level, { mode: 0o700 })
    } catch (error) {
      // Another process made it meanwhile.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
    }
  }
}

/**
 * Checks the path before SQLite sees it, so that a file that is not a database is
 * refused without being touched, and creates a new database file with mode 0600.
 */
const preparePath = (filename: string, readOnly: boolean): Effect.Effect<void, DbError> =>
  Effect.try({
    try: () => {
      const stat = fs.statSync(filename, { throwIfNoEntry: false })
      if (stat === undefined && readOnly) {
        throw connectionError(`Cannot open database ${filename} for reading: there is no such file`)
      }
      if (stat === undefined) {
        // Folders it creates are private too: whoever can write there can swap the database or its WAL.
        makeFolders(path.dirname(filename))
        try {
          fs.closeSync(fs.openSync(filename, "wx", 0o600))
        } catch (error) {
          // Another process created it first: it is theirs to have set up.
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
        }
        return
      }
      if (stat.isDirectory()) throw connectionError(`Cannot open database ${filename}: it is a directory`)
      if (!stat.isFile()) throw connectionError(`Cannot open database ${filename}: it is not a regular file`)
      if (stat.size === 0) return
      const header = Buffer.alloc(sqliteHeader.length)
      const fd = fs.openSync(filename, "r")
      try {
        fs.readSync(fd, header, 0, header.length, 0)
      } finally {
        fs.closeSync(fd)
      }
      if (!header.equals(sqliteHeader)) {
        throw connectionError(`Cannot open database ${filename}: the file is not a SQLite database`)
      }
    },
    catch: (error) => error instanceof DbError ? error : sqliteOpenError(filename, error)
  })


// How long the driver itself waits for a lock, blocking the thread: another process's commit
// usually ends within it, and writer processes sharing a file lost much of their throughput
// when every such wait went through the event loop (see the README's Reliability).
const driverBusyTimeoutMs = 2

/**
 * Checks the path (see `preparePath`), then opens the handle and makes it ready: `inspect`,
 * then WAL (switching needs a moment alone with the file, which a concurrent opener may
 * hold), foreign keys and `synchronous`. Each step that meets another connection's lock is
 * tried again asynchronously.
 *
 * @since 0.1.0
 */
export const open = (options: SqliteOptions): Effect.Effect<Sqlite.Database, DbError, Scope.Scope> =>
  Effect.gen(function*() {
    const readOnly = options.readOnly === true && options.filename !== ":memory:"
    if (options.filename !== ":memory:") yield* preparePath(options.filename, readOnly)
    const refused = (error: unknown) => sqliteOpenError(options.filename, error)
    const db = yield* Effect.acquireRelease(
      Effect.try({
        try: () => new Sqlite(options.filename, { timeout: driverBusyTimeoutMs, readonly: readOnly, fileMustExist: readOnly }),
        catch: refused
      }),
      (db) => Effect.sync(() => db.close())
    )
    const deadline = performance.now() + options.busyTimeoutMs
    const step = <A>(run: () => A) =>
      Effect.mapError(whileLocked(Effect.try({ try: run, catch: (error) => error }), isSqliteBusy, deadline), refused)
    const inspect = options.inspect
    if (inspect !== undefined) yield* step(() => inspect(db))
    // The file is read as it is, in whichever journal mode it is in.
    if (readOnly) return db
    if (options.filename !== ":memory:") {
      const mode = yield* step(() => String(db.pragma("journal_mode = WAL", { simple: true })))
      if (mode !== "wal") return yield* refused(new Error(`journal_mode is ${mode}, not wal`))
    }
    yield* step(() => {
      db.pragma("foreign_keys = ON")
      db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`)
      // Statement journals in memory: inside a transaction, every insert that fires a change-log
      // trigger opens one (see bench/README.md). VACUUM switches back to a file for its copy.
      db.pragma("temp_store = MEMORY")
    })
    return db
  })
