/**
 * The spans of repository operations and SQL statements: the spans `Effect.withSpan` makes —
 * same tracer, parent, links, annotations, attributes, kind, timing and failure — with these
 * differences, each measured in the benchmark:
 *
 * - A span ends with its operation's exit without the success value (`Exit.void`). A span can
 *   outlive its operation (a tracer may keep it; V8 may allocate it among long-lived objects),
 *   and through the value it kept every row the operation read alive: on `listBySession` each
 *   young-generation collection took five times as long. Failures are kept whole.
 * - `leaf` does not make its span the current one, for operations whose own fiber starts no
 *   other span (a write handed to group commit, a statement): making it current costs more
 *   than such an operation.
 * - `operation` makes its span current for ennio-db's own spans only, through a fiber
 *   reference of this module's: changing the fiber's context, as `Effect.withSpan` does, copies
 *   and compares the whole context at the start and again at the end of the operation.
 * - Under Effect's own tracer, which hands its spans to no one, `leaf` and `operation` start
 *   none (see `unseen`).
 *
 * @since 0.1.0
 */
import * as Statement from "@effect/sql/Statement"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"

/** Sets an attribute on the operation's span. */
export type Annotate = (key: string, value: unknown) => void

const ignore: Annotate = () => {}

// As Effect does: a parent that disables propagation hands over to its own parent.
const propagatedParent = (parent: Option.Option<Tracer.AnySpan>): Option.Option<Tracer.AnySpan> =>
  Option.isSome(parent) && Context.get(parent.value.context, Tracer.DisablePropagation)
    ? parent.value._tag === "Span" ? propagatedParent(parent.value.parent) : Option.none()
    : parent

/** The attributes whose value is not `undefined`: an absent id is no attribute, not the text "undefined". */
const withoutAbsent = (attributes: Record<string, unknown>): Record<string, unknown> => {
  for (const key in attributes) {
    if (attributes[key] === undefined) {
      const present: Record<string, unknown> = {}
      for (const name in attributes) if (attributes[name] !== undefined) present[name] = attributes[name]
      return present
    }
  }
  return attributes
}

interface Started {
  readonly span: Tracer.Span
  readonly end: (exit: Exit.Exit<unknown, unknown>) => Effect.Effect<void>
}

// Effect's own tracer, in place when the application provides none: it hands its spans to no one.
const nativeTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/**
 * Whether a span `leaf` or `operation` would start in `fiber` that nothing could see: under
 * Effect's own tracer, which hands its spans to no exporter, when no code of the caller's (a
 * statement transformer) runs inside; as OpenTelemetry's API records nothing without an SDK.
 * Tracing off is handled apart; `traced` keeps its spans, a progress callback may run inside.
 *
 * @internal
 */
export const unseen = (fiber: Fiber.RuntimeFiber<unknown, unknown>): boolean =>
  fiber.getFiberRef(FiberRef.currentTracerEnabled) &&
  Context.get(fiber.getFiberRef(DefaultServices.currentServices), Tracer.Tracer) === nativeTracer &&
  fiber.getFiberRef(Statement.currentTransformer)._tag === "None"

/** Starts the span `Effect.withSpan` would start in `fiber`; `undefined` when tracing is off. */
const start = (
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  parent: Option.Option<Tracer.AnySpan>,
  name: string,
  attributes: Record<string, unknown>,
  kind: Tracer.SpanKind
): Started | undefined => {
  if (!fiber.getFiberRef(FiberRef.currentTracerEnabled)) return undefined
  const services = fiber.getFiberRef(DefaultServices.currentServices)
  const tracer = Context.get(services, Tracer.Tracer)
  const clock = Context.get(services, Clock.Clock)
  const timing = fiber.getFiberRef(FiberRef.currentTracerTimingEnabled)
  const now = () => (timing ? clock.unsafeCurrentTimeNanos() : BigInt(0))
  const links = Chunk.toReadonlyArray(fiber.getFiberRef(FiberRef.currentTracerSpanLinks))
  const present = withoutAbsent(attributes)
  const span = tracer.span(name, parent, Context.empty(), links, now(), kind, {
    attributes: present,
    kind,
    captureStackTrace: false
  })
  HashMap.forEach(fiber.getFiberRef(FiberRef.currentTracerSpanAnnotations), (value, key) => span.attribute(key, value))
  for (const key in present) span.attribute(key, present[key])
  return {
    span,
    end: (exit) => Effect.sync(() => span.end(now(), Exit.isSuccess(exit) ? Exit.void : exit))
  }
}

/** The span of an `operation`, and the context's parent span when it was made current. */
interface Current {
  readonly span: Tracer.Span
  readonly under: Option.Option<Tracer.AnySpan>
}

const currentOperation = FiberRef.unsafeMake<Current | undefined>(undefined)

const contextParent = (fiber: Fiber.RuntimeFiber<unknown, unknown>) =>
  Context.getOption(fiber.getFiberRef(FiberRef.currentContext), Tracer.ParentSpan)

