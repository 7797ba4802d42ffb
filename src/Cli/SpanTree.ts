/**
 * `--trace`: a tracer that records every span a command starts (delegating to the tracer
 * in place, so nothing else changes), and the tree of those spans drawn as text.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Tracer from "effect/Tracer"
import * as Format from "./Format.js"
import type { Screen } from "./Screen.js"
import { truncate } from "./Table.js"

/**
 * Runs `effect` with every span it starts recorded, then hands the spans to `report`
 * (whether the effect succeeded or not).
 *
 * @since 0.1.0
 */
export const recordSpans = <A, E, R, R2>(
  effect: Effect.Effect<A, E, R>,
  report: (spans: ReadonlyArray<Tracer.Span>) => Effect.Effect<void, never, R2>
): Effect.Effect<A, E, R | R2> =>
  Effect.flatMap(Effect.tracer, (inPlace) => {
    const spans: Array<Tracer.Span> = []
    const recorder = Tracer.make({
      span: (name, parent, context, links, startTime, kind, options) => {
        const span = inPlace.span(name, parent, context, links, startTime, kind, options)
        spans.push(span)
        return span
      },
      context: (f, fiber) => inPlace.context(f, fiber)
    })
    return Effect.withTracer(effect, recorder).pipe(Effect.ensuring(Effect.suspend(() => report(spans))))
  })

interface Node {
  readonly span: Tracer.Span
  readonly children: Array<Node>
}

// Beyond this many children, the rest of a node's children are summed up by name.
const childrenShown = 12

const durationMs = (span: Tracer.Span): number | undefined =>
  span.status._tag === "Ended" ? Number(span.status.endTime - span.status.startTime) / 1e6 : undefined

/** The span's name and what identifies its work: the ids it touches, or an SQL statement's text. */
const label = (span: Tracer.Span): string => {
  const query = span.attributes.get("db.query.text")
  if (typeof query === "string") return `${span.name}  ${query.replace(/\s+/g, " ").trim()}`
  const ids = Array.from(span.attributes).flatMap(([key, value]) =>
    value === undefined || key.startsWith("db.") || key.startsWith("code.") ? [] : [`${key}=${String(value)}`]
  )
  return ids.length === 0 ? span.name : `${span.name}  ${ids.join(" ")}`
}

const buildForest = (spans: ReadonlyArray<Tracer.Span>): Array<Node> => {
  const nodes = new Map(spans.map((span) => [span.spanId, { span, children: [] as Array<Node> }]))
  const roots: Array<Node> = []
  for (const node of nodes.values()) {
    const parent = node.span.parent._tag === "Some" ? nodes.get(node.span.parent.value.spanId) : undefined
    if (parent === undefined) roots.push(node)
    else parent.children.push(node)
  }
  const byStart = (a: Node, b: Node) => (a.span.status.startTime < b.span.status.startTime ? -1 : 1)
  for (const node of nodes.values()) node.children.sort(byStart)
  return roots.sort(byStart)
}

const summary = (hidden: ReadonlyArray<Node>): string => {
  const byName = new Map<string, { count: number; ms: number }>()
  for (const { span } of hidden) {
    const entry = byName.get(span.name) ?? { count: 0, ms: 0 }
    byName.set(span.name, { count: entry.count + 1, ms: entry.ms + (durationMs(span) ?? 0) })
  }
  const parts = Array.from(byName, ([name, { count, ms }]) =>
    `${name} ×${Format.count(count)} (${Format.milliseconds(ms)})`
  )
  return `… ${Format.count(hidden.length)} more: ${parts.join(", ")}`
}

/**
 * Draws the spans as a tree, children under their parent in start order, each line
 * ending in its duration; a failed span is marked `✗`.
 *
 * @since 0.1.0
 */
export const render = (spans: ReadonlyArray<Tracer.Span>, screen: Screen): Array<string> => {
  const { palette, width } = screen
  const lines = [palette.bold(`Trace: ${Format.count(spans.length)} spans`)]
  const draw = (nodes: ReadonlyArray<Node>, indent: string) => {
    const shown = nodes.length > childrenShown ? nodes.slice(0, childrenShown - 1) : nodes
    shown.forEach((node, i) => {
      const last = i === shown.length - 1 && shown.length === nodes.length
      const ms = durationMs(node.span)
      const failed = node.span.status._tag === "Ended" && Exit.isFailure(node.span.status.exit)
      const duration = `${failed ? "✗ " : ""}${ms === undefined ? "running" : Format.milliseconds(ms)}`
      const prefix = `${indent}${last ? "└─ " : "├─ "}`
      const text = truncate(label(node.span), Math.max(10, width - prefix.length - duration.length - 2))
      const padding = " ".repeat(Math.max(2, width - prefix.length - text.length - duration.length))
      const styledDuration = failed ? palette.red(duration) : palette.dim(duration)
      const styledText = node.span.kind === "client" ? text : palette.bold(text)
      lines.push(`${palette.dim(prefix)}${styledText}${padding}${styledDuration}`)
      draw(node.children, `${indent}${last ? "   " : "│  "}`)
    })
    if (shown.length < nodes.length) {
      const prefix = `${indent}└─ `
      lines.push(palette.dim(prefix + truncate(summary(nodes.slice(shown.length)), width - prefix.length)))
    }
  }
  draw(buildForest(spans), "")
  return lines
}
