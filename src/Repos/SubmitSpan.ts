/**
 * The span of an operation that hands its write to group commit. Its own fiber runs no
 * statement and starts no span, so nothing needs it as the current span: it is started and
 * ended directly, as `Effect.withSpan` would (same tracer, parent, links, annotations,
 * attributes, timing and exit), without the context copy and the two finalizer regions
 * `withSpan` spends on making it current — which cost more than the hand-off itself.
 *
 * @since 0.1.0
 */
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"

/** Sets an attribute on the operation's span (nothing when tracing is off). */
export type Annotate = (key: string, value: unknown) => void

const ignore: Annotate = () => {}

// As Effect does: a parent that disables propagation hands over to its own parent.
const propagatedParent = (parent: Option.Option<Tracer.AnySpan>): Option.Option<Tracer.AnySpan> =>
  Option.isSome(parent) && Context.get(parent.value.context, Tracer.DisablePropagation)
    ? parent.value._tag === "Span" ? propagatedParent(parent.value.parent) : Option.none()
    : parent

/**
 * Runs `body` inside a span named `name`. `body` must not rely on the span being current
 * (it must start no span of its own); it may add attributes through `annotate`.
 *
 * @since 0.1.0
 */
export const traceSubmit = <A, E, R>(
  name: string,
  attributes: Record<string, unknown>,
  body: (annotate: Annotate) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime((fiber) => {
    const parent = propagatedParent(Context.getOption(fiber.getFiberRef(FiberRef.currentContext), Tracer.ParentSpan))
    if (!fiber.getFiberRef(FiberRef.currentTracerEnabled)) {
      // As `Effect.annotateCurrentSpan` inside a span that is not traced: the nearest traced span takes it.
      const nearest = Option.isSome(parent) && parent.value._tag === "Span" ? parent.value : undefined
      return body(nearest === undefined ? ignore : (key, value) => nearest.attribute(key, value))
    }
    const services = fiber.getFiberRef(DefaultServices.currentServices)
    const tracer = Context.get(services, Tracer.Tracer)
    const clock = Context.get(services, Clock.Clock)
    const timing = fiber.getFiberRef(FiberRef.currentTracerTimingEnabled)
    const links = Chunk.toReadonlyArray(fiber.getFiberRef(FiberRef.currentTracerSpanLinks))
    const span = tracer.span(
      name,
      parent,
      Context.empty(),
      links,
      timing ? clock.unsafeCurrentTimeNanos() : BigInt(0),
      "internal",
      { attributes, captureStackTrace: false }
    )
    HashMap.forEach(fiber.getFiberRef(FiberRef.currentTracerSpanAnnotations), (value, key) => span.attribute(key, value))
    for (const key in attributes) span.attribute(key, attributes[key])
    return Effect.onExit(
      body((key, value) => span.attribute(key, value)),
      (exit) => Effect.sync(() => span.end(timing ? clock.unsafeCurrentTimeNanos() : BigInt(0), exit))
    )
  })
