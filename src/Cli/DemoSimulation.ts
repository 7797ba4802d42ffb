/**
 * A day of an orchestrator, simulated: each session walks the lifecycle (spawning →
 * working → PR → CI failures and fixes → review → merged → done, with exits, kills and
 * merge conflicts on the way) until it finishes or the day ends. The result is plain
 * data — the rows and events to write, and the tokens spent — fixed by the seed and
 * the day number, never by the wall clock.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import type { ActivityState, EventPriority, EventType, SessionStatus } from "../Schemas/Enums.js"
import type { EventInsert } from "../Schemas/Event.js"
import type { SessionInsert } from "../Schemas/Session.js"
import type { MetricsDelta } from "../Schemas/SessionMetrics.js"
import * as DemoWorld from "./DemoWorld.js"
import type { Prng } from "./Prng.js"
import * as Prngs from "./Prng.js"

/** @since 0.1.0 */
export interface SessionPlan {
  readonly session: SessionInsert
  readonly events: ReadonlyArray<EventInsert>
  /** What the agent spent, one entry per stretch of work or CI run or review round. */
  readonly spending: ReadonlyArray<MetricsDelta>
  readonly timeToFirstPrSecs: number | undefined
  readonly timeToMergeSecs: number | undefined
}

/** @since 0.1.0 */
export interface DayOptions {
  readonly seed: number
  /** 1 for the first demo run on a database, 2 for the next, …: it names the sessions. */
  readonly day: number
  /** The calendar day simulated: its midnight, UTC, in epoch milliseconds. */
  readonly date: number
  readonly sessions: number
}

const minute = 60_000
const hour = 60 * minute
const spawnWindow = 9 * hour
const dayLength = 11 * hour
const healthCheckEvery = 20 * minute

/**
 * The instant the simulated day of `date` (its midnight, UTC) starts: 08:00 UTC.
 *
 * @since 0.1.0
 */
export const morningOf = (date: number): number => date + 8 * hour

/**
 * The instant the simulated day of `date` ends, when the last session stops: 19:00 UTC.
 *
 * @since 0.1.0
 */
export const eveningOf = (date: number): number => morningOf(date) + dayLength

const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 32)

/** Thrown (and caught by `plan`) when the day is over: the session stays where it is. */
class DayOver {}

/** One session's walk: a clock, its state, and what it has written so far. */
class Walk {
  status: SessionStatus = "spawning"
  activity: ActivityState = "active"
  readonly events: Array<EventInsert> = []
  readonly spending: Array<MetricsDelta> = []
  tokensIn = 0
  tokensOut = 0
  costUsd = 0
  ciFailuresInARow = 0
  reviewRounds = 0
  prNumber: number | undefined
  firstPrAt: number | undefined
  mergedAt: number | undefined
  restored = false
  private nextHealthCheck: number

  constructor(
    readonly rng: Prng,
    readonly id: string,
    readonly projectId: string,
    readonly agent: DemoWorld.Agent,
    readonly node: string,
    readonly startedAt: number,
    readonly dayEnd: number,
    public now: number
  ) {
    this.nextHealthCheck = startedAt + healthCheckEvery
  }

  emit(eventType: EventType, priority: EventPriority, message: string, data: unknown = null) {
    this.events.push({
      id: this.rng.uuid(),
      eventType,
      priority,
      sessionId: this.id,
      projectId: this.projectId,
      message,
      timestamp: DateTime.unsafeMake(this.now),
      data
    })
  }

  /** Lets `minutes` pass (health checks fall due on the way), or ends the walk if the day ends first. */
  wait(minutes: number) {
    const until = this.now + minutes * minute
    while (this.nextHealthCheck <= Math.min(until, this.dayEnd)) {
      this.now = this.nextHealthCheck
      this.nextHealthCheck += healthCheckEvery
      this.emit("node_health_check", "info", `${this.node}: agent process alive`, {
        node: this.node,
        cpu_percent: this.rng.int(3, 95),
        memory_mb: this.rng.int(300, 2400)
      })
    }
    if (until > this.dayEnd) throw new DayOver()
    this.now = until
  }

