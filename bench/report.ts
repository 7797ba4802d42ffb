/**
 * The results: judged against the targets, printed as a table, and written as JSON.
 */
import type { ColdStartResult } from "./cold-start.js"
import type { Mode, Sizes } from "./config.js"
import type { QueryPlan } from "./ennio.js"
import type { Measurement } from "./measure.js"
import type { MemoryResult } from "./memory-check.js"
import { describeSettings, type PgQueryPlan, type PgWorkloadResult, type PostgresResult } from "./pg.js"
import { type FullSideName, sideLabels, type SideName } from "./side.js"
import { type ColumnVerdict, type Target, targets, type WorkloadId } from "./targets.js"

export interface SideResult extends Measurement {
  readonly side: SideName
  /** This side's ops/s ÷ raw's ops/s in the same run. */
  readonly ratioToRaw: number
}

export interface WorkloadResult {
  readonly id: WorkloadId
  readonly title: string
  readonly results: ReadonlyArray<SideResult>
  /** W6, W10: the statements ennio-db ran and SQLite's plan for each. */
  readonly queryPlans?: ReadonlyArray<QueryPlan>
}

/** A side of the `synchronous: "full"` column: its ratio is to raw (FULL). */
export interface FullSideResult extends Measurement {
  readonly side: FullSideName
  readonly ratioToRaw: number
}

export interface FullSyncWorkloadResult {
  readonly id: WorkloadId
  readonly title: string
  readonly results: ReadonlyArray<FullSideResult>
  /** Both sides left the table the SQLite column's sides left (checked; the run fails otherwise). */
  readonly sameAsNormal: boolean
  /** ennio-db (FULL) against its target (bench/targets.ts, `fullSyncTargets`), where it has one. */
  readonly verdict?: ColumnVerdict
}

/** The SQLite column's write workloads again with `synchronous: "full"` on raw and ennio-db (issue 16). */
export interface FullSyncResult {
  readonly settings: string
  readonly workloads: ReadonlyArray<FullSyncWorkloadResult>
}

/** ennio-db on one workload, against its target and against Drizzle. */
export interface Verdict {
  readonly id: WorkloadId
  readonly target: string
  readonly measured: string
  /** null where there is no target (measured and reported only). */
  readonly met: boolean | null
  readonly aheadOfBuilder: boolean | null
  /** null where the issue does not ask for it. */
  readonly aheadOfPrepared: boolean | null
}

export interface Machine {
  readonly node: string
  readonly v8: string
  readonly os: string
  readonly cpu: string
  readonly cores: number
  readonly memoryGiB: number
  /** 1-minute load average when the run started: other work on the machine makes figures noisier. */
  readonly loadAverage: number
  readonly date: string
  readonly versions: Readonly<Record<string, string>>
}

export interface BenchResults {
  readonly mode: Mode
  readonly machine: Machine
  /** The ennio-db commit measured. */
  readonly source: string
  readonly settings: string
  /** Table sizes and iteration counts of this run. */
  readonly sizes: Sizes
  readonly workloads: ReadonlyArray<WorkloadResult>
  /** The write workloads with `synchronous: "full"` on raw better-sqlite3 and ennio-db. */
  readonly fullSync: FullSyncResult
  readonly coldStart: ColdStartResult
  readonly memory: MemoryResult
  readonly verdicts: ReadonlyArray<Verdict>
  /** The PostgreSQL column: W1–W8 and W10 on the `pg` driver and on ennio-db over PostgreSQL, and the server's settings. */
  readonly postgres: PostgresResult
  readonly wallSeconds: number
}

const find = (workload: WorkloadResult, side: SideName) => workload.results.find((result) => result.side === side)

const plansOk = (plans: ReadonlyArray<QueryPlan> | undefined) =>
  plans !== undefined && plans.length > 0 && plans.every((plan) => plan.usesIndex && !plan.tempBTree)

const judge = (target: Target, ennio: SideResult, plans: ReadonlyArray<QueryPlan> | undefined) =>
  target.kind === "ratio"
    ? { measured: `${ennio.ratioToRaw.toFixed(2)}× raw`, met: ennio.ratioToRaw >= target.min }
    : target.kind === "none"
    ? { measured: `${ennio.ratioToRaw.toFixed(2)}× raw`, met: null }
    : {
      measured: `p50 ${formatUs(ennio.p50Us)} µs, plan ${plansOk(plans) ? "indexed" : "NOT indexed"}`,
      met: ennio.p50Us <= target.maxUs && plansOk(plans)
    }