// The operation's span while the context still has the parent it had when the operation
// started: a span made current through the context since (`traced`, Effect's) is the nearer.
const currentOwn = (fiber: Fiber.RuntimeFiber<unknown, unknown>, parent: Option.Option<Tracer.AnySpan>) => {
  const own = fiber.getFiberRef(currentOperation)
  return own !== undefined && Option.getOrUndefined(own.under) === Option.getOrUndefined(parent) ? own.span : undefined
}

const currentParent = (fiber: Fiber.RuntimeFiber<unknown, unknown>): Option.Option<Tracer.AnySpan> => {
  const parent = contextParent(fiber)
  const own = currentOwn(fiber, parent)
  return own !== undefined ? Option.some(own) : propagatedParent(parent)
}

/**
 * `Effect.withSpan(name, { attributes, kind })`: the span is current inside `self`.
 *
 * @since 0.1.0
 */
export const traced = (name: string, attributes: Record<string, unknown> = {}, kind: Tracer.SpanKind = "internal") =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime((fiber) => {
    const started = start(fiber, currentParent(fiber), name, attributes, kind)
    // Tracing off: Effect's own noop span, so that annotations inside land where Effect puts them.
    if (started === undefined) return Effect.withSpan(self, name, { attributes, kind, captureStackTrace: false })
    return Effect.onExit(Effect.withParentSpan(self, started.span), started.end)
  })

/**
 * As `traced`, for an operation whose spans inside are all ennio-db's own (`leaf`,
 * `statement`, `operation`, `traced`): its span is their parent, but not the parent of spans
 * started through Effect's context (@effect/sql's own statement path and transactions, code of
 * the caller's), which must go through `traced`, or `contextual` where a backend falls back
 * to @effect/sql.
 *
 * @since 0.1.0
 */
export const operation = (name: string, attributes: Record<string, unknown> = {}, kind: Tracer.SpanKind = "internal") =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime((fiber) => {
    if (unseen(fiber)) return self
    const under = contextParent(fiber)
    const own = currentOwn(fiber, under)
    const started = start(fiber, own !== undefined ? Option.some(own) : propagatedParent(under), name, attributes, kind)
    if (started === undefined) return Effect.withSpan(self, name, { attributes, kind, captureStackTrace: false })
    // Set inside, and put back with the span's end (also when interrupted before it is set):
    // `Effect.locally` adds a region of its own.
    const previous = fiber.getFiberRef(currentOperation)
    return Effect.onExit(
      Effect.zipRight(FiberRef.set(currentOperation, { span: started.span, under }), self),
      (exit) => Effect.zipRight(FiberRef.set(currentOperation, previous), started.end(exit))
    )
  })

/**
 * Runs `effect`, which may start spans through Effect's context (a backend's fallback to
 * @effect/sql), with the current `operation`'s span as their parent.
 *
 * @since 0.1.0
 */
export const contextual = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime((fiber) => {
    const own = currentOwn(fiber, contextParent(fiber))
    return own === undefined ? effect : Effect.withParentSpan(effect, own)
  })

/** Makes the span current inside an effect: its spans and statements become the span's children. */
export type MakeCurrent = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

/**
 * A `MakeCurrent` that leaves the effect as it is: where there is no span to make current.
 *
 * @since 0.1.0
 */
export const asItIs: MakeCurrent = (effect) => effect

/**
 * Runs `body` inside a span that is not made current: `body` must then start no span of its
 * own, except inside `current`, which makes the span current where that is needed (a write
 * that may run on the caller's fiber; making it current costs an update of the fiber's
 * context). `body` may add attributes through `annotate`.
 *
 * @since 0.1.0
 */
export const leaf = <A, E, R>(
  name: string,
  attributes: Record<string, unknown>,
  body: (annotate: Annotate, current: MakeCurrent) => Effect.Effect<A, E, R>,
  kind: Tracer.SpanKind = "internal"
): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime((fiber) => {
    if (unseen(fiber)) return body(ignore, asItIs)
    const parent = currentParent(fiber)
    const started = start(fiber, parent, name, attributes, kind)
    if (started === undefined) {
      // As `Effect.annotateCurrentSpan` inside a span that is not traced: the nearest traced span takes it.
      const nearest = Option.isSome(parent) && parent.value._tag === "Span" ? parent.value : undefined
      return body(nearest === undefined ? ignore : (key, value) => nearest.attribute(key, value), asItIs)
    }
    const span = started.span
    const run = body((key, value) => span.attribute(key, value), (effect) => Effect.withParentSpan(effect, span))
    return Effect.onExit(run, started.end)
  })

/**
 * The `sql.execute` client span @effect/sql emits around a statement, for the backends' own
 * statement paths: the database system, the operation and the statement's text (its values
 * are bound, never in the text). A batch of two or more rows says its size.
 *
 * @since 0.1.0
 */
export const statement = <A, E>(
  system: string,
  text: string,
  operation: string,
  batchSize: number,
  execute: Effect.Effect<A, E>
): Effect.Effect<A, E> =>
  leaf("sql.execute", {}, (annotate) => {
    annotate("db.system.name", system)
    annotate("db.operation.name", operation)
    annotate("db.query.text", text)
    if (batchSize > 1) annotate("db.operation.batch.size", batchSize)
    return execute
  }, "client")