  setActivity(activity: ActivityState) {
    if (activity === this.activity) return
    const priority = activity === "waiting_input" ? "action" : "info"
    const change = { from: this.activity, to: activity }
    this.emit("activity_changed", priority, `Activity ${change.from} → ${change.to}`, change)
    this.activity = activity
  }

  moveTo(status: SessionStatus, eventType: EventType, priority: EventPriority, message: string, data: unknown = null) {
    this.emit("status_changed", "info", `${this.status} → ${status}`, { from: this.status, to: status })
    this.emit(eventType, priority, message, data)
    this.status = status
  }

  spend(delta: MetricsDelta) {
    this.spending.push(delta)
    this.tokensIn += delta.tokensIn ?? 0
    this.tokensOut += delta.tokensOut ?? 0
    this.costUsd += delta.costUsd ?? 0
  }

  /** The agent works for `min`–`max` minutes in stretches, spending tokens, sometimes asking for input. */
  work(min: number, max: number) {
    let left = this.rng.int(min, max)
    let tokensIn = 0
    let tokensOut = 0
    try {
      while (left > 0) {
        this.setActivity("active")
        const stretch = Math.min(left, this.rng.int(4, 12))
        this.wait(stretch)
        left -= stretch
        tokensIn += this.rng.int(15_000, 110_000)
        tokensOut += this.rng.int(800, 7_000)
        if (this.rng.chance(0.08)) {
          this.setActivity("waiting_input")
          this.wait(this.rng.int(2, 15))
        }
        if (this.rng.chance(0.015)) {
          this.emit("node_disconnected", "urgent", `Lost connection to ${this.node}`, { node: this.node })
          this.wait(this.rng.int(1, 4))
          this.emit("node_connected", "info", `Reconnected to ${this.node}`, { node: this.node })
        }
      }
    } finally {
      // What was spent before the day ended is spent all the same.
      if (tokensIn > 0) {
        const cost = (tokensIn * this.agent.inputPrice + tokensOut * this.agent.outputPrice) / 1e6
        this.spend({ tokensIn, tokensOut, costUsd: Math.round(cost * 1e6) / 1e6 })
      }
    }
    this.setActivity("ready")
  }
}

interface Task {
  readonly project: DemoWorld.DemoProject
  readonly issueId: string
  readonly title: string
  readonly branch: string
}

