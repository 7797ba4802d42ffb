/**
 * The PostgreSQL column: W1–W8 and W10 on "pg raw" (the `pg` driver) and "ennio-db (pg)" (the public
 * repositories over `Database.layer({ url: "postgres://…" })`), in a database made for the run.
 * The same rows as the SQLite sides (the first ones, where a workload runs fewer operations
 * here), the same checks that both sides did the same work, and — where the data are the same
 * as on SQLite — a check that the reads return the rows the SQLite sides returned.
 */
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Pg from "pg"
import type { PgSizes, Sizes } from "./config.js"
import { dashboardEventType, rareProjectId } from "./data.js"
import { ennioPg, type EventsRead } from "./ennio.js"
import { eventTableRows } from "./fixtures.js"
import {
  concurrentRunner,
  type Measurement,
  type Run,
  type Runner,
  runInRotation,
  runOnce,
  sequentialRunner
} from "./measure.js"
import { EventsRepo, Repos } from "../src/index.js"
import { sessionSettings } from "../src/Connection/PostgresBackend.js"
import { displayUrl, PgFixtures, pgSeedRows } from "./pg-fixtures.js"
import { pgNewestPageSql, pgRaw } from "./pg-raw.js"
import { type PgSide, type PgSideName, type SideHandle, sideLabels } from "./side.js"
import { type ColumnVerdict, judgeColumn, pgPlanIndex, pgTargets, type WorkloadId } from "./targets.js"
import { assertSame, canonicalDigest, summarize } from "./verify.js"
import { type Check, metricsDigest, workloadData, workloadTitles } from "./workloads.js"

export const pgSides: ReadonlyArray<PgSide> = [pgRaw, ennioPg]
const sides = pgSides

// The SQLite digests with PostgreSQL's extra column (`seq`, V6) left out: both sides number
// their rows themselves, and the concurrent workloads insert in no fixed order.
const sessionsDigest = `SELECT id, project_id, status, activity, branch, issue_id, workspace_path, runtime_handle,
  agent_info, agent_name, pr_url, pr_number, tmux_name, config_hash, role, metadata, created_at, last_activity_at,
  restored_at, archived_at FROM sessions ORDER BY id`
const eventsDigest = "SELECT id, event_type, priority, session_id, project_id, timestamp, message, data FROM events ORDER BY id"

/** One statement ennio-db ran for W6 or W10, and how PostgreSQL plans it. */
export interface PgQueryPlan {
  readonly sql: string
  /**
   * Which plan the server runs, as ennio-db sends the statement: unnamed statements are planned
   * at every call with their values (a custom plan); a named one gets a generic plan after 5
   * executions when the planner finds it no dearer.
   */
  readonly planKind: "custom, unnamed statement" | "custom, named statement" | "generic, named statement"
  readonly plan: ReadonlyArray<string>
  readonly usesIndex: boolean
  /** Whether the plan has a Sort node (it should walk the index in order instead). */
  readonly sorts: boolean
}

export interface PgSideResult extends Measurement {
  readonly side: PgSideName
  /** This side's ops/s ÷ pg raw's ops/s in the same run. */
  readonly ratioToRaw: number
}

export interface PgWorkloadResult {
  readonly id: Exclude<WorkloadId, "W9">
  readonly title: string
  readonly results: ReadonlyArray<PgSideResult>
  /**
   * Checked against the SQLite run (where the tables and plans are the same): a read returned
   * the same rows (same ids, same order); a write left the same table contents, compared in a
   * backend-neutral form.
   */
  readonly matchesSqlite: boolean
  readonly queryPlans?: ReadonlyArray<PgQueryPlan>
  /** ennio-db (pg) against its target (bench/targets.ts, `pgTargets`). */
  readonly verdict?: ColumnVerdict
}

/** Where the server came from: given to the run (and reported as it is), or started by it. */
export type PgOrigin =
  | { readonly kind: "given"; readonly via: "--pg" | "ENNIO_TEST_PG_URL" }
  | {
    readonly kind: "started"
    /** The cluster's temporary folder (deleted at the end of the run). */
    readonly dir: string
    /** The file system under it (`stat -f`): on a tmpfs, fsync would cost nothing. */
    readonly fileSystem: string
  }