export const verdicts = (
  workloads: ReadonlyArray<WorkloadResult>,
  coldStart: ColdStartResult
): Array<Verdict> => {
  const out: Array<Verdict> = workloads.flatMap((workload) => {
    const ennio = find(workload, "ennio-db")
    const builder = find(workload, "drizzle-builder")
    const prepared = find(workload, "drizzle-prepared")
    if (ennio === undefined || builder === undefined || prepared === undefined) return []
    const { beatPrepared, target } = targets[workload.id]
    return [{
      id: workload.id,
      target: target.label,
      ...judge(target, ennio, workload.queryPlans),
      aheadOfBuilder: ennio.opsPerSec > builder.opsPerSec,
      aheadOfPrepared: beatPrepared ? ennio.opsPerSec > prepared.opsPerSec : null
    }]
  })
  if (coldStart.status === "ran") {
    const { target } = targets.W9
    out.push({
      id: "W9",
      target: target.label,
      measured: `${(1 / coldStart.ratio).toFixed(2)}× the plain script's time`,
      met: target.kind === "ratio" && coldStart.ratio >= target.min,
      aheadOfBuilder: null,
      aheadOfPrepared: null
    })
  }
  return out
}

const formatUs = (us: number) => us >= 1_000 ? Math.round(us).toLocaleString("en-US") : us.toFixed(1)
const formatRate = (rate: number) =>
  rate >= 100 ? Math.round(rate).toLocaleString("en-US") : rate.toFixed(rate >= 10 ? 1 : 2)
const mark = (ok: boolean) => (ok ? "✓" : "✗")
const count = (n: number) => n.toLocaleString("en-US")

const row = (label: string, m: Measurement, ratio: number) =>
  `    ${label.padEnd(20)}${formatRate(m.opsPerSec).padStart(12)}${formatUs(m.p50Us).padStart(11)}${
    formatUs(m.p99Us).padStart(11)
  }${ratio.toFixed(2).padStart(8)}`

const verdictText = (verdict: Verdict) =>
  [
    verdict.met === null ? verdict.target : `target ${verdict.target} ${mark(verdict.met)}`,
    ...(verdict.aheadOfBuilder === null ? [] : [`ahead of builder ${mark(verdict.aheadOfBuilder)}`]),
    ...(verdict.aheadOfPrepared === null ? [] : [`ahead of prepared ${mark(verdict.aheadOfPrepared)}`])
  ].join(" · ")

const header = `    ${"side".padEnd(20)}${"ops/s".padStart(12)}${"p50 µs".padStart(11)}${"p99 µs".padStart(11)}${
  "× raw".padStart(8)
}`

