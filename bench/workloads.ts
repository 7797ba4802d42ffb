/**
 * W1–W8, W10: for each, the database a side starts from, its operation on that side, how it is
 * timed, and how the sides are checked to have done the same work.
 */
import type { Sizes, WorkloadSizes } from "./config.js"
import {
  dashboardEventType,
  eventSpec,
  type EventSpec,
  metricsSpec,
  randomIndices,
  rareProjectId,
  type SessionSpec,
  sessionSpecs
} from "./data.js"
import type { EventsRead } from "./ennio.js"
import { type EventTable, eventTableRows, Fixtures } from "./fixtures.js"
import {
  concurrentOps,
  concurrentRunner,
  type Run,
  type Runner,
  sequentialOps,
  sequentialRunner
} from "./measure.js"
import { seedRows } from "./raw.js"
import type { SideHandle } from "./side.js"
import type { WorkloadId } from "./targets.js"

export type Check =
  | { readonly kind: "result" }
  | { readonly kind: "digest"; readonly query: string }

export interface Workload {
  readonly id: Exclude<WorkloadId, "W9">
  readonly title: string
  /** A fresh database file for `side` (a side's name: part of the file's), seeded with what the workload reads or refers to. */
  readonly database: (side: string) => string
  readonly bind: (handle: SideHandle) => Run
  readonly runner: (run: Run) => Runner
  readonly check: Check
  /** The read whose statements ennio-db sends are explained on `file` (the paging workloads). */
  readonly explain?: { readonly file: () => string; readonly read: EventsRead }
}

/** The W6 table and the cursor of its second page, built on first use. */
interface PageTable {
  readonly table: EventTable
  readonly cursor: string
}

export const sessionsDigest = "SELECT * FROM sessions ORDER BY id"
export const eventsDigest = "SELECT * FROM events ORDER BY id"
// updated_at is each side's own clock; the counters must agree.
export const metricsDigest = `SELECT session_id, total_tokens_in, total_tokens_out, estimated_cost_usd, ci_runs, ci_failures,
  review_rounds, time_to_first_pr_secs, time_to_merge_secs FROM session_metrics ORDER BY session_id`

const once = <A>(make: () => A): () => A => {
  let value: A | undefined
  return () => (value ??= make())
}

const count = (n: number) => n.toLocaleString("en-US")

/**
 * The rows every workload writes or reads, made on first use. A function of the sizes only, so
 * that the PostgreSQL column gets the same rows (the first ones, where it runs fewer operations).
 */
export const workloadData = (sizes: WorkloadSizes) => {
  const writeSessions: ReadonlyArray<SessionSpec> = sessionSpecs("wr", sizes.writeSessions)
  const eventsFor = (family: string, n: number): Array<EventSpec> =>
    Array.from({ length: n }, (_, i) => eventSpec(family, i, writeSessions[i % writeSessions.length]!))
  return {
    writeSessions,
    getTableSessions: once(() => sessionSpecs("w1", sizes.getTableSessions)),
    getIds: once(() =>
      randomIndices(sequentialOps(sizes.get), sizes.getTableSessions).map((index) => `w1-s${index}`)
    ),
    newSessions: once(() => sessionSpecs("w2", sequentialOps(sizes.insertSession))),
    singleEvents: once(() => eventsFor("w3", sequentialOps(sizes.insertEvent))),
    concurrentEvents: once(() => eventsFor("w4", concurrentOps(sizes.concurrentInsert))),
    batches: once(() => {
      const all = eventsFor("w5", sequentialOps(sizes.insertMany) * sizes.batchEvents)
      return Array.from(
        { length: sequentialOps(sizes.insertMany) },
        (_, b) => all.slice(b * sizes.batchEvents, (b + 1) * sizes.batchEvents)
      )
    }),
    listSessions: once(() => sessionSpecs("w7", sizes.listSessions)),
    deltas: once(() =>
      Array.from({ length: concurrentOps(sizes.concurrentRecord) }, (_, i) => metricsSpec(i, writeSessions))
    )
  }
}

/** What each workload measures, in words, for the table, the JSON and the chart. */
export const workloadTitles = (sizes: WorkloadSizes): Record<Workload["id"], string> => {
  const pageScope = `session of ${count(sizes.pageSessionEvents)} in ${count(sizes.pageTableEvents)} events`
  const { rareProjectEvents } = eventTableRows("w6", sizes.pageTableEvents, sizes.pageSessionEvents)
  return {
    W1: `sessions.get by id, ${count(sizes.getTableSessions)} sessions, random order`,
    W2: "sessions.insert, full rows with JSON columns",
    W3: "events.insert, one at a time",
    W4: `events.insert from ${sizes.concurrentInsert.callers} concurrent callers`,
    W5: `events.insertMany of ${count(sizes.batchEvents)} events (one op = one call)`,
    W6a: `listBySession newest ${sizes.pageSize}, ${pageScope}`,
    W6b: `listBySession next ${sizes.pageSize} through \`before\`, ${pageScope}`,
    W7: `sessions.list() of ${count(sizes.listSessions)} sessions`,
    W8: `metrics.record from ${sizes.concurrentRecord.callers} concurrent callers`,
    W10a: `listByType newest ${sizes.pageSize}, ${dashboardEventType} (1 type of 10) in ${count(sizes.pageTableEvents)} events`,
    W10b: `listByProject newest ${sizes.pageSize}, a project of ${count(rareProjectEvents)} in ${
      count(sizes.pageTableEvents)
    } events`
  }
}