/** The server settings every PostgreSQL result reports: those that weigh on the write workloads. */
export const reportedSettings = [
  "server_version",
  "fsync",
  "synchronous_commit",
  "full_page_writes",
  "wal_level",
  "shared_buffers",
  "max_connections"
] as const

/** `reportedSettings` as the server at the other end of `client` has them. */
export const readServerSettings = async (
  query: (text: string, values: ReadonlyArray<unknown>) => Promise<ReadonlyArray<{ readonly v: string }>>
): Promise<Record<string, string>> => {
  const settings: Record<string, string> = {}
  for (const name of reportedSettings) settings[name] = (await query("SELECT current_setting($1) AS v", [name]))[0]!.v
  return settings
}

/** `fsync on, synchronous_commit on, …`: the settings in one line. */
export const describeSettings = (settings: Readonly<Record<string, string>>): string =>
  reportedSettings.filter((name) => name !== "server_version" && settings[name] !== undefined)
    .map((name) => `${name} ${settings[name]}`).join(", ")

export type PostgresResult =
  | { readonly status: "skipped"; readonly reason: string }
  | {
    readonly status: "ran"
    /** `PostgreSQL 15.10`. */
    readonly server: string
    /** The server, password masked, and the database made for the run (dropped at its end). */
    readonly where: string
    readonly origin: PgOrigin
    /** Server settings that weigh on the write workloads, as found (`reportedSettings`). */
    readonly serverSettings: Readonly<Record<string, string>>
    readonly settings: string
    readonly sizes: PgSizes
    /** Building W6's table (events and the indices of the migrations), vacuum and analyse included. */
    readonly pageTableLoad: { readonly events: number; readonly seconds: number }
    readonly workloads: ReadonlyArray<PgWorkloadResult>
    readonly seconds: number
  }

export interface PgWorkload {
  readonly id: Exclude<WorkloadId, "W9">
  readonly title: string
  /** The URL and schema `side` works in: its own schema for the writes, one shared by both sides for the reads. */
  readonly database: (side: PgSideName) => Promise<{ readonly url: string; readonly schema: string }>
  readonly bind: (handle: SideHandle) => Run
  readonly runner: (run: Run) => Runner
  readonly check: Check
  readonly matchesSqlite: boolean
  /** The read whose statements ennio-db sends are explained on W6's table (the paging workloads). */
  readonly explain?: EventsRead
  /** Drops what only this workload used. */
  readonly done: () => Promise<void>
}

