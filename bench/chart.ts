/**
 * bench/results.svg: ratio to raw per workload for both Drizzle forms and ennio-db, on a
 * log scale (ratios run from a few hundredths to several times raw), with the targets marked;
 * below it, smaller charts of ennio-db (FULL) ÷ raw (FULL) for the `synchronous: "full"`
 * column and, when the PostgreSQL column ran, of ennio-db (pg) ÷ pg raw, with their targets.
 */
import type { PostgresResult } from "./pg.js"
import type { BenchResults, FullSyncResult, WorkloadResult } from "./report.js"
import type { SideName } from "./side.js"
import { type ColumnVerdict, fullSyncTargets, pgTargets, type Target, targets, type WorkloadId } from "./targets.js"

const series: ReadonlyArray<{ readonly side: SideName; readonly label: string; readonly color: string }> = [
  { side: "drizzle-builder", label: "Drizzle builder", color: "#a7b1bc" },
  { side: "drizzle-prepared", label: "Drizzle prepared", color: "#5d7185" },
  { side: "ennio-db", label: "ennio-db", color: "#2f6fd6" }
]
const targetColor = "#d23c3c"

// Wide enough for twelve groups of three bars and their target labels.
const width = 1140
const height = 440
const plot = { left: 64, right: width - 24, top: 72, bottom: height - 72 }
/** The FULL and PostgreSQL charts, under the first: their own height, the same columns. */
const columnHeight = 302
const fullColor = "#8a5cc2"
const pgColor = "#1f9e89"
const barWidth = 18

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
const num = (value: number) => Number(value.toFixed(1))

interface Group {
  readonly id: WorkloadId
  readonly ratios: ReadonlyArray<number | undefined>
  readonly note: string
}

const groupOf = (workload: WorkloadResult): Group => {
  const ennio = workload.results.find((result) => result.side === "ennio-db")
  const target = targets[workload.id].target
  return {
    id: workload.id,
    ratios: series.map(({ side }) => workload.results.find((result) => result.side === side)?.ratioToRaw),
    note: target.kind === "p50" && ennio !== undefined ? `p50 ${Math.round(ennio.p50Us)} µs` : ""
  }
}

export const renderChart = (results: BenchResults): string => {
  const groups: Array<Group> = results.workloads.map(groupOf)
  const cold = results.coldStart
  groups.push({
    id: "W9",
    ratios: series.map(({ side }) => (side === "ennio-db" && cold.status === "ran" ? cold.ratio : undefined)),
    note: cold.status === "ran" ? "vs plain script" : "not run"
  })
  // In the order of their numbers: W9 between W8 and W10a (sort is stable: W6a stays before W6b).
  groups.sort((a, b) => Number.parseInt(a.id.slice(1)) - Number.parseInt(b.id.slice(1)))
  const values = groups.flatMap((group) => group.ratios.filter((ratio): ratio is number => ratio !== undefined))
  const minExp = Math.min(-3, Math.floor(Math.log2(Math.min(...values))))
  const maxExp = Math.max(2, Math.ceil(Math.log2(Math.max(...values))))
  const y = (ratio: number) =>
    plot.bottom - ((Math.log2(ratio) - minExp) / (maxExp - minExp)) * (plot.bottom - plot.top)
  const step = (plot.right - plot.left) / groups.length

  const hasFull = results.fullSync.workloads.length > 0
  const total = height + (hasFull ? columnHeight : 0) + (results.postgres.status === "ran" ? columnHeight : 0)
  const out: Array<string> = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${total}" viewBox="0 0 ${width} ${total}" ` +
    `font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${total}" fill="#ffffff"/>`,
    `<text x="${plot.left}" y="26" font-size="16" font-weight="600">ennio-db and Drizzle: throughput as a multiple of raw better-sqlite3</text>`,
    `<text x="${plot.left}" y="46" fill="#555">${
      escape(`${results.mode} run · node ${results.machine.node} · ${results.machine.cpu} · ${results.machine.date.slice(0, 10)} · log scale, 1× = raw`)
    }</text>`
  ]
  for (let exp = minExp; exp <= maxExp; exp++) {
    const ratio = 2 ** exp
    const label = `${ratio}×`
    out.push(
      `<line x1="${plot.left}" x2="${plot.right}" y1="${num(y(ratio))}" y2="${num(y(ratio))}" ` +
        `stroke="${exp === 0 ? "#222" : "#e3e6ea"}" stroke-width="${exp === 0 ? 1.5 : 1}"/>`,
      `<text x="${plot.left - 8}" y="${num(y(ratio) + 4)}" text-anchor="end" fill="#555">${label}</text>`
    )
  }
  groups.forEach((group, g) => {
    const center = plot.left + step * (g + 0.5)
    group.ratios.forEach((ratio, s) => {
      if (ratio === undefined) return
      const x = center + (s - 1) * (barWidth + 4) - barWidth / 2
      const top = y(ratio)
      out.push(
        `<rect x="${num(x)}" y="${num(top)}" width="${barWidth}" height="${num(plot.bottom - top)}" fill="${
          series[s]!.color
        }"><title>${escape(`${group.id} ${series[s]!.label}: ${ratio.toFixed(2)}× raw`)}</title></rect>`,
        `<text x="${num(x + barWidth / 2)}" y="${num(top - 4)}" text-anchor="middle" font-size="9" fill="#333">${
          ratio.toFixed(ratio < 1 ? 2 : 1)
        }</text>`
      )
    })
    const target = targets[group.id].target
    if (target.kind === "ratio") {
      const ty = num(y(target.min))
      const x = center + (barWidth + 4) - barWidth / 2 - 5
      out.push(
        `<line x1="${num(x)}" x2="${num(x + barWidth + 10)}" y1="${ty}" y2="${ty}" stroke="${targetColor}" stroke-width="2.5"/>`,
        `<text x="${num(x + barWidth + 12)}" y="${num(ty + 4)}" font-size="9" fill="${targetColor}">${target.min}</text>`
      )
    }
    out.push(
      `<text x="${num(center)}" y="${plot.bottom + 18}" text-anchor="middle" font-weight="600">${group.id}</text>`,
      `<text x="${num(center)}" y="${plot.bottom + 32}" text-anchor="middle" font-size="10" fill="#555">${
        escape(group.note)
      }</text>`
    )
  })
  const legendY = height - 18
  series.forEach(({ color, label }, s) => {
    const x = plot.left + s * 150
    out.push(
      `<rect x="${x}" y="${legendY - 10}" width="12" height="12" fill="${color}"/>`,
      `<text x="${x + 18}" y="${legendY}">${label}</text>`
    )
  })
  const targetX = plot.left + series.length * 150
  out.push(
    `<line x1="${targetX}" x2="${targetX + 16}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${targetColor}" stroke-width="2.5"/>`,
    `<text x="${targetX + 22}" y="${legendY}">ennio-db target (W6, W10: p50 ≤ 1 ms instead)</text>`
  )
  const columns = groups.map((group) => group.id)
  if (hasFull) out.push(...columnChart(fullSyncColumn(results.fullSync), columns, height))
  if (results.postgres.status === "ran") {
    out.push(...columnChart(pgColumn(results.postgres), columns, height + (hasFull ? columnHeight : 0)))
  }
  out.push("</svg>")
  return out.join("\n") + "\n"
}

