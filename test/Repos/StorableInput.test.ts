/**
 * Nothing is stored that does not read back as written: a lone UTF-16 surrogate in any text
 * field, and JSON nested too deep or holding what JSON cannot, are refused with `DbError`
 * `InvalidInput` naming the field, before any SQL, on both backends.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { EventsRepo } from "../../src/Repos/EventsRepo.js"
import { ProjectsRepo } from "../../src/Repos/ProjectsRepo.js"
import { SessionsRepo } from "../../src/Repos/SessionsRepo.js"
import { DbError } from "../../src/Schemas/Errors.js"
import { AgentSessionInfo, RuntimeHandle } from "../../src/Schemas/Json.js"
import { Session } from "../../src/Schemas/Session.js"
import { type Backend, describeBackends } from "../fixtures/backends.js"

const lone = "half \ud83d of an emoji"

const nested = (depth: number): unknown => {
  let value: unknown = "leaf"
  for (let i = 0; i < depth; i++) value = { deeper: value }
  return value
}

/** Values JSON cannot hold, or would read back as something else, and where each is refused. */
const unstorableJson: ReadonlyArray<readonly [string, Record<string, unknown>, string]> = [
  ["20,000 levels deep", { deep: nested(20_000) }, "deep"],
  ["a lone surrogate in a value", { list: [1, { text: lone }] }, "list.1.text"],
  ["a lone surrogate in a key", { ["k\udc00"]: 1 }, "\"k\\udc00\""],
  ["undefined", { gone: undefined }, "gone"],
  ["NaN", { ratio: Number.NaN }, "ratio"],
  ["a Date", { when: new Date(0) }, "when"],
  ["a bigint", { tokens: 10n }, "tokens"]
]

const counts = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ sessions: number; events: number; projects: number }>`SELECT
    (SELECT count(*) FROM sessions) AS sessions,
    (SELECT count(*) FROM events) AS events,
    (SELECT count(*) FROM projects) AS projects`).pipe(Effect.map((rows) => rows[0]!))

