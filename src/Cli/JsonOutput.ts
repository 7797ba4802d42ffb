/**
 * What `--json` prints: rows in their encoded form (the snake_case columns of the
 * schema), with the JSON text columns parsed so that scripts get nested JSON rather
 * than strings holding JSON.
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { OrchestratorEvent } from "../Schemas/Event.js"
import { Project } from "../Schemas/Project.js"
import { Session } from "../Schemas/Session.js"
import { type MetricsTotals, SessionMetrics } from "../Schemas/SessionMetrics.js"

const encodeSession = Schema.encodeSync(Session)
const encodeEvent = Schema.encodeSync(OrchestratorEvent)
const encodeProject = Schema.encodeSync(Project)
const encodeMetrics = Schema.encodeSync(SessionMetrics)

const parseNullable = (text: string | null): unknown => text === null ? null : JSON.parse(text)

/**
 * A session row, `runtime_handle`, `agent_info` and `metadata` parsed.
 *
 * @since 0.1.0
 */
export const session = (value: Session) => {
  const row = encodeSession(value)
  return {
    ...row,
    runtime_handle: parseNullable(row.runtime_handle),
    agent_info: parseNullable(row.agent_info),
    metadata: JSON.parse(row.metadata) as unknown
  }
}

/**
 * An event row, `data` parsed.
 *
 * @since 0.1.0
 */
export const event = (value: OrchestratorEvent) => {
  const row = encodeEvent(value)
  return { ...row, data: JSON.parse(row.data) as unknown }
}

/** @since 0.1.0 */
export const project = (value: Project) => encodeProject(value)

/** @since 0.1.0 */
export const metrics = (value: SessionMetrics) => encodeMetrics(value)

/**
 * Metrics totals under the column names `MetricsRepo.totals` sums into.
 *
 * @since 0.1.0
 */
export const totals = (value: MetricsTotals) => ({
  sessions: value.sessions,
  tokens_in: value.tokensIn,
  tokens_out: value.tokensOut,
  cost_usd: value.costUsd,
  ci_runs: value.ciRuns,
  ci_failures: value.ciFailures,
  review_rounds: value.reviewRounds
})

/**
 * Prints a value as indented JSON on stdout.
 *
 * @since 0.1.0
 */
export const print = (value: unknown): Effect.Effect<void> => Console.log(JSON.stringify(value, null, 2))
