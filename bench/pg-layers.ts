/**
 * Where ennio-db (pg)'s time goes on one statement, layer by layer: W1's read by id and W3's
 * single insert sent by the `pg` driver (named, then unnamed as @effect/sql-pg sends them), by
 * one `Effect.async` over `pool.query` with a named statement and a span (what a PostgreSQL
 * backend of ennio-db's own could do), by @effect/sql-pg's `SqlClient` alone (with and without
 * tracing), and by ennio-db's repository.
 *
 *   npx tsx bench/pg-layers.ts [--pg URL] [--ops N] [--rounds N]
 *
 * On the server `--pg URL` or `ENNIO_TEST_PG_URL` names, or else on a throwaway server of
 * default durability (bench/pg-server.ts). Each layer runs `--ops` operations (default 3,000)
 * after a warm-up, one after another, in `--rounds` rounds (default 5) taken in a rotating
 * order, as the benchmark's; printed, the medians of the rounds: wall time an operation, this
 * process's CPU time an operation, and the server's (its backends' `/proc/<pid>/schedstat`,
 * when the server runs on this machine).
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Layer_ from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as fs from "node:fs"
import * as Pg from "pg"
import { EventsRepo, Repos, SessionsRepo } from "../src/index.js"
import { pgQuick } from "./config.js"
import { toEventInsert } from "./ennio.js"
import { describeSettings, readServerSettings } from "./pg.js"
import { displayUrl, PgFixtures, pgSeedRows } from "./pg-fixtures.js"
import { option, serverForScript } from "./pg-server.js"
import { workloadData } from "./workloads.js"

const cpuOfPid = (pid: number): number | undefined => {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[0]) / 1_000
  } catch {
    return undefined
  }
}

/** One way of running operation `i`, on its own connections (`application` names its backends). */
interface Layer {
  readonly name: string
  readonly application: string
  readonly run: (from: number, count: number) => Promise<void>
  readonly close: () => Promise<void>
}

/** One round of one layer, an operation's share. */
interface Sample {
  readonly wallUs: number
  readonly clientUs: number
  readonly serverUs: number | undefined
}

// The columns ennio-db selects and inserts, in its order.
const sessionColumns = `id, project_id, status, activity, branch, issue_id, workspace_path, runtime_handle, agent_info,
  agent_name, pr_url, pr_number, tmux_name, config_hash, role, metadata, created_at, last_activity_at, restored_at, archived_at`
