/**
 * What the PostgreSQL backend sends, as the `pg` driver receives it (issue 16): the page of
 * `listBySession` is a named statement whose plan, as the server runs it, reads the session's
 * index; `insertRows` is one statement (`unnest` for many rows) that writes what the codecs encode; a lone
 * group-committed write runs on its caller's fiber and a batch of events is one statement,
 * without BEGIN and COMMIT.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Pg from "pg"
import { Backend } from "../../src/Connection/Backend.js"
import { Database, EventsRepo, Repos, SessionsRepo } from "../../src/index.js"
import { describePostgres, freshPgDatabase } from "../fixtures/backends.js"
import { recordingTracer } from "../fixtures/recordingTracer.js"

class Url extends Context.Tag("test/Url")<Url, string>() {}

interface Sent {
  readonly name: string | undefined
  readonly text: string
  readonly values: ReadonlyArray<unknown>
}

/** Every query the `pg` driver is handed while `effect` runs (texts of simple queries too). */
const sentBy = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const prototype = Pg.Client.prototype as unknown as { query: (...args: Array<unknown>) => unknown }
      const original = prototype.query
      const sent: Array<Sent> = []
      prototype.query = function(this: Pg.Client, ...args: Array<unknown>) {
        const config = args[0] as string | Pg.QueryConfig
        if (typeof config === "string") {
          sent.push({ name: undefined, text: config, values: Array.isArray(args[1]) ? args[1] : [] })
        } else {
          sent.push({ name: config.name, text: config.text, values: config.values ?? [] })
        }
        return original.apply(this, args)
      }
      return { prototype, original, sent }
    }),
    ({ sent }) => Effect.map(effect, (result) => ({ result, sent })),
    ({ original, prototype }) =>
      Effect.sync(() => {
        prototype.query = original
      })
  )

const withClient = <A>(url: string, use: (client: Pg.Client) => Promise<A>) =>
  Effect.promise(async () => {
    const client = new Pg.Client({ connectionString: url })
    await client.connect()
    try {
      return await use(client)
    } finally {
      await client.end()
    }
  })

// The name the explaining connection gives the statement (a constant: EXPLAIN EXECUTE names it in its text).
const explained = "ennio_test_explain"

/**
 * The plan the server runs `statement` with on a connection of ennio-db's pool: executed 6
 * times under its name, as the pool's connection would; then the generic plan if the server
 * switched to it (its plan does not depend on the values: EXECUTE is given NULLs), else the
 * custom plan for its values.
 */
const planAsSent = (url: string, statement: Sent) =>
  withClient(url, async (client) => {
    for (let i = 0; i < 6; i++) await client.query({ name: explained, text: statement.text, values: [...statement.values] })
    const counts = await client.query<{ generic: string }>(
      "SELECT generic_plans AS generic FROM pg_prepared_statements WHERE name = $1",
      [explained]
    )
    const generic = Number(counts.rows[0]?.generic ?? 0) > 0
    const rows = generic
      ? await client.query<{ "QUERY PLAN": string }>(
        `EXPLAIN EXECUTE ${explained}(${statement.values.map(() => "NULL").join(", ")})`
      )
      : await client.query<{ "QUERY PLAN": string }>(`EXPLAIN ${statement.text}`, [...statement.values])
    return { generic, plan: rows.rows.map((row) => row["QUERY PLAN"]).join("\n") }
  })

