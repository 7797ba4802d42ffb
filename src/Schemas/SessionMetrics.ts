/**
 * A row of `session_metrics`.
 *
 * @since 0.1.0
 */
import type * as DateTime from "effect/DateTime"
import * as Schema from "effect/Schema"
import { Amount, column, Count, nullable } from "./Column.js"
import { SessionId } from "./Ids.js"
import * as RowCodec from "./RowCodec.js"
import { optionalInput } from "./Text.js"
import { Timestamp } from "./Timestamp.js"

/** @since 0.1.0 */
export class SessionMetrics extends Schema.Class<SessionMetrics>("SessionMetrics")({
  sessionId: column("session_id", SessionId),
  totalTokensIn: column("total_tokens_in", Count),
  totalTokensOut: column("total_tokens_out", Count),
  estimatedCostUsd: column("estimated_cost_usd", Amount),
  ciRuns: column("ci_runs", Count),
  ciFailures: column("ci_failures", Count),
  reviewRounds: column("review_rounds", Count),
  timeToFirstPrSecs: column("time_to_first_pr_secs", nullable(Count)),
  timeToMergeSecs: column("time_to_merge_secs", nullable(Count)),
  updatedAt: column("updated_at", Timestamp)
}) {}

/**
 * What `MetricsRepo.insert` and `upsert` take: the session id; counters default to 0.
 *
 * @since 0.1.0
 */
export const MetricsInsert = Schema.Struct({
  sessionId: SessionId,
  totalTokensIn: optionalInput(Count),
  totalTokensOut: optionalInput(Count),
  estimatedCostUsd: optionalInput(Amount),
  ciRuns: optionalInput(Count),
  ciFailures: optionalInput(Count),
  reviewRounds: optionalInput(Count),
  timeToFirstPrSecs: optionalInput(Count),
  timeToMergeSecs: optionalInput(Count)
})
/** @since 0.1.0 */
export type MetricsInsert = typeof MetricsInsert.Encoded

/**
 * What `MetricsRepo.record` adds to a session's counters.
 *
 * @since 0.1.0
 */
export const MetricsDelta = Schema.Struct({
  tokensIn: optionalInput(Count),
  tokensOut: optionalInput(Count),
  costUsd: optionalInput(Amount),
  ciRuns: optionalInput(Count),
  ciFailures: optionalInput(Count),
  reviewRounds: optionalInput(Count)
})
/** @since 0.1.0 */
export type MetricsDelta = typeof MetricsDelta.Encoded

/**
 * The fast path of `MetricsDelta` (see RowCodec): the decoded input, or `undefined` to let
 * the Schema decide. test/Schemas/FastInputs.test.ts holds it equal to the Schema.
 *
 * @since 0.1.0
 */
export const fastMetricsDelta = (input: unknown): typeof MetricsDelta.Type | undefined =>
  RowCodec.attempt(() => {
    if (!RowCodec.isObject(input)) return RowCodec.refuse()
    const output: Record<string, unknown> = {}
    RowCodec.copyOptional(input, output, "tokensIn", RowCodec.takeCount)
    RowCodec.copyOptional(input, output, "tokensOut", RowCodec.takeCount)
    RowCodec.copyOptional(input, output, "costUsd", RowCodec.takeAmount)
    RowCodec.copyOptional(input, output, "ciRuns", RowCodec.takeCount)
    RowCodec.copyOptional(input, output, "ciFailures", RowCodec.takeCount)
    RowCodec.copyOptional(input, output, "reviewRounds", RowCodec.takeCount)
    return output as typeof MetricsDelta.Type
  })

/**
 * Sums over a set of sessions' metrics.
 *
 * @since 0.1.0
 */
export interface MetricsTotals {
  readonly sessions: number
  readonly tokensIn: number
  readonly tokensOut: number
  readonly costUsd: number
  readonly ciRuns: number
  readonly ciFailures: number
  readonly reviewRounds: number
}


/**
 * The row a validated delta adds to a session's counters: what the Schema encodes for the
 * metrics holding just that delta (counters not given 0, times unset) stamped `now`, written
 * without building them (FastInputs.test.ts holds it to that).
 *
 * @since 0.1.0
 */
export const metricsDeltaRow = (
  sessionId: SessionId,
  delta: typeof MetricsDelta.Type,
  now: DateTime.Utc
): typeof SessionMetrics.Encoded => ({
  session_id: sessionId,
  total_tokens_in: delta.tokensIn ?? 0,
  total_tokens_out: delta.tokensOut ?? 0,
  estimated_cost_usd: delta.costUsd ?? 0,
  ci_runs: delta.ciRuns ?? 0,
  ci_failures: delta.ciFailures ?? 0,
  review_rounds: delta.reviewRounds ?? 0,
  time_to_first_pr_secs: null,
  time_to_merge_secs: null,
  updated_at: RowCodec.writeTimestamp(now)
})

/**
 * `SessionMetrics` ⇄ its `session_metrics` row, with fast paths for valid rows (see
 * RowCodec): one entry a column, in the order rows are read.
 *
 * @since 0.1.0
 */
export const SessionMetricsCodec = RowCodec.table(SessionMetrics, [
  { field: "sessionId", take: RowCodec.takeId, write: RowCodec.takeId },
  { field: "totalTokensIn", take: RowCodec.takeCount, write: RowCodec.takeCount },
  { field: "totalTokensOut", take: RowCodec.takeCount, write: RowCodec.takeCount },
  { field: "estimatedCostUsd", take: RowCodec.takeAmount, write: RowCodec.takeAmount },
  { field: "ciRuns", take: RowCodec.takeCount, write: RowCodec.takeCount },
  { field: "ciFailures", take: RowCodec.takeCount, write: RowCodec.takeCount },
  { field: "reviewRounds", take: RowCodec.takeCount, write: RowCodec.takeCount },
  { field: "timeToFirstPrSecs", ...RowCodec.nullableColumn(RowCodec.takeCount, RowCodec.takeCount) },
  { field: "timeToMergeSecs", ...RowCodec.nullableColumn(RowCodec.takeCount, RowCodec.takeCount) },
  { field: "updatedAt", take: RowCodec.takeTimestamp, write: RowCodec.writeTimestamp }
])

/**
 * The columns a row is read as, in the order `SessionMetricsCodec.decodeValues` reads them.
 *
 * @since 0.1.0
 */
export const sessionMetricsColumns = SessionMetricsCodec.columns.join(", ")