/** The walk itself: one status at a time until a terminal status. */
const live = (walk: Walk, task: Task, nextPrNumber: () => number) => {
  const { rng } = walk
  const pr = () => `PR #${walk.prNumber}`
  const prUrl = (n: number) => `https://github.com/${task.project.repo}/pull/${n}`
  const runCi = (after: "opened" | "fix") => {
    walk.setActivity("idle")
    walk.wait(rng.int(8, 25))
    const failed = rng.chance(after === "fix" ? 0.35 : 0.4)
    walk.spend({ ciRuns: 1, ciFailures: failed ? 1 : 0 })
    const check = rng.pick(DemoWorld.ciChecks)
    if (!failed) {
      walk.ciFailuresInARow = 0
      walk.moveTo("ci_passing", "ci_passing", "info", `CI passed on ${pr()}`, { pr_number: walk.prNumber })
      return
    }
    walk.ciFailuresInARow++
    const data = { pr_number: walk.prNumber, check, failing_tests: rng.int(1, 12) }
    if (after === "fix") {
      const attempt = walk.ciFailuresInARow - 1
      walk.moveTo("ci_fix_failed", "ci_fix_failed", "urgent", `Fix attempt ${attempt} failed: ${check}`, data)
    } else {
      walk.moveTo("ci_failed", "ci_failing", "urgent", `CI failed on ${pr()}: ${check}`, data)
    }
  }
  const exitOrKill = (): boolean => {
    if (rng.chance(0.04)) {
      walk.setActivity("exited")
      const code = rng.pick([1, 137, 143])
      walk.moveTo("exited", "session_exited", "urgent", `Agent process exited unexpectedly (code ${code})`)
      return true
    }
    if (rng.chance(0.025)) {
      walk.setActivity("exited")
      const why = rng.pick(["stuck in a loop", "duplicate of another session", "wrong approach"])
      walk.moveTo("killed", "session_killed", "urgent", `Killed by operator: ${why}`)
      return true
    }
    return false
  }

  walk.emit("session_spawned", "info", `Spawned ${walk.agent.name} for ${task.issueId}: ${task.title}`, {
    agent: walk.agent.name,
    issue_id: task.issueId,
    branch: task.branch
  })
  walk.emit("node_launched", "info", `Started tmux session ${walk.id} on ${walk.node}`, { node: walk.node })
  for (;;) {
    switch (walk.status) {
      case "spawning":
        walk.wait(rng.int(1, 3))
        walk.moveTo("working", "session_working", "info", `Agent started on ${task.issueId}`)
        break
      case "working":
        walk.work(20, 90)
        if (exitOrKill()) break
        if (walk.prNumber === undefined) {
          walk.prNumber = nextPrNumber()
          walk.firstPrAt = walk.now
          walk.moveTo("pr_draft", "pr_created", "info", `Opened draft ${pr()}: ${task.title}`, {
            pr_number: walk.prNumber,
            pr_url: prUrl(walk.prNumber)
          })
        } else {
          walk.moveTo("pr_open", "pr_updated", "info", `Pushed ${rng.int(1, 4)} commits to ${pr()}`, {
            pr_number: walk.prNumber
          })
          runCi("opened")
        }
        break
      case "pr_draft":
        walk.work(5, 20)
        walk.moveTo("pr_open", "pr_updated", "info", `Marked ${pr()} ready for review`, { pr_number: walk.prNumber })
        runCi("opened")
        break
      case "ci_failed":
      case "ci_fix_failed":
        if (walk.ciFailuresInARow >= 3) {
          const message = `CI still failing on ${pr()} after ${walk.ciFailuresInARow - 1} fixes: needs a human`
          walk.emit("reaction_escalated", "critical", message, { pr_number: walk.prNumber })
          walk.setActivity("waiting_input")
          return
        }
        walk.emit("reaction_triggered", "action", "Sent the CI failure logs to the agent", { reaction: "ci_failed" })
        walk.work(10, 40)
        if (exitOrKill()) break
        walk.moveTo("ci_fix_sent", "ci_fix_sent", "action", `Agent pushed a fix to ${pr()}`, {
          pr_number: walk.prNumber
        })
        runCi("fix")
        break
      case "ci_passing": {
        const reviewer = rng.pick(DemoWorld.reviewers)
        walk.moveTo("review_pending", "review_pending", "info", `Review requested from ${reviewer}`, { reviewer })
        walk.wait(rng.int(20, 120))
        walk.reviewRounds++
        walk.spend({ reviewRounds: 1 })
        if (walk.reviewRounds < 3 && rng.chance(0.45)) {
          const comments = rng.int(1, 9)
          const message = `${reviewer} requested changes (${comments} comments)`
          walk.moveTo("changes_requested", "review_changes_requested", "urgent", message, { reviewer, comments })
        } else {
          walk.moveTo("approved", "review_approved", "info", `${reviewer} approved ${pr()}`, { reviewer })
        }
        break
      }
      case "changes_requested":
        walk.wait(rng.int(5, 45))
        walk.emit("reaction_triggered", "action", "Forwarded the review to the agent", {
          reaction: "changes_requested"
        })
        walk.emit("review_comments_sent", "action", "Sent the review comments to the agent")
        walk.moveTo("working", "session_working", "info", "Agent is addressing the review")
        break
      case "approved":
        walk.wait(rng.int(2, 10))
        if (rng.chance(0.15)) {
          const files = rng.int(1, 6)
          const message = `Merge conflicts with ${task.project.defaultBranch} in ${files} files`
          walk.moveTo("merge_conflicts", "merge_conflicts", "urgent", message, { files })
          break
        }
        walk.emit("merge_ready", "action", `${pr()} is ready to merge`, { pr_number: walk.prNumber })
        walk.wait(rng.int(1, 5))
        walk.mergedAt = walk.now
        walk.moveTo("merged", "pr_merged", "info", `Merged ${pr()} into ${task.project.defaultBranch}`, {
          pr_number: walk.prNumber
        })
        walk.emit("merge_completed", "info", `Deleted branch ${task.branch}`)
        break
      case "merge_conflicts":
        walk.wait(rng.int(5, 30))
        walk.emit("reaction_triggered", "action", "Asked the agent to rebase", { reaction: "merge_conflicts" })
        walk.moveTo("working", "session_working", "info", `Agent is rebasing on ${task.project.defaultBranch}`)
        break
      case "merged":
        walk.wait(rng.int(1, 5))
        walk.setActivity("exited")
        walk.moveTo("done", "session_cleaned", "info", "Cleaned up the workspace")
        return
      case "exited":
        if (walk.restored || !rng.chance(0.5)) return
        walk.wait(rng.int(10, 60))
        walk.restored = true
        walk.setActivity("active")
        walk.moveTo("working", "session_restored", "action", "Restored the session")
        break
      default:
        return
    }
  }
}

