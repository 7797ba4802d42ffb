import * as Statement from "@effect/sql/Statement"
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"
import * as Spans from "../src/Spans.js"
import { recordingTracer } from "./fixtures/recordingTracer.js"

/** What a span shows an exporter, with the ids replaced by the names of the spans they point to. */
const view = (span: Tracer.Span, spans: ReadonlyArray<Tracer.Span>) => {
  const nameOf = (id: string) => spans.find((other) => other.spanId === id)?.name ?? id
  return {
    name: span.name,
    kind: span.kind,
    parent: Option.map(span.parent, (parent) => nameOf(parent.spanId)),
    sameTrace: Option.match(span.parent, { onNone: () => true, onSome: (parent) => parent.traceId === span.traceId }),
    attributes: Object.fromEntries(span.attributes),
    links: span.links.map((link) => nameOf(link.span.spanId)),
    status: span.status._tag === "Ended"
      ? { ended: true, exit: Exit.isSuccess(span.status.exit) ? "success" : "failure", timed: span.status.endTime > 0n }
      : { ended: false }
  }
}

type Maker = (body: Effect.Effect<number, string>) => Effect.Effect<number, string>

/** The same span three ways; each body adds the attribute `added` once it has run. */
const makers: Record<"withSpan" | "traced" | "leaf", Maker> = {
  withSpan: (body) =>
    Effect.withSpan(Effect.tap(body, () => Effect.annotateCurrentSpan("added", "later")), "Repo.write", {
      captureStackTrace: false,
      attributes: { "session.id": "s1" }
    }),
  traced: (body) =>
    Spans.traced("Repo.write", { "session.id": "s1" })(Effect.tap(body, () => Effect.annotateCurrentSpan("added", "later"))),
  leaf: (body) =>
    Spans.leaf("Repo.write", { "session.id": "s1" }, (annotate) =>
      Effect.tap(body, () => Effect.sync(() => annotate("added", "later"))))
}

/** Runs `wrap` around each maker's span of `body`, and returns what each recorded. */
const compare = (
  wrap: (inner: Effect.Effect<number, string>) => Effect.Effect<unknown, unknown>,
  body: Effect.Effect<number, string> = Effect.succeed(1),
  names: ReadonlyArray<keyof typeof makers> = ["withSpan", "traced", "leaf"]
) =>
  Effect.gen(function*() {
    const views = []
    for (const name of names) {
      const { spans, tracer } = yield* recordingTracer
      yield* Effect.exit(wrap(makers[name](body)).pipe(Effect.withTracer(tracer)))
      views.push(spans.map((span) => view(span, spans)))
    }
    return views
  })