export const render = (results: BenchResults): string => {
  const { machine } = results
  const lines: Array<string> = [
    `ennio-db benchmark · ${results.mode} run · ${machine.date}`,
    `node ${machine.node} · ${machine.cpu} · ${machine.cores} cores · ${machine.os} · load ${
      machine.loadAverage.toFixed(2)
    } at start`,
    `ennio-db at ${results.source}`,
    `every side: ${results.settings}`,
    ...(results.mode === "quick" ? ["quick mode: smaller tables and fewer iterations than the full run"] : []),
    ""
  ]
  const verdictOf = (id: WorkloadId) => results.verdicts.find((verdict) => verdict.id === id)
  const postgres = results.postgres
  const pgWorkload = (id: WorkloadId) =>
    postgres.status === "ran" ? postgres.workloads.find((workload) => workload.id === id) : undefined
  for (const workload of results.workloads) {
    lines.push(`${workload.id.padEnd(5)}${workload.title}`, header)
    for (const result of workload.results) {
      const line = row(sideLabels[result.side], result, result.ratioToRaw)
      const verdict = result.side === "ennio-db" ? verdictOf(workload.id) : undefined
      lines.push(verdict === undefined ? line : `${line}   ${verdictText(verdict)}`)
    }
    for (const plan of workload.queryPlans ?? []) {
      lines.push(`    query: ${plan.sql}`, ...plan.plan.map((step) => `      plan: ${step}`))
    }
    if (workload.queryPlans?.length === 0) lines.push("    query plan: no statement captured through @effect/sql")
    const fullSync = results.fullSync.workloads.find((candidate) => candidate.id === workload.id)
    if (fullSync !== undefined) lines.push(...fullSyncRows(fullSync))
    const pg = pgWorkload(workload.id)
    if (pg !== undefined) lines.push(...pgRows(pg, workload.title))
    lines.push("")
  }
  const cold = results.coldStart
  if (cold.status === "skipped") {
    lines.push(`W9 skipped: ${cold.reason}`, "")
  } else {
    const verdict = verdictOf("W9")
    lines.push(
      `W9   ennio-db status as a cold process, demo --sessions ${cold.demoSessions.toLocaleString("en-US")}`,
      header,
      row("plain node script", cold.plain, 1),
      `${row("ennio-db status", cold.cli, cold.ratio)}   ${verdict === undefined ? "" : verdictText(verdict)}`,
      ""
    )
  }
  const memory = results.memory
  lines.push(
    `Memory: streamBySession over ${memory.events.toLocaleString("en-US")} events (${memory.pages} pages) in ${
      memory.seconds.toFixed(1)
    } s: peak heap growth ${memory.peakGrowthMb.toFixed(1)} MB, budget ${memory.budgetMb} MB ${
      mark(memory.withinBudget)
    }`,
    `    (heapUsed after every page; full GC forced every ${memory.collectEveryPages} pages; ` +
      `largest growth right after a GC ${memory.retainedGrowthMb.toFixed(1)} MB)`,
    ""
  )
  lines.push(`SQLite synchronous FULL column: ${results.fullSync.settings}`, "")
  lines.push(...pgSummary(postgres), "")
  const judged = results.verdicts.filter((verdict) => verdict.met !== null)
  const missed = judged.filter((verdict) => verdict.met === false)
  lines.push(
    `Targets met: ${judged.length - missed.length} of ${judged.length}` +
      (missed.length === 0 ? "" : ` (missed: ${missed.map((v) => `${v.id} ${v.measured}`).join("; ")})`),
    columnTally("SQLite FULL targets met", results.fullSync.workloads),
    ...(postgres.status === "ran" ? [columnTally("PostgreSQL targets met", postgres.workloads)] : []),
    tally("Ahead of Drizzle builder", results.verdicts, (verdict) => verdict.aheadOfBuilder),
    tally("Ahead of Drizzle prepared", results.verdicts, (verdict) => verdict.aheadOfPrepared),
    `Wall time: ${results.wallSeconds.toFixed(1)} s`
  )
  return lines.join("\n")
}

/** A workload's `synchronous: "full"` rows, under its SQLite rows: the ratio there is to raw (FULL). */
const fullSyncRows = (workload: FullSyncWorkloadResult): Array<string> => [
  `    ── SQLite synchronous FULL, × raw (FULL)${workload.sameAsNormal ? " (same table contents as the NORMAL sides ✓)" : ""}`,
  ...workload.results.map((result) => {
    const line = row(sideLabels[result.side], result, result.ratioToRaw)
    const verdict = result.side === "ennio-full" ? workload.verdict : undefined
    return verdict === undefined ? line : `${line}   target ${verdict.target} ${mark(verdict.met)}`
  })
]

/** A workload's PostgreSQL rows, under its SQLite rows: the ratio there is to pg raw. */
const pgRows = (workload: PgWorkloadResult, sqliteTitle: string): Array<string> => [
  `    ── PostgreSQL, × pg raw${workload.title === sqliteTitle ? "" : `: ${workload.title}`}` +
  (workload.matchesSqlite ? ` (${isRead(workload.id) ? "same rows" : "same table contents"} as the SQLite sides ✓)` : ""),
  ...workload.results.map((result) => {
    const line = row(sideLabels[result.side], result, result.ratioToRaw)
    const verdict = result.side === "ennio-pg" ? workload.verdict : undefined
    return verdict === undefined ? line : `${line}   target ${verdict.target} ${mark(verdict.met)}`
  }),
  ...(workload.queryPlans ?? []).flatMap((plan: PgQueryPlan) => [
    `    query (plan: ${plan.planKind}): ${plan.sql}`,
    ...plan.plan.map((step) => `      plan: ${step}`),
    `      ${plan.usesIndex ? "index scan" : "NO index scan"}, ${plan.sorts ? "SORTS the rows" : "no sort"}`
  ])
]

