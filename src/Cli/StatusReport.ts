/**
 * The dashboard's figures, read through the repositories: sessions by project and
 * status, the sessions that need attention, metrics totals, the latest urgent events.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { EventsRepo } from "../Repos/EventsRepo.js"
import { MetricsRepo } from "../Repos/MetricsRepo.js"
import { ProjectsRepo } from "../Repos/ProjectsRepo.js"
import { SessionsRepo } from "../Repos/SessionsRepo.js"
import { type SessionStatus, SessionStatuses } from "../Schemas/Enums.js"
import type { OrchestratorEvent } from "../Schemas/Event.js"
import type { Project } from "../Schemas/Project.js"
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
}

/** How many urgent or critical events the dashboard shows. */
const urgentEventsShown = 8

const countSessions = (sessions: ReadonlyArray<Session>): SessionCounts => {
  const byStatus = new Map<SessionStatus, number>()
  for (const { status } of sessions) byStatus.set(status, (byStatus.get(status) ?? 0) + 1)
  return {
    sessions: sessions.length,
    byStatus: SessionStatuses.all.flatMap((status) => {
      const n = byStatus.get(status)
      return n === undefined ? [] : [[status, n] as const]
    }),
    active: sessions.filter(({ status }) => !SessionStatuses.isTerminal(status)).length,
    needsAttention: sessions.filter(({ status }) => SessionStatuses.needsAttention(status)).length
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
  const projects = yield* projectsRepo.list()
  const sessions = yield* sessionsRepo.list()
  const sessionsByProject = new Map<string, Array<Session>>(projects.map((project) => [project.id, []]))
  for (const session of sessions) {
    const list = sessionsByProject.get(session.projectId)
    if (list === undefined) sessionsByProject.set(session.projectId, [session])
    else list.push(session)
  }
  const known = new Map(projects.map((project) => [project.id as string, project]))
  const projectStatuses = yield* Effect.forEach(sessionsByProject, ([id, projectSessions]) =>
    Effect.map(metricsRepo.totals({ projectId: id }), (metrics): ProjectStatus => ({
      id,
      project: Option.fromNullable(known.get(id)),
      counts: countSessions(projectSessions),
      metrics
    })))
  const urgentEvents = yield* Effect.forEach(
    sessionsByProject.keys(),
    (id) => eventsRepo.listByProject(id, { minPriority: "urgent", limit: urgentEventsShown })
  )
  return {
    projects: projectStatuses,
    counts: countSessions(sessions),
    metrics: yield* metricsRepo.totals(),
    needsAttention: sessions
      .filter(({ status }) => SessionStatuses.needsAttention(status))
      .sort((a, b) => newestFirst(a.lastActivityAt, b.lastActivityAt)),
    urgentEvents: urgentEvents.flat().sort((a, b) => newestFirst(a.timestamp, b.timestamp)).slice(0, urgentEventsShown)
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
  urgent_events: report.urgentEvents.map(JsonOutput.event)
})
