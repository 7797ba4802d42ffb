/**
 * What the dashboard's overview shows: the terminal dashboard's report (`StatusReport.gather`,
 * read through the repositories) and the hourly charts of the last day of activity.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import { EventsRepo } from "../../Repos/EventsRepo.js"
import { MetricsRepo } from "../../Repos/MetricsRepo.js"
import * as StatusReport from "../StatusReport.js"

/** @since 0.1.0 */
export interface HourlyCharts {
  /** The first hour's start; the charts cover `chartHours` hours from it. */
  readonly since: DateTime.Utc
  readonly eventsPerHour: ReadonlyArray<number>
  /** The cost of the sessions created in each hour. */
  readonly costPerHour: ReadonlyArray<number>
}

/** @since 0.1.0 */
export interface Overview {
  readonly report: StatusReport.StatusReport
  readonly charts: HourlyCharts
}

/** @since 0.1.0 */
export const chartHours = 24

const hourMs = 3_600_000

/**
 * The charts' window: the day up to the end of the newest event's hour (the last day of
 * activity, which for a database being written is the last day), or up to now when there is none.
 */
const window = Effect.gen(function*() {
  const events = yield* EventsRepo
  const [newest] = yield* events.listRecent(1)
  const endMs = newest === undefined
    ? DateTime.toEpochMillis(yield* DateTime.now)
    : DateTime.toEpochMillis(newest.timestamp)
  const end = (Math.floor(endMs / hourMs) + 1) * hourMs
  return DateTime.unsafeMake(end - chartHours * hourMs)
})

/**
 * Reads the overview.
 *
 * @since 0.1.0
 */
export const gather = Effect.gen(function*() {
  const events = yield* EventsRepo
  const metrics = yield* MetricsRepo
  const report = yield* StatusReport.gather
  const since = yield* window
  const [eventsPerHour, costPerHour] = yield* Effect.all([
    events.countPerHour({ since, hours: chartHours }),
    metrics.costPerHour({ since, hours: chartHours })
  ])
  return { report, charts: { since, eventsPerHour, costPerHour } } satisfies Overview
})

/**
 * The overview as `/api/overview` returns it: `status --json`'s fields, and the charts.
 *
 * @since 0.1.0
 */
export const toJson = (overview: Overview) => ({
  ...StatusReport.toJson(overview.report),
  charts: {
    since: DateTime.formatIso(overview.charts.since),
    hours: overview.charts.eventsPerHour.map((events, hour) => ({
      hour: DateTime.formatIso(DateTime.add(overview.charts.since, { hours: hour })),
      events,
      cost_usd: overview.charts.costPerHour[hour] ?? 0
    }))
  }
})
