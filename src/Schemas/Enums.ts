/**
 * The stored enums of domain.md, as literal schemas with their snake_case spellings.
 *
 * @since 0.1.0
 */
import * as Order from "effect/Order"
import * as Schema from "effect/Schema"

/** A literal enum whose failure message lists every allowed spelling. */
const literals = <const L extends readonly [string, ...Array<string>]>(name: string, ...values: L) =>
  Schema.Literal(...values).annotations({
    identifier: name,
    message: (issue) => ({
      message: `expected a ${name} (${values.join(", ")}), got ${
        typeof issue.actual === "string" ? JSON.stringify(issue.actual) : String(issue.actual)
      }`,
      override: true
    })
  })

/** @since 0.1.0 */
export const SessionStatus = literals(
  "SessionStatus",
  "spawning",
  "working",
  "pr_open",
  "pr_draft",
  "ci_passing",
  "ci_failed",
  "ci_fix_sent",
  "ci_fix_failed",
  "review_pending",
  "changes_requested",
  "approved",
  "merge_conflicts",
  "merged",
  "done",
  "exited",
  "killed"
)
/** @since 0.1.0 */
export type SessionStatus = typeof SessionStatus.Type

// Maps, not object literals: a lookup by a string that is no status ("constructor",
// "__proto__") must find nothing rather than a property of Object.prototype.
const statusLabels: ReadonlyMap<string, string> = new Map<SessionStatus, string>([
  ["spawning", "Spawning"],
  ["working", "Working"],
  ["pr_open", "PR Open"],
  ["pr_draft", "PR Draft"],
  ["ci_passing", "CI Passing"],
  ["ci_failed", "CI Failed"],
  ["ci_fix_sent", "CI Fix Sent"],
  ["ci_fix_failed", "CI Fix Failed"],
  ["review_pending", "Review Pending"],
  ["changes_requested", "Changes Requested"],
  ["approved", "Approved"],
  ["merge_conflicts", "Merge Conflicts"],
  ["merged", "Merged"],
  ["done", "Done"],
  ["exited", "Exited"],
  ["killed", "Killed"]
])

const attentionReasons: ReadonlyMap<string, string> = new Map<SessionStatus, string>([
  ["ci_failed", "CI failed"],
  ["ci_fix_failed", "CI fix attempt failed"],
  ["changes_requested", "Changes requested by reviewer"],
  ["merge_conflicts", "Merge conflicts detected"]
])

const terminalStatuses: ReadonlySet<string> = new Set<SessionStatus>(["merged", "done", "exited", "killed"])

function displayLabel(status: SessionStatus): string
function displayLabel(status: string): string | undefined
function displayLabel(status: string): string | undefined {
  return statusLabels.get(status)
}

/**
 * Helpers over `SessionStatus` values. Each takes any string and answers only for a real
 * status: anything else is not terminal, needs no attention and has no label or reason.
 *
 * @since 0.1.0
 */
export const SessionStatuses = {
  all: SessionStatus.literals,
  isTerminal: (status: string): boolean => terminalStatuses.has(status),
  isRestorable: (status: string): boolean => status === "exited",
  needsAttention: (status: string): boolean => attentionReasons.has(status),
  attentionReason: (status: string): string | undefined => attentionReasons.get(status),
  displayLabel
} as const

/** @since 0.1.0 */
export const ActivityState = literals(
  "ActivityState",
  "active", "ready", "idle", "waiting_input", "blocked", "exited")
/** @since 0.1.0 */
export type ActivityState = typeof ActivityState.Type

/** @since 0.1.0 */
export const EventType = literals(
  "EventType",
  "session_spawned",
  "session_working",
  "session_exited",
  "session_killed",
  "session_restored",
  "session_cleaned",
  "status_changed",
  "activity_changed",
  "pr_created",
  "pr_updated",
  "pr_merged",
  "pr_closed",
  "ci_passing",
  "ci_failing",
  "ci_fix_sent",
  "ci_fix_failed",
  "review_pending",
  "review_approved",
  "review_changes_requested",
  "review_comments_sent",
  "merge_ready",
  "merge_conflicts",
  "merge_completed",
  "reaction_triggered",
  "reaction_escalated",
  "all_complete",
  "node_connected",
  "node_disconnected",
  "node_launched",
  "node_health_check"
)
/** @since 0.1.0 */
export type EventType = typeof EventType.Type

/** @since 0.1.0 */
export const EventPriority = literals(
  "EventPriority",
  "info", "action", "urgent", "critical")
/** @since 0.1.0 */
export type EventPriority = typeof EventPriority.Type

const priorityRank: ReadonlyMap<string, number> = new Map<EventPriority, number>([
  ["info", 0],
  ["action", 1],
  ["urgent", 2],
  ["critical", 3]
])

function rank(priority: EventPriority): number
function rank(priority: string): number | undefined
function rank(priority: string): number | undefined {
  return priorityRank.get(priority)
}

/**
 * Helpers over `EventPriority` values: info < action < urgent < critical. Given a string that
 * is no priority, `rank` is undefined and `atLeast` empty.
 *
 * @since 0.1.0
 */
export const EventPriorities = {
  all: EventPriority.literals,
  rank,
  Order: Order.mapInput(Order.number, (priority: EventPriority) => rank(priority)),
  /** Every priority at or above the given one. */
  atLeast: (priority: string): ReadonlyArray<EventPriority> => {
    const least = priorityRank.get(priority)
    return least === undefined ? [] : EventPriority.literals.filter((p) => rank(p) >= least)
  }
} as const
