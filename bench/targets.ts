/**
 * The targets of the performance issues, as data: ennio-db's ratio to raw (or an absolute
 * latency), and which Drizzle forms it must be ahead of; the SQLite `synchronous: "full"`
 * column's and the PostgreSQL column's (issue 16).
 */
export type WorkloadId = "W1" | "W2" | "W3" | "W4" | "W5" | "W6a" | "W6b" | "W7" | "W8" | "W9" | "W10a" | "W10b"

export type Target =
  | { readonly kind: "ratio"; readonly min: number; readonly label: string }
  | { readonly kind: "p50"; readonly maxUs: number; readonly label: string }
  /** Measured and reported, judged against nothing. */
  | { readonly kind: "none"; readonly label: string }

export interface Targets {
  readonly target: Target
  /** Must be ahead of Drizzle's prepared form too (its everyday form: on every workload). */
  readonly beatPrepared: boolean
}

const ratio = (min: number, label = `≥ ${min.toFixed(2)}× raw`): Target => ({ kind: "ratio", min, label })
const pageMedian: Target = { kind: "p50", maxUs: 1_000, label: "p50 ≤ 1 ms, indexed plan" }
const pgPageMedian: Target = { kind: "p50", maxUs: 1_000, label: "p50 ≤ 1 ms, index scan, no sort" }

/** SQLite with `synchronous = NORMAL`, the default. */
export const targets: Record<WorkloadId, Targets> = {
  W1: { target: ratio(0.25), beatPrepared: false },
  W2: { target: ratio(0.3), beatPrepared: false },
  W3: { target: ratio(0.3), beatPrepared: false },
  W4: { target: ratio(2), beatPrepared: true },
  W5: { target: ratio(0.8), beatPrepared: true },
  W6a: { target: pageMedian, beatPrepared: true },
  W6b: { target: pageMedian, beatPrepared: true },
  W7: { target: ratio(0.4), beatPrepared: false },
  // Issue 16 withdrew 2×: with no sync to share, a raw upsert leaves a group commit nothing to save.
  W8: { target: { kind: "none", label: "reported, no target" }, beatPrepared: true },
  // ≤ 2.5× the plain script's wall time is a ratio of at least 1 / 2.5.
  W9: { target: ratio(0.4, "≤ 2.5× plain script's time"), beatPrepared: false },
  // The dashboard's pages (issue 11): a latency, as W6; it asks nothing of Drizzle.
  W10a: { target: pageMedian, beatPrepared: false },
  W10b: { target: pageMedian, beatPrepared: false }
}

/** The write workloads the SQLite `synchronous: "full"` column runs (reads do not sync). */
export const fullSyncWorkloads: ReadonlyArray<WorkloadId> = ["W2", "W3", "W4", "W5", "W8"]

/** ennio-db (FULL) ÷ raw better-sqlite3 (FULL): where every raw autocommit pays an fsync (issue 16). */
export const fullSyncTargets: Partial<Record<WorkloadId, Target>> = {
  W3: ratio(0.9, "≥ 0.90× raw (FULL)"),
  W4: ratio(5, "≥ 5× raw (FULL)"),
  W8: ratio(5, "≥ 5× raw (FULL)")
}

const pgRatio = (min: number): Target => ratio(min, `≥ ${min.toFixed(2)}× pg raw`)

/**
 * ennio-db (pg) ÷ pg raw with pools of the same size, on a server of default durability (issue
 * 16), and W10's latency (issue 11). W6 must also read the session's index, not walk the
 * timestamp index (`pgPlanIndex`).
 */
export const pgTargets: Partial<Record<WorkloadId, Target>> = {
  W1: pgRatio(0.85),
  W2: pgRatio(0.85),
  W3: pgRatio(0.85),
  W4: pgRatio(3),
  W5: pgRatio(0.85),
  W6a: pgRatio(0.85),
  W6b: pgRatio(0.85),
  W7: pgRatio(0.85),
  W8: pgRatio(3),
  W10a: pgPageMedian,
  W10b: pgPageMedian
}

/** The index every statement ennio-db (pg) sends for the workload must scan (issue 16: W6 by the session's index). */
export const pgPlanIndex: Partial<Record<WorkloadId, string>> = {
  W6a: "idx_events_session_timestamp",
  W6b: "idx_events_session_timestamp"
}

/** The heap growth budget of `streamBySession` over a 1,000,000-event session. */
export const streamHeapBudgetMb = 64

/** One side of the SQLite FULL or PostgreSQL column against its target. */
export interface ColumnVerdict {
  readonly target: string
  readonly measured: string
  readonly met: boolean
}

/**
 * `target` for a side measured at `ratio` × its raw side with median latency `p50Us`;
 * `plan`: whether its statements' plans are as the target asks, and how to say what they are.
 */
export const judgeColumn = (
  target: Target | undefined,
  measured: { readonly ratio: number; readonly p50Us: number; readonly rawLabel: string },
  plan?: { readonly ok: boolean; readonly text: string }
): ColumnVerdict | undefined => {
  if (target === undefined || target.kind === "none") return undefined
  const planText = plan === undefined ? "" : `, plan ${plan.text}`
  return target.kind === "ratio"
    ? {
      target: target.label,
      measured: `${measured.ratio.toFixed(2)}× ${measured.rawLabel}${planText}`,
      met: measured.ratio >= target.min && (plan?.ok ?? true)
    }
    : {
      target: target.label,
      measured: `p50 ${measured.p50Us.toFixed(1)} µs${planText}`,
      met: measured.p50Us <= target.maxUs && (plan?.ok ?? true)
    }
}