const onceAsync = <A>(make: () => Promise<A>): () => Promise<A> => {
  let value: Promise<A> | undefined
  return () => (value ??= make())
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

const schemaName = (id: string, side: PgSideName) => `${id.toLowerCase()}_${side.replace("-", "_")}`

/** W1–W8 and W10 on PostgreSQL. `sqlite`: the SQLite run's sizes, to tell which reads see the same data. */
export const makePgWorkloads = (sizes: PgSizes, sqlite: Sizes, pg: PgFixtures) => {
  const data = workloadData(sizes)
  const title = workloadTitles(sizes)
  const withWriteSessions = (id: string) => (side: PgSideName) => {
    const schema = schemaName(id, side)
    return pg.fresh(schema, (client) => pgSeedRows(client, { sessions: data.writeSessions })).then((url) => ({
      url,
      schema
    }))
  }
  const emptySchema = (id: string) => (side: PgSideName) => {
    const schema = schemaName(id, side)
    return pg.fresh(schema).then((url) => ({ url, schema }))
  }
  const dropFor = (id: string) => async () => {
    for (const side of sides) await pg.drop(schemaName(id, side.name))
  }
  /** One schema both sides read: the workload writes nothing. */
  const shared = (schema: string, seed: Parameters<PgFixtures["fresh"]>[1]) => {
    const make = onceAsync(async () => ({ url: await pg.fresh(schema, seed), schema }))
    return { database: () => make(), done: () => pg.drop(schema) }
  }

  // W6a, W6b, W10a and W10b read one table, built on first use; `bind` (synchronous) finds it here.
  let pageTableBuilt: { url: string; schema: string; sessionId: string; cursor: string; seconds: number } | undefined
  const pageTable = onceAsync(async () => {
    const rows = eventTableRows("w6", sizes.pageTableEvents, sizes.pageSessionEvents)
    const start = process.hrtime.bigint()
    const url = await pg.fresh("w6", (client) => pgSeedRows(client, { sessions: rows.sessions, events: rows.events() }))
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    const page = await pg.select<{ id: string }>("w6", pgNewestPageSql, [rows.sessionId, sizes.pageSize])
    return (pageTableBuilt = { url, schema: "w6", sessionId: rows.sessionId, cursor: page[page.length - 1]!.id, seconds })
  })

  const w1 = shared("w1", (client) => pgSeedRows(client, { sessions: data.getTableSessions() }))
  const w7 = shared("w7", (client) => pgSeedRows(client, { sessions: data.listSessions() }))
  const samePageTable = sizes.pageTableEvents === sqlite.pageTableEvents &&
    sizes.pageSessionEvents === sqlite.pageSessionEvents && sizes.pageSize === sqlite.pageSize
  const limit = { limit: sizes.pageSize }

  const workloads: ReadonlyArray<PgWorkload> = [
    {
      id: "W1",
      title: title.W1,
      ...w1,
      bind: (handle) => handle.sessionsGet(data.getIds()),
      runner: (run) => sequentialRunner(run, sizes.get),
      check: { kind: "result" },
      matchesSqlite: sizes.getTableSessions === sqlite.getTableSessions
    },
    {
      id: "W2",
      title: title.W2,
      database: emptySchema("w2"),
      done: dropFor("w2"),
      bind: (handle) => handle.sessionsInsert(data.newSessions()),
      runner: (run) => sequentialRunner(run, sizes.insertSession),
      check: { kind: "digest", query: sessionsDigest },
      matchesSqlite: same(sizes.insertSession, sqlite.insertSession)
    },
    {
      id: "W3",
      title: title.W3,
      database: withWriteSessions("w3"),
      done: dropFor("w3"),
      bind: (handle) => handle.eventsInsert(data.singleEvents()),
      runner: (run) => sequentialRunner(run, sizes.insertEvent),
      check: { kind: "digest", query: eventsDigest },
      matchesSqlite: same([sizes.insertEvent, sizes.writeSessions], [sqlite.insertEvent, sqlite.writeSessions])
    },
    {
      id: "W4",
      title: title.W4,
      database: withWriteSessions("w4"),
      done: dropFor("w4"),
      bind: (handle) => handle.eventsInsert(data.concurrentEvents()),
      runner: (run) => concurrentRunner(run, sizes.concurrentInsert),
      check: { kind: "digest", query: eventsDigest },
      matchesSqlite: same([sizes.concurrentInsert, sizes.writeSessions], [sqlite.concurrentInsert, sqlite.writeSessions])
    },
    {
      id: "W5",
      title: title.W5,
      database: withWriteSessions("w5"),
      done: dropFor("w5"),
      bind: (handle) => handle.eventsInsertMany(data.batches()),
      runner: (run) => sequentialRunner(run, sizes.insertMany),
      check: { kind: "digest", query: eventsDigest },
      matchesSqlite: same(
        [sizes.insertMany, sizes.batchEvents, sizes.writeSessions],
        [sqlite.insertMany, sqlite.batchEvents, sqlite.writeSessions]
      )
    },
    {
      id: "W6a",
      title: title.W6a,
      database: async () => pageTable(),
      done: async () => {},
      bind: (handle) => handle.eventsPage(pageTableBuilt!.sessionId, undefined, sizes.pageSize),
      runner: (run) => sequentialRunner(run, sizes.page),
      check: { kind: "result" },
      matchesSqlite: samePageTable,
      explain: (events) => events.listBySession(pageTableBuilt!.sessionId, limit)
    },
    {
      id: "W6b",
      title: title.W6b,
      database: async () => pageTable(),
      done: async () => {},
      bind: (handle) => handle.eventsPage(pageTableBuilt!.sessionId, pageTableBuilt!.cursor, sizes.pageSize),
      runner: (run) => sequentialRunner(run, sizes.page),
      check: { kind: "result" },
      matchesSqlite: samePageTable,
      explain: (events) => events.listBySession(pageTableBuilt!.sessionId, { ...limit, before: pageTableBuilt!.cursor })
    },
    {
      id: "W7",
      title: title.W7,
      ...w7,
      bind: (handle) => handle.sessionsList(),
      runner: (run) => sequentialRunner(run, sizes.list),
      check: { kind: "result" },
      matchesSqlite: sizes.listSessions === sqlite.listSessions
    },
    {
      id: "W8",
      title: title.W8,
      database: withWriteSessions("w8"),
      done: dropFor("w8"),
      bind: (handle) => handle.metricsRecord(data.deltas()),
      runner: (run) => concurrentRunner(run, sizes.concurrentRecord),
      check: { kind: "digest", query: metricsDigest },
      matchesSqlite: same([sizes.concurrentRecord, sizes.writeSessions], [sqlite.concurrentRecord, sqlite.writeSessions])
    },
    {
      id: "W10a",
      title: title.W10a,
      database: async () => pageTable(),
      done: async () => {},
      bind: (handle) => handle.eventsOfType(dashboardEventType, sizes.pageSize),
      runner: (run) => sequentialRunner(run, sizes.page),
      check: { kind: "result" },
      matchesSqlite: samePageTable,
      explain: (events) => events.listByType(dashboardEventType, limit)
    },
    {
      id: "W10b",
      title: title.W10b,
      database: async () => pageTable(),
      // The last reader of W6's table.
      done: () => pg.drop("w6"),
      bind: (handle) => handle.eventsOfProject(rareProjectId, sizes.pageSize),
      runner: (run) => sequentialRunner(run, sizes.page),
      check: { kind: "result" },
      matchesSqlite: samePageTable,
      explain: (events) => events.listByProject(rareProjectId, limit)
    }
  ]
  return { workloads, pageTable }
}

interface Lane {
  readonly side: PgSide
  readonly schema: string
  readonly handle: SideHandle
  readonly runner: Runner
}

const progress = (line: string) => process.stderr.write(`${line}\n`)

/** Both sides on one workload: warm-up, then alternating rounds, then the check that they did the same work. */
const runPgWorkload = async (
  workload: PgWorkload,
  pg: PgFixtures,
  sqliteContents: string | undefined
): Promise<PgWorkloadResult> => {
  const lanes: Array<Lane> = []
  const fingerprints: Array<readonly [string, string]> = []
  try {
    for (const side of sides) {
      const { schema, url } = await workload.database(side.name)
      const handle = await side.open(url)
      const run = workload.bind(handle)
      lanes.push({ side, schema, handle, runner: workload.runner(run) })
      if (workload.check.kind === "result") fingerprints.push([side.name, summarize(await runOnce(run, 0))])
    }
    await runInRotation(lanes.map((lane) => lane.runner))
  } finally {
    for (const lane of lanes) await lane.handle.close()
  }
  if (workload.check.kind === "digest") {
    for (const lane of lanes) fingerprints.push([lane.side.name, await pg.digest(lane.schema, workload.check.query)])
  }
  assertSame(`${workload.id} on PostgreSQL`, fingerprints)
  const compared = workload.matchesSqlite && sqliteContents !== undefined
  if (compared) {
    const pgContents = workload.check.kind === "result"
      ? fingerprints[0]![1]
      : canonicalDigest(await pg.select(lanes[0]!.schema, workload.check.query, []))
    assertSame(`${workload.id}, PostgreSQL against SQLite`, [["SQLite sides", sqliteContents], ["pg sides", pgContents]])
  }
  const measured = lanes.map((lane) => ({ side: lane.side.name, ...lane.runner.result() }))
  const rawRate = measured.find((result) => result.side === "pg-raw")!.opsPerSec
  for (const result of measured) {
    progress(`  ${sideLabels[result.side].padEnd(20)} ${Math.round(result.opsPerSec).toLocaleString("en-US")} ops/s`)
  }
  return {
    id: workload.id,
    title: workload.title,
    results: measured.map((result) => ({ ...result, ratioToRaw: result.opsPerSec / rawRate })),
    matchesSqlite: compared
  }
}

/** A statement as the `pg` driver received it. */
interface DriverStatement {
  readonly text: string
  readonly values: ReadonlyArray<unknown>
  readonly name: string | undefined
}

/**
 * Runs `read` once on ennio-db (pg) and returns the SELECTs it handed to the `pg` driver: caught
 * in the driver, so that whatever path src/ takes to it, named or not, is what gets explained.
 */
const captureDriver = async (url: string, read: EventsRead): Promise<Array<DriverStatement>> => {
  const runtime = ManagedRuntime.make(Repos.layerDatabase({ url }))
  const captured: Array<DriverStatement> = []
  const prototype = Pg.Client.prototype as unknown as { query: (...args: Array<unknown>) => unknown }
  const query = prototype.query
  try {
    const events = await runtime.runPromise(EventsRepo)
    prototype.query = function(this: Pg.Client, ...args: Array<unknown>) {
      const config = args[0] as string | Pg.QueryConfig
      const text = typeof config === "string" ? config : config.text
      if (/^\s*SELECT\b/i.test(text)) {
        const values = typeof config === "string" || config.values === undefined ? args[1] : config.values
        captured.push({
          text,
          values: Array.isArray(values) ? values : [],
          name: typeof config === "string" ? undefined : config.name
        })
      }
      return query.apply(this, args)
    }
    await runtime.runPromise(read(events))
  } finally {
    prototype.query = query
    await runtime.dispose()
  }
  return captured
}

// EXECUTE of a named statement as the explaining connection names it: a constant, one client per plan.
const explainedName = "ennio_bench_explain"

/**
 * The plan a statement runs with as ennio-db sent it. Unnamed: `EXPLAIN` with its values (planned
 * at every call). Named: executed 6 times as a named statement on a connection of its own that
 * runs the session settings of ennio-db's pool first; if the server then chose its generic plan,
 * that plan (which does not depend on the values, so EXECUTE is given NULLs), else the custom one.
 */
const explainAsSent = async (
  pg: PgFixtures,
  url: string,
  schema: string,
  statement: DriverStatement
): Promise<Pick<PgQueryPlan, "plan" | "planKind">> => {
  if (statement.name === undefined) {
    return { planKind: "custom, unnamed statement", plan: await pg.explain(schema, statement.text, statement.values) }
  }
  const client = new Pg.Client({ connectionString: url, application_name: "ennio-bench-explain" })
  await client.connect()
  try {
    await client.query(sessionSettings)
    for (let i = 0; i < 6; i++) await client.query({ name: explainedName, text: statement.text, values: [...statement.values] })
    const counts = await client.query<{ generic: string }>(
      "SELECT generic_plans AS generic FROM pg_prepared_statements WHERE name = $1",
      [explainedName]
    )
    if (Number(counts.rows[0]?.generic ?? 0) === 0) {
      return { planKind: "custom, named statement", plan: await pg.explain(schema, statement.text, statement.values) }
    }
    await client.query("SET plan_cache_mode = force_generic_plan")
    const nulls = statement.values.map(() => "NULL").join(", ")
    const rows = await client.query<{ "QUERY PLAN": string }>(`EXPLAIN EXECUTE ${explainedName}(${nulls})`)
    return { planKind: "generic, named statement", plan: rows.rows.map((row) => row["QUERY PLAN"]) }
  } finally {
    await client.end()
  }
}

/** EXPLAIN of the statements ennio-db sends for one page of W6's table, as it sends them. */
const explainPage = async (
  pg: PgFixtures,
  table: { readonly url: string; readonly schema: string },
  read: EventsRead
): Promise<Array<PgQueryPlan>> => {
  const plans: Array<PgQueryPlan> = []
  for (const statement of await captureDriver(table.url, read)) {
    const { plan, planKind } = await explainAsSent(pg, table.url, table.schema, statement)
    plans.push({
      sql: statement.text.replace(/\s+/g, " ").trim(),
      planKind,
      plan,
      usesIndex: plan.some((line) => /Index (Only )?Scan/.test(line)),
      sorts: plan.some((line) => /(^|->)\s*(Incremental )?Sort\b/.test(line.trim()))
    })
  }
  return plans
}

/** How a workload's plans stand against its target: an index scan without a sort (W10), or a named index (W6). */
const planCheck = (id: WorkloadId, plans: ReadonlyArray<PgQueryPlan>): { ok: boolean; text: string } | undefined => {
  if (plans.length === 0) return undefined
  const index = pgPlanIndex[id]
  if (index !== undefined) {
    const ok = plans.every((plan) => plan.plan.some((line) => line.includes(index)))
    const scanned = [...new Set(plans.flatMap((plan) => plan.plan.flatMap((line) => /using (\w+)/.exec(line)?.[1] ?? [])))]
    return { ok, text: `${ok ? "scans" : "does NOT scan"} ${index} (${scanned.join(", ") || "no index"})` }
  }
  const ok = plans.every((plan) => plan.usesIndex && !plan.sorts)
  return { ok, text: ok ? "indexed" : "NOT indexed" }
}

/** ennio-db (pg) against `pgTargets`: its ratio to pg raw, or its p50 and plans. */
const verdictFor = (result: PgWorkloadResult, plans: ReadonlyArray<PgQueryPlan>): { readonly verdict?: ColumnVerdict } => {
  const ennio = result.results.find((side) => side.side === "ennio-pg")
  if (ennio === undefined) return {}
  const verdict = judgeColumn(
    pgTargets[result.id],
    { ratio: ennio.ratioToRaw, p50Us: ennio.p50Us, rawLabel: "pg raw" },
    planCheck(result.id, plans)
  )
  return verdict === undefined ? {} : { verdict }
}

const unreachable = (url: string, error: unknown) =>
  new Error(
    `PostgreSQL column: cannot create the run's database on ${displayUrl(url)}: ${
      error instanceof Error ? error.message : String(error)
    }`
  )

/** Fails now, not after the SQLite run, when the server cannot be reached or may not create databases. */
export const probePostgres = async (url: string): Promise<void> => {
  const client = new Pg.Client({ connectionString: url, application_name: "ennio-bench-probe" })
  try {
    await client.connect()
    const rows = (await client.query<{ ok: boolean }>(
      "SELECT rolcreatedb OR rolsuper AS ok FROM pg_roles WHERE rolname = current_user"
    )).rows
    if (rows[0]?.ok !== true) throw new Error("the user may not create databases (CREATEDB)")
  } catch (error) {
    throw unreachable(url, error)
  } finally {
    await client.end().catch(() => {})
  }
}

/**
 * Runs the PostgreSQL column on the server at `url`: creates the run's database, runs every
 * workload, drops the database. `sqliteContents`: by workload, what the SQLite sides returned
 * (reads) or left (writes), to compare with where the PostgreSQL workload is the same.
 * `register` receives the cleanup, for an interrupted run.
 */
export const runPostgres = async (
  url: string,
  origin: PgOrigin,
  sizes: PgSizes,
  sqliteSizes: Sizes,
  sqliteContents: ReadonlyMap<string, string>,
  register: (cleanup: () => Promise<void>) => void
): Promise<PostgresResult> => {
  const start = process.hrtime.bigint()
  const pg = await PgFixtures.make(url).catch((error: unknown) => Promise.reject(unreachable(url, error)))
  register(() => pg.dispose())
  try {
    const serverSettings = await readServerSettings((text, values) => pg.query<{ v: string }>(text, values))
    progress(`PostgreSQL column: ${pg.serverVersion} at ${pg.display} (${describeSettings(serverSettings)})`)
    const { pageTable, workloads } = makePgWorkloads(sizes, sqliteSizes, pg)
    const results: Array<PgWorkloadResult> = []
    let load = { events: sizes.pageTableEvents, seconds: 0 }
    for (const workload of workloads) {
      if (workload.id === "W6a") {
        progress(`  building W6's table: ${sizes.pageTableEvents.toLocaleString("en-US")} events …`)
        const table = await pageTable()
        load = { events: sizes.pageTableEvents, seconds: table.seconds }
        progress(`  built in ${table.seconds.toFixed(1)} s`)
      }
      progress(`${workload.id} on PostgreSQL: ${workload.title}`)
      const result = await runPgWorkload(workload, pg, sqliteContents.get(workload.id))
      const queryPlans = workload.explain === undefined ? [] : await explainPage(pg, await pageTable(), workload.explain)
      results.push({ ...result, ...(queryPlans.length === 0 ? {} : { queryPlans }), ...verdictFor(result, queryPlans) })
      await workload.done()
    }
    return {
      status: "ran",
      server: pg.serverVersion,
      where: pg.display,
      origin,
      serverSettings,
      settings: `a database made for the run (dropped at its end); one schema per workload and side, made by ennio-db's ` +
        `migrations (the reads share one schema between the sides); pools of ${sizes.poolSize} connections on both sides`,
      sizes,
      pageTableLoad: load,
      workloads: results,
      seconds: Number(process.hrtime.bigint() - start) / 1e9
    }
  } finally {
    await pg.dispose()
  }
}