export const makeWorkloads = (sizes: Sizes, fixtures: Fixtures) => {
  const { batches, concurrentEvents, deltas, getIds, newSessions, singleEvents, writeSessions } = workloadData(sizes)
  const title = workloadTitles(sizes)
  const withWriteSessions = (name: string) => fixtures.fresh(name, (db) => seedRows(db, { sessions: writeSessions }))

  const pageTable = once((): PageTable => {
    const table = fixtures.eventTable("w6", sizes.pageTableEvents, sizes.pageSessionEvents)
    return { table, cursor: Fixtures.pageCursor(table, sizes.pageSize) }
  })
  const pageFile = () => pageTable().table.file
  const limit = { limit: sizes.pageSize }

  const workloads: ReadonlyArray<Workload> = [
    {
      id: "W1",
      title: title.W1,
      database: (side) =>
        fixtures.fresh(`w1-${side}`, (db) => seedRows(db, { sessions: sessionSpecs("w1", sizes.getTableSessions) })),
      bind: (handle) => handle.sessionsGet(getIds()),
      runner: (run) => sequentialRunner(run, sizes.get),
      check: { kind: "result" }
    },
    {
      id: "W2",
      title: title.W2,
      database: (side) => fixtures.fresh(`w2-${side}`),
      bind: (handle) => handle.sessionsInsert(newSessions()),
      runner: (run) => sequentialRunner(run, sizes.insertSession),
      check: { kind: "digest", query: sessionsDigest }
    },
    {
      id: "W3",
      title: title.W3,
      database: (side) => withWriteSessions(`w3-${side}`),
      bind: (handle) => handle.eventsInsert(singleEvents()),
      runner: (run) => sequentialRunner(run, sizes.insertEvent),
      check: { kind: "digest", query: eventsDigest }
    },
    {
      id: "W4",
      title: title.W4,
      database: (side) => withWriteSessions(`w4-${side}`),
      bind: (handle) => handle.eventsInsert(concurrentEvents()),
      runner: (run) => concurrentRunner(run, sizes.concurrentInsert),
      check: { kind: "digest", query: eventsDigest }
    },
    {
      id: "W5",
      title: title.W5,
      database: (side) => withWriteSessions(`w5-${side}`),
      bind: (handle) => handle.eventsInsertMany(batches()),
      runner: (run) => sequentialRunner(run, sizes.insertMany),
      check: { kind: "digest", query: eventsDigest }
    },
    {
      id: "W6a",
      title: title.W6a,
      database: (side) => fixtures.copy(pageTable().table.file, `w6a-${side}`),
      bind: (handle) => handle.eventsPage(pageTable().table.sessionId, undefined, sizes.pageSize),
      runner: (run) => sequentialRunner(run, sizes.page),
      check: { kind: "result" },
      explain: { file: pageFile, read: (events) => events.listBySession(pageTable().table.sessionId, limit) }
    },
    {
      id: "W6b",
      title: title.W6b,
      database: (side) => fixtures.copy(pageTable().table.file, `w6b-${side}`),
      bind: (handle) => handle.eventsPage(pageTable().table.sessionId, pageTable().cursor, sizes.pageSize),
      runner: (run) => sequentialRunner(run, sizes.page),
      check: { kind: "result" },
      explain: {
        file: pageFile,
        read: (events) => events.listBySession(pageTable().table.sessionId, { ...limit, before: pageTable().cursor })
      }
    },
    {
      id: "W7",
      title: title.W7,
      database: (side) =>
        fixtures.fresh(`w7-${side}`, (db) => seedRows(db, { sessions: sessionSpecs("w7", sizes.listSessions) })),
      bind: (handle) => handle.sessionsList(),
      runner: (run) => sequentialRunner(run, sizes.list),
      check: { kind: "result" }
    },
    {
      id: "W8",
      title: title.W8,
      database: (side) => withWriteSessions(`w8-${side}`),
      bind: (handle) => handle.metricsRecord(deltas()),
      runner: (run) => concurrentRunner(run, sizes.concurrentRecord),
      check: { kind: "digest", query: metricsDigest }
    },
    // W10 reads W6's table (its rare project included): a second table of this size would double the build time.
    {
      id: "W10a",
      title: title.W10a,
      database: (side) => fixtures.copy(pageFile(), `w10a-${side}`),
      bind: (handle) => handle.eventsOfType(dashboardEventType, sizes.pageSize),
      runner: (run) => sequentialRunner(run, sizes.page),
      check: { kind: "result" },
      explain: { file: pageFile, read: (events) => events.listByType(dashboardEventType, limit) }
    },
    {
      id: "W10b",
      title: title.W10b,
      database: (side) => fixtures.copy(pageFile(), `w10b-${side}`),
      bind: (handle) => handle.eventsOfProject(rareProjectId, sizes.pageSize),
      runner: (run) => sequentialRunner(run, sizes.page),
      check: { kind: "result" },
      explain: { file: pageFile, read: (events) => events.listByProject(rareProjectId, limit) }
    }
  ]
  return { workloads }
}
