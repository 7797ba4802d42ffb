/**
 * Hostile and broken input: text that looks like SQL, NUL characters, emoji, right-to-left
 * text and a 1 MiB message; invalid values refused before any SQL runs; rows another
 * program wrote that cannot be decoded.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Statement from "@effect/sql/Statement"
import Sqlite from "better-sqlite3"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Tracer from "effect/Tracer"
import fc from "fast-check"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { EventsRepo } from "../../src/Repos/EventsRepo.js"
import { MetricsRepo } from "../../src/Repos/MetricsRepo.js"
import { ProjectsRepo } from "../../src/Repos/ProjectsRepo.js"
import * as Repos from "../../src/Repos/Repos.js"
import { SessionsRepo } from "../../src/Repos/SessionsRepo.js"
import { ActivityState, EventPriority, EventType, SessionStatus } from "../../src/Schemas/Enums.js"
import { DbError } from "../../src/Schemas/Errors.js"
import { Session } from "../../src/Schemas/Session.js"
import { figures, makeTempDir, removeTempDir } from "./support/harness.js"

const dirs: Array<string> = []
const tempDir = (label: string) => {
  const dir = makeTempDir(label)
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dirs) removeTempDir(dir)
})

const run = <A, E>(file: string, effect: Effect.Effect<A, E, Repos.Repositories | SqlClient.SqlClient>) =>
  Effect.runPromise(Effect.provide(effect, Repos.layerDatabase({ url: `sqlite:${file}` })))

const schemaOf = (db: Sqlite.Database) =>
  db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").all()

// ---------------------------------------------------------------------------------------

const hostileTexts: ReadonlyArray<string> = [
  "'",
  "\"",
  ";",
  "--",
  "'); DROP TABLE sessions; --",
  "\"; DROP TABLE events; --",
  "x' OR '1'='1",
  "1; DELETE FROM projects WHERE 1=1; --",
  "/* comment */ SELECT * FROM sqlite_master",
  "\0",
  "a\0b",
  "\0'); DROP TABLE sessions; --\0",
  "😀🚀👩‍👩‍👧‍👦🏳️‍🌈",
  "שלום עולם",
  "مرحبا بالعالم",
  "\u202Eevil\u202C and \u200F",
  "?",
  "?1 :name @p $p",
  "%_\\",
  "\\'",
  "NULL",
  "",
  " \n\r\t ",
  "\uFEFFbom",
  "ＳＥＬＥＣＴ",
  "e\u0301 vs é"
]

/** Exactly 1 MiB of UTF-8 made of the hostile texts. */
const oneMiB = (() => {
  const target = 1024 * 1024
  const unit = hostileTexts.join("|")
  let text = unit.repeat(Math.floor(target / Buffer.byteLength(unit)))
  text += "x".repeat(target - Buffer.byteLength(text))
  return text
})()

