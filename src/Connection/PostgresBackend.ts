/**
 * The PostgreSQL backend behind `Database.layer` for `postgres://` and `postgresql://` URLs: a
 * `pg` pool under @effect/sql-pg's `PgClient`, with its rows normalised to the shapes SQLite
 * returns, so that one set of row codecs reads both. Statements are sent as named statements
 * (see `statementPath`); many rows go in one `unnest` insert, and one write of a batch runs
 * under a savepoint.
 *
 * @since 0.1.0
 */
import type * as Reactivity from "@effect/experimental/Reactivity"
import * as SqlClient from "@effect/sql/SqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { SqlError } from "@effect/sql/SqlError"
import * as Statement from "@effect/sql/Statement"
import * as Pg from "pg"
import * as crypto from "node:crypto"
import { DbError } from "../Schemas/Errors.js"
import * as Spans from "../Spans.js"
import { typedTransactions } from "./Failures.js"
import { Backend, type BackendShape, fromClient, type Table, type TableRow } from "./Backend.js"
import * as PostgresChanges from "./PostgresChanges.js"

/** @since 0.1.0 */
export interface PostgresOptions {
  /** The connection string, password included. */
  readonly url: Redacted.Redacted<string>
  /** The same URL with its password masked: the only form messages show. */
  readonly display: string
  /** The most connections the pool opens (default 10). */
  readonly maxConnections?: number | undefined
  /** How long opening a connection may take before it fails (default 10 s). */
  readonly connectTimeoutMs?: number | undefined
}

/**
 * What the PostgreSQL connection provides.
 *
 * @since 0.1.0
 */
export type PostgresServices = SqlClient.SqlClient | PgClient.PgClient | Backend

const oid = { int8: 20, json: 114, numeric: 1700, timestamptz: 1184, jsonb: 3802 } as const

const keepText = (text: string): string => text

// A bigint that a JavaScript number holds exactly, or the text: the row schemas then refuse
// it as `Decode` instead of reading a rounded count.
const parseInt8 = (text: string): number | string => {
  const value = Number(text)
  return Number.isSafeInteger(value) ? value : text
}

/**
 * The one place PostgreSQL's values become the row shapes the codecs expect (those SQLite
 * returns): `bigint` and `numeric` (counts, sums) as numbers; `timestamptz` as its text
 * (`2026-11-26 08:06:52.123+00`, which the `Timestamp` schema reads); `jsonb` and `json` as
 * their JSON text. Every other type parses as `pg` parses it by default.
 *
 * @since 0.1.0
 */
export const typeParsers: Pg.CustomTypesConfig = {
  getTypeParser: (id, format) => {
    if (format === undefined || format === "text") {
      switch (id) {
        case oid.int8:
          return parseInt8
        case oid.numeric:
          return Number
        case oid.timestamptz:
        case oid.json:
        case oid.jsonb:
          return keepText
      }
    }
    return Pg.types.getTypeParser(id, format)
  }
}

/**
 * What every connection of the pool runs first: timestamps in ISO style (the one the
 * Timestamp schema reads), in UTC (any offset would read correctly; UTC keeps the text
 * uniform). Plain SET statements, not startup options, which connection poolers such as
 * PgBouncer may refuse.
 *
 * @since 0.1.0
 */
export const sessionSettings = "SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC'"

/**
 * Opens a pool on `options.url`, checks that the server answers, and builds a `PgClient`
 * over it. Fails with `DbError` reason `Connection`, naming the URL without its password.
 *
 * @since 0.1.0
 */
export const make = (
  options: PostgresOptions
): Effect.Effect<Context.Context<PostgresServices>, DbError, Scope.Scope | Reactivity.Reactivity> =>
  Effect.gen(function*() {
    // The driver's messages do not repeat the password; should one ever, it is masked here
    // (unless it is shorter than 4 characters: masking those would garble the message).
    const password = passwordOf(Redacted.value(options.url))
    const scrub = (text: string) =>
      password === undefined || password.length < 4 ? text : text.split(password).join("***")
    const connectionError = (cause: unknown) =>
      new DbError({
        reason: "Connection",
        message: scrub(`Cannot connect to PostgreSQL at ${options.display}: ${describe(cause)}`),
        cause
      })

    const pool = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const pool = new Pg.Pool({
          connectionString: Redacted.value(options.url),
          application_name: "ennio-db",
          max: options.maxConnections ?? 10,
          connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
          keepAlive: true,
          types: typeParsers,
          onConnect: (client) => client.query(sessionSettings)
        })
        // An idle connection the server closed (a restart): the pool drops it and opens a new one.
        pool.on("error", () => {})
        return pool
      }),
      (pool) => Effect.promise(() => pool.ending ? Promise.resolve() : pool.end())
    )
    yield* Effect.tryPromise({ try: () => pool.query("SELECT 1"), catch: connectionError })
    const client = yield* PgClient.fromPool({ acquire: Effect.succeed(pool), applicationName: "ennio-db" }).pipe(
      Effect.mapError(connectionError)
    )
    typedTransactions(client)
    const ordinary = fromClient(client)
    return Context.make(PgClient.PgClient, client).pipe(
      Context.add(SqlClient.SqlClient, client),
      Context.add(Backend, {
        ...ordinary,
        ...statementPath(pool, ordinary),
        rowsPerStatement: rowsPerUnnest,
        concurrentWrites: true,
        changes: PostgresChanges.make({
          url: options.url,
          display: options.display,
          connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
          scrub
        })
      })
    )
  })

