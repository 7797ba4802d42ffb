/**
 * Per-session cost and CI metrics: the `session_metrics` table.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { StatementRunner } from "../Connection/StatementRunner.js"
import { Amount, column, columnName, Count } from "../Schemas/Column.js"
import { AlreadyExists, DbError, NotFound } from "../Schemas/Errors.js"
import { ProjectId, SessionId } from "../Schemas/Ids.js"
import {
  fastMetricsDelta,
  MetricsDelta,
  metricsDeltaRow,
  MetricsInsert,
  type MetricsTotals,
  SessionMetrics,
  SessionMetricsCodec,
  sessionMetricsColumns
} from "../Schemas/SessionMetrics.js"
import * as RowCodec from "../Schemas/RowCodec.js"
import * as Spans from "../Spans.js"
import * as GroupCommit from "./GroupCommit.js"
import {
  atomically,
  childInsertFailure,
  encoder,
  isMissingParent,
  queryFailure,
  lookup,
  rowDecoder,
  validator
} from "./RepoSupport.js"

/**
 * Which sessions `totals` sums over.
 *
 * @since 0.1.0
 */
export interface MetricsTotalsFilter {
  readonly projectId?: string | undefined
}

const MetricsTotalsFilterInput = Schema.Struct({ projectId: Schema.optional(ProjectId) })

const TotalsRow = Schema.Struct({
  sessions: Count,
  tokensIn: column("tokens_in", Count),
  tokensOut: column("tokens_out", Count),
  costUsd: column("cost_usd", Amount),
  ciRuns: column("ci_runs", Count),
  ciFailures: column("ci_failures", Count),
  reviewRounds: column("review_rounds", Count)
})

type MetricsRow = typeof SessionMetrics.Encoded

// The largest count and amount every reader reads back exactly: JavaScript's safe integers
// (a PostgreSQL bigint or SQLite integer holds more) and finite doubles.
const maxCount = Number.MAX_SAFE_INTEGER
const maxAmount = Number.MAX_VALUE

const counters = [
  ["total_tokens_in", "totalTokensIn", maxCount],
  ["total_tokens_out", "totalTokensOut", maxCount],
  ["estimated_cost_usd", "estimatedCostUsd", maxAmount],
  ["ci_runs", "ciRuns", maxCount],
  ["ci_failures", "ciFailures", maxCount],
  ["review_rounds", "reviewRounds", maxCount]
] as const

/** The first counter that `addition` (added to `base`) takes past its largest value, if any. */
const outOfRange = (addition: MetricsRow, base?: SessionMetrics): string | undefined => {
  for (const [column, field, max] of counters) {
    const delta = addition[column]
    if (!(delta <= max) || (base === undefined ? 0 : base[field]) > max - delta) return column
  }
  return undefined
}

const withinRange = (value: unknown, max: number): boolean =>
  typeof value === "number" && value <= max && (max === maxAmount ? Number.isFinite(value) : Number.isSafeInteger(value))

// The sums `totals` selects, the fields of `MetricsTotals` they fill, and the largest each may take.
const sums = [
  ["tokens_in", "tokensIn", maxCount],
  ["tokens_out", "tokensOut", maxCount],
  ["cost_usd", "costUsd", maxAmount],
  ["ci_runs", "ciRuns", maxCount],
  ["ci_failures", "ciFailures", maxCount],
  ["review_rounds", "reviewRounds", maxCount]
] as const

const sumOutOfRange = (column: string) =>
  new DbError({
    reason: "Constraint",
    message: `Cannot total session_metrics: ${column} passes the largest value every reader reads back exactly`
  })

// A SUM past what the database holds: SQLite's 64-bit integers, PostgreSQL's double precision.
const isOverflow = (error: SqlError): boolean => {
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined
  return cause?.code === "22003" || (typeof cause?.message === "string" && cause.message.includes("integer overflow"))
}

// Fails a group-commit batch, whose writes are then made one by one: each says which it was.
const batchOutOfRange = new DbError({
  reason: "Constraint",
  message: "A counter summed over the batch would pass its largest value"
})