describe("hostile text", () => {
  it("every text field stores SQL metacharacters, NULs, emoji, RTL text and 1 MiB byte-for-byte; tables intact", async () => {
    expect(Buffer.byteLength(oneMiB)).toBe(1024 * 1024)
    const file = path.join(tempDir("hostile"), "ennio.db")
    await run(file, Effect.void)
    const raw0 = new Sqlite(file, { readonly: true })
    const schemaBefore = schemaOf(raw0)
    raw0.close()

    const texts = [...hostileTexts, oneMiB]
    let fieldsChecked = 0
    await run(file, Effect.gen(function*() {
      const sessions = yield* SessionsRepo
      const events = yield* EventsRepo
      const projects = yield* ProjectsRepo
      for (const [i, text] of texts.entries()) {
        const projectId = `p${i}`
        const sessionId = `s${i}`
        const project = yield* projects.insert({
          id: projectId,
          name: text,
          repo: text,
          path: text,
          defaultBranch: text,
          configHash: text
        })
        expect(yield* projects.get(projectId)).toEqual(project)
        expect(project.name).toBe(text)

        const session = yield* sessions.insert({
          id: sessionId,
          projectId,
          configHash: text,
          branch: text,
          issueId: text,
          workspacePath: text,
          agentName: text,
          prUrl: text,
          tmuxName: text,
          role: text,
          runtimeHandle: { id: text, runtimeName: text, data: { [text]: text, list: [text, { [text]: [text] }] } },
          agentInfo: { summary: text, cost: null },
          metadata: { [text]: text, nested: { [text]: [text, null, 1] } }
        })
        const stored = yield* sessions.get(sessionId)
        expect(stored).toEqual(session)
        for (const field of ["branch", "issueId", "workspacePath", "agentName", "prUrl", "tmuxName", "role"] as const) {
          expect(stored[field], field).toEqual(Option.some(text))
        }
        expect(stored.configHash).toBe(text)
        expect(Option.map(stored.runtimeHandle, (h) => [h.id, h.runtimeName, h.data])).toEqual(
          Option.some([text, text, { [text]: text, list: [text, { [text]: [text] }] }])
        )
        expect(Option.flatMap(stored.agentInfo, (a) => a.summary)).toEqual(Option.some(text))
        expect(stored.metadata).toEqual({ [text]: text, nested: { [text]: [text, null, 1] } })
        // Updates take the same text.
        yield* sessions.updateMetadata(sessionId, { [text]: [text] })
        yield* sessions.updatePr(sessionId, { url: text, number: i + 1 })
        const updated = yield* sessions.get(sessionId)
        expect(updated.metadata).toEqual({ [text]: [text] })
        expect(updated.prUrl).toEqual(Option.some(text))

        const event = yield* events.insert({
          id: `e${i}`,
          eventType: "status_changed",
          sessionId,
          projectId,
          message: text,
          data: { [text]: text, list: [text] }
        })
        expect(yield* events.get(`e${i}`)).toEqual(event)
        const asString = yield* events.insert({
          id: `e${i}-string`,
          eventType: "reaction_triggered",
          sessionId,
          projectId,
          message: text,
          data: text
        })
        const listed = yield* events.listBySession(sessionId)
        expect(listed.map((e) => [e.message, e.data]).sort()).toEqual(
          [[text, { [text]: text, list: [text] }], [text, asString.data]].sort()
        )
        expect(asString.data).toBe(text)
        fieldsChecked += 5 + 8 + 3 + 2 + 4
      }
      // Rows of several inserts in one statement take it too.
      yield* sessions.insert({ id: "many", projectId: "p0", configHash: "h" })
      yield* events.insertMany(texts.map((text, i) => ({
        id: `many-${i}`,
        eventType: "ci_failing" as const,
        sessionId: "many",
        projectId: "p0",
        message: text,
        data: [text]
      })))
      const many = yield* events.listBySession("many")
      expect(new Set(many.map((e) => e.message))).toEqual(new Set(texts))
      for (const e of many) expect(e.data).toEqual([e.message])
    }))

    // Byte-for-byte, read by another program: the UTF-8 of each text column is the UTF-8 of the text.
    const db = new Sqlite(file, { readonly: true })
    const bytes = (sql: string, id: string) =>
      Object.values(db.prepare(sql).raw(false).get(id) as Record<string, Buffer>)
    let byteComparisons = 0
    for (const [i, text] of texts.entries()) {
      const expected = Buffer.from(text, "utf8")
      const columns = [
        ...bytes(`SELECT CAST(name AS BLOB), CAST(repo AS BLOB), CAST(path AS BLOB), CAST(default_branch AS BLOB),
          CAST(config_hash AS BLOB) FROM projects WHERE project_id = ?`, `p${i}`),
        ...bytes(`SELECT CAST(config_hash AS BLOB), CAST(branch AS BLOB), CAST(issue_id AS BLOB),
          CAST(workspace_path AS BLOB), CAST(agent_name AS BLOB), CAST(pr_url AS BLOB), CAST(tmux_name AS BLOB),
          CAST(role AS BLOB) FROM sessions WHERE id = ?`, `s${i}`),
        ...bytes(`SELECT CAST(message AS BLOB) FROM events WHERE id = ?`, `e${i}`)
      ]
      for (const column of columns) {
        expect(Buffer.compare(column, expected), `text ${i}`).toBe(0)
        byteComparisons++
      }
      const data = db.prepare("SELECT data FROM events WHERE id = ?").pluck().get(`e${i}`) as string
      expect(JSON.parse(data)).toEqual({ [text]: text, list: [text] })
    }
    const schemaAfter = schemaOf(db)
    const counts = db.prepare(`SELECT (SELECT count(*) FROM sessions) AS sessions, (SELECT count(*) FROM events) AS events,
      (SELECT count(*) FROM projects) AS projects`).get()
    const integrity = db.pragma("integrity_check", { simple: true })
    db.close()
    expect(schemaAfter).toEqual(schemaBefore)
    expect(counts).toEqual({ sessions: texts.length + 1, events: texts.length * 3, projects: texts.length })
    expect(integrity).toBe("ok")
    figures("hostile-text", {
      texts: texts.length,
      largestBytes: Buffer.byteLength(oneMiB),
      fieldsChecked,
      byteComparisons,
      schemaChanged: false,
      rowsLost: 0
    })
  }, 60_000)
})

// ---------------------------------------------------------------------------------------