const formatRate = (rate: number) =>
  rate >= 9_950 ? `${Math.round(rate / 1000)}k` : rate >= 1_000 ? `${(rate / 1000).toFixed(1)}k` : rate.toFixed(rate >= 10 ? 0 : 1)

/** One bar of a lower chart: ennio-db's ratio to that column's raw side. */
interface ColumnBar {
  readonly id: WorkloadId
  readonly ratio: number
  readonly rawOpsPerSec: number
  readonly p50Us: number
  readonly target: Target | undefined
  readonly verdict: ColumnVerdict | undefined
}

interface Column {
  readonly title: string
  readonly subtitle: string
  readonly legend: string
  readonly color: string
  readonly bars: ReadonlyArray<ColumnBar>
}

/** A bar for each workload that ran both sides: ennio-db's ratio, with the raw side's ops/s under it. */
const ratioBars = (
  workloads: FullSyncResult["workloads"] | Extract<PostgresResult, { status: "ran" }>["workloads"],
  ennioSide: string,
  rawSide: string,
  targets: Partial<Record<WorkloadId, Target>>
): Array<ColumnBar> =>
  workloads.flatMap((workload) => {
    const ennio = workload.results.find((result) => result.side === ennioSide)
    const raw = workload.results.find((result) => result.side === rawSide)
    if (ennio === undefined || raw === undefined) return []
    return [{
      id: workload.id,
      ratio: ennio.ratioToRaw,
      rawOpsPerSec: raw.opsPerSec,
      p50Us: ennio.p50Us,
      target: targets[workload.id],
      verdict: workload.verdict
    }]
  })

const fullSyncColumn = (fullSync: FullSyncResult): Column => ({
  title: "SQLite synchronous FULL: ennio-db as a multiple of raw better-sqlite3, both syncing every commit",
  subtitle: "the write workloads · log scale, 1× = raw (FULL) · under each bar: raw (FULL)'s ops/s",
  legend: "ennio-db (FULL) ÷ raw (FULL) (PRAGMA synchronous = FULL; Database.layer({ url, synchronous: \"full\" }))",
  color: fullColor,
  bars: ratioBars(fullSync.workloads, "ennio-full", "raw-full", fullSyncTargets)
})

// The settings that decide what a commit costs; the JSON and the printed report have the rest.
const durability = (settings: Readonly<Record<string, string>>) =>
  `fsync ${settings.fsync ?? "?"}, synchronous_commit ${settings.synchronous_commit ?? "?"}, full_page_writes ${
    settings.full_page_writes ?? "?"
  }`

