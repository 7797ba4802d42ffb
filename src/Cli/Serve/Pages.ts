/**
 * The dashboard's pages, rendered on the server from what the repositories read. Every stored
 * text goes through `html`, which escapes it; the only script is `/assets/live.js`, and a page
 * works without it (no live updates).
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import * as Option from "effect/Option"
import { EventPriority, EventType, SessionStatuses } from "../../Schemas/Enums.js"
import type { OrchestratorEvent } from "../../Schemas/Event.js"
import type { Session } from "../../Schemas/Session.js"
import type { MetricsTotals, SessionMetrics } from "../../Schemas/SessionMetrics.js"
import * as Format from "../Format.js"
import * as JsonOutput from "../JsonOutput.js"
import type * as StatusReport from "../StatusReport.js"
import * as Charts from "./Charts.js"
import { type Html, html, type HtmlValue, webUrl } from "./Html.js"
import type { Overview } from "./Overview.js"

// An event's data is shown up to this many characters: the page stays small whatever is stored.
const dataShown = 2_000
// The attention list stops here, most recently active first: the page stays small whatever is stored.
const attentionShown = 50

/**
 * A whole page: `live` is the stream `/assets/live.js` follows, if any.
 *
 * @since 0.1.0
 */
export const layout = (options: { readonly title: string; readonly body: Html; readonly live?: string }): Html =>
  html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · ennio-db</title>
<link rel="stylesheet" href="/assets/style.css">
<script src="/assets/live.js" defer></script>
</head>
<body${options.live === undefined ? "" : html` data-live="${options.live}"`}>
<header><a class="home" href="/">ennio-db</a><span id="live-status" class="live-status" role="status" hidden></span></header>
${options.body}
</body>
</html>
`

/** A table that scrolls sideways on a narrow screen rather than overflowing the page. */
const table = (headers: ReadonlyArray<string | readonly [string, "num"]>, rows: ReadonlyArray<Html>, attributes: Html = html``) =>
  html`<div class="scroll"><table${attributes}><thead><tr>${
    headers.map((header) => typeof header === "string" ? html`<th>${header}</th>` : html`<th class="num">${header[0]}</th>`)
  }</tr></thead><tbody>${rows}</tbody></table></div>`

const sessionLink = (id: string) => html`<a href="/sessions/${encodeURIComponent(id)}">${id}</a>`

const orNull = Option.getOrNull

const prLink = (session: Session): Html => {
  const prNumber = orNull(session.prNumber)
  const label = prNumber === null ? orNull(session.prUrl) ?? "" : `#${prNumber}`
  const href = webUrl(orNull(session.prUrl))
  return href === undefined ? html`${label}` : html`<a href="${href}" rel="noreferrer noopener">${label}</a>`
}

const statusLabel = (status: string) =>
  html`<span class="status${SessionStatuses.needsAttention(status) ? " attention" : ""}">${
    SessionStatuses.displayLabel(status) ?? status
  }</span>`

const priorityLabel = (priority: string) => html`<span class="priority ${priority}">${priority}</span>`

const time = (dateTime: DateTime.DateTime) =>
  html`<time datetime="${DateTime.formatIso(DateTime.toUtc(dateTime))}">${Format.instant(dateTime)}</time>`

const tile = (label: string, value: string, attention = false) =>
  html`<div class="tile${attention ? " attention" : ""}"><span class="value">${value}</span><span class="label">${label}</span></div>`

const byStatus = (counts: StatusReport.SessionCounts) =>
  counts.byStatus.map(([status, n]) => html`<li>${statusLabel(status)} <span class="n">${Format.count(n)}</span></li>`)

const metricsCells = (metrics: MetricsTotals) =>
  html`<td class="num">${Format.tokens(metrics.tokensIn + metrics.tokensOut)}</td><td class="num">${
    Format.usd(metrics.costUsd)
  }</td>`

const projectsSection = (report: StatusReport.StatusReport) =>
  html`<section><h2>Projects (${Format.count(report.projects.length)})</h2>${
    table(
      ["Project", "Name", ["Sessions", "num"], ["Active", "num"], ["Attention", "num"], "By status", ["Tokens", "num"], [
        "Cost",
        "num"
      ]],
      [
        ...report.projects.map((entry) =>
          html`<tr><td>${entry.id}</td><td>${Option.getOrElse(Option.map(entry.project, (p) => p.name), () => "")}</td><td class="num">${
            Format.count(entry.counts.sessions)
          }</td><td class="num">${Format.count(entry.counts.active)}</td><td class="num${
            entry.counts.needsAttention > 0 ? " attention" : ""
          }">${Format.count(entry.counts.needsAttention)}</td><td><ul class="statuses">${byStatus(entry.counts)}</ul></td>${
            metricsCells(entry.metrics)
          }</tr>`
        ),
        html`<tr class="total"><td>Total</td><td></td><td class="num">${Format.count(report.counts.sessions)}</td><td class="num">${
          Format.count(report.counts.active)
        }</td><td class="num">${Format.count(report.counts.needsAttention)}</td><td><ul class="statuses">${
          byStatus(report.counts)
        }</ul></td>${metricsCells(report.metrics)}</tr>`
      ],
      html` id="projects"`
    )
  }</section>`