const isRead = (id: WorkloadId) =>
  id === "W1" || id === "W6a" || id === "W6b" || id === "W7" || id === "W10a" || id === "W10b"

/** A column's targets (SQLite FULL, PostgreSQL), met or missed. */
const columnTally = (
  what: string,
  workloads: ReadonlyArray<{ readonly id: WorkloadId; readonly verdict?: ColumnVerdict }>
): string => {
  const judged = workloads.flatMap((workload) => workload.verdict === undefined ? [] : [[workload.id, workload.verdict] as const])
  const missed = judged.filter(([, verdict]) => !verdict.met)
  return `${what}: ${judged.length - missed.length} of ${judged.length}` +
    (missed.length === 0 ? "" : ` (missed: ${missed.map(([id, v]) => `${id} ${v.measured}`).join("; ")})`)
}

/** Where the PostgreSQL column ran, how, and with what sizes (or why it did not). */
export const pgSummary = (postgres: PostgresResult): Array<string> => {
  if (postgres.status === "skipped") return [`PostgreSQL column skipped: ${postgres.reason}`]
  const { serverSettings: server, sizes } = postgres
  const ops = (id: string, n: number) => `${id} ${count(n)}`
  const sequential = (plan: { rounds: number; perRound: number; timedPerRound: number }) =>
    plan.rounds * (plan.perRound + plan.timedPerRound)
  const concurrent = (plan: { callers: number; rounds: number; perCaller: number }) =>
    plan.callers * plan.rounds * plan.perCaller
  const origin = postgres.origin.kind === "given"
    ? `the server ${postgres.origin.via} names, as it is configured`
    : `a throwaway server the run started (initdb in ${postgres.origin.dir}, on ${postgres.origin.fileSystem}; deleted at the end)`
  return [
    `PostgreSQL column: ${postgres.server} at ${postgres.where}: ${origin}`,
    `    server settings: ${describeSettings(server)}`,
    ...(server.fsync === "off" || server.synchronous_commit === "off"
      ? [
        "    this server does not wait for its commits to reach the disk, which flatters every write: issue 16's " +
        "targets are stated for default durability (run without --pg and ENNIO_TEST_PG_URL for a server that has it)"
      ]
      : []),
    `    ${postgres.settings}`,
    `    sizes: W1 ${count(sizes.getTableSessions)} sessions; W5 ${count(sizes.batchEvents)} events a call; W6, W10 ${
      count(sizes.pageTableEvents)
    } events, session of ${count(sizes.pageSessionEvents)} (built in ${
      postgres.pageTableLoad.seconds.toFixed(1)
    } s); W7 ${count(sizes.listSessions)} sessions; W4, W8 ${sizes.concurrentInsert.callers} callers`,
    `    operations measured per side: ${
      [
        ops("W1", sequential(sizes.get)),
        ops("W2", sequential(sizes.insertSession)),
        ops("W3", sequential(sizes.insertEvent)),
        ops("W4", concurrent(sizes.concurrentInsert)),
        ops("W5", sequential(sizes.insertMany)),
        ops("W6", sequential(sizes.page)),
        ops("W7", sequential(sizes.list)),
        ops("W8", concurrent(sizes.concurrentRecord)),
        ops("W10", sequential(sizes.page))
      ].join(", ")
    }`,
    `    targets (issue 16, on a server of default durability; W10: issue 11): W1, W2, W3, W5, W6, W7 ≥ 0.85× pg raw, ` +
    `W4, W8 ≥ 3×, W6 through the session's index, W10 p50 ≤ 1 ms; W9 (a cold process on a SQLite file) has no PostgreSQL form`,
    `    PostgreSQL column time: ${postgres.seconds.toFixed(1)} s`
  ]
}

const tally = (what: string, all: ReadonlyArray<Verdict>, ahead: (verdict: Verdict) => boolean | null) => {
  const asked = all.filter((verdict) => ahead(verdict) !== null)
  const behind = asked.filter((verdict) => ahead(verdict) === false).map((verdict) => verdict.id)
  return `${what}: ${asked.length - behind.length} of ${asked.length}` +
    (behind.length === 0 ? "" : ` (behind on ${behind.join(", ")})`)
}
