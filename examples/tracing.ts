import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { BatchSpanProcessor, ConsoleSpanExporter } from "@opentelemetry/sdk-trace-base"
import * as Effect from "effect/Effect"
import { Repos, SessionsRepo } from "ennio-db"

// Any SpanExporter: OTLPTraceExporter from @opentelemetry/exporter-trace-otlp-http for a collector.
const Tracing = NodeSdk.layer(() => ({
  resource: { serviceName: "ennio" },
  spanProcessor: new BatchSpanProcessor(new ConsoleSpanExporter())
}))

const failing = Effect.flatMap(SessionsRepo, (sessions) => sessions.list({ status: "ci_failed" }))

failing.pipe(Effect.provide(Repos.layerConfig), Effect.provide(Tracing), Effect.runPromise)
