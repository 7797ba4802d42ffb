/**
 * The dashboard's figures, read through the repositories: sessions by project and
 * status, the sessions that need attention, metrics totals, the latest urgent events.
 * A row that cannot be read (another program wrote it) never hides the rest: the figures
 * leave it out and the report names it.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { EventsRepo } from "../Repos/EventsRepo.js"
import { MetricsRepo } from "../Repos/MetricsRepo.js"
import { ProjectsRepo } from "../Repos/ProjectsRepo.js"
import { SessionsRepo, type StatusCount } from "../Repos/SessionsRepo.js"
import { type SessionStatus, SessionStatuses } from "../Schemas/Enums.js"
import type { OrchestratorEvent } from "../Schemas/Event.js"
import type { Project } from "../Schemas/Project.js"
import { DbError } from "../Schemas/Errors.js"
import type { Session } from "../Schemas/Session.js"
import type { MetricsTotals } from "../Schemas/SessionMetrics.js"
import * as JsonOutput from "./JsonOutput.js"

/** @since 0.1.0 */
export interface SessionCounts {
  readonly sessions: number
  /** Sessions by status, in the order of `SessionStatuses.all`; statuses with none are left out. */
  readonly byStatus: ReadonlyArray<readonly [SessionStatus, number]>
  readonly active: number
  readonly needsAttention: number
}

/** @since 0.1.0 */
export interface ProjectStatus {
  readonly id: string
  /** None for a project id that sessions name but the projects table lacks. */
  readonly project: Option.Option<Project>
  readonly counts: SessionCounts
  readonly metrics: MetricsTotals
}

/** @since 0.1.0 */
export interface StatusReport {
  readonly projects: ReadonlyArray<ProjectStatus>
  readonly counts: SessionCounts
  readonly metrics: MetricsTotals
  /** Most recently active first. */
  readonly needsAttention: ReadonlyArray<Session>
  /** Newest first. */
  readonly urgentEvents: ReadonlyArray<OrchestratorEvent>
  /**
   * What could not be read, each failure naming its table and row; the figures above leave
   * those rows out (a metrics row), or the part of a section that holds them.
   */
  readonly unreadable: ReadonlyArray<DbError>
}

/** How many urgent or critical events the dashboard shows. */
const urgentEventsShown = 8

const countSessions = (counts: ReadonlyArray<StatusCount>): SessionCounts => {
  const byStatus = new Map<SessionStatus, number>()
  for (const { count, status } of counts) byStatus.set(status, (byStatus.get(status) ?? 0) + count)
  const total = (keep: (status: SessionStatus) => boolean) =>
    counts.reduce((sum, { count, status }) => keep(status) ? sum + count : sum, 0)
  return {
    sessions: total(() => true),
    byStatus: SessionStatuses.all.flatMap((status) => {
      const n = byStatus.get(status)
      return n === undefined ? [] : [[status, n] as const]
    }),
    active: total((status) => !SessionStatuses.isTerminal(status)),
    needsAttention: total(SessionStatuses.needsAttention)
  }
}

const newestFirst = (a: DateTime.DateTime, b: DateTime.DateTime) =>
  DateTime.toEpochMillis(b) - DateTime.toEpochMillis(a)

/**
 * Reads the dashboard's figures.
 *
 * @since 0.1.0
 */
export const gather = Effect.gen(function*() {
  const projectsRepo = yield* ProjectsRepo
  const sessionsRepo = yield* SessionsRepo
  const metricsRepo = yield* MetricsRepo
  const eventsRepo = yield* EventsRepo
  const unreadable = new Map<string, DbError>()
  const noted = (error: DbError) => unreadable.set(error.message, error)
  // A section that fails to decode a row shows what it can without it; other failures stay failures.
  const orWithout = <A, E>(read: Effect.Effect<A, E>, without: A) =>
    Effect.catchIf(
      read,
      (error): error is E & DbError => error instanceof DbError && error.reason === "Decode",
      (error) => Effect.as(Effect.sync(() => noted(error)), without)
    )
  // One SUM when every row reads back; otherwise the rows that do, and the names of the others.
  const totalsOf = (filter: { readonly projectId?: string }) =>
    metricsRepo.totals(filter).pipe(
      Effect.catchAll(() =>
        Effect.map(metricsRepo.totalsSkippingUnreadable(filter), ({ totals, unreadable }) => {
          for (const error of unreadable) noted(error)
          return totals
        })
      )
    )
  const projects = yield* orWithout(projectsRepo.list(), [])
  // Counted in the database: only the sessions that need attention are read whole.
  const counts = yield* orWithout(sessionsRepo.countByProjectAndStatus(), [])
  const countsByProject = new Map<string, Array<StatusCount>>(projects.map((project) => [project.id, []]))
  for (const count of counts) {
    const list = countsByProject.get(count.projectId)
    if (list === undefined) countsByProject.set(count.projectId, [count])
    else list.push(count)
  }
  const known = new Map(projects.map((project) => [project.id as string, project]))
  const projectStatuses = yield* Effect.forEach(countsByProject, ([id, projectCounts]) =>
    Effect.map(totalsOf({ projectId: id }), (metrics): ProjectStatus => ({
      id,
      project: Option.fromNullable(known.get(id)),
      counts: countSessions(projectCounts),
      metrics
    })))
  const needsAttention = yield* Effect.forEach(
    SessionStatuses.all.filter(SessionStatuses.needsAttention),
    (status) => orWithout(sessionsRepo.listByStatus(status), [])
  )
  const urgentEvents = yield* Effect.forEach(
    countsByProject.keys(),
    (id) => orWithout(eventsRepo.listByProject(id, { minPriority: "urgent", limit: urgentEventsShown }), [])
  )
  const metrics = yield* totalsOf({})
  return {
    projects: projectStatuses,
    counts: countSessions(counts),
    metrics,
    needsAttention: needsAttention.flat().sort((a, b) => newestFirst(a.lastActivityAt, b.lastActivityAt)),
    urgentEvents: urgentEvents.flat().sort((a, b) => newestFirst(a.timestamp, b.timestamp)).slice(0, urgentEventsShown),
    unreadable: Array.from(unreadable.values())
  } satisfies StatusReport
})

const countsJson = (counts: SessionCounts) => ({
  sessions: counts.sessions,
  active: counts.active,
  needs_attention: counts.needsAttention,
  by_status: Object.fromEntries(counts.byStatus)
})

/**
 * The report as `status --json` prints it.
 *
 * @since 0.1.0
 */
export const toJson = (report: StatusReport) => ({
  projects: report.projects.map((entry) => ({
    project_id: entry.id,
    name: Option.getOrNull(Option.map(entry.project, (project) => project.name)),
    ...countsJson(entry.counts),
    metrics: JsonOutput.totals(entry.metrics)
  })),
  ...countsJson(report.counts),
  metrics: JsonOutput.totals(report.metrics),
  attention: report.needsAttention.map((session) => ({
    ...JsonOutput.session(session),
    attention_reason: SessionStatuses.attentionReason(session.status) ?? null
  })),
  urgent_events: report.urgentEvents.map(JsonOutput.event),
  unreadable: report.unreadable.map((error) => ({ reason: error.reason, message: error.message }))
})