/**
 * The sessions of day `day`, with their events and spending.
 *
 * @since 0.1.0
 */
export const plan = (options: DayOptions): ReadonlyArray<SessionPlan> => Array.from(planLazily(options))

/**
 * `plan`, one session at a time: a long day is simulated as it is written, and stops when
 * its writer does.
 *
 * @since 0.1.0
 */
export function* planLazily(options: DayOptions): Generator<SessionPlan> {
  const rng = Prngs.make(`ennio-demo:${options.seed}:${options.day}`)
  const morning = morningOf(options.date)
  const prNumbers = new Map(DemoWorld.projects.map((project) => [project.id, options.day * 1000]))
  const ids = new Set<string>()
  const starts = Array.from({ length: options.sessions }, () => morning + rng.int(0, spawnWindow)).sort((a, b) => a - b)
  for (const startedAt of starts) {
    const project = rng.weighted(DemoWorld.projects.map((p) => [p, p.share] as const))
    const agent = rng.weighted(DemoWorld.agents.map((a) => [a, a.share] as const))
    let id: string
    do id = `${project.id}-d${options.day}-${rng.base36(4)}`
    while (ids.has(id))
    ids.add(id)
    const title = rng.pick(project.backlog)
    const issueId = `${project.issuePrefix}-${rng.int(100, 999)}`
    const task: Task = { project, issueId, title, branch: `feat/${issueId.toLowerCase()}-${slug(title)}` }
    const node = rng.pick(DemoWorld.nodes)
    const walk = new Walk(rng, id, project.id, agent, node, startedAt, morning + dayLength, startedAt)
    try {
      live(walk, task, () => {
        const n = prNumbers.get(project.id)! + 1
        prNumbers.set(project.id, n)
        return n
      })
    } catch (error) {
      if (!(error instanceof DayOver)) throw error
    }
    const last = walk.events[walk.events.length - 1]?.timestamp
    const session: SessionInsert = {
      id,
      projectId: project.id,
      configHash: project.configHash,
      status: walk.status,
      activity: walk.activity,
      branch: task.branch,
      issueId,
      workspacePath: `/srv/ennio/workspaces/${id}`,
      runtimeHandle: { id: `tmux:${id}`, runtimeName: "tmux", data: { node: walk.node } },
      agentInfo: {
        summary: `${task.title} (${issueId})`,
        cost: {
          inputTokens: walk.tokensIn,
          outputTokens: walk.tokensOut,
          estimatedCostUsd: Math.round(walk.costUsd * 100) / 100
        }
      },
      agentName: agent.name,
      ...(walk.prNumber === undefined
        ? {}
        : { prNumber: walk.prNumber, prUrl: `https://github.com/${project.repo}/pull/${walk.prNumber}` }),
      tmuxName: id,
      role: "worker",
      metadata: { demo_day: options.day, demo_seed: options.seed },
      createdAt: DateTime.unsafeMake(startedAt),
      lastActivityAt: last ?? DateTime.unsafeMake(startedAt)
    }
    yield {
      session,
      events: walk.events,
      spending: walk.spending,
      timeToFirstPrSecs: walk.firstPrAt === undefined ? undefined : Math.round((walk.firstPrAt - startedAt) / 1000),
      timeToMergeSecs: walk.mergedAt === undefined ? undefined : Math.round((walk.mergedAt - startedAt) / 1000)
    }
  }
}