const rawSession = (id: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT * FROM sessions WHERE id = ${id}`)

/** `write` fails with InvalidInput whose message names `field` (and says what is wrong). */
const refused = <A, E>(write: Effect.Effect<A, E>, field: string, why: RegExp) =>
  Effect.gen(function*() {
    const error = yield* Effect.flip(write)
    expect(error).toBeInstanceOf(DbError)
    expect(error).toMatchObject({ reason: "InvalidInput" })
    const message = (error as DbError).message
    expect(message, message).toContain(` ${field}: `)
    expect(message, message).toMatch(why)
  })

describeBackends("input that would not read back as written", (backend: Backend) => {
  const TestLayer = () =>
    Layer.fresh(Layer.mergeAll(SessionsRepo.Default, EventsRepo.Default, ProjectsRepo.Default).pipe(
      Layer.provideMerge(backend.layer)
    ))
  const surrogate = /lone UTF-16 surrogate \(U\+D83D at index 5\)/

  it.effect("a lone surrogate in any text field of an insert is InvalidInput naming the field; nothing is stored", () =>
    Effect.gen(function*() {
      const sessions = yield* SessionsRepo
      const events = yield* EventsRepo
      const projects = yield* ProjectsRepo
      yield* sessions.insert({ id: "s1", projectId: "p1", configHash: "h" })
      const before = yield* counts
      const session = { id: "s2", projectId: "p1", configHash: "h" }
      for (const field of ["configHash", "branch", "issueId", "workspacePath", "agentName", "prUrl", "tmuxName", "role"]) {
        yield* refused(sessions.insert({ ...session, [field]: lone }), field, surrogate)
      }
      yield* refused(
        sessions.insert({ ...session, runtimeHandle: { id: lone, runtimeName: "tmux", data: {} } }),
        "runtimeHandle.id",
        surrogate
      )
      yield* refused(
        sessions.insert({ ...session, runtimeHandle: { id: "h", runtimeName: lone, data: {} } }),
        "runtimeHandle.runtimeName",
        surrogate
      )
      yield* refused(sessions.insert({ ...session, agentInfo: { summary: lone } }), "agentInfo.summary", surrogate)

      const event = { eventType: "pr_created", sessionId: "s1", projectId: "p1", message: "m" } as const
      yield* refused(events.insert({ ...event, message: lone }), "message", surrogate)
      yield* refused(events.insert({ ...event, data: lone }), "data", surrogate)
      yield* refused(events.insertMany([event, { ...event, message: lone }]), "message", /^events\[1\]: .*surrogate/)

      const project = { id: "p2", name: "n", repo: "r", path: "/p", configHash: "h" }
      for (const field of ["name", "repo", "path", "defaultBranch", "configHash"]) {
        yield* refused(projects.insert({ ...project, [field]: lone }), field, surrogate)
        yield* refused(projects.upsert({ ...project, [field]: lone }), field, surrogate)
      }
      expect(yield* counts).toEqual(before)
    }).pipe(Effect.provide(TestLayer())))

  it.effect("a lone surrogate in an update is InvalidInput naming the field; the row is unchanged", () =>
    Effect.gen(function*() {
      const sessions = yield* SessionsRepo
      const stored = yield* sessions.insert({ id: "s1", projectId: "p1", configHash: "h", metadata: { keep: 1 } })
      const before = yield* rawSession("s1")
      yield* refused(sessions.updatePr("s1", { url: lone, number: 3 }), "url", surrogate)
      yield* refused(sessions.updateMetadata("s1", { note: lone }), "metadata note", surrogate)
      const edits: ReadonlyArray<readonly [string, Partial<Session>]> = [
        ["branch", { branch: Option.some(lone) }],
        ["configHash", { configHash: lone }],
        ["metadata.note", { metadata: { note: lone } }],
        ["runtimeHandle.id", { runtimeHandle: Option.some(new RuntimeHandle({ id: lone, runtimeName: "t", data: {} })) }],
        ["runtimeHandle.data.x", {
          runtimeHandle: Option.some(new RuntimeHandle({ id: "h", runtimeName: "t", data: { x: lone } }))
        }],
        ["agentInfo.summary", {
          agentInfo: Option.some(new AgentSessionInfo({ summary: Option.some(lone), cost: Option.none() }))
        }]
      ]
      for (const [field, edit] of edits) {
        yield* refused(sessions.update(new Session({ ...stored, ...edit })), field, surrogate)
      }
      expect(yield* rawSession("s1")).toEqual(before)
    }).pipe(Effect.provide(TestLayer())))

  it.effect("JSON nested 20,000 deep or holding what JSON cannot is InvalidInput in every JSON input, not a defect", () =>
    Effect.gen(function*() {
      const sessions = yield* SessionsRepo
      const events = yield* EventsRepo
      const stored = yield* sessions.insert({ id: "s1", projectId: "p1", configHash: "h" })
      const before = yield* counts
      const rowBefore = yield* rawSession("s1")
      const event = { eventType: "pr_created", sessionId: "s1", projectId: "p1", message: "m" } as const
      for (const [what, json, path] of unstorableJson) {
        const why = new RegExp(what === "20,000 levels deep" ? "nests deeper than 100 levels" : ".")
        yield* refused(events.insert({ ...event, data: json }), `data.${path}`, why)
        yield* refused(events.insertMany([event, { ...event, data: json }]), `data.${path}`, why)
        yield* refused(sessions.insert({ id: "s2", projectId: "p1", configHash: "h", metadata: json }), `metadata.${path}`, why)
        yield* refused(
          sessions.insert({ id: "s2", projectId: "p1", configHash: "h", runtimeHandle: { id: "h", runtimeName: "t", data: json } }),
          `runtimeHandle.data.${path}`,
          why
        )
        yield* refused(sessions.updateMetadata("s1", json), `metadata ${path}`, why)
        yield* refused(sessions.update(new Session({ ...stored, metadata: json })), `metadata.${path}`, why)
      }
      // Deep data that is not an object, and a value that is not an object where one is required.
      yield* refused(events.insert({ ...event, data: [nested(200)] }), "data.0", /nests deeper/)
      yield* refused(sessions.updateMetadata("s1", new Map() as never), "metadata", /plain object/)
      // A deep value where a string or a number belongs.
      yield* refused(events.insert({ ...event, message: nested(20_000) as never }), "message", /expected a string, got an object/)
      yield* refused(
        sessions.insert({ id: "s2", projectId: "p1", configHash: "h", agentInfo: { summary: nested(20_000) as never } }),
        "agentInfo.summary",
        /expected a string, got an object/
      )
      expect(yield* counts).toEqual(before)
      expect(yield* rawSession("s1")).toEqual(rowBefore)
    }).pipe(Effect.provide(TestLayer())))

  it.effect("surrogate pairs, JSON up to 100 levels and -0 are stored and read back", () =>
    Effect.gen(function*() {
      const sessions = yield* SessionsRepo
      const events = yield* EventsRepo
      const text = "😀 \u{10FFFF} 👩‍👩‍👧‍👦"
      const metadata = { [text]: [text, { list: [1] }], deep: nested(99) }
      const session = yield* sessions.insert({ id: "s1", projectId: "p1", configHash: text, branch: text, metadata })
      expect(yield* sessions.get("s1")).toEqual(session)
      expect((yield* sessions.get("s1")).metadata).toEqual(metadata)
      const event = yield* events.insert({
        eventType: "pr_created",
        sessionId: "s1",
        projectId: "p1",
        message: text,
        data: { zero: -0, deep: nested(99) }
      })
      expect(yield* Effect.flip(events.insert({
        eventType: "pr_created",
        sessionId: "s1",
        projectId: "p1",
        message: text,
        data: { zero: -0, deep: nested(100) }
      }))).toMatchObject({ reason: "InvalidInput" })
      const read = yield* events.get(event.id)
      expect(read.message).toBe(text)
      expect(read.data).toEqual({ zero: 0, deep: nested(99) })
    }).pipe(Effect.provide(TestLayer())))
})
