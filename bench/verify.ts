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
