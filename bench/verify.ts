/**
 * Proof that every side did the same work: reads return the same rows, writes leave the
 * same table contents. A benchmark that compares unequal work is refused.
 */
import { createHash } from "node:crypto"
import { openConnection } from "./connection.js"

const shortHash = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 16)

/** What a table holds after a write workload, as a short hash of its rows in key order. */
export const digest = (file: string, query: string): string => {
  const db = openConnection(file)
  try {
    const hash = createHash("sha256")
    for (const row of db.prepare(query).iterate()) hash.update(JSON.stringify(row))
    return hash.digest("hex").slice(0, 16)
  } finally {
    db.close()
  }
}

/** A read's result as its row count and the hash of its ids in order (every side's rows carry `id`). */
export const summarize = (result: unknown): string => {
  const rows: ReadonlyArray<unknown> = Array.isArray(result) ? result : [result]
  const ids = rows.map((row) => String((row as { readonly id?: unknown } | undefined)?.id))
  return `${rows.length} rows, ids ${shortHash(ids.join("\n"))}`
}

/** Fails unless every side produced the same fingerprint. */
export const assertSame = (workload: string, fingerprints: ReadonlyArray<readonly [side: string, print: string]>) => {
  const distinct = new Set(fingerprints.map(([, print]) => print))
  if (distinct.size > 1) {
    const detail = fingerprints.map(([side, print]) => `${side}: ${print}`).join("; ")
    throw new Error(`${workload}: the sides did not do the same work (${detail})`)
  }
}

// Columns whose stored form differs between the backends: JSON (SQLite: text as written;
// PostgreSQL: jsonb, keys reordered), times (ISO text; timestamptz) and numbers (bigint and
// double precision print as text from the PostgreSQL connection that reads them).
const jsonColumns = new Set(["runtime_handle", "agent_info", "metadata", "data"])
const timeColumns = new Set(["created_at", "last_activity_at", "restored_at", "archived_at", "timestamp", "updated_at"])
const numberColumns = new Set([
  "pr_number", "total_tokens_in", "total_tokens_out", "estimated_cost_usd", "ci_runs", "ci_failures", "review_rounds",
  "time_to_first_pr_secs", "time_to_merge_secs"
])

/** JSON with every object's keys sorted. */
const canonicalJson = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(canonicalJson)
    : value !== null && typeof value === "object"
    ? Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonicalJson((value as Record<string, unknown>)[key])]))
    : value

/** `2026-01-05 08:00:00.25+00` (PostgreSQL, UTC) or `2026-01-05T08:00:00.250Z` (SQLite) → the ISO form. */
const canonicalTime = (text: string): string =>
  new Date(text.replace(" ", "T").replace(/\+00(:00)?$/, "Z")).toISOString()

const canonicalValue = (column: string, value: unknown): unknown => {
  if (value === null || value === undefined) return null
  if (jsonColumns.has(column)) return canonicalJson(typeof value === "string" ? JSON.parse(value) : value)
  if (timeColumns.has(column)) return canonicalTime(String(value))
  if (numberColumns.has(column)) return Number(value)
  return String(value)
}

/**
 * What rows hold, whichever backend stored them: a short hash of the rows in order, each value
 * in one form (JSON parsed with sorted keys, times in ISO form, numbers as numbers).
 */
export const canonicalDigest = (rows: Iterable<Record<string, unknown>>): string => {
  const hash = createHash("sha256")
  for (const row of rows) {
    hash.update(JSON.stringify(Object.entries(row).map(([column, value]) => canonicalValue(column, value))))
  }
  return hash.digest("hex").slice(0, 16)
}

/** `canonicalDigest` of a query's rows in a SQLite file. */
export const canonicalFileDigest = (file: string, query: string): string => {
  const db = openConnection(file)
  try {
    return canonicalDigest(db.prepare<[], Record<string, unknown>>(query).iterate())
  } finally {
    db.close()
  }
}
