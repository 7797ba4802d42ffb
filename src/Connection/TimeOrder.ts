/**
 * How each dialect orders and compares rows by time: by the instant a timestamp names, never
 * by its text, and ties by insertion order.
 *
 * SQLite stores timestamps as text in several spellings (`2026-11-26 08:06:52`, `…T…+00:00`,
 * `…T….123Z`), whose text order is not their time order. Its time indices (migration 7) are on
 * `julianday(column)`, a built-in the original implementation's SQLite evaluates too, so rows
 * it writes afterwards are indexed by their instant as well. Queries must name that same
 * expression to use those indices. PostgreSQL stores `timestamptz`: the column is the instant.
 *
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as Statement from "@effect/sql/Statement"
import * as DateTime from "effect/DateTime"

/** A timestamp column of `sessions` or `events`. */
export type TimeColumn = "timestamp" | "created_at"

/** A column of `events` that leads an index on `(column, instant, insertion order)` (migrations 6, 7). */
export type KeyColumn = "session_id" | "project_id" | "event_type"

/** Which rows of `events` a key selects, and the order that reads them from its index. */
export interface Keyed {
  readonly condition: Statement.Fragment
  readonly newestFirst: Statement.Fragment
}

/** @since 0.1.0 */
export interface TimeOrder {
  /** The instant of `column`, as the time indices hold it. */
  readonly instant: (column: TimeColumn) => Statement.Fragment
  /** An instant to compare with `instant(column)`, bound as a parameter. */
  readonly at: (dateTime: DateTime.DateTime) => Statement.Fragment
  /**
   * The column holding a row's insertion order in `sessions` and `events`, which breaks ties
   * of equal instants: SQLite's rowid; on PostgreSQL, `seq` (an identity column, migration 6).
   */
  readonly insertionOrder: Statement.Fragment
  /**
   * The newest `limit` rows of several selects, each of which selects `instant_key` and
   * `insertion_key` and can read its rows from an index in that order: merged, not sorted
   * (SQLite's MERGE (UNION ALL); PostgreSQL merges arms that are ordered and limited themselves).
   */
  readonly newestOfEach: (
    arms: ReadonlyArray<Statement.Fragment>,
    limit: number | undefined
  ) => Statement.Statement<any>
  /**
   * The events whose `column` equals `value`, newest first: the condition and the ORDER BY that
   * read them from the index on `(column, instant, insertion order)`.
   */
  readonly keyed: (column: KeyColumn, value: string) => Keyed
}

// julianday('1970-01-01T00:00:00Z') × 86,400,000: SQLite's julian day of the epoch, in milliseconds.
const epochJulianMs = 210_866_760_000_000

/**
 * SQLite's `julianday()` of an instant, computed as SQLite computes it (integer milliseconds
 * divided by a day's), so a bound value compares equal to the indexed value of the same instant.
 *
 * @since 0.1.0
 */
export const julianDay = (dateTime: DateTime.DateTime): number =>
  (DateTime.toEpochMillis(dateTime) + epochJulianMs) / 86_400_000

/** @since 0.1.0 */
export const make = (sql: SqlClient.SqlClient): TimeOrder => {
  const keyColumns: Record<KeyColumn, Statement.Fragment> = {
    session_id: sql.literal("session_id"),
    project_id: sql.literal("project_id"),
    event_type: sql.literal("event_type")
  }
  const newest = sql.literal("ORDER BY instant_key DESC, insertion_key DESC")
  const bound = (limit: number | undefined) => limit === undefined ? sql`` : sql`LIMIT ${limit}`
  const unionAll = sql.join(" UNION ALL ", false)
  const sqliteTimestamp = sql.literal("julianday(timestamp)")
  const sqliteRowid = sql.literal("rowid")
  const pgTimestamp = sql.literal("timestamp")
  const pgSeq = sql.literal("seq")
  // The orders `keyed` reads by, built once: they hold no value.
  const sqliteNewestFirst = sql`ORDER BY ${sqliteTimestamp} DESC, ${sqliteRowid} DESC`
  const pgKeyOrder = (column: KeyColumn) => sql`ORDER BY ${keyColumns[column]} DESC, ${pgTimestamp} DESC, ${pgSeq} DESC`
  const pgKeyedNewestFirst: Record<KeyColumn, Statement.Fragment> = {
    session_id: pgKeyOrder("session_id"),
    project_id: pgKeyOrder("project_id"),
    event_type: pgKeyOrder("event_type")
  }
  return sql.onDialectOrElse({
    sqlite: (): TimeOrder => ({
      instant: (column) => column === "timestamp" ? sqliteTimestamp : sql.literal("julianday(created_at)"),
      at: (dateTime) => sql`${julianDay(dateTime)}`,
      insertionOrder: sqliteRowid,
      newestOfEach: (arms, limit) => sql`${unionAll(arms)} ${newest} ${bound(limit)}`,
      keyed: (column, value) => ({ condition: sql`${keyColumns[column]} = ${value}`, newestFirst: sqliteNewestFirst })
    }),
    orElse: (): TimeOrder => ({
      instant: (column) => column === "timestamp" ? pgTimestamp : sql.literal("created_at"),
      at: (dateTime) => sql`${DateTime.formatIso(dateTime)}`,
      insertionOrder: pgSeq,
      newestOfEach: (arms, limit) =>
        arms.length === 1
          ? sql`${arms[0]!} ${newest} ${bound(limit)}`
          : sql`${unionAll(arms.map((arm) => sql`(${arm} ${newest} ${bound(limit)})`))} ${newest} ${bound(limit)}`,
      // `= ANY(ARRAY[…])`, not `=`: an equality drops the column from the order, and a custom plan
      // may then walk the time index and filter, passing every newer row of other keys first.
      // Kept in the order, the column makes the key's own index the one that gives it.
      keyed: (column, value) => ({
        condition: sql`${keyColumns[column]} = ANY(ARRAY[${value}])`,
        newestFirst: pgKeyedNewestFirst[column]
      })
    })
  })
}