describePostgres("the PostgreSQL statement path", () => {
  // One database for the file: the page test's 20,000 events, then the writes.
  const database = Layer.unwrapScoped(Effect.map(freshPgDatabase(), (url) => Layer.merge(
    Layer.succeed(Url, url),
    Layer.provideMerge(Repos.layer, Database.layer({ url }))
  )))

  it.layer(database, { timeout: 120_000 })((it) => {
    it.effect("listBySession's pages, as sent (named statements), run through idx_events_session_timestamp", () =>
      Effect.gen(function*() {
        const url = yield* Url
        const sessions = yield* SessionsRepo
        const events = yield* EventsRepo
        // As W6: the session read holds a tenth of the events, which interleave in time.
        const sessionIds = Array.from({ length: 10 }, (_, i) => `page-s${i}`)
        for (const id of sessionIds) yield* sessions.insert({ id, projectId: "p", configHash: "h" })
        const start = Date.parse("2026-11-26T08:00:00.000Z")
        yield* events.insertMany(Array.from({ length: 20_000 }, (_, i) => ({
          eventType: "status_changed" as const,
          sessionId: sessionIds[i % 10]!,
          projectId: "p",
          message: `m${i}`,
          timestamp: DateTime.unsafeMake(start + i * 1000)
        })))
        yield* withClient(url, (client) => client.query("ANALYZE events"))
        const first = yield* events.listBySession("page-s3", { limit: 50 })
        const { sent } = yield* sentBy(Effect.zip(
          events.listBySession("page-s3", { limit: 50 }),
          events.listBySession("page-s3", { limit: 50, before: first[first.length - 1]!.id })
        ))
        const pages = sent.filter((statement) => /^\s*SELECT\b/i.test(statement.text))
        expect(pages.length).toBeGreaterThanOrEqual(2)
        for (const page of pages) {
          expect(page.name, page.text).toMatch(/^ennio_/)
          const { plan } = yield* planAsSent(url, page)
          expect(plan, page.text).toMatch(/Index Scan Backward using idx_events_session_timestamp on events/)
          expect(plan, page.text).not.toMatch(/Sort\s+\(cost/)
        }
      }))

    it.effect("insertRows writes a table's rows in one named statement (unnest for many), as the ordinary inserts would", () =>
      Effect.gen(function*() {
        const backend = yield* Backend
        const sql = yield* SqlClient.SqlClient
        const at = "2026-11-26T08:00:00.123Z"
        const session = (id: string, extra: Record<string, unknown> = {}) => ({
          id,
          project_id: "p",
          status: "working" as const,
          activity: null,
          branch: "main",
          issue_id: null,
          workspace_path: "/w",
          runtime_handle: JSON.stringify({ id: "h", runtime_name: "tmux", data: { quote: "\"{}\\", list: [1, "a,b"] } }),
          agent_info: null,
          agent_name: "a",
          pr_url: null,
          pr_number: 12,
          tmux_name: null,
          config_hash: "h",
          role: null,
          metadata: JSON.stringify({ nested: { list: [1, null, "x,y"] } }),
          created_at: at,
          last_activity_at: at,
          restored_at: null,
          archived_at: at,
          ...extra
        })
        const { sent } = yield* sentBy(Effect.gen(function*() {
          yield* backend.insertRows("sessions", [session("unnest-1"), session("unnest-2", { metadata: JSON.stringify({ k: null, s: "NULL" }), branch: "NULL" })])
          yield* backend.insertRows("projects", [{
            project_id: "unnest-p",
            name: "n, \"quoted\"",
            repo: "o/r",
            path: "/p",
            default_branch: "main",
            config_hash: "h",
            created_at: at,
            updated_at: at
          }])
          yield* backend.insertRows("session_metrics", [{
            session_id: "unnest-1",
            total_tokens_in: 9_007_199_254_740_991,
            total_tokens_out: 0,
            estimated_cost_usd: 0.1 + 0.2,
            ci_runs: 1,
            ci_failures: 0,
            review_rounds: 2,
            time_to_first_pr_secs: null,
            time_to_merge_secs: 60,
            updated_at: at
          }])
          const eventRow = (id: string, message: string, data: unknown) => ({
            id,
            event_type: "status_changed" as const,
            priority: "info" as const,
            session_id: "unnest-1",
            project_id: "p",
            timestamp: at,
            message,
            data: JSON.stringify(data)
          })
          yield* backend.insertRows("events", [eventRow("unnest-e", "a\nb\\c", { text: "é \u0001" })])
          yield* backend.insertRows("events", [
            eventRow("unnest-f", "{\"x\", NULL}\\", { q: "\"\\\"", n: null }),
            eventRow("unnest-g", "", ["NULL", 1.5, { "": "," }])
          ])
        }))
        expect(sent.map((statement) => statement.text.split("\n")[0]!.replace(/\(.*$/, "").trim())).toEqual([
          "INSERT INTO sessions",
          "INSERT INTO projects",
          "INSERT INTO session_metrics",
          "INSERT INTO events",
          "INSERT INTO events"
        ])
        // Many rows: one unnest statement; one row: a parameter a column, as a caller of `pg` writes it.
        expect(sent.map((statement) => statement.text.includes("unnest("))).toEqual([true, false, false, false, true])
        for (const statement of sent) expect(statement.name).toMatch(/^ennio_/)
        const sessions = yield* SessionsRepo
        const stored = yield* sessions.get("unnest-1")
        expect(stored.runtimeHandle).toEqual(
          Option.some({ id: "h", runtimeName: "tmux", data: { quote: "\"{}\\", list: [1, "a,b"] } })
        )
        expect(stored.metadata).toEqual({ nested: { list: [1, null, "x,y"] } })
        expect(stored.prNumber).toEqual(Option.some(12))
        expect(Option.isSome(stored.archivedAt)).toBe(true)
        // The text NULL stays a text, apart from a missing value.
        const second = yield* sessions.get("unnest-2")
        expect([second.metadata, second.branch, second.activity]).toEqual([{ k: null, s: "NULL" }, Option.some("NULL"), Option.none()])
        const [metrics] = yield* sql<Record<string, unknown>>`SELECT * FROM session_metrics WHERE session_id = 'unnest-1'`
        expect(metrics).toMatchObject({ total_tokens_in: 9_007_199_254_740_991, estimated_cost_usd: 0.1 + 0.2, time_to_merge_secs: 60 })
        const event = yield* (yield* EventsRepo).get("unnest-e")
        expect([event.message, event.data]).toEqual(["a\nb\\c", { text: "é \u0001" }])
        const [f, g] = [yield* (yield* EventsRepo).get("unnest-f"), yield* (yield* EventsRepo).get("unnest-g")]
        expect([f.message, f.data, g.message, g.data]).toEqual([
          "{\"x\", NULL}\\",
          { q: "\"\\\"", n: null },
          "",
          ["NULL", 1.5, { "": "," }]
        ])
        // One statement: a row that fails leaves none of the others.
        const failed = yield* Effect.either(backend.insertRows("projects", [
          { project_id: "unnest-q", name: "n", repo: "r", path: "/", default_branch: "main", config_hash: "h", created_at: at, updated_at: at },
          { project_id: "unnest-p", name: "n", repo: "r", path: "/", default_branch: "main", config_hash: "h", created_at: at, updated_at: at }
        ]))
        expect(failed._tag).toBe("Left")
        expect(yield* sql`SELECT 1 FROM projects WHERE project_id = 'unnest-q'`).toEqual([])
      }))

    it.effect("a lone events.insert runs on its caller's fiber; 64 concurrent ones are few statements without BEGIN or COMMIT", () =>
      Effect.gen(function*() {
        const sessions = yield* SessionsRepo
        const events = yield* EventsRepo
        yield* sessions.insert({ id: "lone", projectId: "p", configHash: "h" })
        const input = (i: number) => ({ eventType: "status_changed" as const, sessionId: "lone", projectId: "p", message: `m${i}` })
        // The statement's span is in the caller's trace, the child of its operation's: no writer fiber in between.
        const { spans, tracer } = yield* recordingTracer
        yield* events.insert(input(0)).pipe(Effect.withSpan("caller"), Effect.withTracer(tracer))
        const caller = spans.find((span) => span.name === "caller")!
        const operation = spans.find((span) => span.name === "EventsRepo.insert")!
        const statement = spans.find((span) => span.name === "sql.execute")!
        expect(statement.traceId).toBe(caller.traceId)
        expect(Option.map(statement.parent, (parent) => parent.spanId)).toEqual(Option.some(operation.spanId))
        const { result, sent } = yield* sentBy(
          Effect.forEach(Array.from({ length: 64 }, (_, i) => i + 1), (i) => events.insert(input(i)), {
            concurrency: "unbounded"
          })
        )
        expect(result).toHaveLength(64)
        expect(sent.filter((statement) => /^(BEGIN|COMMIT)/i.test(statement.text))).toEqual([])
        expect(sent.length).toBeLessThanOrEqual(8)
        expect((yield* events.listBySession("lone", { limit: 100 })).length).toBe(65)
        // A batch holding a write that cannot be made: only that caller fails, nothing of it is written.
        const mixed = yield* Effect.forEach(
          [input(100), { ...input(101), sessionId: "nobody" }, input(102)],
          (item) => Effect.either(events.insert(item)),
          { concurrency: "unbounded" }
        )
        expect(mixed.map((either) => either._tag)).toEqual(["Right", "Left", "Right"])
        expect((yield* events.listBySession("nobody", { limit: 10 }))).toEqual([])
      }))
  })
})