const eventColumns = "id, event_type, priority, session_id, project_id, timestamp, message, data"
const insertEventSql = `INSERT INTO events (${eventColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
const getSessionSql = `SELECT ${sessionColumns} FROM sessions WHERE id = $1`

const main = async () => {
  const ops = Number(option("--ops") ?? 3_000)
  const rounds = Number(option("--rounds") ?? 5)
  const { stop, url } = await serverForScript()
  const pg = await PgFixtures.make(url)
  try {
    const settings = await readServerSettings((text, values) => pg.query<{ v: string }>(text, values))
    console.log(`${pg.serverVersion} at ${displayUrl(url)}: ${describeSettings(settings)}`)
    const data = workloadData(pgQuick)
    // Enough indices for every layer of a group: a warm-up of 100 and `ops` each.
    const indices = 8 * (ops + 200)
    const ids = Array.from({ length: indices }, (_, i) => data.getIds()[i % data.getIds().length]!)
    const readUrl = await pg.fresh("layers_w1", (client) => pgSeedRows(client, { sessions: data.getTableSessions() }))
    const events = Array.from(
      { length: indices },
      (_, i) => ({ ...data.singleEvents()[i % data.singleEvents().length]!, id: `layers-e${i}` })
    )
    const eventValues = events.map((e) => [
      e.id, e.eventType, e.priority, e.sessionId, e.projectId, e.timestamp, e.message, JSON.stringify(e.data)
    ])
    const eventInserts = events.map(toEventInsert)
    const writeUrl = (schema: string) => pg.fresh(schema, (client) => pgSeedRows(client, { sessions: data.writeSessions }))

    const pgLayer = (name: string, schemaUrl: string, op: (pool: Pg.Pool, i: number) => Promise<unknown>): Layer => {
      const application = `ennio-layers-${name.replace(/\W+/g, "-")}`.slice(0, 60)
      const pool = new Pg.Pool({ connectionString: schemaUrl, max: 10, application_name: application })
      return {
        name,
        application,
        run: async (from, count) => {
          for (let i = from; i < from + count; i++) await op(pool, i)
        },
        close: () => pool.end()
      }
    }
    /** What a PostgreSQL backend of ennio-db's own could send: one `Effect.async` over `pool.query`, a named statement, one span. */
    const directLayer = (
      name: string,
      schemaUrl: string,
      config: (i: number) => Pg.QueryConfig
    ): Layer => {
      const application = `ennio-layers-${name.replace(/\W+/g, "-")}`.slice(0, 60)
      const pool = new Pg.Pool({ connectionString: schemaUrl, max: 10, application_name: application })
      const runtime = ManagedRuntime.make(Layer_.empty)
      const op = (i: number) =>
        Effect.async<Pg.QueryResult>((resume) => {
          pool.query(config(i), (error, result) => resume(error ? Effect.die(error) : Effect.succeed(result)))
        }).pipe(Effect.withSpan("sql.execute", { kind: "client", captureStackTrace: false }))
      return {
        name,
        application,
        run: (from, count) =>
          runtime.runPromise(Effect.gen(function*() {
            for (let i = from; i < from + count; i++) yield* op(i)
          })),
        close: async () => {
          await runtime.dispose()
          await pool.end()
        }
      }
    }
    const effectLayer = <R>(
      name: string,
      runtime: ManagedRuntime.ManagedRuntime<R, unknown>,
      op: (i: number) => Effect.Effect<unknown, unknown, R>,
      tracing = true
    ): Layer => ({
      name,
      application: "ennio-db",
      run: (from, count) =>
        runtime.runPromise(
          Effect.gen(function*() {
            for (let i = from; i < from + count; i++) yield* op(i)
          }).pipe(Effect.withTracerEnabled(tracing))
        ),
      close: async () => {}
    })

    const groups: Array<{ readonly title: string; readonly layers: Array<Layer>; readonly dispose: () => Promise<void> }> = []
    {
      const runtime = ManagedRuntime.make(Repos.layerDatabase({ url: readUrl }))
      const { sessions, sql } = await runtime.runPromise(Effect.all({ sessions: SessionsRepo, sql: SqlClient.SqlClient }))
      const columns = sql.literal(sessionColumns)
      groups.push({
        title: "W1: one session by id",
        layers: [
          pgLayer("pg, named statement", readUrl, (pool, i) =>
            pool.query({ name: "get_session", text: getSessionSql, values: [ids[i]] })),
          pgLayer("pg, unnamed, rows as arrays", readUrl, (pool, i) =>
            pool.query({ text: getSessionSql, values: [ids[i]], rowMode: "array" })),
          directLayer("Effect.async over pool.query", readUrl, (i) => ({
            name: "get_session",
            text: getSessionSql,
            values: [ids[i]],
            rowMode: "array"
          })),
          effectLayer("SqlClient .values", runtime, (i) => sql`SELECT ${columns} FROM sessions WHERE id = ${ids[i]!}`.values),
          effectLayer(
            "SqlClient .values, no tracing",
            runtime,
            (i) => sql`SELECT ${columns} FROM sessions WHERE id = ${ids[i]!}`.values,
            false
          ),
          effectLayer("sessions.get", runtime, (i) => sessions.get(ids[i]!)),
          effectLayer("sessions.get, no tracing", runtime, (i) => sessions.get(ids[i]!), false)
        ],
        dispose: () => runtime.dispose()
      })
    }
    {
      const sqlUrl = await writeUrl("layers_w3_sql")
      const repoUrl = await writeUrl("layers_w3_repo")
      const sqlRuntime = ManagedRuntime.make(Repos.layerDatabase({ url: sqlUrl }))
      const repoRuntime = ManagedRuntime.make(Repos.layerDatabase({ url: repoUrl }))
      const sql = await sqlRuntime.runPromise(SqlClient.SqlClient)
      const repo = await repoRuntime.runPromise(EventsRepo)
      const rows = events.map((e) => ({
        id: e.id,
        event_type: e.eventType,
        priority: e.priority,
        session_id: e.sessionId,
        project_id: e.projectId,
        timestamp: e.timestamp,
        message: e.message,
        data: JSON.stringify(e.data)
      }))
      groups.push({
        title: "W3: one event inserted",
        layers: [
          pgLayer("pg, named statement", await writeUrl("layers_w3_named"), (pool, i) =>
            pool.query({ name: "insert_event", text: insertEventSql, values: eventValues[i] })),
          pgLayer("pg, unnamed", await writeUrl("layers_w3_unnamed"), (pool, i) =>
            pool.query({ text: insertEventSql, values: eventValues[i] })),
          directLayer("Effect.async over pool.query", await writeUrl("layers_w3_direct"), (i) => ({
            name: "insert_event",
            text: insertEventSql,
            values: eventValues[i]!
          })),
          effectLayer("SqlClient sql.insert", sqlRuntime, (i) => sql`INSERT INTO events ${sql.insert(rows[i]!)}`),
          effectLayer("events.insert", repoRuntime, (i) => repo.insert(eventInserts[i]!))
        ],
        dispose: async () => {
          await sqlRuntime.dispose()
          await repoRuntime.dispose()
        }
      })
    }

    const backends = async (application: string) => {
      const rows = await pg.query<{ pid: string }>(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1",
        [application]
      )
      return rows.map((row) => Number(row.pid))
    }
    const serverCpu = async (application: string) => {
      let sum = 0
      for (const pid of await backends(application)) {
        const us = cpuOfPid(pid)
        if (us === undefined) return undefined
        sum += us
      }
      return sum
    }

    const median = (values: ReadonlyArray<number>) => {
      const sorted = [...values].sort((a, b) => a - b)
      const mid = sorted.length >> 1
      return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
    }
    for (const group of groups) {
      console.log(`\n${group.title} (${ops.toLocaleString("en-US")} operations a layer in ${rounds} rounds; medians of the rounds)`)
      const perRound = Math.ceil(ops / rounds)
      const samples = new Map<Layer, Array<Sample>>(group.layers.map((layer) => [layer, []]))
      // Every operation of the group its own index: the inserts never collide.
      let next = 0
      for (const layer of group.layers) {
        await layer.run(next, 100)
        next += 100
      }
      for (let round = 0; round < rounds; round++) {
        for (let k = 0; k < group.layers.length; k++) {
          const layer = group.layers[(round + k) % group.layers.length]!
          const serverBefore = await serverCpu(layer.application)
          const cpuBefore = process.cpuUsage()
          const start = process.hrtime.bigint()
          await layer.run(next, perRound)
          const wallUs = Number(process.hrtime.bigint() - start) / 1e3
          const cpu = process.cpuUsage(cpuBefore)
          const serverAfter = await serverCpu(layer.application)
          samples.get(layer)!.push({
            wallUs: wallUs / perRound,
            clientUs: (cpu.user + cpu.system) / perRound,
            serverUs: serverBefore === undefined || serverAfter === undefined
              ? undefined
              : (serverAfter - serverBefore) / perRound
          })
          next += perRound
        }
      }
      for (const layer of group.layers) {
        const all = samples.get(layer)!
        const us = (value: number) => value.toFixed(0).padStart(5)
        const server = all.every((sample) => sample.serverUs !== undefined)
          ? us(median(all.map((sample) => sample.serverUs!)))
          : "  n/a"
        console.log(
          `  ${layer.name.padEnd(32)} wall ${us(median(all.map((sample) => sample.wallUs)))} µs · CPU client ${
            us(median(all.map((sample) => sample.clientUs)))
          } µs · server ${server} µs  (an operation)`
        )
      }
      for (const layer of group.layers) await layer.close()
      await group.dispose()
    }
  } finally {
    await pg.dispose()
    stop?.()
  }
}

await main()