const idPattern = /^[A-Za-z0-9_-]+$/
const nonStrings = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.bigInt(),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.object({ maxDepth: 1 })
)
const badId: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }).filter((s) => !idPattern.test(s)),
  fc.string({ maxLength: 12 }).filter((s) => !idPattern.test(s)),
  fc.constantFrom("", " ", "a b", "a.b", "a/b", "../etc", "'", "'); DROP TABLE sessions; --", "é", "a\0", "😀", "\u202Eab"),
  nonStrings
)
const badEnum = (valid: ReadonlyArray<string>): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.string({ maxLength: 16 }).filter((s) => !valid.includes(s)),
    fc.constantFrom(...valid).map((v) => v.toUpperCase()),
    fc.constantFrom(...valid).map((v) => ` ${v}`),
    fc.constantFrom(...valid).map((v) => v.replace(/_/g, "-") + "!"),
    nonStrings.filter((v) => typeof v !== "string")
  )
/** Not a non-negative safe integer (-0 is zero, and fine). */
const badCount: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ max: -1 }),
  fc.double().filter((x) => !Number.isInteger(x)),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, 0.5, -1, 2 ** 53, Number.MAX_VALUE, -Number.MIN_VALUE),
  fc.string({ maxLength: 4 }),
  fc.bigInt(),
  fc.constant(null)
)
const badPositive: fc.Arbitrary<unknown> = fc.oneof(badCount, fc.constant(0))
/** Not a finite, non-negative amount. */
const badCost: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(Number.NaN, Infinity, -Infinity),
  fc.double({ max: -Number.MIN_VALUE, noNaN: true }),
  fc.string({ maxLength: 4 }),
  fc.constant(null)
)
const badFinite: fc.Arbitrary<unknown> = fc.oneof(fc.constantFrom(Number.NaN, Infinity, -Infinity), fc.string())
const badTimestamp: fc.Arbitrary<unknown> = fc.oneof(
  fc.date(),
  fc.string({ maxLength: 24 }),
  fc.integer(),
  fc.constant("2026-11-26T08:06:52Z")
)
const cyclic = () => {
  const value: Record<string, unknown> = { a: 1 }
  value.self = value
  return value
}
/** Text with a lone UTF-16 surrogate somewhere: UTF-8 cannot hold it, the driver would store U+FFFD. */
const loneSurrogate: fc.Arbitrary<string> = fc.tuple(
  fc.string({ maxLength: 6 }),
  fc.integer({ min: 0xd800, max: 0xdfff }),
  fc.string({ maxLength: 6 })
).map(([before, code, after]) => `${before}${String.fromCharCode(code)}${after}`)
/** Not a string, or a string that would not read back as written. */
const badText: fc.Arbitrary<unknown> = fc.oneof(loneSurrogate, nonStrings)
const nestedDeep = (depth: number): unknown => {
  let value: unknown = 0
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { deeper: value }
  return value
}
const badJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.bigInt().map((n) => ({ tokens: n })),
  fc.bigInt().map((n) => [1, [n]]),
  fc.constant(null).map(cyclic),
  loneSurrogate.map((text) => ({ note: [text] })),
  loneSurrogate.map((text) => ({ [text]: 1 })),
  fc.integer({ min: 101, max: 20_000 }).map((depth) => ({ deep: nestedDeep(depth) })),
  fc.constantFrom<unknown>(
    { gone: undefined },
    { ratio: Number.NaN },
    { ratio: -Infinity },
    { when: new Date(0) },
    { map: new Map([["a", 1]]) },
    { run: () => 1 },
    { hole: [1, , 3] }
  )
)
const badMetadata: fc.Arbitrary<unknown> = fc.oneof(
  badJson,
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.string({ maxLength: 5 }),
  fc.integer(),
  fc.constant(null)
)

