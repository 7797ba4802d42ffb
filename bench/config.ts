/**
 * How big each workload is and how many times it runs, for a full run and for `--quick`
 * (CI's smoke run: same code paths, smaller tables and fewer iterations).
 */
import type { ConcurrentPlan, SequentialPlan } from "./measure.js"

export type Mode = "full" | "quick"

export interface Sizes {
  readonly mode: Mode
  /** W1: sessions in the table read by id. */
  readonly getTableSessions: number
  readonly get: SequentialPlan
  readonly insertSession: SequentialPlan
  /** W3, W4, W8: sessions the events and metrics belong to. */
  readonly writeSessions: number
  readonly insertEvent: SequentialPlan
  readonly concurrentInsert: ConcurrentPlan
  /** W5: events per `insertMany` call. */
  readonly batchEvents: number
  readonly insertMany: SequentialPlan
  /** W6: the table, and the one session paged through. */
  readonly pageTableEvents: number
  readonly pageSessionEvents: number
  readonly pageSize: number
  readonly page: SequentialPlan
  /** W7: sessions listed by one `list()`. */
  readonly listSessions: number
  readonly list: SequentialPlan
  readonly concurrentRecord: ConcurrentPlan
  /** Memory check: events in the one session streamed. */
  readonly streamEvents: number
  /** W9: sessions `demo` writes, and cold starts timed per command. */
  readonly demoSessions: number
  readonly coldRuns: number
}

/** What workloads W1–W8 need: the table sizes and plans (the PostgreSQL column has its own). */
export type WorkloadSizes = Omit<Sizes, "mode" | "streamEvents" | "demoSessions" | "coldRuns">

/**
 * The PostgreSQL column: the same workloads, tables, rows and plans (W6 included: its
 * 1,000,000-event table loads in about 20 s on 2 cores).
 */
export interface PgSizes extends WorkloadSizes {
  readonly mode: Mode
  /** Connections of each side's pool: ennio-db's default (src/Connection/PostgresBackend.ts). */
  readonly poolSize: number
}

const callers = 64

export const full: Sizes = {
  mode: "full",
  getTableSessions: 10_000,
  get: { warmup: 10_000, rounds: 10, perRound: 10_000, timedPerRound: 2_000 },
  insertSession: { warmup: 1_000, rounds: 8, perRound: 2_000, timedPerRound: 500 },
  writeSessions: callers,
  insertEvent: { warmup: 1_000, rounds: 8, perRound: 2_000, timedPerRound: 500 },
  concurrentInsert: { callers, warmupPerCaller: 20, rounds: 6, perCaller: 100 },
  batchEvents: 10_000,
  insertMany: { warmup: 1, rounds: 8, perRound: 1, timedPerRound: 1 },
  pageTableEvents: 1_000_000,
  pageSessionEvents: 100_000,
  pageSize: 50,
  page: { warmup: 200, rounds: 8, perRound: 500, timedPerRound: 250 },
  listSessions: 1_000,
  list: { warmup: 10, rounds: 8, perRound: 15, timedPerRound: 10 },
  concurrentRecord: { callers, warmupPerCaller: 20, rounds: 6, perCaller: 100 },
  streamEvents: 1_000_000,
  demoSessions: 1_000,
  coldRuns: 10
}

export const quick: Sizes = {
  mode: "quick",
  getTableSessions: 10_000,
  get: { warmup: 1_000, rounds: 3, perRound: 2_000, timedPerRound: 500 },
  insertSession: { warmup: 200, rounds: 3, perRound: 300, timedPerRound: 100 },
  writeSessions: callers,
  insertEvent: { warmup: 200, rounds: 3, perRound: 300, timedPerRound: 100 },
  concurrentInsert: { callers, warmupPerCaller: 5, rounds: 2, perCaller: 20 },
  batchEvents: 2_000,
  insertMany: { warmup: 1, rounds: 2, perRound: 1, timedPerRound: 1 },
  pageTableEvents: 100_000,
  pageSessionEvents: 10_000,
  pageSize: 50,
  page: { warmup: 50, rounds: 3, perRound: 100, timedPerRound: 50 },
  listSessions: 1_000,
  list: { warmup: 3, rounds: 3, perRound: 4, timedPerRound: 3 },
  concurrentRecord: { callers, warmupPerCaller: 5, rounds: 2, perCaller: 20 },
  streamEvents: 100_000,
  demoSessions: 100,
  coldRuns: 2
}

/** `sizes` less what only the SQLite run has (the memory check, W9). */
const workloadSizes = ({ coldRuns: _c, demoSessions: _d, mode: _m, streamEvents: _s, ...rest }: Sizes): WorkloadSizes =>
  rest

/** The full SQLite run's tables and plans: about 2 more minutes on 2 cores. */
export const pgFull: PgSizes = { ...workloadSizes(full), mode: "full", poolSize: 10 }

/** The quick SQLite run's tables and plans. */
export const pgQuick: PgSizes = { ...workloadSizes(quick), mode: "quick", poolSize: 10 }