// Distinct statement texts named and prepared on every connection; past it, texts (an IN list
// of a new length, say) are sent unnamed, so that no connection keeps statements without end.
const namedStatementCapacity = 256

/**
 * `insertRows` on PostgreSQL: one `INSERT … SELECT * FROM unnest(…)` a table, one array a
 * column, so that any number of rows is one statement of constant text (parsed once per
 * connection) and one round trip, its rows inserted in array order. The columns are those of
 * the table's row codec, with their PostgreSQL types (the migrations').
 */
const unnestInserts: Record<Table, { readonly columns: ReadonlyArray<string>; readonly text: string }> = {
  sessions: {
    columns: [
      "id", "project_id", "status", "activity", "branch", "issue_id", "workspace_path", "runtime_handle", "agent_info",
      "agent_name", "pr_url", "pr_number", "tmux_name", "config_hash", "role", "metadata", "created_at",
      "last_activity_at", "restored_at", "archived_at"
    ],
    text: `INSERT INTO sessions (id, project_id, status, activity, branch, issue_id, workspace_path, runtime_handle,
  agent_info, agent_name, pr_url, pr_number, tmux_name, config_hash, role, metadata, created_at, last_activity_at,
  restored_at, archived_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[],
  $9::jsonb[], $10::text[], $11::text[], $12::bigint[], $13::text[], $14::text[], $15::text[], $16::jsonb[],
  $17::timestamptz[], $18::timestamptz[], $19::timestamptz[], $20::timestamptz[])`
  },
  events: {
    columns: ["id", "event_type", "priority", "session_id", "project_id", "timestamp", "message", "data"],
    text: `INSERT INTO events (id, event_type, priority, session_id, project_id, timestamp, message, data)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[],
  $8::jsonb[])`
  },
  projects: {
    columns: ["project_id", "name", "repo", "path", "default_branch", "config_hash", "created_at", "updated_at"],
    text: `INSERT INTO projects (project_id, name, repo, path, default_branch, config_hash, created_at, updated_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[],
  $8::timestamptz[])`
  },
  session_metrics: {
    columns: [
      "session_id", "total_tokens_in", "total_tokens_out", "estimated_cost_usd", "ci_runs", "ci_failures",
      "review_rounds", "time_to_first_pr_secs", "time_to_merge_secs", "updated_at"
    ],
    text: `INSERT INTO session_metrics (session_id, total_tokens_in, total_tokens_out, estimated_cost_usd, ci_runs,
  ci_failures, review_rounds, time_to_first_pr_secs, time_to_merge_secs, updated_at)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::float8[], $5::bigint[], $6::bigint[], $7::bigint[],
  $8::bigint[], $9::bigint[], $10::timestamptz[])`
  }
}

/**
 * The insert of one row of each table: the same columns, a parameter each, as a caller of
 * `pg` writes it (a one-row `unnest` costs both sides its arrays). Built once, at load, from
 * the constant column lists above.
 */
const singleInserts = Object.fromEntries(
  Object.entries(unnestInserts).map(([table, { columns }]) => [
    table,
    `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(", ")})`
  ])
) as Record<Table, string>

/**
 * Rows one `unnest` insert sends: far more than a group-commit batch (512), so that a batch is
 * one statement, and a bounded message for a bulk copy.
 */
const rowsPerUnnest = 10_000

/**
 * A column's values as the text of a PostgreSQL array (`{"a","b\"c",NULL}` for a, b"c and null), bound as one
 * value: what `pg` writes for a JavaScript array of strings and numbers, without its two regular
 * expressions per element (most values need no escape). `undefined` for a value of another
 * type (the rows the codecs encode have none): `pg` then serialises the array itself.
 */
const arrayLiteral = (values: ReadonlyArray<unknown>): string | undefined => {
  let text = "{"
  for (let i = 0; i < values.length; i++) {
    if (i > 0) text += ","
    const value = values[i]
    if (value === null || value === undefined) {
      text += "NULL"
      continue
    }
    const element = typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined
    if (element === undefined) return undefined
    text += element.includes("\\") || element.includes("\"")
      ? `"${element.replace(/\\/g, "\\\\").replace(/"/g, "\\\"")}"`
      : `"${element}"`
  }
  return text + "}"
}

/** The connection of the fiber's transaction, when it is @effect/sql-pg's (which holds a `pg` client). */
const transactionClient = (context: Context.Context<never>): Pg.PoolClient | undefined | false => {
  const transaction = Context.getOption(context, SqlClient.TransactionConnection)
  if (transaction._tag === "None") return undefined
  const client = (transaction.value[0] as { readonly pg?: unknown }).pg
  return client instanceof Pg.Client ? client as Pg.PoolClient : false
}

