/**
 * The PostgreSQL column's databases: one fresh database per run (CREATE DATABASE through an
 * admin connection to the given URL's database, DROP at the end), and in it one schema per
 * workload and side, made by ennio-db's own migrations and seeded by the `pg` driver with the
 * rows the SQLite sides get. A side reaches its schema through the URL's
 * `options=-c search_path=<schema>`, so that both sides run their unqualified statements
 * against the same tables and indices.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { createHash } from "node:crypto"
import * as Pg from "pg"
import { Database } from "../src/index.js"
import type { EventSpec, SessionSpec } from "./data.js"

/** The URL with its password masked, for messages. */
export const displayUrl = (url: string): string => Database.redactUrl(url)

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`

// Every value as the server's text: the digests compare what is stored, not a parser's view of it.
const textTypes: Pg.CustomTypesConfig = { getTypeParser: () => (text: string) => text }

/** Rows a seeding statement sends at once (as arrays: one bound parameter per column). */
const seedChunk = 5_000

// unnest over one array per column: a single statement per chunk, its rows in array order.
const seedSessionsSql = `INSERT INTO sessions (id, project_id, status, activity, branch, issue_id, workspace_path,
  runtime_handle, agent_info, agent_name, pr_url, pr_number, tmux_name, config_hash, role, metadata, created_at,
  last_activity_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
  $8::jsonb[], $9::jsonb[], $10::text[], $11::text[], $12::bigint[], $13::text[], $14::text[], $15::text[],
  $16::jsonb[], $17::timestamptz[], $18::timestamptz[])`
export const unnestEventsSql = `INSERT INTO events (id, event_type, priority, session_id, project_id, timestamp, message, data)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[],
  $8::jsonb[])`

/** The bound parameters of `unnestEventsSql` for `events`: one array per column. */
export const eventColumns = (events: ReadonlyArray<EventSpec>): Array<Array<string>> => {
  const columns: Array<Array<string>> = Array.from({ length: 8 }, () => new Array<string>(events.length))
  events.forEach((e, i) => {
    columns[0]![i] = e.id
    columns[1]![i] = e.eventType
    columns[2]![i] = e.priority
    columns[3]![i] = e.sessionId
    columns[4]![i] = e.projectId
    columns[5]![i] = e.timestamp
    columns[6]![i] = e.message
    columns[7]![i] = JSON.stringify(e.data)
  })
  return columns
}

const sessionColumns = (sessions: ReadonlyArray<SessionSpec>): Array<Array<string | number>> => {
  const columns: Array<Array<string | number>> = Array.from({ length: 18 }, () => new Array(sessions.length))
  sessions.forEach((s, i) => {
    const values = [
      s.id, s.projectId, s.status, s.activity, s.branch, s.issueId, s.workspacePath, JSON.stringify(s.runtimeHandle),
      JSON.stringify(s.agentInfo), s.agentName, s.prUrl, s.prNumber, s.tmuxName, s.configHash, s.role,
      JSON.stringify(s.metadata), s.createdAt, s.lastActivityAt
    ]
    values.forEach((value, c) => (columns[c]![i] = value))
  })
  return columns
}

/** Writes rows in one transaction, `seedChunk` rows a statement: how every PostgreSQL schema is seeded. */
export const pgSeedRows = async (
  client: Pg.ClientBase,
  rows: { readonly sessions?: Iterable<SessionSpec>; readonly events?: Iterable<EventSpec> }
): Promise<void> => {
  const inChunks = async <A>(items: Iterable<A>, write: (chunk: Array<A>) => Promise<unknown>) => {
    let chunk: Array<A> = []
    for (const item of items) {
      chunk.push(item)
      if (chunk.length === seedChunk) {
        await write(chunk)
        chunk = []
      }
    }
    if (chunk.length > 0) await write(chunk)
  }
  await client.query("BEGIN")
  try {
    await inChunks(rows.sessions ?? [], (chunk) => client.query(seedSessionsSql, sessionColumns(chunk)))
    await inChunks(rows.events ?? [], (chunk) => client.query(unnestEventsSql, eventColumns(chunk)))
    await client.query("COMMIT")
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {})
    throw error
  }
}

export class PgFixtures {
  private readonly schemas = new Set<string>()
  private disposed = false

  private constructor(
    /** The server's own URL (the database the admin connection opens). */
    private readonly admin: Pg.Client,
    /** The run's database. */
    readonly database: string,
    /** The URL of the run's database. */
    private readonly runUrl: string,
    /** A connection to the run's database that reads every type as text (digests, EXPLAIN, VACUUM). */
    private readonly inspector: Pg.Client,
    /** `PostgreSQL 15.10` and such. */
    readonly serverVersion: string,
    /** Where the server is, password masked. */
    readonly display: string
  ) {}

  /** Creates the run's database on the server at `url`. */
  static async make(url: string): Promise<PgFixtures> {
    const admin = new Pg.Client({ connectionString: url, application_name: "ennio-bench-admin" })
    await admin.connect()
    try {
      const version = (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v
      const database = `ennio_bench_${process.pid}_${Date.now().toString(36)}`
      await admin.query(`CREATE DATABASE ${quoteIdent(database)}`)
      const runUrl = new URL(url)
      runUrl.pathname = `/${database}`
      const inspector = new Pg.Client({
        connectionString: runUrl.toString(),
        application_name: "ennio-bench-inspector",
        types: textTypes
      })
      try {
        await inspector.connect()
        await inspector.query("SET TimeZone = 'UTC'")
      } catch (error) {
        await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)}`).catch(() => {})
        throw error
      }
      return new PgFixtures(
        admin,
        database,
        runUrl.toString(),
        inspector,
        `PostgreSQL ${version.split(" ")[0]}`,
        displayUrl(runUrl.toString())
      )
    } catch (error) {
      await admin.end().catch(() => {})
      throw error
    }
  }

  /** The URL a side opens to work in `schema`. */
  url(schema: string): string {
    const url = new URL(this.runUrl)
    url.searchParams.set("options", `-c search_path=${schema}`)
    return url.toString()
  }

  /**
   * A new schema `name` with the tables and indices of ennio-db's migrations, seeded through
   * `seed` (on a connection whose search_path is the schema), vacuumed and analysed, so that
   * both sides start from the same table statistics; returns its URL.
   */
  async fresh(name: string, seed?: (client: Pg.ClientBase) => Promise<void>): Promise<string> {
    await this.drop(name)
    await this.inspector.query(`CREATE SCHEMA ${quoteIdent(name)}`)
    this.schemas.add(name)
    const url = this.url(name)
    await Effect.runPromise(Effect.scoped(Layer.build(Database.layer({ url }))))
    if (seed !== undefined) {
      const client = new Pg.Client({ connectionString: url, application_name: "ennio-bench-seed" })
      await client.connect()
      try {
        await seed(client)
      } finally {
        await client.end()
      }
    }
    for (const table of ["sessions", "events", "session_metrics"]) {
      await this.inspector.query(`VACUUM ANALYZE ${quoteIdent(name)}.${table}`)
    }
    return url
  }

  /** What a table holds after a write workload: a short hash of its rows, as the server prints them, in key order. */
  async digest(schema: string, query: string): Promise<string> {
    await this.inspector.query(`SET search_path = ${quoteIdent(schema)}`)
    const result = await this.inspector.query({ text: query, rowMode: "array" })
    const hash = createHash("sha256")
    for (const row of result.rows as Array<Array<unknown>>) hash.update(JSON.stringify(row))
    return hash.digest("hex").slice(0, 16)
  }

  /** `EXPLAIN` of a statement in `schema`, one line per plan node. */
  async explain(schema: string, text: string, params: ReadonlyArray<unknown>): Promise<Array<string>> {
    await this.inspector.query(`SET search_path = ${quoteIdent(schema)}`)
    const result = await this.inspector.query<{ "QUERY PLAN": string }>(`EXPLAIN ${text}`, [...params])
    return result.rows.map((row) => row["QUERY PLAN"])
  }

  /** The rows of a query in `schema`, every value as text. */
  async select<A extends Record<string, unknown>>(
    schema: string,
    text: string,
    params: ReadonlyArray<unknown>
  ): Promise<Array<A>> {
    await this.inspector.query(`SET search_path = ${quoteIdent(schema)}`)
    return (await this.inspector.query<A>(text, [...params])).rows
  }

  /** Any one query on the run's database (settings, table sizes and such). */
  async query<A extends Record<string, unknown>>(text: string, values: ReadonlyArray<unknown> = []): Promise<Array<A>> {
    return (await this.inspector.query<A>(text, [...values])).rows
  }

  async drop(name: string): Promise<void> {
    await this.inspector.query(`DROP SCHEMA IF EXISTS ${quoteIdent(name)} CASCADE`)
    this.schemas.delete(name)
  }

  /** Drops the run's database (every side's pool must be closed by now) and closes the admin connection. */
  async dispose(): Promise<void> {
    if (this.disposed) return
    this.disposed = true
    await this.inspector.end().catch(() => {})
    try {
      // FORCE (PostgreSQL 13+) ends connections a crashed side left open.
      await this.admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(this.database)} WITH (FORCE)`).catch(() =>
        this.admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(this.database)}`)
      )
    } finally {
      await this.admin.end().catch(() => {})
    }
  }
}