/** @since 0.1.0 */
export class MetricsRepo extends Effect.Service<MetricsRepo>()("ennio-db/MetricsRepo", {
  scoped: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const { run, values } = yield* StatementRunner.current
    const columns = sql.literal(sessionMetricsColumns)
    const decode = rowDecoder(SessionMetricsCodec, "session_metrics", "session_id")
    const decodeTotals = rowDecoder(RowCodec.make(TotalsRow), "session_metrics totals", "sessions")
    const encode = encoder(SessionMetricsCodec, "session metrics")
    const validateInsert = validator(MetricsInsert, "session metrics")
    const validateSessionId = validator(SessionId, "session id", RowCodec.fastId)
    const validateDelta = validator(MetricsDelta, "metrics delta", fastMetricsDelta)
    const validateSeconds = validator(Count, "seconds")
    const validateFilter = validator(MetricsTotalsFilterInput, "metrics filter")
    const atomic = atomically(sql)
    const notFound = (sessionId: string) => new NotFound({ entity: "SessionMetrics", id: sessionId })
    // The upserts below cannot hit a duplicate key: their only expected failure is a missing session.
    const upsertFailure = (sessionId: string) => (error: SqlError): NotFound | DbError =>
      isMissingParent(error) ? new NotFound({ entity: "Session", id: sessionId }) : queryFailure(error)

    /** The row `fields` describe: counters not given are 0, times not given unset. */
    const newMetrics = (fields: typeof MetricsInsert.Type, now: DateTime.Utc) =>
      RowCodec.construct(SessionMetrics, {
        sessionId: fields.sessionId,
        totalTokensIn: fields.totalTokensIn ?? 0,
        totalTokensOut: fields.totalTokensOut ?? 0,
        estimatedCostUsd: fields.estimatedCostUsd ?? 0,
        ciRuns: fields.ciRuns ?? 0,
        ciFailures: fields.ciFailures ?? 0,
        reviewRounds: fields.reviewRounds ?? 0,
        timeToFirstPrSecs: Option.fromNullable(fields.timeToFirstPrSecs),
        timeToMergeSecs: Option.fromNullable(fields.timeToMergeSecs),
        updatedAt: now
      })

    const newRow = (fields: typeof MetricsInsert.Type): Effect.Effect<MetricsRow, DbError> =>
      Effect.flatMap(DateTime.now, (now) => encode(newMetrics(fields, now)))

    const insert = (input: MetricsInsert): Effect.Effect<SessionMetrics, AlreadyExists | NotFound | DbError> =>
      Effect.gen(function*() {
        const fields = yield* validateInsert(input)
        const metrics = newMetrics(fields, yield* DateTime.now)
        const row = yield* encode(metrics)
        yield* run(sql`INSERT INTO session_metrics ${sql.insert(row)}`).pipe(
          Effect.mapError(
            childInsertFailure("SessionMetrics", metrics.sessionId, { entity: "Session", id: metrics.sessionId })
          )
        )
        return metrics
      }).pipe(Spans.traced("MetricsRepo.insert", { "session.id": input.sessionId }))

    const byKey = lookup({
      validate: validateSessionId,
      select: (id) => values(sql`SELECT ${columns} FROM session_metrics WHERE session_id = ${id}`),
      decode: decode.oneValues,
      notFound
    })

    const find = (sessionId: string): Effect.Effect<Option.Option<SessionMetrics>, DbError> =>
      byKey.find(sessionId).pipe(Spans.traced("MetricsRepo.find", { "session.id": sessionId }))

    const get = (sessionId: string): Effect.Effect<SessionMetrics, NotFound | DbError> =>
      byKey.get(sessionId).pipe(Spans.traced("MetricsRepo.get", { "session.id": sessionId }))

    /**
     * Writes every counter and both times of `metrics`, stamping updatedAt. Every column but the
     * key is written, so the row after the update is `metrics` as stamped: nothing to read back.
     */
    const update = (metrics: SessionMetrics): Effect.Effect<SessionMetrics, NotFound | DbError> =>
      Effect.gen(function*() {
        const now = yield* DateTime.now
        const stamped = RowCodec.construct(SessionMetrics, { ...metrics, updatedAt: now })
        const { session_id, ...columns } = yield* encode(stamped)
        const rows = yield* Effect.mapError(
          run(sql`UPDATE session_metrics SET ${sql.update(columns)} WHERE session_id = ${session_id} RETURNING session_id`),
          queryFailure
        )
        if (rows.length === 0) return yield* notFound(metrics.sessionId)
        return stamped
      }).pipe(Spans.traced("MetricsRepo.update", { "session.id": metrics.sessionId }))

    /** Inserts the row, or overwrites only the fields given (COALESCE keeps the stored value of the others). */
    const upsert = (input: MetricsInsert): Effect.Effect<SessionMetrics, NotFound | DbError> =>
      Effect.gen(function*() {
        const fields = yield* validateInsert(input)
        const row = yield* newRow(fields)
        return yield* atomic(Effect.flatMap(
          run(sql`INSERT INTO session_metrics ${sql.insert(row)}
ON CONFLICT(session_id) DO UPDATE SET
  total_tokens_in = COALESCE(${fields.totalTokensIn ?? null}, session_metrics.total_tokens_in),
  total_tokens_out = COALESCE(${fields.totalTokensOut ?? null}, session_metrics.total_tokens_out),
  estimated_cost_usd = COALESCE(${fields.estimatedCostUsd ?? null}, session_metrics.estimated_cost_usd),
  ci_runs = COALESCE(${fields.ciRuns ?? null}, session_metrics.ci_runs),
  ci_failures = COALESCE(${fields.ciFailures ?? null}, session_metrics.ci_failures),
  review_rounds = COALESCE(${fields.reviewRounds ?? null}, session_metrics.review_rounds),
  time_to_first_pr_secs = COALESCE(${fields.timeToFirstPrSecs ?? null}, session_metrics.time_to_first_pr_secs),
  time_to_merge_secs = COALESCE(${fields.timeToMergeSecs ?? null}, session_metrics.time_to_merge_secs),
  updated_at = excluded.updated_at
RETURNING *`).pipe(Effect.mapError(upsertFailure(fields.sessionId))),
          (rows) => decode.one(rows[0])
        ))
      }).pipe(Spans.traced("MetricsRepo.upsert", { "session.id": input.sessionId }))

    // Adds in the database, not in memory: concurrent writers, in this process or another, lose nothing.
    // A sum that would leave the range readers read back (see `outOfRange`) updates nothing and
    // returns no row; written as `total <= max - delta`, which cannot overflow on either backend.
    // The rows come back as values in the order of `sessionMetricsColumns`.
    const addToCounters = (rows: ReadonlyArray<MetricsRow>) =>
      values(sql`INSERT INTO session_metrics ${sql.insert(rows)}
ON CONFLICT(session_id) DO UPDATE SET
  total_tokens_in = session_metrics.total_tokens_in + excluded.total_tokens_in,
  total_tokens_out = session_metrics.total_tokens_out + excluded.total_tokens_out,
  estimated_cost_usd = session_metrics.estimated_cost_usd + excluded.estimated_cost_usd,
  ci_runs = session_metrics.ci_runs + excluded.ci_runs,
  ci_failures = session_metrics.ci_failures + excluded.ci_failures,
  review_rounds = session_metrics.review_rounds + excluded.review_rounds,
  updated_at = excluded.updated_at
WHERE session_metrics.total_tokens_in <= ${maxCount} - excluded.total_tokens_in
  AND session_metrics.total_tokens_out <= ${maxCount} - excluded.total_tokens_out
  AND session_metrics.estimated_cost_usd <= ${maxAmount} - excluded.estimated_cost_usd
  AND session_metrics.ci_runs <= ${maxCount} - excluded.ci_runs
  AND session_metrics.ci_failures <= ${maxCount} - excluded.ci_failures
  AND session_metrics.review_rounds <= ${maxCount} - excluded.review_rounds
RETURNING ${columns}`)

    /**
     * Why a delta to one session updated nothing: the stored row does not decode (`Decode`), or
     * a counter would leave the range (`Constraint`, naming it). Read on the failure path only.
     */
    const refusedAddition = (row: MetricsRow): Effect.Effect<never, DbError> =>
      values(sql`SELECT ${columns} FROM session_metrics WHERE session_id = ${row.session_id}`).pipe(
        Effect.mapError(queryFailure),
        Effect.flatMap((rows) =>
          rows.length === 0
            ? Either.right(undefined)
            : Either.map(decode.oneValues(rows[0]!), (stored) => outOfRange(row, stored))
        ),
        Effect.flatMap((column) =>
          Effect.fail(
            new DbError({
              reason: "Constraint",
              message: `Cannot add to the metrics of session ${JSON.stringify(row.session_id)}: ${
                column ?? "a counter"
              } would pass the largest value every reader reads back exactly (nothing was written)`
            })
          )
        )
      )

    const submitCounters = yield* GroupCommit.make({
      // Atomic with its decoding: a stored row that does not decode leaves the delta unwritten.
      write: (row: MetricsRow): Effect.Effect<SessionMetrics, NotFound | DbError> =>
        atomic(addToCounters([row]).pipe(
          Effect.mapError(upsertFailure(row.session_id)),
          Effect.flatMap((rows) => rows.length === 0 ? refusedAddition(row) : decode.oneValues(rows[0]!))
        )),
      // One statement for the batch: deltas to one session are summed first (an upsert may
      // not touch a row twice), and each caller gets its session's row after the batch, decoded
      // once for all its callers. A sum out of range, or a row that does not decode, fails the
      // batch, whose writes are then made one by one: only the writes that cannot be made fail.
      writeBatch: (additions: ReadonlyArray<MetricsRow>): Effect.Effect<ReadonlyArray<SessionMetrics>, DbError> => {
        const sums = new Map<string, MetricsRow>()
        for (const row of additions) {
          const sum = sums.get(row.session_id)
          sums.set(row.session_id, sum === undefined ? row : {
            ...sum,
            total_tokens_in: sum.total_tokens_in + row.total_tokens_in,
            total_tokens_out: sum.total_tokens_out + row.total_tokens_out,
            estimated_cost_usd: sum.estimated_cost_usd + row.estimated_cost_usd,
            ci_runs: sum.ci_runs + row.ci_runs,
            ci_failures: sum.ci_failures + row.ci_failures,
            review_rounds: sum.review_rounds + row.review_rounds,
            updated_at: sum.updated_at > row.updated_at ? sum.updated_at : row.updated_at
          })
        }
        const rows = Array.from(sums.values())
        if (rows.some((sum) => outOfRange(sum) !== undefined)) return Effect.fail(batchOutOfRange)
        return addToCounters(rows).pipe(
          Effect.mapError(queryFailure),
          Effect.flatMap((stored) => stored.length < rows.length ? Either.left(batchOutOfRange) : decode.allValues(stored)),
          Effect.map((decoded) => {
            const bySession = new Map(decoded.map((metrics) => [metrics.sessionId as string, metrics]))
            return additions.map((row) => bySession.get(row.session_id)!)
          })
        )
      }
    })

    /**
     * Adds `delta` to the session's counters, creating its row when absent, and returns the
     * row after the change. Concurrent calls share one transaction.
     */
    const record = (sessionId: string, delta: MetricsDelta): Effect.Effect<SessionMetrics, NotFound | DbError> =>
      Spans.leaf("MetricsRepo.record", { "session.id": sessionId }, () =>
        Effect.clockWith((clock) => {
          const valid = Either.flatMap(
            validateSessionId(sessionId),
            (id) =>
              Either.map(
                validateDelta(delta),
                (add) => metricsDeltaRow(id, add, DateTime.unsafeMake(clock.unsafeCurrentTimeMillis()))
              )
          )
          return Either.isLeft(valid) ? Either.left(valid.left) : submitCounters(valid.right)
        }))

    /** Sets a time column unless it is set already (the first value wins), creating the row when absent. */
    const setOnce = (field: "timeToFirstPrSecs" | "timeToMergeSecs", sessionId: string, seconds: number) =>
      Effect.gen(function*() {
        const id = yield* validateSessionId(sessionId)
        const row = yield* newRow({ sessionId: id, [field]: yield* validateSeconds(seconds) })
        const time = sql(columnName(field))
        return yield* atomic(Effect.flatMap(
          run(sql`INSERT INTO session_metrics ${sql.insert(row)}
ON CONFLICT(session_id) DO UPDATE SET
  ${time} = COALESCE(session_metrics.${time}, excluded.${time}),
  updated_at = CASE WHEN session_metrics.${time} IS NULL THEN excluded.updated_at ELSE session_metrics.updated_at END
RETURNING *`).pipe(Effect.mapError(upsertFailure(id))),
          (rows) => decode.one(rows[0])
        ))
      })

    const setTimeToFirstPr = (sessionId: string, seconds: number): Effect.Effect<SessionMetrics, NotFound | DbError> =>
      setOnce("timeToFirstPrSecs", sessionId, seconds).pipe(
        Spans.traced("MetricsRepo.setTimeToFirstPr", { "session.id": sessionId })
      )

    const setTimeToMerge = (sessionId: string, seconds: number): Effect.Effect<SessionMetrics, NotFound | DbError> =>
      setOnce("timeToMergeSecs", sessionId, seconds).pipe(
        Spans.traced("MetricsRepo.setTimeToMerge", { "session.id": sessionId })
      )

    /**
     * Sums the metrics of the matching sessions (all, or one project's). `sessions` counts the
     * metrics rows summed: a session that never recorded metrics adds nothing and is not counted.
     * Exact, or `Constraint` when a sum passes the largest value every reader reads back (each
     * row is within range; enough of them are not).
     */
    const totals = (filter: MetricsTotalsFilter = {}): Effect.Effect<MetricsTotals, DbError> =>
      validateFilter(filter).pipe(
        Effect.flatMap(({ projectId }) => {
          const where = projectId === undefined ? sql`` : sql`WHERE s.project_id = ${projectId}`
          return Effect.mapError(
            run(sql`SELECT
  COUNT(*) AS sessions,
  COALESCE(SUM(m.total_tokens_in), 0) AS tokens_in,
  COALESCE(SUM(m.total_tokens_out), 0) AS tokens_out,
  COALESCE(SUM(m.estimated_cost_usd), 0) AS cost_usd,
  COALESCE(SUM(m.ci_runs), 0) AS ci_runs,
  COALESCE(SUM(m.ci_failures), 0) AS ci_failures,
  COALESCE(SUM(m.review_rounds), 0) AS review_rounds
FROM session_metrics m JOIN sessions s ON s.id = m.session_id
${where}`),
            (error) => isOverflow(error) ? sumOutOfRange("a sum") : queryFailure(error)
          )
        }),
        Effect.flatMap((rows) => {
          const row = rows[0] as Record<string, unknown> | undefined
          const column = row === undefined ? undefined : sums.find(([name, , max]) => !withinRange(row[name], max))
          return column === undefined ? decodeTotals.one(row) : Either.left(sumOutOfRange(column[0]))
        }),
        Spans.traced("MetricsRepo.totals", { "project.id": filter.projectId })
      )

    /**
     * As `totals`, over the rows that can be read back: a row that cannot (another program
     * wrote it) is left out of the sums and named, by its `Decode` error, in `unreadable`.
     * Reads every matching row, for a dashboard that must show the rest when `totals` fails.
     */
    const totalsSkippingUnreadable = (
      filter: MetricsTotalsFilter = {}
    ): Effect.Effect<{ readonly totals: MetricsTotals; readonly unreadable: ReadonlyArray<DbError> }, DbError> =>
      validateFilter(filter).pipe(
        Effect.flatMap(({ projectId }) => {
          const where = projectId === undefined
            ? sql``
            : sql`WHERE session_id IN (SELECT id FROM sessions WHERE project_id = ${projectId})`
          return Effect.mapError(values(sql`SELECT ${columns} FROM session_metrics ${where}`), queryFailure)
        }),
        Effect.flatMap((rows) => {
          const unreadable: Array<DbError> = []
          const totals = { sessions: 0, tokensIn: 0, tokensOut: 0, costUsd: 0, ciRuns: 0, ciFailures: 0, reviewRounds: 0 }
          for (const row of rows) {
            const decoded = decode.oneValues(row)
            if (Either.isLeft(decoded)) {
              unreadable.push(decoded.left)
              continue
            }
            const metrics = decoded.right
            totals.sessions++
            totals.tokensIn += metrics.totalTokensIn
            totals.tokensOut += metrics.totalTokensOut
            totals.costUsd += metrics.estimatedCostUsd
            totals.ciRuns += metrics.ciRuns
            totals.ciFailures += metrics.ciFailures
            totals.reviewRounds += metrics.reviewRounds
          }
          const column = sums.find(([, field, max]) => !withinRange(totals[field], max))
          return column === undefined ? Either.right({ totals, unreadable }) : Either.left(sumOutOfRange(column[0]))
        }),
        Spans.traced("MetricsRepo.totalsSkippingUnreadable", { "project.id": filter.projectId })
      )

    return {
      insert,
      get,
      find,
      update,
      upsert,
      record,
      setTimeToFirstPr,
      setTimeToMerge,
      totals,
      totalsSkippingUnreadable
    } as const
  })
}) {}