describe("Spans", () => {
  it.effect("traced and leaf make the span Effect.withSpan makes: parent, attributes, annotations, links, exit", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<(inner: Effect.Effect<number, string>) => Effect.Effect<unknown, unknown>> = [
        (inner) => inner,
        (inner) => Effect.withSpan(inner, "caller"),
        (inner) => inner.pipe(Effect.annotateSpans("tenant", "t1"), Effect.withSpan("caller")),
        (inner) =>
          Effect.flatMap(Effect.makeSpan("linked"), (linked) =>
            inner.pipe(Effect.linkSpans(linked), Effect.withSpan("caller"))),
        (inner) => Effect.withTracerTiming(Effect.withSpan(inner, "caller"), false),
        (inner) => Effect.withTracerEnabled(Effect.withSpan(inner, "caller"), false),
        // Tracing off for the operation alone: what it annotates lands on the caller's span.
        (inner) => Effect.withSpan(Effect.withTracerEnabled(inner, false), "caller"),
        // A parent that does not propagate hands over to its own parent.
        (inner) =>
          inner.pipe(
            Effect.withSpan("hidden", { context: Context.make(Tracer.DisablePropagation, true) }),
            Effect.withSpan("caller")
          )
      ]
      const views = []
      for (const wrap of cases) {
        const [expected, traced, leaf] = yield* compare(wrap)
        expect(traced).toEqual(expected)
        expect(leaf).toEqual(expected)
        views.push(leaf!)
      }
      // The cases are not vacuous: spans were recorded, except with the tracer off.
      expect(views.map((spans) => spans.map((span) => span.name))).toEqual([
        ["Repo.write"],
        ["caller", "Repo.write"],
        ["caller", "Repo.write"],
        ["linked", "caller", "Repo.write"],
        ["caller", "Repo.write"],
        [],
        ["caller"],
        ["caller", "Repo.write"]
      ])
      expect(views[2]![1]!.attributes).toEqual({ tenant: "t1", "session.id": "s1", added: "later" })
      expect(views[3]![2]!.links).toEqual(["linked"])
      expect(views[4]![1]!.status).toMatchObject({ timed: false })
      expect(views[6]![0]!.attributes).toEqual({ added: "later" })
      expect(views[7]![1]!.parent).toEqual(Option.some("caller"))
      const [failedExpected, ...failed] = yield* compare((inner) => inner, Effect.fail("refused"))
      for (const actual of failed) expect(actual).toEqual(failedExpected)
      expect(failedExpected![0]!.status).toMatchObject({ ended: true, exit: "failure" })
      // Spans started inside a traced span are its children.
      const child = Effect.as(Effect.withSpan(Effect.void, "child"), 1)
      const [withChild, tracedChild] = yield* compare((inner) => Effect.withSpan(inner, "caller"), child, ["withSpan", "traced"])
      expect(tracedChild).toEqual(withChild)
      expect(tracedChild!.map((span) => [span.name, span.parent])).toEqual([
        ["caller", Option.none()],
        ["Repo.write", Option.some("caller")],
        ["child", Option.some("Repo.write")]
      ])
    }))

  it.effect("ends a span without its operation's value, and with its failure", () =>
    Effect.gen(function*() {
      for (const make of [makers.traced, makers.leaf]) {
        const { spans, tracer } = yield* recordingTracer
        const rows = Array.from({ length: 50 }, (_, i) => ({ i }))
        yield* make(Effect.as(Effect.void, rows.length)).pipe(Effect.withTracer(tracer))
        yield* Effect.exit(make(Effect.fail("refused")).pipe(Effect.withTracer(tracer)))
        const [succeeded, failed] = spans.map((span) => span.status)
        expect(succeeded).toMatchObject({ _tag: "Ended", exit: Exit.void })
        expect(failed?._tag === "Ended" && failed.exit).toEqual(Exit.fail("refused"))
      }
    }))

  it.effect("ends the span when its caller is interrupted while waiting", () =>
    Effect.gen(function*() {
      const { spans, tracer } = yield* recordingTracer
      const waiting = yield* Deferred.make<void>()
      const fiber = yield* Spans.leaf("Repo.write", {}, () =>
        Effect.zipRight(Deferred.succeed(waiting, undefined), Effect.never)).pipe(
          Effect.withTracer(tracer),
          Effect.fork
        )
      yield* Deferred.await(waiting)
      yield* Fiber.interrupt(fiber)
      expect(spans).toHaveLength(1)
      expect(spans[0]!.status._tag).toBe("Ended")
    }))

  it.effect("operation is the parent of ennio-db's spans inside it, and gives way to a span made current through the context", () =>
    Effect.gen(function*() {
      const { spans, tracer } = yield* recordingTracer
      const leaf = (name: string) => Spans.leaf(name, {}, () => Effect.void)
      yield* Spans.operation("Repo.read", { "session.id": "s1" })(
        Effect.all([
          leaf("first.statement"),
          // Effect's own span reads the context: the caller's span is its parent (see `contextual`).
          Effect.withSpan(leaf("statement.under.context"), "context.span"),
          Spans.traced("nested.traced")(leaf("statement.under.traced")),
          Spans.contextual(Effect.withSpan(Effect.void, "fallback.span")),
          leaf("last.statement")
        ])
      ).pipe(Effect.zipRight(leaf("after.operation")), Effect.withSpan("caller"), Effect.withTracer(tracer))
      const parents = Object.fromEntries(spans.map((span) => [span.name, view(span, spans).parent]))
      expect(parents).toEqual({
        "caller": Option.none(),
        "Repo.read": Option.some("caller"),
        "first.statement": Option.some("Repo.read"),
        "context.span": Option.some("caller"),
        "statement.under.context": Option.some("context.span"),
        "nested.traced": Option.some("Repo.read"),
        "statement.under.traced": Option.some("nested.traced"),
        "fallback.span": Option.some("Repo.read"),
        "last.statement": Option.some("Repo.read"),
        "after.operation": Option.some("caller")
      })
      expect(view(spans.find((span) => span.name === "Repo.read")!, spans)).toMatchObject({
        kind: "internal",
        attributes: { "session.id": "s1" },
        status: { ended: true, exit: "success" }
      })
    }))

  it.effect("operation ends its span when its caller is interrupted while waiting", () =>
    Effect.gen(function*() {
      const { spans, tracer } = yield* recordingTracer
      const waiting = yield* Deferred.make<void>()
      const fiber = yield* Spans.operation("Repo.read")(
        Effect.zipRight(Deferred.succeed(waiting, undefined), Effect.never)
      ).pipe(Effect.withTracer(tracer), Effect.fork)
      yield* Deferred.await(waiting)
      yield* Fiber.interrupt(fiber)
      expect(spans).toHaveLength(1)
      expect(spans[0]!.status._tag).toBe("Ended")
    }))

  it.effect("under Effect's own tracer, which hands its spans to no one, leaf and operation start none", () =>
    Effect.gen(function*() {
      const unseen = Effect.withFiberRuntime((fiber) => Effect.succeed(Spans.unseen(fiber)))
      const { spans, tracer } = yield* recordingTracer
      expect(yield* unseen).toBe(true)
      expect(yield* unseen.pipe(Effect.withTracer(tracer))).toBe(false)
      expect(yield* unseen.pipe(Effect.withTracerEnabled(false))).toBe(false)
      // A statement transformer is the caller's code, and is handed the statement's span.
      expect(yield* unseen.pipe(Statement.withTransformer((statement) => Effect.succeed(statement)))).toBe(false)
      // What code inside them sees as the current span: the caller's, not one of ennio-db's.
      const inside = Spans.operation("Repo.read")(Effect.all([
        Spans.contextual(Effect.map(Effect.currentSpan, (span) => span.name)),
        Spans.leaf("statement", {}, (_, current) => current(Effect.map(Effect.currentSpan, (span) => span.name)))
      ])).pipe(Effect.withSpan("caller"))
      expect(yield* inside).toEqual(["caller", "caller"])
      // The same program under a tracer that records: ennio-db's spans, current inside.
      expect(yield* inside.pipe(Effect.withTracer(tracer))).toEqual(["Repo.read", "statement"])
      expect(spans.map((span) => span.name)).toEqual(["caller", "Repo.read", "statement"])
    }))
})
