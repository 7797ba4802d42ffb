/**
 * What every side offers the workloads: each method takes the workload's data up front
 * (converted to the side's own input form before any timing) and returns operation `i`.
 */
import type { EventType } from "../src/index.js"
import type { EventSpec, MetricsSpec, SessionSpec } from "./data.js"
import type { Run } from "./measure.js"

export type SideName = "raw" | "drizzle-builder" | "drizzle-prepared" | "ennio-db"

/** The SQLite `synchronous: "full"` column: raw better-sqlite3 and ennio-db, both syncing every commit. */
export type FullSideName = "raw-full" | "ennio-full"

/**
 * The PostgreSQL column: the `pg` driver (the limit there) and ennio-db over a `postgres://` URL;
 * and, in bench/pg-roundtrips.ts only, the driver with unnamed statements.
 */
export type PgSideName = "pg-raw" | "pg-unnamed" | "ennio-pg"

export const sideLabels: Record<SideName | FullSideName | PgSideName, string> = {
  "raw": "raw better-sqlite3",
  "drizzle-builder": "Drizzle builder",
  "drizzle-prepared": "Drizzle prepared",
  "ennio-db": "ennio-db",
  "raw-full": "raw (FULL)",
  "ennio-full": "ennio-db (FULL)",
  "pg-raw": "pg raw",
  "pg-unnamed": "pg unnamed",
  "ennio-pg": "ennio-db (pg)"
}

export interface SideHandle {
  /** W1: get session `ids[i]`. */
  readonly sessionsGet: (ids: ReadonlyArray<string>) => Run
  /** W2: insert session `specs[i]`. */
  readonly sessionsInsert: (specs: ReadonlyArray<SessionSpec>) => Run
  /** W3, W4: insert event `specs[i]` on its own. */
  readonly eventsInsert: (specs: ReadonlyArray<EventSpec>) => Run
  /** W5: insert all of `batches[i]` at once. */
  readonly eventsInsertMany: (batches: ReadonlyArray<ReadonlyArray<EventSpec>>) => Run
  /** W6: the session's newest `limit` events, or those older than event `before`. */
  readonly eventsPage: (sessionId: string, before: string | undefined, limit: number) => Run
  /** W10a: the newest `limit` events of one type. */
  readonly eventsOfType: (eventType: EventType, limit: number) => Run
  /** W10b: the newest `limit` events of one project. */
  readonly eventsOfProject: (projectId: string, limit: number) => Run
  /** W7: every session, newest first. */
  readonly sessionsList: () => Run
  /** W8: add `specs[i]` to its session's counters. */
  readonly metricsRecord: (specs: ReadonlyArray<MetricsSpec>) => Run
  readonly close: () => Promise<void>
}

export interface Side<Name extends string = SideName> {
  readonly name: Name
  readonly open: (file: string) => Promise<SideHandle>
}

/** A side of the `synchronous: "full"` column: opened on a SQLite file, syncing every commit. */
export type FullSide = Side<FullSideName>

/** A side of the PostgreSQL column: opened on a connection URL (one schema of the run's database). */
export interface PgSide {
  readonly name: PgSideName
  readonly open: (url: string) => Promise<SideHandle>
}