const attentionSection = (report: StatusReport.StatusReport) => {
  const shown = report.needsAttention.slice(0, attentionShown)
  const hidden = report.needsAttention.length - shown.length
  return html`<section><h2>Needs attention (${Format.count(report.needsAttention.length)})</h2>${
    report.needsAttention.length === 0
      ? html`<p>Nothing needs attention.</p>`
      : table(
        ["Session", "Project", "Reason", "PR", "Last activity"],
        shown.map((session) =>
          html`<tr><td>${sessionLink(session.id)}</td><td>${session.projectId}</td><td class="attention">${
            SessionStatuses.attentionReason(session.status) ?? ""
          }</td><td>${prLink(session)}</td><td>${time(session.lastActivityAt)}</td></tr>`
        ),
        html` id="attention"`
      )
  }${
    hidden === 0 ? "" : html`<p class="more">… and ${Format.count(hidden)} more, least recently active: <a href="/api/sessions">/api/sessions</a> lists every session.</p>`
  }</section>`
}

const urgentSection = (report: StatusReport.StatusReport) =>
  html`<section><h2>Latest urgent and critical events</h2>${
    report.urgentEvents.length === 0
      ? html`<p>None.</p>`
      : table(
        ["Time", "Priority", "Session", "Message"],
        report.urgentEvents.map((event) =>
          html`<tr><td>${time(event.timestamp)}</td><td>${priorityLabel(event.priority)}</td><td>${
            sessionLink(event.sessionId)
          }</td><td class="message">${event.message}</td></tr>`
        ),
        html` id="urgent"`
      )
  }</section>`

/**
 * The overview's content, which live updates replace whole.
 *
 * @since 0.1.0
 */
export const overviewMain = (overview: Overview, version: number): Html => {
  const { charts, report } = overview
  const unreadable = report.unreadable.length === 0 ? html`` : html`<section class="unreadable"><h2>Unreadable rows (${
    Format.count(report.unreadable.length)
  }), left out of the figures</h2><ul>${report.unreadable.map((error) => html`<li>${error.message}</li>`)}</ul></section>`
  const body = report.counts.sessions === 0 && report.projects.length === 0
    ? html`<p>No projects or sessions yet. Try: <code>ennio-db demo</code></p>`
    : html`<div class="tiles">${tile("sessions", Format.count(report.counts.sessions))}${
      tile("active", Format.count(report.counts.active))
    }${tile("need attention", Format.count(report.counts.needsAttention), report.counts.needsAttention > 0)}${
      tile("tokens", Format.tokens(report.metrics.tokensIn + report.metrics.tokensOut))
    }${tile("cost", Format.usd(report.metrics.costUsd))}</div>
<div class="charts">${
      Charts.hourlyBars({
        title: "Events per hour",
        since: charts.since,
        values: charts.eventsPerHour,
        format: Format.count,
        className: "events"
      })
    }${
      Charts.hourlyBars({
        title: "Cost of the sessions started each hour",
        since: charts.since,
        values: charts.costPerHour,
        format: Format.usd,
        className: "cost"
      })
    }</div>
${projectsSection(report)}
${attentionSection(report)}
${urgentSection(report)}`
  return html`<main id="live-main" data-version="${version}"><h1>Overview</h1>${body}${unreadable}</main>`
}

/** @since 0.1.0 */
export const overviewPage = (overview: Overview, version: number): Html =>
  layout({ title: "Overview", body: overviewMain(overview, version), live: `/live/overview?version=${version}` })

const json = (value: unknown): string => {
  const text = JSON.stringify(value, null, 2) ?? "null"
  return text.length > dataShown ? `${text.slice(0, dataShown)}…` : text
}

/**
 * One row of a session's timeline; live updates add rows made here.
 *
 * @since 0.1.0
 */
export const eventRow = (event: OrchestratorEvent): Html =>
  html`<tr data-id="${event.id}"><td>${time(event.timestamp)}</td><td>${priorityLabel(event.priority)}</td><td>${event.eventType}</td><td class="message">${event.message}</td><td>${
    event.data === null || (typeof event.data === "object" && Object.keys(event.data).length === 0)
      ? ""
      : html`<pre>${json(event.data)}</pre>`
  }</td></tr>`

const field = (label: string, value: HtmlValue) =>
  value === null || value === undefined || value === "" ? html`` : html`<dt>${label}</dt><dd>${value}</dd>`

const optionalTime = (dateTime: Option.Option<DateTime.DateTime>) => Option.getOrNull(Option.map(dateTime, time))


/** Which events a session page shows: its filter and keyset cursor. */
export interface TimelineQuery {
  readonly eventType?: string | undefined
  readonly minPriority?: string | undefined
  readonly before?: string | undefined
}

const query = (parameters: Record<string, string | undefined>): string => {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(parameters)) if (value !== undefined && value !== "") search.set(key, value)
  const text = search.toString()
  return text === "" ? "" : `?${text}`
}

