/**
 * Per-session cost and CI metrics: the `session_metrics` table.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { Backend } from "../Connection/Backend.js"
import { isNumericOverflow, queryError, transaction } from "../Connection/Failures.js"
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
import { encoder, validator } from "./Input.js"
import * as Query from "./Query.js"

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
// (the databases hold larger integers) and finite doubles.
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

// Fails a group-commit batch, whose writes are then made one by one: each says which it was.
const batchOutOfRange = new DbError({
  reason: "Constraint",
  message: "A counter summed over the batch would pass its largest value"
})

/** @since 0.1.0 */
export class MetricsRepo extends Effect.Service<MetricsRepo>()("ennio-db/MetricsRepo", {
  scoped: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const backend = yield* Backend.current
    const columns = sql.literal(sessionMetricsColumns)
    const metrics = Query.make(backend, Query.rowDecoder(SessionMetricsCodec, "session_metrics", "session_id"))
    const plain = Query.plain(backend)
    const decodeTotals = Query.rowDecoder(RowCodec.make(TotalsRow), "session_metrics totals", "sessions")
    const encode = encoder(SessionMetricsCodec, "session metrics")
    const validateInsert = validator(MetricsInsert, "session metrics")
    const validateSessionId = validator(SessionId, "session id", RowCodec.fastId)
    const validateDelta = validator(MetricsDelta, "metrics delta", fastMetricsDelta)
    const validateSeconds = validator(Count, "seconds")
    const validateFilter = validator(MetricsTotalsFilterInput, "metrics filter")
    const validateHourly = validator(Query.HourlyOptionsInput, "hourly options")
    const atomic = transaction(sql)
    const notFound = (sessionId: string) => new NotFound({ entity: "SessionMetrics", id: sessionId })
    // The upserts below cannot hit a duplicate key: their only expected failure is a missing session.
    const upsertFailure = (sessionId: string) => Query.parentFailure({ entity: "Session", id: sessionId })

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
        const created = newMetrics(fields, yield* DateTime.now)
        const row = yield* encode(created)
        yield* plain.void(
          sql`INSERT INTO session_metrics ${sql.insert(row)}`,
          Query.childInsertFailure("SessionMetrics", created.sessionId, { entity: "Session", id: created.sessionId })
        )
        return created
      }).pipe(Spans.traced("MetricsRepo.insert", { "session.id": input.sessionId }))

    const { find, get } = Query.lookup(metrics, {
      repository: "MetricsRepo",
      entity: "SessionMetrics",
      attribute: "session.id",
      validate: validateSessionId,
      select: (id) => sql`SELECT ${columns} FROM session_metrics WHERE session_id = ${id}`
    })

    /**
     * Writes every counter and both times of `metrics`, stamping updatedAt. Every column but the
     * key is written, so the row after the update is `metrics` as stamped: nothing to read back.
     */
    const update = (changed: SessionMetrics): Effect.Effect<SessionMetrics, NotFound | DbError> =>
      Effect.gen(function*() {
        const now = yield* DateTime.now
        const stamped = RowCodec.construct(SessionMetrics, { ...changed, updatedAt: now })
        const { session_id, ...assigned } = yield* encode(stamped)
        const rows = yield* plain.rows(
          sql`UPDATE session_metrics SET ${sql.update(assigned)} WHERE session_id = ${session_id} RETURNING session_id`
        )
        if (rows.length === 0) return yield* notFound(changed.sessionId)
        return stamped
      }).pipe(Spans.traced("MetricsRepo.update", { "session.id": changed.sessionId }))

    /** Inserts the row, or overwrites only the fields given (COALESCE keeps the stored value of the others). */
    const upsert = (input: MetricsInsert): Effect.Effect<SessionMetrics, NotFound | DbError> =>
      Effect.gen(function*() {
        const fields = yield* validateInsert(input)
        const row = yield* newRow(fields)
        const [stored] = yield* atomic(metrics.returning(
          sql`INSERT INTO session_metrics ${sql.insert(row)}
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
RETURNING ${columns}`,
          upsertFailure(fields.sessionId)
        ))
        return stored!
      }).pipe(Spans.traced("MetricsRepo.upsert", { "session.id": input.sessionId }))

    // Adds in the database, not in memory: concurrent writers, in this process or another, lose nothing.
    // A stored row the codec would not read back after the change updates nothing and returns no
    // row: a sum that would leave the range readers read back (see `outOfRange`), written as
    // `total <= max - delta`, which cannot overflow on either backend, or a stored value out of
    // its column's range (another program's). What the change writes itself, the codec reads.
    // The rows come back as values in the order of `sessionMetricsColumns`.
    const addition = (rows: ReadonlyArray<MetricsRow>) =>
      sql`INSERT INTO session_metrics ${sql.insert(rows)}
ON CONFLICT(session_id) DO UPDATE SET
  total_tokens_in = session_metrics.total_tokens_in + excluded.total_tokens_in,
  total_tokens_out = session_metrics.total_tokens_out + excluded.total_tokens_out,
  estimated_cost_usd = session_metrics.estimated_cost_usd + excluded.estimated_cost_usd,
  ci_runs = session_metrics.ci_runs + excluded.ci_runs,
  ci_failures = session_metrics.ci_failures + excluded.ci_failures,
  review_rounds = session_metrics.review_rounds + excluded.review_rounds,
  updated_at = excluded.updated_at
WHERE session_metrics.total_tokens_in BETWEEN 0 AND ${maxCount} - excluded.total_tokens_in
  AND session_metrics.total_tokens_out BETWEEN 0 AND ${maxCount} - excluded.total_tokens_out
  AND session_metrics.estimated_cost_usd BETWEEN 0 AND ${maxAmount} - excluded.estimated_cost_usd
  AND session_metrics.ci_runs BETWEEN 0 AND ${maxCount} - excluded.ci_runs
  AND session_metrics.ci_failures BETWEEN 0 AND ${maxCount} - excluded.ci_failures
  AND session_metrics.review_rounds BETWEEN 0 AND ${maxCount} - excluded.review_rounds
  AND (session_metrics.time_to_first_pr_secs IS NULL OR session_metrics.time_to_first_pr_secs BETWEEN 0 AND ${maxCount})
  AND (session_metrics.time_to_merge_secs IS NULL OR session_metrics.time_to_merge_secs BETWEEN 0 AND ${maxCount})
RETURNING ${columns}`

    /**
     * Why a delta to one session updated nothing: the stored row does not decode (`Decode`), or
     * a counter would leave the range (`Constraint`, naming it). Read on the failure path only.
     */
    const refusedAddition = (row: MetricsRow): Effect.Effect<never, DbError> =>
      metrics.findOne(sql`SELECT ${columns} FROM session_metrics WHERE session_id = ${row.session_id}`).pipe(
        Effect.map(Option.match({ onNone: () => undefined, onSome: (stored) => outOfRange(row, stored) })),
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

    // Atomic with its decoding: a stored row that does not decode leaves the delta unwritten.
    const addAlone = (row: MetricsRow): Effect.Effect<SessionMetrics, NotFound | DbError> =>
      atomic(metrics.returning(addition([row]), upsertFailure(row.session_id)).pipe(
        Effect.flatMap((rows) => rows.length === 0 ? refusedAddition(row) : Effect.succeed(rows[0]!))
      ))

    const submitCounters = yield* GroupCommit.make({
      write: addAlone,
      // One statement for the batch: deltas to one session are summed first (an upsert may
      // not touch a row twice), and each caller gets its session's row after the batch, decoded
      // once for all its callers. A sum out of range fails the batch before any SQL, and its
      // writes are made one by one; the callers of a session the statement refused (see
      // `addition`) write alone, after it: only the writes that cannot be made fail.
      // Up to the backend's rows a statement (PostgreSQL) the batch needs no transaction: the
      // statement is atomic, and what it returns decodes (see `addition`).
      atomicBatch: backend.rowsPerStatement,
      writeBatch: (additions: ReadonlyArray<MetricsRow>, alone: boolean) => {
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
        return metrics.returningEach(addition(rows)).pipe(
          Effect.flatMap((returned) => {
            const bySession = new Map<string, Exit.Exit<SessionMetrics, DbError>>()
            for (const [key, decoded] of returned) {
              // In a transaction, a row that does not decode rolls the batch back. Alone, the
              // statement has committed; `addition` returns no row the codec refuses.
              if (Either.isLeft(decoded) && !alone) return Effect.fail(decoded.left)
              bySession.set(String(key), Either.isRight(decoded) ? Exit.succeed(decoded.right) : Exit.fail(decoded.left))
            }
            return Effect.forEach(additions, (row) => {
              const written = bySession.get(row.session_id)
              return written !== undefined ? Effect.succeed(written) : Effect.exit(addAlone(row))
            })
          })
        )
      }
    })

    /**
     * Adds `delta` to the session's counters, creating its row when absent, and returns the
     * row after the change. Concurrent calls share one upsert (see `submitCounters`).
     */
    const record = (sessionId: string, delta: MetricsDelta): Effect.Effect<SessionMetrics, NotFound | DbError> =>
      Spans.leaf("MetricsRepo.record", { "session.id": sessionId }, (_, current) =>
        Effect.clockWith((clock) => {
          const valid = Either.flatMap(
            validateSessionId(sessionId),
            (id) =>
              Either.map(
                validateDelta(delta),
                (add) => metricsDeltaRow(id, add, DateTime.unsafeMake(clock.unsafeCurrentTimeMillis()))
              )
          )
          return Either.isLeft(valid) ? Either.left(valid.left) : submitCounters(valid.right, current)
        }))

    /** Sets a time column unless it is set already (the first value wins), creating the row when absent. */
    const setOnce = (field: "timeToFirstPrSecs" | "timeToMergeSecs", sessionId: string, seconds: number) =>
      Effect.gen(function*() {
        const id = yield* validateSessionId(sessionId)
        const row = yield* newRow({ sessionId: id, [field]: yield* validateSeconds(seconds) })
        const time = sql(columnName(field))
        const [stored] = yield* atomic(metrics.returning(
          sql`INSERT INTO session_metrics ${sql.insert(row)}
ON CONFLICT(session_id) DO UPDATE SET
  ${time} = COALESCE(session_metrics.${time}, excluded.${time}),
  updated_at = CASE WHEN session_metrics.${time} IS NULL THEN excluded.updated_at ELSE session_metrics.updated_at END
RETURNING ${columns}`,
          upsertFailure(id)
        ))
        return stored!
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
          return plain.rows(
            sql`SELECT
  COUNT(*) AS sessions,
  COALESCE(SUM(m.total_tokens_in), 0) AS tokens_in,
  COALESCE(SUM(m.total_tokens_out), 0) AS tokens_out,
  COALESCE(SUM(m.estimated_cost_usd), 0) AS cost_usd,
  COALESCE(SUM(m.ci_runs), 0) AS ci_runs,
  COALESCE(SUM(m.ci_failures), 0) AS ci_failures,
  COALESCE(SUM(m.review_rounds), 0) AS review_rounds
FROM session_metrics m JOIN sessions s ON s.id = m.session_id
${where}`,
            (error) => isNumericOverflow(error) ? sumOutOfRange("a sum") : queryError(error)
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
     * The cost of the sessions created in each of `hours` hours from `since`: what the work
     * started in an hour has spent so far (metrics hold running totals, not their history).
     */
    const costPerHour = (options: Query.HourlyOptions): Effect.Effect<ReadonlyArray<number>, DbError> =>
      validateHourly(options).pipe(
        Effect.flatMap(({ hours, since }) => {
          const sums = Query.hourlySums(sql, {
            instant: backend.time.instant("created_at"),
            at: backend.time.at,
            since,
            hours,
            value: sql.literal("m.estimated_cost_usd")
          })
          return Effect.map(
            plain.rows(
              sql<{ readonly hour: unknown; readonly total: unknown }>`SELECT ${sums.select} FROM session_metrics m JOIN sessions ON sessions.id = m.session_id WHERE ${sums.within} GROUP BY 1`
            ),
            sums.read
          )
        }),
        Spans.traced("MetricsRepo.costPerHour", { "metrics.hours": options.hours })
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
          return metrics.findEach(sql`SELECT ${columns} FROM session_metrics ${where}`)
        }),
        Effect.flatMap((rows) => {
          const unreadable: Array<DbError> = []
          const totals = { sessions: 0, tokensIn: 0, tokensOut: 0, costUsd: 0, ciRuns: 0, ciFailures: 0, reviewRounds: 0 }
          for (const decoded of rows) {
            if (Either.isLeft(decoded)) {
              unreadable.push(decoded.left)
              continue
            }
            const row = decoded.right
            totals.sessions++
            totals.tokensIn += row.totalTokensIn
            totals.tokensOut += row.totalTokensOut
            totals.costUsd += row.estimatedCostUsd
            totals.ciRuns += row.ciRuns
            totals.ciFailures += row.ciFailures
            totals.reviewRounds += row.reviewRounds
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
      totalsSkippingUnreadable,
      costPerHour
    } as const
  })
}) {}
