/**
 * Deterministic rows for every side: the same seed gives the same sessions, events and
 * metric deltas, so every side writes and reads exactly the same data.
 */
import type { ActivityState, EventPriority, EventType, SessionStatus } from "../src/index.js"

/** A `runtime_handle` as stored: snake_case keys, in the order ennio-db writes them. */
export interface RuntimeHandleJson {
  readonly id: string
  readonly runtime_name: string
  readonly data: Record<string, unknown>
}

/** An `agent_info` as stored. */
export interface AgentInfoJson {
  readonly summary: string | null
  readonly cost: {
    readonly input_tokens: number
    readonly output_tokens: number
    readonly estimated_cost_usd: number
  } | null
}

/**
 * A full session row; field names are the Drizzle schema's keys, JSON columns as objects.
 * (A type alias, not an interface, so that it passes as Drizzle's placeholder values.)
 */
export type SessionSpec = {
  readonly id: string
  readonly projectId: string
  readonly status: SessionStatus
  readonly activity: ActivityState
  readonly branch: string
  readonly issueId: string
  readonly workspacePath: string
  readonly runtimeHandle: RuntimeHandleJson
  readonly agentInfo: AgentInfoJson
  readonly agentName: string
  readonly prUrl: string
  readonly prNumber: number
  readonly tmuxName: string
  readonly configHash: string
  readonly role: string
  readonly metadata: Record<string, unknown>
  readonly createdAt: string
  readonly lastActivityAt: string
}

/** An event row; `data` as an object. */
export type EventSpec = {
  readonly id: string
  readonly eventType: EventType
  readonly priority: EventPriority
  readonly sessionId: string
  readonly projectId: string
  readonly timestamp: string
  readonly message: string
  readonly data: Record<string, unknown>
}

/** What one `metrics.record` call adds. */
export interface MetricsSpec {
  readonly sessionId: string
  readonly tokensIn: number
  readonly tokensOut: number
  readonly costUsd: number
  readonly ciRuns: number
}

const seed = 0x5eed_2026

/** mulberry32: small, fast and good enough to pick benchmark data. */
const prng = (state: number) => () => {
  state = (state + 0x6d2b79f5) | 0
  let t = Math.imul(state ^ (state >>> 15), 1 | state)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
}

// One generator per (stream, index), so any row can be made alone and in any order.
const rngFor = (stream: number, index: number) => prng(seed ^ Math.imul(stream, 0x9e3779b1) ^ Math.imul(index, 0x85ebca6b))

const pick = <A>(rng: () => number, items: ReadonlyArray<A>): A => items[Math.floor(rng() * items.length)]!
const int = (rng: () => number, below: number) => Math.floor(rng() * below)

const statuses: ReadonlyArray<SessionStatus> = [
  "working", "pr_open", "ci_passing", "ci_failed", "review_pending", "changes_requested", "approved", "merged", "done"
]
const activities: ReadonlyArray<ActivityState> = ["active", "ready", "idle", "waiting_input", "blocked"]
const eventTypes: ReadonlyArray<EventType> = [
  "session_working", "status_changed", "activity_changed", "pr_created", "pr_updated", "ci_passing", "ci_failing",
  "review_pending", "review_changes_requested", "reaction_triggered"
]
/** W10a's type: one of the ten above, so about a tenth of the W6 table's events. */
export const dashboardEventType: EventType = "ci_failing"
const priorities: ReadonlyArray<EventPriority> = ["info", "info", "info", "action", "urgent", "critical"]
const topics = ["auth", "billing", "search", "cache", "parser", "scheduler", "exporter", "webhooks"]

const projectIds: ReadonlyArray<string> = ["ennio-app", "ennio-api", "ennio-docs"]

/** W10's rare project: a few sessions of its own, about 1% of the W6 table's events. */
export const rareProjectId = "ennio-labs"

const epoch = Date.UTC(2026, 0, 5, 8, 0, 0)
const iso = (ms: number) => new Date(epoch + ms).toISOString()