const options = (values: ReadonlyArray<string>, selected: string | undefined, none: string) =>
  [
    html`<option value=""${selected === undefined ? html` selected` : ""}>${none}</option>`,
    ...values.map((value) => html`<option value="${value}"${value === selected ? html` selected` : ""}>${value}</option>`)
  ]

/**
 * A session's page: its fields, its metrics, and a page of its timeline, newest first.
 * `older` is the cursor of the next page, if there is one; `cursor` the live feed's position
 * when the page was read (only the newest page follows it).
 *
 * @since 0.1.0
 */
export const sessionPage = (options_: {
  readonly session: Session
  readonly metrics: Option.Option<SessionMetrics>
  readonly events: ReadonlyArray<OrchestratorEvent>
  readonly timeline: TimelineQuery
  readonly older: string | undefined
  readonly cursor: string
}): Html => {
  const { events, metrics, older, session, timeline } = options_
  const path = `/sessions/${encodeURIComponent(session.id)}`
  // The JSON columns as stored (snake_case keys), as `--json` prints them.
  const stored = JsonOutput.session(session)
  const filter = { type: timeline.eventType, min_priority: timeline.minPriority }
  const metricsSection = Option.match(metrics, {
    onNone: () => html`<p>No metrics recorded.</p>`,
    onSome: (m) =>
      html`<dl class="fields" id="metrics">${field("Tokens in", Format.count(m.totalTokensIn))}${
        field("Tokens out", Format.count(m.totalTokensOut))
      }${field("Cost", Format.usd(m.estimatedCostUsd))}${field("CI runs", Format.count(m.ciRuns))}${
        field("CI failures", Format.count(m.ciFailures))
      }${field("Review rounds", Format.count(m.reviewRounds))}${
        field("Time to first PR", orNull(Option.map(m.timeToFirstPrSecs, Format.seconds)))
      }${field("Time to merge", orNull(Option.map(m.timeToMergeSecs, Format.seconds)))}${
        field("Updated", time(m.updatedAt))
      }</dl>`
  })
  const pager = html`<nav class="pager">${
    timeline.before === undefined ? "" : html`<a href="${path}${query(filter)}">Newest</a>`
  }${older === undefined ? "" : html`<a rel="next" href="${path}${query({ ...filter, before: older })}">Older</a>`}</nav>`
  const body = html`<main><h1>Session ${session.id}</h1>
<section><h2>Fields</h2><dl class="fields" id="fields">${field("Project", session.projectId)}${
    field("Status", statusLabel(session.status))
  }${field("Needs attention", SessionStatuses.attentionReason(session.status))}${field("Activity", orNull(session.activity))}${
    field("Branch", orNull(session.branch))
  }${field("Issue", orNull(session.issueId))}${
    field("PR", Option.isNone(session.prUrl) && Option.isNone(session.prNumber) ? null : prLink(session))
  }${
    field("Agent", orNull(session.agentName))
  }${field("Role", orNull(session.role))}${field("Workspace", orNull(session.workspacePath))}${
    field("tmux", orNull(session.tmuxName))
  }${
    field("Config hash", session.configHash)
  }${field("Created", time(session.createdAt))}${field("Last activity", time(session.lastActivityAt))}${
    field("Restored", optionalTime(session.restoredAt))
  }${field("Archived", optionalTime(session.archivedAt))}${
    field("Runtime", stored.runtime_handle === null ? null : html`<pre>${json(stored.runtime_handle)}</pre>`)
  }${field("Agent info", stored.agent_info === null ? null : html`<pre>${json(stored.agent_info)}</pre>`)}${
    field("Metadata", Object.keys(session.metadata).length === 0 ? null : html`<pre>${json(stored.metadata)}</pre>`)
  }</dl></section>
<section><h2>Metrics</h2>${metricsSection}</section>
<section><h2>Events</h2>
<form class="filter" method="get" action="${path}"><label>Type <select name="type">${
    options(EventType.literals, timeline.eventType, "all types")
  }</select></label><label>Minimum priority <select name="min_priority">${
    options(EventPriority.literals, timeline.minPriority, "any")
  }</select></label><button type="submit">Filter</button></form>
${
    events.length === 0 && timeline.before === undefined
      ? html`<p id="no-events">No events${timeline.eventType !== undefined || timeline.minPriority !== undefined ? " match" : ""}.</p>`
      : ""
  }${table(["Time", "Priority", "Type", "Message", "Data"], events.map(eventRow), html` id="timeline"`)}
${pager}</section></main>`
  // Only the newest page grows as events land; an older page stays as it was read.
  const live = timeline.before === undefined
    ? `/live/sessions/${encodeURIComponent(session.id)}${query({ ...filter, after: options_.cursor })}`
    : undefined
  return layout({ title: `Session ${session.id}`, body, ...(live === undefined ? {} : { live }) })
}

/**
 * A page telling what went wrong (the API answers the same in JSON).
 *
 * @since 0.1.0
 */
export const errorPage = (title: string, message: string): Html =>
  layout({ title, body: html`<main><h1>${title}</h1><p class="error">${message}</p><p><a href="/">Overview</a></p></main>` })