/**
 * The statement path: one `query` a statement, named after its text so that each connection
 * parses and plans it once (the server's generic plan then serves every call) where
 * @effect/sql sends Parse with every call; on the pool outside a transaction, on the
 * transaction's own connection inside one. With a statement transformer installed (or a
 * transaction on a connection made elsewhere), statements take @effect/sql's own path.
 */
const statementPath = (
  pool: Pg.Pool,
  ordinary: BackendShape
): Pick<BackendShape, "run" | "values" | "insertRows"> => {
  const names = new Map<string, string>()
  const nameOf = (text: string): string | undefined => {
    let name = names.get(text)
    if (name === undefined && names.size < namedStatementCapacity) {
      name = `ennio_${crypto.createHash("sha1").update(text).digest("hex").slice(0, 20)}`
      names.set(text, name)
    }
    return name
  }
  const query = (
    client: Pg.PoolClient | undefined,
    text: string,
    params: ReadonlyArray<unknown>,
    rowMode: "array" | undefined
  ) =>
    Effect.async<ReadonlyArray<any>, SqlError>((resume) => {
      // `rowMode: "array"` (rows as arrays) is one of pg's overloads; the config is one object either way.
      const compiled = { name: nameOf(text), text, values: params as Array<unknown>, ...(rowMode ? { rowMode } : {}) }
      const done = (result: Pg.QueryResult<any>) => resume(Effect.succeed(result.rows))
      const failed = (cause: unknown) => resume(Effect.fail(new SqlError({ cause, message: "Failed to execute statement" })))
      if (client === undefined) pool.query(compiled as Pg.QueryConfig).then(done, failed)
      else client.query(compiled as Pg.QueryConfig).then(done, failed)
    })
  const runner = (values: boolean) =>
  <A>(statement: Statement.Statement<any>): Effect.Effect<ReadonlyArray<A>, SqlError> =>
    Effect.withFiberRuntime((fiber) => {
      const client = transactionClient(fiber.currentContext)
      if (client === false || fiber.getFiberRef(Statement.currentTransformer)._tag === "Some") {
        return Spans.contextual(values ? ordinary.values(statement) : ordinary.run(statement)) as Effect.Effect<
          ReadonlyArray<A>,
          SqlError
        >
      }
      const [text, params] = statement.compile()
      return Spans.statement(
        "postgresql",
        text,
        values ? "executeValues" : "execute",
        1,
        query(client, text, params, values ? "array" : undefined)
      )
    })
  const insertRows = (table: Table, rows: ReadonlyArray<TableRow>): Effect.Effect<void, SqlError> =>
    Effect.withFiberRuntime((fiber) => {
      if (rows.length === 0) return Effect.void
      const { columns, text } = unnestInserts[table]
      const first = rows[0] as Record<string, unknown>
      const client = transactionClient(fiber.currentContext)
      // Rows of another shape than the codec's (or a transformer, or a foreign transaction): the ordinary multi-row inserts.
      if (
        client === false || fiber.getFiberRef(Statement.currentTransformer)._tag === "Some" ||
        Object.keys(first).length !== columns.length || !columns.every((column) => column in first)
      ) return Spans.contextual(ordinary.insertRows(table, rows))
      if (rows.length === 1) {
        const single = singleInserts[table]
        const values = columns.map((column) => first[column])
        return Effect.asVoid(Spans.statement("postgresql", single, "execute", 1, query(client, single, values, undefined)))
      }
      const chunks: Array<Effect.Effect<ReadonlyArray<any>, SqlError>> = []
      for (let start = 0; start < rows.length; start += rowsPerUnnest) {
        const chunk = rows.slice(start, start + rowsPerUnnest) as ReadonlyArray<Record<string, unknown>>
        const arrays = columns.map((column) => {
          const array: Array<unknown> = new Array(chunk.length)
          for (let i = 0; i < chunk.length; i++) array[i] = chunk[i]![column]
          return arrayLiteral(array) ?? array
        })
        chunks.push(Spans.statement("postgresql", text, "execute", chunk.length, query(client, text, arrays, undefined)))
      }
      return chunks.length === 1 ? Effect.asVoid(chunks[0]!) : Effect.forEach(chunks, (chunk) => chunk, { discard: true })
    })
  return { run: runner(false), values: runner(true), insertRows }
}

const describe = (cause: unknown): string => {
  const error = cause as { readonly message?: unknown; readonly code?: unknown } | undefined
  const message = typeof error?.message === "string" && error.message !== "" ? error.message : String(cause)
  return typeof error?.code === "string" && !message.includes(error.code) ? `${message} (${error.code})` : message
}

/** The password of a `postgres://user:password@…` URL, decoded; `undefined` when it has none. */
const passwordOf = (url: string): string | undefined => {
  try {
    const password = new URL(url).password
    return password === "" ? undefined : decodeURIComponent(password)
  } catch {
    return undefined
  }
}
