/**
 * Faults of the environment, made for real: a full disk (a small tmpfs), a read-only mount, a
 * read-only file (as an unprivileged user), a corrupt page, a closed layer. Every operation
 * fails with `DbError` and the reason that names the fault — never a defect — and a failed
 * operation has written nothing.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import Sqlite from "better-sqlite3"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { Database, DbError, EventsRepo, MetricsRepo, Repos, SessionsRepo } from "../../src/index.js"
import { freshPgDatabase, pgAdminQuery, pgDatabaseUrl, pgQuery, postgres } from "../fixtures/backends.js"
import { figures, runChild, snapshotTree, spawnChild, useFixture } from "./support/harness.js"
import { canMountTmpfs } from "../fixtures/mount.js"

const { fixture, tempDir } = useFixture(path.join(import.meta.dirname, "fixtures", "faults.ts"))

if (!canMountTmpfs) figures("faults-mount", { skipped: true, reason: "cannot mount a tmpfs (not root, or not allowed)" })

/** A tmpfs of `size` mounted for the scope (unmounted after everything opened on it has closed). */
const tmpfs = (label: string, size: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const dir = path.join(tempDir(label), "mnt")
      fs.mkdirSync(dir)
      execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0755`, "tmpfs", dir])
      return dir
    }),
    (dir) => Effect.sync(() => execFileSync("umount", ["-l", dir]))
  )

/** Fills the file system holding `dir` to its last byte; returns the filler's path. */
const fillDisk = (dir: string): string => {
  const filler = path.join(dir, "filler")
  const fd = fs.openSync(filler, "w")
  try {
    for (const size of [1 << 16, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size, 0x5a)
      try {
        for (;;) fs.writeSync(fd, chunk)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error
      }
    }
  } finally {
    fs.closeSync(fd)
  }
  return filler
}

/** How an operation ended: `ok`, the reason of its `DbError`, or what else it was. */
const ending = (exit: Exit.Exit<unknown, unknown>): string => {
  if (Exit.isSuccess(exit)) return "ok"
  const failure = Cause.failureOption(exit.cause)
  if (failure._tag === "None") return `defect: ${Cause.pretty(exit.cause).split("\n")[0]}`
  return failure.value instanceof DbError ? failure.value.reason : `${(failure.value as { _tag?: string })._tag}`
}

const firstMessage = (exit: Exit.Exit<unknown, unknown>): string => {
  const failure = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : undefined
  return failure?._tag === "Some" ? String((failure.value as { message?: unknown }).message) : ""
}

const event = (id: string, sessionId = "s1", data: unknown = {}) => ({
  id,
  eventType: "status_changed" as const,
  sessionId,
  projectId: "faults",
  message: `event ${id}`,
  data
})

const query = <A>(file: string, sql: string): A => {
  const db = new Sqlite(file, { readonly: true })
  try {
    return db.prepare(sql).get() as A
  } finally {
    db.close()
  }
}

/** The repositories over `options`, built in the current scope. */
const open = (options: Database.DatabaseOptions) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(Repos.layerDatabase(options))
    return {
      context,
      sessions: yield* Effect.provide(SessionsRepo, context),
      events: yield* Effect.provide(EventsRepo, context),
      metrics: yield* Effect.provide(MetricsRepo, context)
    }
  })

const tried: Array<string> = []

describe("faults of the environment", () => {
  it.live.skipIf(!canMountTmpfs)("a full disk: every write fails with DiskFull, nothing partial is written, and space freed heals it", () =>
    Effect.gen(function*() {
      const mnt = yield* tmpfs("full", "3m")
      const file = path.join(mnt, "ennio.db")
      const { context, events, metrics, sessions } = yield* open({ url: `sqlite:${file}` })
      yield* sessions.insert({ id: "s1", projectId: "faults", configHash: "h" })
      yield* events.insertMany(Array.from({ length: 50 }, (_, i) => event(`before-${i}`)))
      yield* metrics.record("s1", { tokensIn: 7 })

      // Every page of the WAL copied back and the WAL cut to nothing: any write must grow a file.
      const side = new Sqlite(file)
      for (let tries = 0; tries < 100; tries++) {
        const [result] = side.pragma("wal_checkpoint(TRUNCATE)") as Array<{ busy: number }>
        if (result!.busy === 0) break
      }
      side.close()
      const filler = fillDisk(mnt)

      const big = { blob: "x".repeat(20_000) }
      const attempts: Record<string, Effect.Effect<unknown, unknown>> = {
        "events.insert": events.insert(event("full-1", "s1", big)),
        "events.insertMany": events.insertMany(Array.from({ length: 200 }, (_, i) => event(`full-many-${i}`, "s1", big))),
        "metrics.record": metrics.record("s1", { tokensIn: 1 }),
        "sessions.insert": sessions.insert({ id: "full-s", projectId: "faults", configHash: "h" }),
        "Database.transaction": Effect.provide(
          Database.transaction(Effect.all([
            sessions.insert({ id: "full-tx", projectId: "faults", configHash: "h" }),
            events.insert(event("full-tx-e", "s1", big))
          ])),
          context
        ),
        "group commit (32 concurrent events.insert)": Effect.all(
          Array.from({ length: 32 }, (_, i) => events.insert(event(`full-gc-${i}`, "s1", big))),
          { concurrency: "unbounded", mode: "validate" }
        ).pipe(Effect.mapError((errors) => errors.find((e) => e._tag === "Some")?.value)),
        "group commit (32 concurrent metrics.record)": Effect.all(
          Array.from({ length: 32 }, () => metrics.record("s1", { tokensIn: 1 })),
          { concurrency: "unbounded" }
        )
      }
      const results: Record<string, string> = {}
      for (const [name, attempt] of Object.entries(attempts)) {
        const exit = yield* Effect.exit(attempt)
        results[name] = ending(exit)
        if (results[name] === "DiskFull") tried.push(`full disk, ${name}: ${firstMessage(exit)}`)
      }
      expect(results).toEqual(Object.fromEntries(Object.keys(attempts).map((name) => [name, "DiskFull"])))

      fs.unlinkSync(filler)
      expect(query<{ integrity_check: string }>(file, "PRAGMA integrity_check")).toEqual({ integrity_check: "ok" })
      // Nothing of the failed writes: the rows written before, as they were.
      expect(query<{ n: number }>(file, "SELECT count(*) AS n FROM events")).toEqual({ n: 50 })
      expect(query<{ n: number }>(file, "SELECT count(*) AS n FROM sessions")).toEqual({ n: 1 })
      expect(query<{ n: number }>(file, "SELECT total_tokens_in AS n FROM session_metrics")).toEqual({ n: 7 })
      // The same layer writes again, in every way.
      yield* events.insert(event("after-1", "s1", big))
      yield* events.insertMany([event("after-2"), event("after-3")])
      yield* Effect.all(Array.from({ length: 8 }, (_, i) => events.insert(event(`after-gc-${i}`))), { concurrency: 8 })
      expect((yield* metrics.record("s1", { tokensIn: 1 })).totalTokensIn).toBe(8)
      yield* Effect.provide(Database.transaction(sessions.insert({ id: "after-s", projectId: "faults", configHash: "h" })), context)
      expect(query<{ n: number }>(file, "SELECT count(*) AS n FROM events")).toEqual({ n: 61 })
      figures("faults-disk-full", {
        operations: Object.keys(attempts).length,
        reason: "DiskFull",
        defects: 0,
        rowsWrittenByFailures: 0,
        integrity: "ok",
        writesAfterFreeing: "ok"
      })
    }).pipe(Effect.scoped), 60_000)

  it.live.skipIf(!canMountTmpfs)("a read-only mount: the layer says the location is read-only, and the file is untouched", () =>
    Effect.gen(function*() {
      const mnt = yield* tmpfs("ro-mount", "2m")
      const file = path.join(mnt, "ennio.db")
      yield* Effect.scoped(Effect.flatMap(open({ url: `sqlite:${file}` }), ({ sessions }) =>
        sessions.insert({ id: "s1", projectId: "faults", configHash: "h" })))
      execFileSync("mount", ["-o", "remount,ro", mnt])
      yield* Effect.addFinalizer(() => Effect.sync(() => execFileSync("mount", ["-o", "remount,rw", mnt])))
      const before = snapshotTree(mnt)
      const exit = yield* Effect.exit(Effect.scoped(open({ url: `sqlite:${file}` })))
      expect(ending(exit)).toBe("ReadOnly")
      const message = firstMessage(exit)
      expect(message).toContain(file)
      expect(message).toMatch(/read-only file system/)
      expect(snapshotTree(mnt)).toEqual(before)
      // A new database there is refused the same way.
      const fresh = yield* Effect.exit(Effect.scoped(open({ url: `sqlite:${path.join(mnt, "new", "ennio.db")}` })))
      expect(ending(fresh)).toBe("ReadOnly")
      expect(firstMessage(fresh)).toMatch(/read-only file system/)
      expect(snapshotTree(mnt)).toEqual(before)
      tried.push(`read-only mount: ${message}`, `read-only mount, new file: ${firstMessage(fresh)}`)
      figures("faults-readonly-mount", { cases: 2, reason: "ReadOnly", filesModified: 0 })
    }).pipe(Effect.scoped), 60_000)

  it.live("a read-only file (as an unprivileged user): reads work, every write fails with ReadOnly", (context) =>
    Effect.gen(function*() {
      const dir = tempDir("ro-file")
      const file = path.join(dir, "ennio.db")
      yield* Effect.scoped(Effect.flatMap(open({ url: `sqlite:${file}` }), ({ sessions }) =>
        sessions.insert({ id: "ro-1", projectId: "ro", configHash: "h" })))
      const asRoot = process.getuid?.() === 0
      // As root, permissions do not stop writes: the child drops to nobody (65534), owner of folder and file.
      const user = asRoot ? { uid: 65534, gid: 65534 } : {}
      fs.chmodSync(dir, 0o755)
      if (asRoot) {
        fs.chownSync(dir, 65534, 65534)
        fs.chownSync(file, 65534, 65534)
      }
      fs.chmodSync(file, 0o444)
      const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir }
      const probe = spawnChild(fixture(), "probe", {}, { ...user, env })
      probe.process.stdin?.end()
      const probeExit = yield* Effect.promise(() => probe.exit)
      if (probe.spawnError() !== undefined || probeExit.code !== 0) {
        figures("faults-readonly-file", { skipped: true, reason: probe.spawnError()?.message ?? probe.stderr() })
        return context.skip()
      }
      const bytes = fs.readFileSync(file)
      const { summary } = yield* Effect.promise(() =>
        runChild<{ results?: Record<string, string>; openFailed?: string }>(
          fixture(),
          "try-ops",
          { url: `sqlite:${file}` },
          { ...user, env }
        )
      )
      expect(fs.readFileSync(file).equals(bytes)).toBe(true)
      const reasons = summary.results === undefined
        ? { open: summary.openFailed!.split(":")[1] }
        : Object.fromEntries(Object.entries(summary.results).map(([name, result]) => [name, result.split(":")[1] ?? result]))
      if (summary.results !== undefined) {
        expect(summary.results.read).toBe("ok")
        expect(summary.results.list).toBe("ok")
        for (const write of ["sessionsInsert", "eventsInsert", "insertMany", "record", "transaction"]) {
          expect(summary.results[write]!.startsWith("DbError:ReadOnly:"), `${write}: ${summary.results[write]}`).toBe(true)
        }
        tried.push(`read-only file, write: ${summary.results.sessionsInsert}`)
      } else {
        expect(summary.openFailed!.startsWith("DbError:ReadOnly:"), summary.openFailed).toBe(true)
        tried.push(`read-only file: ${summary.openFailed}`)
      }
      figures("faults-readonly-file", { user: asRoot ? "uid65534" : `uid${process.getuid?.()}`, ...reasons })
    }).pipe(Effect.scoped), 60_000)

  it.live("a corrupt page: reads and writes that touch it fail with Corrupt; the rest of the database still works", () =>
    Effect.gen(function*() {
      const dir = tempDir("corrupt")
      const file = path.join(dir, "ennio.db")
      yield* Effect.scoped(Effect.gen(function*() {
        const { events, sessions } = yield* open({ url: `sqlite:${file}` })
        yield* sessions.insert({ id: "s1", projectId: "faults", configHash: "h" })
        yield* events.insertMany(Array.from({ length: 2_000 }, (_, i) => event(`c-${i}`, "s1", { n: i, text: "y".repeat(200) })))
      }))
      // A copy whose events table has a page of garbage: its root, an interior page of the tree.
      const copy = path.join(dir, "corrupt.db")
      fs.copyFileSync(file, copy)
      const { page_size } = query<{ page_size: number }>(copy, "PRAGMA page_size")
      const { rootpage } = query<{ rootpage: number }>(copy, "SELECT rootpage FROM sqlite_master WHERE name = 'events'")
      const fd = fs.openSync(copy, "r+")
      fs.writeSync(fd, Buffer.alloc(page_size, 0xa7), 0, page_size, (rootpage - 1) * page_size)
      fs.closeSync(fd)

      const { context, events, metrics, sessions } = yield* open({ url: `sqlite:${copy}` })
      const results: Record<string, string> = {}
      const attempts: Record<string, Effect.Effect<unknown, unknown>> = {
        "events.listBySession": events.listBySession("s1", { limit: 10 }),
        "events.get": events.get("c-1500"),
        "events.insert": events.insert(event("new-1")),
        "events.insertMany": events.insertMany([event("new-2"), event("new-3")]),
        "Database.transaction": Effect.provide(Database.transaction(events.insert(event("new-4"))), context)
      }
      for (const [name, attempt] of Object.entries(attempts)) {
        const exit = yield* Effect.exit(attempt)
        results[name] = ending(exit)
        if (name === "events.listBySession") tried.push(`corrupt page, ${name}: ${firstMessage(exit)}`)
      }
      expect(results).toEqual(Object.fromEntries(Object.keys(attempts).map((name) => [name, "Corrupt"])))
      // Tables on sound pages read and write as before.
      expect((yield* sessions.get("s1")).id).toBe("s1")
      expect((yield* metrics.record("s1", { ciRuns: 1 })).ciRuns).toBe(1)

      // The schema page itself: the layer refuses to open, with the same reason.
      const schemaCopy = path.join(dir, "corrupt-schema.db")
      fs.copyFileSync(file, schemaCopy)
      const schemaFd = fs.openSync(schemaCopy, "r+")
      fs.writeSync(schemaFd, Buffer.alloc(page_size - 100, 0xa7), 0, page_size - 100, 100)
      fs.closeSync(schemaFd)
      const refused = yield* Effect.exit(Effect.scoped(open({ url: `sqlite:${schemaCopy}` })))
      expect(ending(refused)).toBe("Corrupt")
      tried.push(`corrupt schema page: ${firstMessage(refused)}`)
      figures("faults-corrupt", { operations: Object.keys(attempts).length + 1, reason: "Corrupt", defects: 0 })
    }).pipe(Effect.scoped), 60_000)

  for (const backend of ["sqlite", "postgres"] as const) {
    it.live.skipIf(backend === "postgres" && !postgres.available)(
      `a closed layer [${backend}]: reads and writes fail with Closed`,
      () =>
        Effect.gen(function*() {
          const url = backend === "sqlite" ? `sqlite:${path.join(tempDir("closed"), "ennio.db")}` : yield* freshPgDatabase()
          const scope = yield* Scope.make()
          const { context, events, metrics, sessions } = yield* Scope.extend(open({ url }), scope)
          yield* sessions.insert({ id: "s1", projectId: "faults", configHash: "h" })
          yield* Scope.close(scope, Exit.void)
          const attempts: Record<string, Effect.Effect<unknown, unknown>> = {
            "sessions.get": sessions.get("s1"),
            "sessions.list": sessions.list(),
            "events.listBySession": events.listBySession("s1"),
            "metrics.totals": metrics.totals(),
            "sessions.insert": sessions.insert({ id: "s2", projectId: "faults", configHash: "h" }),
            "sessions.updateStatus": sessions.updateStatus("s1", "working"),
            "events.insert": events.insert(event("closed-1")),
            "events.insertMany": events.insertMany([event("closed-2")]),
            "metrics.record": metrics.record("s1", { tokensIn: 1 }),
            "Database.transaction": Effect.provide(Database.transaction(sessions.get("s1")), context)
          }
          const results: Record<string, string> = {}
          for (const [name, attempt] of Object.entries(attempts)) {
            const exit = yield* Effect.exit(attempt)
            results[name] = ending(exit)
            if (name === "sessions.get") tried.push(`closed layer [${backend}], ${name}: ${firstMessage(exit)}`)
          }
          expect(results).toEqual(Object.fromEntries(Object.keys(attempts).map((name) => [name, "Closed"])))
          figures(`faults-closed-${backend}`, { operations: Object.keys(attempts).length, reason: "Closed", defects: 0 })
        }).pipe(Effect.scoped),
      60_000
    )
  }
})

describe.skipIf(!postgres.available)("faults of the server [postgres]", () => {
  it.live.skipIf(!canMountTmpfs)("a full disk under the database's tablespace: writes fail with DiskFull, nothing written, space freed heals it", (context) =>
    Effect.gen(function*() {
      const mnt = yield* tmpfs("pg-full", "24m")
      // The server's own user must own a tablespace's folder; the server must run on this machine.
      const owner = (() => {
        try {
          return Number(execFileSync("id", ["-u", "postgres"]).toString().trim())
        } catch {
          return undefined
        }
      })()
      const location = path.join(mnt, "tablespace")
      fs.mkdirSync(location)
      fs.chmodSync(path.dirname(mnt), 0o755)
      if (owner !== undefined) fs.chownSync(location, owner, Number(execFileSync("id", ["-g", "postgres"]).toString().trim()))
      const name = `ennio_full_${process.pid}_${Date.now() % 100_000}`
      const created = yield* Effect.acquireRelease(
        Effect.exit(Effect.tryPromise(() => Effect.runPromise(Effect.zipRight(
          pgAdminQuery(`CREATE TABLESPACE ${name} LOCATION '${location}'`),
          pgAdminQuery(`CREATE DATABASE ${name} TABLESPACE ${name}`)
        )))),
        () =>
          Effect.zipRight(
            pgAdminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
            pgAdminQuery(`DROP TABLESPACE IF EXISTS ${name}`)
          )
      )
      if (Exit.isFailure(created)) {
        figures("faults-pg-disk-full", { skipped: true, reason: "the server cannot use a tablespace on this machine" })
        return context.skip()
      }
      const url = pgDatabaseUrl(name)
      const { context: layer, events, metrics, sessions } = yield* open({ url })
      yield* sessions.insert({ id: "s1", projectId: "faults", configHash: "h" })
      yield* events.insert(event("before-1"))
      const filler = fillDisk(mnt)
      // Rows that need new pages (a small one would fit in a page the table has), of text that does not compress.
      const big = { blob: randomBytes(45_000).toString("base64") }
      const attempts: Record<string, Effect.Effect<unknown, unknown>> = {
        "events.insert": events.insert(event("full-1", "s1", big)),
        "events.insertMany": events.insertMany(Array.from({ length: 20 }, (_, i) => event(`full-many-${i}`, "s1", big))),
        "metrics.record": metrics.record("s1", { tokensIn: 1 }),
        "sessions.insert": sessions.insert({ id: "full-s", projectId: "faults", configHash: "h", metadata: big }),
        "Database.transaction": Effect.provide(Database.transaction(events.insert(event("full-tx", "s1", big))), layer),
        "group commit (16 concurrent events.insert)": Effect.all(
          Array.from({ length: 16 }, (_, i) => events.insert(event(`full-gc-${i}`, "s1", big))),
          { concurrency: "unbounded" }
        )
      }
      const results: Record<string, string> = {}
      for (const [label, attempt] of Object.entries(attempts)) {
        const exit = yield* Effect.exit(attempt)
        results[label] = ending(exit)
        if (label === "events.insert") tried.push(`PostgreSQL full disk, ${label}: ${firstMessage(exit)}`)
      }
      expect(results).toEqual(Object.fromEntries(Object.keys(attempts).map((label) => [label, "DiskFull"])))
      fs.unlinkSync(filler)
      const [[counts]] = yield* pgQuery(url, "SELECT (SELECT count(*) FROM sessions)::int AS sessions, " +
        "(SELECT count(*) FROM events)::int AS events, (SELECT count(*) FROM session_metrics)::int AS metrics")
      expect(counts).toEqual({ sessions: 1, events: 1, metrics: 0 })
      yield* events.insert(event("after-1", "s1", big))
      expect((yield* metrics.record("s1", { tokensIn: 1 })).totalTokensIn).toBe(1)
      figures("faults-pg-disk-full", { operations: Object.keys(attempts).length, reason: "DiskFull", rowsWrittenByFailures: 0 })
    }).pipe(Effect.scoped), 60_000)

  it.live("a read-only database (a standby, default_transaction_read_only): writes fail with ReadOnly, reads work", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase()
      yield* Effect.scoped(Effect.flatMap(open({ url }), ({ sessions }) =>
        sessions.insert({ id: "s1", projectId: "faults", configHash: "h" })))
      const name = new URL(url).pathname.slice(1)
      yield* pgAdminQuery(`ALTER DATABASE ${name} SET default_transaction_read_only = on`)
      const { context, events, metrics, sessions } = yield* open({ url })
      expect((yield* sessions.get("s1")).id).toBe("s1")
      const results: Record<string, string> = {}
      for (
        const [label, attempt] of Object.entries({
          "sessions.insert": sessions.insert({ id: "s2", projectId: "faults", configHash: "h" }),
          "events.insert": events.insert(event("ro-1")),
          "events.insertMany": events.insertMany([event("ro-2")]),
          "metrics.record": metrics.record("s1", { tokensIn: 1 }),
          "Database.transaction": Effect.provide(Database.transaction(sessions.updateStatus("s1", "working")), context)
        })
      ) {
        results[label] = ending(yield* Effect.exit(attempt as Effect.Effect<unknown, unknown>))
      }
      expect(Object.values(results)).toEqual(Array.from({ length: 5 }, () => "ReadOnly"))
      const [[counts]] = yield* pgQuery(url, "SELECT (SELECT count(*) FROM sessions)::int AS sessions, (SELECT count(*) FROM events)::int AS events")
      expect(counts).toEqual({ sessions: 1, events: 0 })
      figures("faults-pg-readonly", { operations: 5, reason: "ReadOnly" })
    }).pipe(Effect.scoped), 60_000)

  it.live("a lock held past lock_timeout: the write fails with Busy, retryable, having written nothing", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase()
      const name = new URL(url).pathname.slice(1)
      yield* pgAdminQuery(`ALTER DATABASE ${name} SET lock_timeout = '300ms'`)
      const { events, sessions } = yield* open({ url })
      yield* sessions.insert({ id: "s1", projectId: "faults", configHash: "h" })
      // Another connection holds the events table locked for a second.
      const holder = yield* Effect.fork(pgQuery(url, "BEGIN", "LOCK TABLE events IN ACCESS EXCLUSIVE MODE", "SELECT pg_sleep(1)", "ROLLBACK"))
      yield* Effect.sleep("200 millis")
      const failure = yield* Effect.flip(events.insert(event("locked-1")))
      expect(failure).toBeInstanceOf(DbError)
      expect((failure as DbError).reason, failure.message).toBe("Busy")
      expect((failure as DbError).retryable).toBe(true)
      yield* holder.await
      const [[counts]] = yield* pgQuery(url, "SELECT count(*)::int AS n FROM events")
      expect(counts).toEqual({ n: 0 })
      tried.push(`PostgreSQL lock_timeout: ${failure.message}`)
      figures("faults-pg-busy", { reason: "Busy", rowsWritten: 0 })
    }).pipe(Effect.scoped), 60_000)
})

afterAll(() => {
  figures("faults", { cases: tried.length, defects: 0 })
  for (const line of tried) console.log(`RELIABILITY-EXAMPLE faults: ${line}`)
})