/**
 * Session `index` of a named family (`w1`, `w2`, …): its id is `<family>-s<index>`; its project
 * is one of three in turn unless `project` is given.
 */
const sessionSpec = (family: string, index: number, project?: string): SessionSpec => {
  const rng = rngFor(1, index)
  const topic = pick(rng, topics)
  const projectId = project ?? projectIds[index % projectIds.length]!
  const prNumber = 100 + index
  const createdMs = index * 60_000 + int(rng, 30_000)
  return {
    id: `${family}-s${index}`,
    projectId,
    status: pick(rng, statuses),
    activity: pick(rng, activities),
    branch: `feat/${topic}-${index}`,
    issueId: `ISSUE-${1000 + index}`,
    workspacePath: `/home/ennio/workspaces/${projectId}/${family}-s${index}`,
    runtimeHandle: {
      id: `tmux-${index}`,
      runtime_name: "tmux",
      data: { pane: `%${int(rng, 64)}`, pid: 10_000 + int(rng, 50_000), cwd: `/home/ennio/workspaces/${projectId}` }
    },
    agentInfo: {
      summary: `Implementing the ${topic} change requested in ISSUE-${1000 + index}; tests are being updated`,
      cost: {
        input_tokens: int(rng, 2_000_000),
        output_tokens: int(rng, 200_000),
        estimated_cost_usd: int(rng, 4096) / 128
      }
    },
    agentName: "claude-code",
    prUrl: `https://git.example.invalid/${projectId}/pull/${prNumber}`,
    prNumber,
    tmuxName: `ennio-${family}-${index}`,
    configHash: `cfg-${(index % 7).toString(16).padStart(8, "0")}`,
    role: index % 5 === 0 ? "reviewer" : "worker",
    metadata: { labels: [topic, "agent"], attempt: 1 + int(rng, 3), model: "opus", notes: `retry budget ${int(rng, 5)}` },
    createdAt: iso(createdMs),
    lastActivityAt: iso(createdMs + int(rng, 3_600_000))
  }
}

/** `count` sessions of one family, indices 0 … count − 1 (all in `project`, if given). */
export const sessionSpecs = (family: string, count: number, project?: string): Array<SessionSpec> =>
  Array.from({ length: count }, (_, index) => sessionSpec(family, index, project))

/** Event `index` of a family, for the given session; timestamps grow with the index. */
export const eventSpec = (family: string, index: number, session: SessionSpec): EventSpec => {
  const rng = rngFor(2, index)
  const eventType = pick(rng, eventTypes)
  return {
    id: `${family}-e${index.toString().padStart(8, "0")}`,
    eventType,
    priority: pick(rng, priorities),
    sessionId: session.id,
    projectId: session.projectId,
    timestamp: iso(index * 250 + int(rng, 200)),
    message: `${eventType.replace(/_/g, " ")} on feat/${pick(rng, topics)} (run ${int(rng, 1000)})`,
    data: { attempt: 1 + int(rng, 4), durationMs: int(rng, 90_000), checks: [pick(rng, topics), "lint"] }
  }
}

/** What `metrics.record` call `index` adds to one of `sessions`. */
export const metricsSpec = (index: number, sessions: ReadonlyArray<SessionSpec>): MetricsSpec => {
  const rng = rngFor(3, index)
  return {
    sessionId: sessions[index % sessions.length]!.id,
    tokensIn: int(rng, 20_000),
    tokensOut: int(rng, 4_000),
    // Multiples of 1/256 add up exactly in any order, so concurrent sides end with equal sums.
    costUsd: int(rng, 512) / 256,
    ciRuns: index % 16 === 0 ? 1 : 0
  }
}

/** `count` indices into `0 … size − 1`, uniformly at random. */
export const randomIndices = (count: number, size: number): Array<number> => {
  const rng = rngFor(4, size)
  return Array.from({ length: count }, () => int(rng, size))
}