describe("invalid input", () => {
  it("is refused with InvalidInput before any SQL runs (fast-check, every operation)", async () => {
    const statements: Array<string> = []
    const spans: Array<string> = []
    let watching = false
    let tried = 0
    const perOperation = new Map<string, number>()

    const program = Effect.gen(function*() {
      const sessions = yield* SessionsRepo
      const events = yield* EventsRepo
      const projects = yield* ProjectsRepo
      const metrics = yield* MetricsRepo
      const sql = yield* SqlClient.SqlClient
      // Valid rows, so that an operation that ran its SQL would have something to change.
      yield* projects.insert({ id: "p1", name: "n", repo: "r", path: "/p", configHash: "h" })
      const s1 = yield* sessions.insert({ id: "s1", projectId: "p1", configHash: "h" })
      yield* events.insert({ id: "e1", eventType: "session_spawned", sessionId: "s1", projectId: "p1", message: "m" })
      yield* metrics.record("s1", { tokensIn: 1 })
      const state = sql<{ changes: number; rows: string }>`SELECT total_changes() AS changes,
        (SELECT count(*) FROM sessions) || '/' || (SELECT count(*) FROM events) || '/' ||
        (SELECT count(*) FROM projects) || '/' || (SELECT count(*) FROM session_metrics) || '/' ||
        (SELECT total_tokens_in FROM session_metrics WHERE session_id = 's1') AS rows`
      const runtime = yield* Effect.runtime<never>()
      const runOne = Runtime.runPromiseExit(runtime)
      // The watch sees SQL when SQL runs, on the caller's fiber and on the group-commit writer's.
      const probes: ReadonlyArray<Effect.Effect<unknown, unknown>> = [
        sessions.get("s1"),
        metrics.record("s1", { tokensIn: 0 }),
        events.listRecent(1)
      ]
      for (const probe of probes) {
        statements.length = 0
        spans.length = 0
        watching = true
        const exit = yield* Effect.promise(() => runOne(probe))
        watching = false
        expect(Exit.isSuccess(exit)).toBe(true)
        expect(statements.length).toBeGreaterThan(0)
        expect(spans).toContain("sql.execute")
      }
      const before = (yield* state)[0]!

      const valid = {
        session: { id: "s-new", projectId: "p1", configHash: "h" },
        event: { eventType: "status_changed", sessionId: "s1", projectId: "p1", message: "m" },
        project: { id: "p-new", name: "n", repo: "r", path: "/p", configHash: "h" }
      } as const
      const B = (value: unknown) => value as never
      const operations: ReadonlyArray<readonly [string, fc.Arbitrary<unknown>, (bad: unknown) => Effect.Effect<unknown, unknown>]> = [
        ["sessions.insert id", badId, (v) => sessions.insert({ ...valid.session, id: B(v) })],
        ["sessions.insert projectId", badId, (v) => sessions.insert({ ...valid.session, projectId: B(v) })],
        ["sessions.insert status", badEnum(SessionStatus.literals), (v) => sessions.insert({ ...valid.session, status: B(v) })],
        ["sessions.insert activity", badEnum(ActivityState.literals), (v) => sessions.insert({ ...valid.session, activity: B(v) })],
        ["sessions.insert prNumber", badPositive, (v) => sessions.insert({ ...valid.session, prNumber: B(v) })],
        ["sessions.insert configHash", badText, (v) => sessions.insert({ ...valid.session, configHash: B(v) })],
        ...(["branch", "issueId", "workspacePath", "agentName", "prUrl", "tmuxName", "role"] as const).map((field) =>
          [`sessions.insert ${field}`, badText, (v: unknown) => sessions.insert({ ...valid.session, [field]: B(v) })] as const
        ),
        ["sessions.insert runtimeHandle id", badText, (v) =>
          sessions.insert({ ...valid.session, runtimeHandle: { id: B(v), runtimeName: "tmux", data: {} } })],
        ["sessions.insert agentInfo summary", badText.filter((v) => v !== null), (v) =>
          sessions.insert({ ...valid.session, agentInfo: { summary: B(v) } })],
        ["sessions.insert metadata", badMetadata, (v) => sessions.insert({ ...valid.session, metadata: B(v) })],
        ["sessions.insert createdAt", badTimestamp, (v) => sessions.insert({ ...valid.session, createdAt: B(v) })],
        ["sessions.insert agentInfo tokens", badCount, (v) =>
          sessions.insert({
            ...valid.session,
            agentInfo: { summary: null, cost: { inputTokens: B(v), outputTokens: 1, estimatedCostUsd: 1 } }
          })],
        ["sessions.insert agentInfo cost", badFinite, (v) =>
          sessions.insert({
            ...valid.session,
            agentInfo: { summary: null, cost: { inputTokens: 1, outputTokens: 1, estimatedCostUsd: B(v) } }
          })],
        ["sessions.insert runtimeHandle data", badMetadata, (v) =>
          sessions.insert({ ...valid.session, runtimeHandle: { id: "h", runtimeName: "tmux", data: B(v) } })],
        ["sessions.get", badId, (v) => sessions.get(B(v))],
        ["sessions.list projectId", badId, (v) => sessions.list({ projectId: B(v) })],
        ["sessions.list status", badEnum(SessionStatus.literals), (v) => sessions.list({ status: B(v) })],
        ["sessions.updateStatus", badEnum(SessionStatus.literals), (v) => sessions.updateStatus("s1", B(v))],
        ["sessions.updateStatus id", badId, (v) => sessions.updateStatus(B(v), "working")],
        ["sessions.updateActivity", badEnum(ActivityState.literals), (v) => sessions.updateActivity("s1", B(v))],
        ["sessions.updatePr", badPositive, (v) => sessions.updatePr("s1", { url: "u", number: B(v) })],
        ["sessions.updatePr url", badText, (v) => sessions.updatePr("s1", { url: B(v), number: 1 })],
        ["sessions.update branch", loneSurrogate, (v) =>
          sessions.update(new Session({ ...s1, branch: Option.some(B(v)) }, true))],
        ["sessions.updateMetadata", badMetadata, (v) => sessions.updateMetadata("s1", B(v))],
        ["sessions.update prNumber", badPositive, (v) =>
          sessions.update(new Session({ ...s1, prNumber: Option.some(B(v)) }, true))],
        ["sessions.update status", badEnum(SessionStatus.literals), (v) =>
          sessions.update(new Session({ ...s1, status: B(v) }, true))],
        ["sessions.update metadata", badJson, (v) => sessions.update(new Session({ ...s1, metadata: B(v) }, true))],
        ["sessions.archive", badId, (v) => sessions.archive(B(v))],
        ["sessions.delete", badId, (v) => sessions.delete(B(v))],
        ["events.insert id", badId, (v) => events.insert({ ...valid.event, id: B(v) })],
        ["events.insert eventType", badEnum(EventType.literals), (v) => events.insert({ ...valid.event, eventType: B(v) })],
        ["events.insert priority", badEnum(EventPriority.literals), (v) => events.insert({ ...valid.event, priority: B(v) })],
        ["events.insert sessionId", badId, (v) => events.insert({ ...valid.event, sessionId: B(v) })],
        ["events.insert projectId", badId, (v) => events.insert({ ...valid.event, projectId: B(v) })],
        ["events.insert message", badText, (v) => events.insert({ ...valid.event, message: B(v) })],
        ["events.insert data", badJson, (v) => events.insert({ ...valid.event, data: v })],
        ["events.insert timestamp", badTimestamp, (v) => events.insert({ ...valid.event, timestamp: B(v) })],
        ["events.insertMany one bad", fc.tuple(badEnum(EventType.literals), fc.nat({ max: 30 })), (v) => {
          const [bad, at] = v as [unknown, number]
          return events.insertMany(Array.from({ length: 31 }, (_, i) => i === at ? { ...valid.event, eventType: B(bad) } : valid.event))
        }],
        ["events.get", badId, (v) => events.get(B(v))],
        ["events.listBySession limit", badPositive, (v) => events.listBySession("s1", { limit: B(v) })],
        ["events.listBySession before", badId, (v) => events.listBySession("s1", { before: B(v) })],
        ["events.listByProject minPriority", badEnum(EventPriority.literals), (v) =>
          events.listByProject("p1", { minPriority: B(v) })],
        ["events.listByProject since", badTimestamp, (v) => events.listByProject("p1", { since: B(v) })],
        ["events.listByType", badEnum(EventType.literals), (v) => events.listByType(B(v))],
        ["events.listRecent", badPositive, (v) => events.listRecent(B(v))],
        ["events.deleteOlderThan", badTimestamp, (v) => events.deleteOlderThan(B(v))],
        ["metrics.record tokensIn", badCount, (v) => metrics.record("s1", { tokensIn: B(v) })],
        ["metrics.record tokensOut", badCount, (v) => metrics.record("s1", { tokensOut: B(v) })],
        ["metrics.record ciRuns", badCount, (v) => metrics.record("s1", { ciRuns: B(v) })],
        ["metrics.record ciFailures", badCount, (v) => metrics.record("s1", { ciFailures: B(v) })],
        ["metrics.record reviewRounds", badCount, (v) => metrics.record("s1", { reviewRounds: B(v) })],
        ["metrics.record costUsd", badCost, (v) => metrics.record("s1", { tokensIn: 5, costUsd: B(v) })],
        ["metrics.record sessionId", badId, (v) => metrics.record(B(v), { tokensIn: 5 })],
        ["metrics.insert totalTokensIn", badCount, (v) => metrics.insert({ sessionId: "s1", totalTokensIn: B(v) })],
        ["metrics.upsert estimatedCostUsd", badCost, (v) => metrics.upsert({ sessionId: "s1", estimatedCostUsd: B(v) })],
        ["metrics.upsert ciFailures", badCount, (v) => metrics.upsert({ sessionId: "s1", ciFailures: B(v) })],
        ["metrics.setTimeToFirstPr", badCount, (v) => metrics.setTimeToFirstPr("s1", B(v))],
        ["metrics.setTimeToMerge", badCount, (v) => metrics.setTimeToMerge("s1", B(v))],
        ["metrics.get", badId, (v) => metrics.get(B(v))],
        ["metrics.totals", badId, (v) => metrics.totals({ projectId: B(v) })],
        ["projects.insert id", badId, (v) => projects.insert({ ...valid.project, id: B(v) })],
        ...(["name", "repo", "path", "defaultBranch", "configHash"] as const).flatMap((field) => [
          [`projects.insert ${field}`, badText, (v: unknown) => projects.insert({ ...valid.project, [field]: B(v) })] as const,
          [`projects.upsert ${field}`, badText, (v: unknown) => projects.upsert({ ...valid.project, [field]: B(v) })] as const
        ]),
        ["projects.get", badId, (v) => projects.get(B(v))],
        ["projects.delete", badId, (v) => projects.delete(B(v))]
      ]

      for (const [name, arbitrary, operation] of operations) {
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(arbitrary, async (bad) => {
              tried++
              perOperation.set(name, (perOperation.get(name) ?? 0) + 1)
              statements.length = 0
              spans.length = 0
              watching = true
              const exit = await runOne(operation(bad))
              watching = false
              const error = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
              if (!(Option.isSome(error) && error.value instanceof DbError && error.value.reason === "InvalidInput")) {
                throw new Error(`${name}: not refused with InvalidInput: ${Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "it succeeded"}`)
              }
              if (statements.length > 0 || spans.length > 0) {
                throw new Error(`${name}: SQL ran before the refusal: ${[...statements, ...spans].join(" | ")}`)
              }
            }),
            { numRuns: 100, seed: 20261126 + tried }
          )
        )
      }
      const after = (yield* state)[0]!
      return { before, after, operations: operations.length }
    })

    const result = await Effect.runPromise(Effect.flatMap(Effect.tracer, (base) =>
      program.pipe(
        Effect.provide(Repos.layerMemory),
        // Set around the layer's construction, so the group-commit writer fibers inherit them too.
        Statement.withTransformer((statement) =>
          Effect.sync(() => {
            if (watching) statements.push(statement.compile()[0])
            return statement
          })
        ),
        Effect.withTracer(Tracer.make({
          span: (name, ...rest) => {
            if (watching && (name === "sql.execute" || name === "sql.transaction")) spans.push(name)
            return base.span(name, ...rest)
          },
          context: base.context
        }))
      )))
    // total_changes() counts every row this connection changed: nothing did, and the rows are as they were.
    expect(result.after).toEqual(result.before)
    figures("invalid-input", {
      operations: result.operations,
      badInputsTried: tried,
      refusedInvalidInput: tried,
      statementsRun: 0,
      rowsChanged: result.after.changes - result.before.changes
    })
  }, 120_000)
})