/** ennio-db (pg) ÷ pg raw, with pg raw's ops/s under each bar: the ratio alone hides that every operation is a round trip. */
const pgColumn = (postgres: Extract<PostgresResult, { status: "ran" }>): Column => ({
  title: "PostgreSQL column: ennio-db (pg) as a multiple of pg raw",
  subtitle: `${postgres.server} · ${durability(postgres.serverSettings)} · pools of ${postgres.sizes.poolSize} · ` +
    "log scale, 1× = pg raw · under each bar: pg raw's ops/s",
  legend: `ennio-db (pg) ÷ pg raw (the pg driver: a pool of ${postgres.sizes.poolSize}, named prepared statements)`,
  color: pgColor,
  bars: ratioBars(postgres.workloads, "ennio-pg", "pg-raw", pgTargets)
})

/** A lower chart: one bar per workload that column ran, in the columns of the chart above, targets marked. */
const columnChart = (column: Column, columns: ReadonlyArray<WorkloadId>, top: number): Array<string> => {
  const area = { left: plot.left, right: plot.right, top: top + 64, bottom: top + columnHeight - 78 }
  const levels = column.bars.flatMap((bar) => [bar.ratio, ...(bar.target?.kind === "ratio" ? [bar.target.min] : [])])
  const minExp = Math.min(-2, Math.floor(Math.log2(Math.min(...levels))))
  const maxExp = Math.max(1, Math.ceil(Math.log2(Math.max(...levels))))
  const y = (ratio: number) =>
    area.bottom - ((Math.log2(ratio) - minExp) / (maxExp - minExp)) * (area.bottom - area.top)
  const step = (area.right - area.left) / columns.length
  const out: Array<string> = [
    `<line x1="0" x2="${width}" y1="${top + 4}" y2="${top + 4}" stroke="#d0d5db"/>`,
    `<text x="${area.left}" y="${top + 30}" font-size="16" font-weight="600">${escape(column.title)}</text>`,
    `<text x="${area.left}" y="${top + 50}" fill="#555">${escape(column.subtitle)}</text>`
  ]
  for (let exp = minExp; exp <= maxExp; exp++) {
    const ratio = 2 ** exp
    out.push(
      `<line x1="${area.left}" x2="${area.right}" y1="${num(y(ratio))}" y2="${num(y(ratio))}" ` +
        `stroke="${exp === 0 ? "#222" : "#e3e6ea"}" stroke-width="${exp === 0 ? 1.5 : 1}"/>`,
      `<text x="${area.left - 8}" y="${num(y(ratio) + 4)}" text-anchor="end" fill="#555">${ratio}×</text>`
    )
  }
  columns.forEach((id, g) => {
    const center = area.left + step * (g + 0.5)
    const bar = column.bars.find((candidate) => candidate.id === id)
    if (bar !== undefined) {
      const top = y(bar.ratio)
      out.push(
        `<rect x="${num(center - barWidth / 2)}" y="${num(top)}" width="${barWidth}" height="${
          num(area.bottom - top)
        }" fill="${column.color}"><title>${escape(`${id}: ${bar.ratio.toFixed(2)}×`)}</title></rect>`,
        `<text x="${num(center)}" y="${num(top - 4)}" text-anchor="middle" font-size="9" fill="#333">${
          bar.ratio.toFixed(bar.ratio < 1 ? 2 : 1)
        }</text>`
      )
      if (bar.target?.kind === "ratio") {
        const ty = num(y(bar.target.min))
        out.push(
          `<line x1="${num(center - barWidth / 2 - 5)}" x2="${num(center + barWidth / 2 + 5)}" y1="${ty}" y2="${ty}" ` +
            `stroke="${targetColor}" stroke-width="2.5"/>`,
          `<text x="${num(center + barWidth / 2 + 7)}" y="${num(ty + 4)}" font-size="9" fill="${targetColor}">${bar.target.min}</text>`
        )
      }
    }
    out.push(
      `<text x="${num(center)}" y="${area.bottom + 18}" text-anchor="middle" font-weight="600">${id}</text>`,
      `<text x="${num(center)}" y="${area.bottom + 32}" text-anchor="middle" font-size="10" fill="#555">${
        escape(bar === undefined ? "not run" : `raw ${formatRate(bar.rawOpsPerSec)}/s`)
      }</text>`
    )
    if (bar?.target?.kind === "p50" && bar.verdict !== undefined) {
      out.push(
        `<text x="${num(center)}" y="${area.bottom + 46}" text-anchor="middle" font-size="10" fill="${
          bar.verdict.met ? "#555" : targetColor
        }">${escape(`p50 ${Math.round(bar.p50Us)} µs ${bar.verdict.met ? "✓" : "✗"}`)}</text>`
      )
    }
  })
  const legendY = top + columnHeight - 12
  out.push(
    `<rect x="${area.left}" y="${legendY - 10}" width="12" height="12" fill="${column.color}"/>`,
    `<text x="${area.left + 18}" y="${legendY}">${escape(column.legend)}</text>`,
    `<line x1="${area.right - 150}" x2="${area.right - 134}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${targetColor}" stroke-width="2.5"/>`,
    `<text x="${area.right - 128}" y="${legendY}">ennio-db target</text>`
  )
  return out
}
