import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { describe, expect, it } from "@effect/vitest"
import { SpanKind, SpanStatusCode } from "@opentelemetry/api"
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Effect from "effect/Effect"
import { Database, EventsRepo, MetricsRepo, Repos, SessionsRepo } from "../src/index.js"

/** Runs `program` on a fresh in-memory database, exporting its spans to a new in-memory exporter. */
const traced = <A, E>(program: Effect.Effect<A, E, Repos.Repositories | Database.DatabaseServices>) =>
  Effect.suspend(() => {
    const exporter = new InMemorySpanExporter()
    const otel = NodeSdk.layer(() => ({
      resource: { serviceName: "ennio-db-test" },
      spanProcessor: new SimpleSpanProcessor(exporter)
    }))
    // Read before the SDK shuts down: shutting the exporter down empties it.
    return program.pipe(
      Effect.zipRight(Effect.sync(() => [...exporter.getFinishedSpans()])),
      Effect.provide(Repos.layerMemory),
      Effect.provide(otel)
    )
  })

const named = (spans: ReadonlyArray<ReadableSpan>, name: string) => spans.filter((span) => span.name === name)

const only = (spans: ReadonlyArray<ReadableSpan>, name: string) => {
  const found = named(spans, name)
  expect(found, `one ${name} span`).toHaveLength(1)
  return found[0]!
}

const childrenOf = (spans: ReadonlyArray<ReadableSpan>, parent: ReadableSpan) =>
  spans.filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId)

const createSession = Effect.flatMap(SessionsRepo, (sessions) =>
  sessions.insert({ id: "s1", projectId: "p1", configHash: "hash" }))

describe("OpenTelemetry", () => {
  it.effect("receives a span per repository operation, named Repo.operation, with the ids as attributes", () =>
    Effect.gen(function*() {
      const spans = yield* traced(Effect.gen(function*() {
        yield* createSession
        yield* Effect.flatMap(EventsRepo, (events) => events.listBySession("s1", { limit: 5 }))
        yield* Effect.flatMap(MetricsRepo, (metrics) => metrics.totals({ projectId: "p1" }))
      }))
      expect(only(spans, "SessionsRepo.insert").attributes["session.id"]).toBe("s1")
      expect(only(spans, "EventsRepo.listBySession").attributes["session.id"]).toBe("s1")
      expect(only(spans, "MetricsRepo.totals").attributes["project.id"]).toBe("p1")
      for (const span of spans) expect(span.resource.attributes["service.name"]).toBe("ennio-db-test")
    }))

  it.effect("inside Database.transaction, a group-committed write's statement is the child of its operation's span", () =>
    Effect.gen(function*() {
      const spans = yield* traced(Effect.gen(function*() {
        yield* createSession
        yield* Database.transaction(Effect.gen(function*() {
          yield* Effect.flatMap(EventsRepo, (events) =>
            events.insert({ eventType: "pr_created", sessionId: "s1", projectId: "p1", message: "m" }))
          yield* Effect.flatMap(MetricsRepo, (metrics) => metrics.record("s1", { tokensIn: 5 }))
        }))
      }))
      // Under the operation's span (MetricsRepo.record's under its savepoint's), never beside it.
      const descendantsOf = (parent: ReadableSpan): Array<ReadableSpan> =>
        childrenOf(spans, parent).flatMap((child) => [child, ...descendantsOf(child)])
      for (const [operation, statement] of [["EventsRepo.insert", "events"], ["MetricsRepo.record", "session_metrics"]]) {
        const texts = descendantsOf(only(spans, operation)).map((span) => span.attributes["db.query.text"])
        expect(texts.filter((text) => new RegExp(`^INSERT INTO "?${statement}"? `).test(String(text)))).toHaveLength(1)
      }
    }))

  it.effect("a group-committed batch's statement is outside its callers' traces, a lone write's under its operation", () =>
    Effect.gen(function*() {
      const spans = yield* traced(Effect.gen(function*() {
        yield* createSession
        const events = yield* EventsRepo
        const insert = (message: string) => events.insert({ eventType: "pr_created", sessionId: "s1", projectId: "p1", message })
        yield* insert("alone").pipe(Effect.withSpan("caller.alone"))
        yield* Effect.all([insert("a"), insert("b"), insert("c")], { concurrency: 3 }).pipe(Effect.withSpan("caller.batch"))
      }))
      const inserts = spans.filter((span) => String(span.attributes["db.query.text"]).startsWith("INSERT INTO events"))
      const [lone, batch] = inserts
      expect(inserts).toHaveLength(2)
      // The lone write's statement is its operation's child, in the caller's trace.
      const loneParent = spans.find((span) => span.spanContext().spanId === lone!.parentSpanContext?.spanId)
      expect(loneParent?.name).toBe("EventsRepo.insert")
      expect(lone!.spanContext().traceId).toBe(only(spans, "caller.alone").spanContext().traceId)
      // The batch's statement, one for three writes, belongs to none of its callers' traces.
      expect(batch!.attributes["db.operation.batch.size"]).toBe(3)
      expect(batch!.spanContext().traceId).not.toBe(only(spans, "caller.batch").spanContext().traceId)
    }))

  it.effect("leaves an absent id out of the span instead of recording the text \"undefined\"", () =>
    Effect.gen(function*() {
      const spans = yield* traced(Effect.flatMap(SessionsRepo, (sessions) => sessions.list({ status: "working" })))
      const list = only(spans, "SessionsRepo.list")
      expect(list.attributes).not.toHaveProperty("project.id")
      expect(list.attributes["session.status"]).toBe("working")
    }))

  it.effect("puts each SQL statement in a client span under the operation that ran it", () =>
    Effect.gen(function*() {
      const spans = yield* traced(Effect.gen(function*() {
        yield* createSession
        yield* Effect.flatMap(EventsRepo, (events) => events.listBySession("s1"))
      }))
      for (const [operation, statement] of [
        ["SessionsRepo.insert", "INSERT INTO sessions"],
        ["EventsRepo.listBySession", "FROM events"]
      ] as const) {
        const parent = only(spans, operation)
        const [sql, ...others] = childrenOf(spans, parent)
        expect(others).toHaveLength(0)
        expect(sql!.name).toBe("sql.execute")
        expect(sql!.kind).toBe(SpanKind.CLIENT)
        expect(sql!.attributes["db.system.name"]).toBe("sqlite")
        expect(String(sql!.attributes["db.query.text"])).toContain(statement)
        expect(sql!.spanContext().traceId).toBe(parent.spanContext().traceId)
      }
    }))

  it.effect("nests the spans of an operation built on another", () =>
    Effect.gen(function*() {
      const spans = yield* traced(Effect.gen(function*() {
        yield* createSession
        yield* Effect.flatMap(SessionsRepo, (sessions) => sessions.listByStatus("spawning"))
      }))
      const outer = only(spans, "SessionsRepo.listByStatus")
      expect(outer.attributes["session.status"]).toBe("spawning")
      const [inner] = childrenOf(spans, outer)
      expect(inner?.name).toBe("SessionsRepo.list")
      expect(childrenOf(spans, inner!).map((span) => span.name)).toEqual(["sql.execute"])
    }))

  it.effect("marks the span of a failed operation as an error", () =>
    Effect.gen(function*() {
      const spans = yield* traced(
        Effect.flip(Effect.flatMap(SessionsRepo, (sessions) => sessions.get("missing")))
      )
      const get = only(spans, "SessionsRepo.get")
      expect(get.status.code).toBe(SpanStatusCode.ERROR)
      expect(get.attributes["session.id"]).toBe("missing")
    }))
})
