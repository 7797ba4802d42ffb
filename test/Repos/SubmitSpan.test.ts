import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"
import { traceSubmit } from "../../src/Repos/SubmitSpan.js"
import { recordingTracer } from "../fixtures/recordingTracer.js"

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

/** Runs `wrap` around a body once with `Effect.withSpan` and once with `traceSubmit`, and returns both views. */
const compare = <E>(
  wrap: (inner: Effect.Effect<number, string>) => Effect.Effect<unknown, E>,
  body: Effect.Effect<number, string> = Effect.succeed(1)
) =>
  Effect.gen(function*() {
    const views = []
    for (const make of ["withSpan", "traceSubmit"] as const) {
      const { spans, tracer } = yield* recordingTracer
      const inner = make === "withSpan"
        ? Effect.withSpan(
          Effect.tap(body, () => Effect.annotateCurrentSpan("added", "later")),
          "Repo.write",
          { captureStackTrace: false, attributes: { "session.id": "s1" } }
        )
        : traceSubmit("Repo.write", { "session.id": "s1" }, (annotate) =>
          Effect.tap(body, () => Effect.sync(() => annotate("added", "later"))))
      yield* Effect.exit(wrap(inner).pipe(Effect.withTracer(tracer)))
      views.push(spans.map((span) => view(span, spans)))
    }
    return views
  })

describe("traceSubmit", () => {
  it.effect("makes the span Effect.withSpan makes: parent, attributes, annotations, links, exit", () =>
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
        const [expected, actual] = yield* compare(wrap)
        expect(actual).toEqual(expected)
        views.push(actual!)
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
      const [failedExpected, failedActual] = yield* compare((inner) => inner, Effect.fail("refused"))
      expect(failedActual).toEqual(failedExpected)
      expect(failedActual![0]!.status).toMatchObject({ ended: true, exit: "failure" })
    }))

  it.effect("ends the span when its caller is interrupted while waiting", () =>
    Effect.gen(function*() {
      const { spans, tracer } = yield* recordingTracer
      const waiting = yield* Deferred.make<void>()
      const fiber = yield* traceSubmit("Repo.write", {}, () =>
        Effect.zipRight(Deferred.succeed(waiting, undefined), Effect.never)).pipe(
          Effect.withTracer(tracer),
          Effect.fork
        )
      yield* Deferred.await(waiting)
      yield* Fiber.interrupt(fiber)
      expect(spans).toHaveLength(1)
      expect(spans[0]!.status._tag).toBe("Ended")
    }))
})