// ---------------------------------------------------------------------------------------

describe("rows another program wrote", () => {
  it("fail to decode with DbError Decode naming table, row and column; other rows stay readable by id", async () => {
    const file = path.join(tempDir("decode"), "ennio.db")
    await run(file, Effect.gen(function*() {
      const sessions = yield* SessionsRepo
      const events = yield* EventsRepo
      const projects = yield* ProjectsRepo
      const metrics = yield* MetricsRepo
      yield* projects.insert({ id: "good-project", name: "n", repo: "r", path: "/p", configHash: "h" })
      for (const id of ["good-1", "good-2"]) yield* sessions.insert({ id, projectId: "good-project", configHash: "h" })
      yield* events.insert({ id: "good-event", eventType: "pr_created", sessionId: "good-1", projectId: "good-project", message: "m" })
      yield* metrics.record("good-1", { tokensIn: 3 })
    }))

    // Another program, with nothing but SQLite.
    const db = new Sqlite(file)
    const session = db.prepare(`INSERT INTO sessions (id, project_id, config_hash, status, activity, metadata,
      runtime_handle, agent_info, pr_number, created_at, last_activity_at)
      VALUES (@id, 'good-project', 'h', @status, @activity, @metadata, @runtime_handle, @agent_info, @pr_number,
      @created_at, @last_activity_at)`)
    const okSession = {
      status: "working",
      activity: null,
      metadata: "{}",
      runtime_handle: null,
      agent_info: null,
      pr_number: null,
      created_at: "2026-11-26 08:06:52",
      last_activity_at: "2026-11-26T08:06:52.123456789+00:00"
    }
    const badSessions: ReadonlyArray<readonly [string, string, Record<string, unknown>]> = [
      ["bad-status", "status", { status: "zombie" }],
      ["bad-activity", "activity", { activity: "sleepwalking" }],
      ["bad-metadata-json", "metadata", { metadata: "{not json" }],
      ["bad-metadata-array", "metadata", { metadata: "[1,2]" }],
      ["bad-handle", "runtime_handle", { runtime_handle: "{\"id\":1}" }],
      ["bad-agent-info", "agent_info", { agent_info: "{\"summary\":null,\"cost\":{\"input_tokens\":-5}}" }],
      ["bad-pr-number", "pr_number", { pr_number: -3 }],
      ["bad-created", "created_at", { created_at: "yesterday" }],
      ["bad-last-activity", "last_activity_at", { last_activity_at: "2026-13-45 99:00:00" }]
    ]
    for (const [id, , fields] of badSessions) session.run({ id, ...okSession, ...fields })
    const event = db.prepare(`INSERT INTO events (id, event_type, priority, session_id, project_id, timestamp, message, data)
      VALUES (@id, @event_type, @priority, 'good-2', 'good-project', @timestamp, 'm', @data)`)
    const okEvent = { event_type: "pr_created", priority: "info", timestamp: "2026-11-26T08:06:52Z", data: "null" }
    const badEvents: ReadonlyArray<readonly [string, string, Record<string, unknown>]> = [
      ["bad-type", "event_type", { event_type: "exploded" }],
      ["bad-priority", "priority", { priority: "meh" }],
      ["bad-data", "data", { data: "{oops" }],
      ["bad-timestamp", "timestamp", { timestamp: "not a time" }]
    ]
    for (const [id, , fields] of badEvents) event.run({ id, ...okEvent, ...fields })
    db.prepare(`INSERT INTO projects (project_id, name, repo, path, config_hash, updated_at)
      VALUES ('bad-project', 'n', 'r', '/p', 'h', 'soon')`).run()
    db.prepare(`INSERT INTO session_metrics (session_id, ci_runs) VALUES ('good-2', -1)`).run()
    db.close()

    const failures = await run(file, Effect.gen(function*() {
      const sessions = yield* SessionsRepo
      const events = yield* EventsRepo
      const projects = yield* ProjectsRepo
      const metrics = yield* MetricsRepo
      const cases: ReadonlyArray<readonly [string, string, string, Effect.Effect<unknown, unknown>]> = [
        ...badSessions.map(([id, column]) => ["sessions", id, column, sessions.get(id)] as const),
        ...badEvents.map(([id, column]) => ["events", id, column, events.get(id)] as const),
        ["projects", "bad-project", "updated_at", projects.get("bad-project")],
        ["session_metrics", "good-2", "ci_runs", metrics.get("good-2")]
      ]
      const failures: Array<string> = []
      for (const [table, id, column, read] of cases) {
        const error = yield* Effect.flip(read)
        expect(error, `${table} ${id}`).toBeInstanceOf(DbError)
        const dbError = error as DbError
        expect(dbError.reason, `${table} ${id}: ${dbError.message}`).toBe("Decode")
        expect(dbError.message).toContain(`${table} row`)
        expect(dbError.message).toContain(JSON.stringify(id))
        expect(dbError.message, dbError.message).toContain(`column ${column}`)
        failures.push(dbError.message)
      }
      // The good rows are still readable by id.
      expect((yield* sessions.get("good-1")).id).toBe("good-1")
      expect((yield* sessions.get("good-2")).id).toBe("good-2")
      expect((yield* events.get("good-event")).eventType).toBe("pr_created")
      expect((yield* projects.get("good-project")).name).toBe("n")
      expect((yield* metrics.get("good-1")).totalTokensIn).toBe(3)
      // A list over a bad row fails the same way (never a defect or a Query error).
      const lists: ReadonlyArray<Effect.Effect<unknown, unknown>> = [
        sessions.list(),
        events.listBySession("good-2"),
        projects.list()
      ]
      for (const list of lists) {
        const exit = yield* Effect.exit(list)
        if (Exit.isFailure(exit)) {
          const error = Cause.failureOption(exit.cause)
          expect(Option.isSome(error) && error.value instanceof DbError && error.value.reason).toBe("Decode")
        }
      }
      return failures
    }))
    figures("decode", {
      badRows: failures.length,
      tables: 4,
      decodeErrors: failures.length,
      goodRowsReadable: 5
    })
    // What a person reads.
    for (const message of failures) console.log(`RELIABILITY-EXAMPLE decode: ${message}`)
  }, 60_000)

  it("every column of every table: a stored value of the wrong kind is a Decode error naming that column", async () => {
    const file = path.join(tempDir("decode-matrix"), "ennio.db")
    const blob = Buffer.from([0x00, 0xff, 0x27, 0x3b])
    const text = [blob] // a BLOB stays a BLOB in a TEXT column; numbers would become text
    const timestamp = ["yesterday", "2026-02-31 08:00:00", "2026-11-26T08:06:52+0000", 12345, blob]
    const count = [-1, 1.5, "many", blob]
    const json = ["{not json", blob]
    const matrix: Record<string, { key: string; columns: Record<string, ReadonlyArray<unknown>> }> = {
      sessions: {
        key: "id",
        columns: {
          project_id: ["has space", "", blob],
          status: ["zombie", "WORKING", 3, blob],
          activity: ["sleepwalking", 7],
          branch: text,
          issue_id: text,
          workspace_path: text,
          runtime_handle: [...json, "{\"id\":1,\"runtime_name\":\"t\",\"data\":{}}", "[]", "\"handle\""],
          agent_info: [...json, "{\"summary\":5,\"cost\":null}",
            "{\"summary\":null,\"cost\":{\"input_tokens\":1.5,\"output_tokens\":1,\"estimated_cost_usd\":1}}"],
          agent_name: text,
          pr_url: text,
          pr_number: [-3, 0, 1.5, "abc"],
          tmux_name: text,
          config_hash: text,
          role: text,
          metadata: [...json, "[1]", "null", "\"x\""],
          created_at: timestamp,
          last_activity_at: timestamp,
          restored_at: timestamp,
          archived_at: timestamp
        }
      },
      events: {
        key: "id",
        columns: {
          event_type: ["exploded", "PR_CREATED", 1],
          priority: ["meh", "Info", 0],
          session_id: ["bad id", blob],
          project_id: ["bad/project", blob],
          timestamp,
          message: text,
          data: json
        }
      },
      projects: {
        key: "project_id",
        columns: {
          name: text,
          repo: text,
          path: text,
          default_branch: text,
          config_hash: text,
          created_at: timestamp,
          updated_at: timestamp
        }
      },
      session_metrics: {
        key: "session_id",
        columns: {
          total_tokens_in: count,
          total_tokens_out: count,
          estimated_cost_usd: [-0.5, "NaN", "cheap", blob],
          ci_runs: count,
          ci_failures: count,
          review_rounds: count,
          time_to_first_pr_secs: count,
          time_to_merge_secs: count,
          updated_at: timestamp
        }
      }
    }
    const cases: Array<{ table: string; key: string; id: string; column: string; value: unknown }> = []
    let n = 0
    for (const [table, { columns, key }] of Object.entries(matrix)) {
      for (const [column, values] of Object.entries(columns)) {
        for (const value of values) cases.push({ table, key, id: `c${n++}`, column, value })
      }
    }
    // Valid rows first, one per case, written through the module.
    await run(file, Effect.gen(function*() {
      const sessions = yield* SessionsRepo
      const events = yield* EventsRepo
      const projects = yield* ProjectsRepo
      const metrics = yield* MetricsRepo
      yield* sessions.insert({ id: "owner", projectId: "p", configHash: "h" })
      for (const { id, table } of cases) {
        if (table === "sessions") yield* sessions.insert({ id, projectId: "p", configHash: "h", prNumber: 1 })
        if (table === "events") {
          yield* events.insert({ id, eventType: "pr_created", sessionId: "owner", projectId: "p", message: "m" })
        }
        if (table === "projects") yield* projects.insert({ id, name: "n", repo: "r", path: "/p", configHash: "h" })
        if (table === "session_metrics") {
          yield* sessions.insert({ id, projectId: "p", configHash: "h" })
          yield* metrics.upsert({ sessionId: id, timeToFirstPrSecs: 1, timeToMergeSecs: 2 })
        }
      }
    }))
    // Then another program spoils one column of each.
    const db = new Sqlite(file)
    db.pragma("foreign_keys = OFF")
    const updates = {
      sessions: (column: string) => db.prepare(`UPDATE sessions SET "${column}" = ? WHERE id = ?`),
      events: (column: string) => db.prepare(`UPDATE events SET "${column}" = ? WHERE id = ?`),
      projects: (column: string) => db.prepare(`UPDATE projects SET "${column}" = ? WHERE project_id = ?`),
      session_metrics: (column: string) => db.prepare(`UPDATE session_metrics SET "${column}" = ? WHERE session_id = ?`)
    } as Record<string, (column: string) => Sqlite.Statement>
    for (const { column, id, table, value } of cases) {
      expect(updates[table]!(column).run(value, id).changes, `${table}.${column}`).toBe(1)
    }
    db.close()

    const misses = await run(file, Effect.gen(function*() {
      const sessions = yield* SessionsRepo
      const events = yield* EventsRepo
      const projects = yield* ProjectsRepo
      const metrics = yield* MetricsRepo
      const read: Record<string, (id: string) => Effect.Effect<unknown, unknown>> = {
        sessions: sessions.get,
        events: events.get,
        projects: projects.get,
        session_metrics: metrics.get
      }
      const misses: Array<string> = []
      for (const { column, id, table, value } of cases) {
        const exit = yield* Effect.exit(read[table]!(id))
        const error = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
        const shown = Buffer.isBuffer(value) ? "a BLOB" : JSON.stringify(value)
        if (Option.isNone(error) || !(error.value instanceof DbError) || error.value.reason !== "Decode") {
          misses.push(`${table}.${column} = ${shown}: ${Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "decoded"}`)
          continue
        }
        const message = error.value.message
        if (!message.includes(`${table} row ${JSON.stringify(id)}`) || !message.includes(`column ${column}`)) {
          misses.push(`${table}.${column} = ${shown}: the message does not name table, row and column: ${message}`)
        }
      }
      // Every other row of each table is still readable by id.
      expect((yield* sessions.get("owner")).id).toBe("owner")
      return misses
    }))
    expect(misses).toEqual([])
    figures("decode-matrix", {
      tables: Object.keys(matrix).length,
      columns: Object.values(matrix).reduce((k, t) => k + Object.keys(t.columns).length, 0),
      badValues: cases.length,
      decodeErrorsNamingColumn: cases.length - misses.length
    })
  }, 60_000)
})
