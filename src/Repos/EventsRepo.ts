/**
 * The event log: the `events` table.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type * as Statement from "@effect/sql/Statement"
import * as Chunk from "effect/Chunk"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { Backend } from "../Connection/Backend.js"
import type * as TimeOrder from "../Connection/TimeOrder.js"
import { isDuplicateKey, isMissingParent, queryError, transaction } from "../Connection/Failures.js"
import { EventPriorities, EventPriority, EventType } from "../Schemas/Enums.js"
import { AlreadyExists, DbError, NotFound } from "../Schemas/Errors.js"
import {
  EventCodec,
  eventColumns,
  EventInsert,
  fastEventInsert,
  fastEventRow,
  OrchestratorEvent
} from "../Schemas/Event.js"
import { EventId, makeEventId, ProjectId, SessionId } from "../Schemas/Ids.js"
import { optionalInput } from "../Schemas/Text.js"
import { StorableUtc } from "../Schemas/Timestamp.js"
import * as RowCodec from "../Schemas/RowCodec.js"
import * as Spans from "../Spans.js"
import * as ChangeStream from "./ChangeStream.js"
import { cursorOf, positionOf } from "./ChangeStream.js"
import * as GroupCommit from "./GroupCommit.js"
import { encoder, validator } from "./Input.js"
import * as Query from "./Query.js"

/**
 * Which events a list returns, newest first: by the instant of their timestamp, whatever its
 * spelling, then in reverse insertion order.
 *
 * - `limit`: at most this many (a positive integer); without it, every matching event.
 * - `before`: an event id; only events strictly older than it in the list order
 *   (instant, then insertion order), so passing the last event of a page gives the next page.
 * - `eventType`: only events of this type.
 * - `minPriority`: only events at or above this priority.
 * - `since`: only events stamped at or after this instant (inclusive).
 * - `until`: only events stamped before this instant (exclusive).
 *
 * @since 0.1.0
 */
export interface EventListOptions {
  readonly limit?: number | undefined
  readonly before?: string | undefined
  readonly eventType?: EventType | undefined
  readonly minPriority?: EventPriority | undefined
  readonly since?: DateTime.Utc | undefined
  readonly until?: DateTime.Utc | undefined
}

/**
 * How `streamBySession` pages: `pageSize` events per query (default 1,000).
 *
 * @since 0.1.0
 */
export interface EventStreamOptions {
  readonly pageSize?: number | undefined
}

/**
 * Which events `follow` delivers; conditions combine with AND.
 *
 * @since 0.1.0
 */
export interface EventFollowFilter {
  readonly sessionId?: string | undefined
  readonly projectId?: string | undefined
  readonly eventType?: EventType | undefined
  readonly minPriority?: EventPriority | undefined
}

/**
 * Where `follow` starts: after `after` (a cursor it delivered), else with the newest `replay`
 * matching events, else from the start of the log when `fromStart`, else with the events
 * committed from now on. `pageSize` events are read at a time (default 500).
 *
 * @since 0.1.0
 */
export interface EventFollowOptions {
  readonly after?: string | undefined
  readonly replay?: number | undefined
  readonly fromStart?: boolean | undefined
  readonly pageSize?: number | undefined
}

/**
 * An event `follow` delivered, and the cursor that resumes after it.
 *
 * @since 0.1.0
 */
export interface FollowedEvent {
  readonly event: OrchestratorEvent
  readonly cursor: string
}

const PositiveInt = Schema.Int.pipe(Schema.positive({ message: () => "must be a positive integer" }))

const EventListOptionsInput = Schema.Struct({
  limit: Schema.optional(PositiveInt),
  before: Schema.optional(EventId),
  eventType: Schema.optional(EventType),
  minPriority: Schema.optional(EventPriority),
  since: optionalInput(StorableUtc),
  until: optionalInput(StorableUtc)
})
const EventStreamOptionsInput = Schema.Struct({ pageSize: Schema.optional(PositiveInt) })

const EventFollowFilterInput = Schema.Struct({
  sessionId: Schema.optional(SessionId),
  projectId: Schema.optional(ProjectId),
  eventType: Schema.optional(EventType),
  minPriority: Schema.optional(EventPriority)
})
const EventFollowOptionsInput = Schema.Struct({
  after: Schema.optional(Schema.String),
  replay: Schema.optional(PositiveInt),
  fromStart: Schema.optional(Schema.Boolean),
  pageSize: Schema.optional(PositiveInt)
})
const defaultFollowPageSize = 500

// Ids looked up at once when a batch insert fails, to name the culprit.
const idsPerLookup = 500

type EventRow = typeof OrchestratorEvent.Encoded
/** The equality a list reads by: its column leads the index the list walks. */
type Key = readonly [column: TimeOrder.KeyColumn, value: string]
const defaultPageSize = 1_000

const chunksOf = <A>(items: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> => {
  const chunks: Array<ReadonlyArray<A>> = []
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size))
  return chunks
}

const firstDuplicate = (ids: ReadonlyArray<string>): string | undefined => {
  const seen = new Set<string>()
  for (const id of ids) {
    if (seen.has(id)) return id
    seen.add(id)
  }
  return undefined
}

/** @since 0.1.0 */
export class EventsRepo extends Effect.Service<EventsRepo>()("ennio-db/EventsRepo", {
  scoped: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const backend = yield* Backend.current
    const events = Query.make(backend, Query.rowDecoder(EventCodec, "events", "id"))
    const plain = Query.plain(backend)
    const atomic = transaction(sql)
    const encode = encoder(EventCodec, "event")
    const validateInsert = validator(EventInsert, "event", fastEventInsert)
    const validateId = validator(EventId, "event id", RowCodec.fastId)
    const validateSessionId = validator(SessionId, "session id", RowCodec.fastId)
    const validateProjectId = validator(ProjectId, "project id", RowCodec.fastId)
    const validateType = validator(EventType, "event type")
    const validateOptions = validator(EventListOptionsInput, "event list options")
    const validateStreamOptions = validator(EventStreamOptionsInput, "event stream options")
    const validateLimit = validator(PositiveInt, "limit")
    const validateFollowFilter = validator(EventFollowFilterInput, "event follow filter")
    const validateFollowOptions = validator(EventFollowOptionsInput, "event follow options")
    const validateCutoff = validator(StorableUtc, "cutoff")
    const validateHourly = validator(Query.HourlyOptionsInput, "hourly options")
    const { at, insertionOrder, instant: instantOf, keyed, newestOfEach } = backend.time
    const instant = instantOf("timestamp")
    const columns = sql.literal(eventColumns)
    const newestFirst = sql`ORDER BY ${instant} DESC, ${insertionOrder} DESC`

    /** The event a validated input describes, with its defaults filled in, and its row. */
    const build = (fields: typeof EventInsert.Type, now: () => DateTime.Utc) => {
      const event = RowCodec.construct(OrchestratorEvent, {
        id: fields.id ?? makeEventId(),
        eventType: fields.eventType,
        priority: fields.priority ?? "info",
        sessionId: fields.sessionId,
        projectId: fields.projectId,
        timestamp: fields.timestamp ?? now(),
        message: fields.message,
        // A JSON `null` is a value to store, not a missing one.
        data: fields.data === undefined ? {} : fields.data
      })
      return Either.map(encode(event), (row) => ({ event, row }))
    }

    /** Validates an input, fills in the defaults and encodes the row, all before any SQL. */
    const prepareAt = (input: EventInsert, now: () => DateTime.Utc) =>
      Either.flatMap(validateInsert(input), (fields) => build(fields, now))

    /** As `prepareAt`, for the row alone (`insertMany` returns no events): written without building the event. */
    const rowAt = (input: EventInsert, now: () => DateTime.Utc): Either.Either<EventRow, DbError> =>
      Either.flatMap(validateInsert(input), (fields) => {
        const row = fastEventRow(fields, fields.id ?? makeEventId(), now)
        return row !== undefined ? Either.right(row) : Either.map(build(fields, now), (built) => built.row)
      })

    // The clock is read only for an event without a timestamp.
    const prepare = (input: EventInsert) =>
      Effect.clockWith((clock) => prepareAt(input, () => DateTime.unsafeMake(clock.unsafeCurrentTimeMillis())))

    type Prepared = Effect.Effect.Success<ReturnType<typeof prepare>>

    const submit = yield* GroupCommit.make({
      // The backend's insert: a statement text built once, where `sql.insert` compiles one per call.
      write: ({ event, row }: Prepared) =>
        plain.insertRows(
          "events",
          [row],
          Query.childInsertFailure("Event", event.id, { entity: "Session", id: event.sessionId })
        ).pipe(Effect.as(event)),
      writeBatch: (items: ReadonlyArray<Prepared>) =>
        plain.insertRows("events", items.map(({ row }) => row)).pipe(
          Effect.as(items.map(({ event }) => Exit.succeed(event)))
        ),
      // One statement up to this many rows (PostgreSQL's unnest insert): no transaction around it.
      atomicBatch: backend.rowsPerStatement
    })

    const insert = (input: EventInsert): Effect.Effect<OrchestratorEvent, NotFound | AlreadyExists | DbError> =>
      Spans.leaf(
        "EventsRepo.insert",
        { "session.id": input.sessionId, "project.id": input.projectId },
        (annotate, current) =>
          Effect.flatMap(prepare(input), (prepared) => {
            annotate("event.id", prepared.event.id)
            return submit(prepared, current)
          })
      )

    /** The ids among `ids` that have a row in `table`, looked up a chunk at a time. */
    const existingIds = (table: "sessions" | "events", ids: ReadonlyArray<string>) =>
      Effect.forEach(
        chunksOf(ids, idsPerLookup),
        (chunk) => plain.rows(sql<{ readonly id: string }>`SELECT id FROM ${sql(table)} WHERE id IN ${sql.in(chunk)}`)
      ).pipe(Effect.map((pages) => new Set(pages.flatMap((rows) => rows.map((row) => row.id)))))

    /**
     * Names what made a batch insert fail: the engine checked every session and id already, so
     * only the failure path looks them up, to report the first missing session or taken id.
     */
    const batchFailure = (rows: ReadonlyArray<EventRow>, error: SqlError) =>
      Effect.gen(function*() {
        if (isMissingParent(error)) {
          const sessionIds = Array.from(new Set(rows.map((row) => row.session_id)))
          const sessions = yield* existingIds("sessions", sessionIds)
          const missing = sessionIds.find((id) => !sessions.has(id))
          if (missing !== undefined) return new NotFound({ entity: "Session", id: missing })
        }
        if (isDuplicateKey(error)) {
          const [taken] = yield* existingIds("events", rows.map((row) => row.id))
          if (taken !== undefined) return new AlreadyExists({ entity: "Event", id: taken })
        }
        return queryError(error)
      }).pipe(Effect.orElseSucceed(() => queryError(error)), Effect.flip)

    const insertMany = (
      inputs: ReadonlyArray<EventInsert>
    ): Effect.Effect<number, NotFound | AlreadyExists | DbError> =>
      Effect.gen(function*() {
        const now = yield* DateTime.now
        const rows: Array<EventRow> = new Array(inputs.length)
        for (let index = 0; index < inputs.length; index++) {
          const result = rowAt(inputs[index]!, () => now)
          if (Either.isLeft(result)) {
            const error = result.left
            const message = `events[${index}]: ${error.message}`
            return yield* new DbError({ reason: error.reason, message, cause: error })
          }
          rows[index] = result.right
        }
        if (rows.length === 0) return 0
        const duplicate = firstDuplicate(rows.map((row) => row.id))
        if (duplicate !== undefined) return yield* new AlreadyExists({ entity: "Event", id: duplicate })
        // The transaction ends before a failure is looked into: an aborted one may refuse further queries.
        yield* sql.withTransaction(backend.insertRows("events", rows)).pipe(
          Effect.catchTag("SqlError", (error) => batchFailure(rows, error))
        )
        return rows.length
      }).pipe(Spans.traced("EventsRepo.insertMany", { "events.count": inputs.length }))

    const { find, get } = Query.lookup(events, {
      repository: "EventsRepo",
      entity: "Event",
      attribute: "event.id",
      validate: validateId,
      select: (id) => sql`SELECT ${columns} FROM events WHERE id = ${id}`
    })

    /**
     * The newest events with `key` (an equality that picks an index), matching `conditions`, in
     * index order. Priorities with no key: one arm a priority, merged by instant (see
     * `TimeOrder.newestOfEach`) instead of sorting every match.
     */
    const select = (
      key: Key | undefined,
      conditions: ReadonlyArray<Statement.Fragment>,
      priorities: ReadonlyArray<EventPriority> | undefined,
      limit: number | undefined
    ): Effect.Effect<Array<OrchestratorEvent>, DbError> => {
      const bounded = limit === undefined ? sql`` : sql`LIMIT ${limit}`
      const where = (all: ReadonlyArray<Statement.Fragment>) => all.length === 0 ? sql`` : sql`WHERE ${sql.and(all)}`
      if (key !== undefined) {
        const { condition, newestFirst: order } = keyed(key[0], key[1])
        const ranked = priorities === undefined ? conditions : [...conditions, sql`priority IN ${sql.in(priorities)}`]
        return events.findAll(sql`SELECT ${columns} FROM events ${where([condition, ...ranked])} ${order} ${bounded}`)
      }
      const query = priorities === undefined
        ? sql`SELECT ${columns} FROM events ${where(conditions)} ${newestFirst} ${bounded}`
        : newestOfEach(
          priorities.map((priority) =>
            sql`SELECT ${columns}, ${instant} AS instant_key, ${insertionOrder} AS insertion_key FROM events ${
              where([sql`priority = ${priority}`, ...conditions])
            }`
          ),
          limit
        )
      return events.findAll(query)
    }

    /** Rows strictly older than event `before` in list order; nothing when it does not exist. */
    const olderThan = (before: EventId): Statement.Fragment =>
      // The first bound gives the index a range to seek; the row comparison breaks the tie.
      sql`${instant} <= (SELECT ${instant} FROM events WHERE id = ${before}) AND (${instant}, ${insertionOrder}) < (SELECT ${instant}, ${insertionOrder} FROM events WHERE id = ${before})`

    /** The events with `key` matching `options`, newest first; `strictCursor`: an unknown `before` is `NotFound`. */
    const list = (
      key: Key | undefined,
      options: EventListOptions,
      strictCursor = true
    ): Effect.Effect<Array<OrchestratorEvent>, NotFound | DbError> =>
      Effect.gen(function*() {
        const { before, eventType, limit, minPriority, since, until } = yield* validateOptions(options)
        const priorities = minPriority === undefined ? undefined : EventPriorities.atLeast(minPriority)
        const page = yield* select(
          key ?? (eventType === undefined ? undefined : ["event_type", eventType]),
          [
            ...(key === undefined || eventType === undefined ? [] : [sql`event_type = ${eventType}`]),
            ...(since === undefined ? [] : [sql`${instant} >= ${at(since)}`]),
            ...(until === undefined ? [] : [sql`${instant} < ${at(until)}`]),
            ...(before === undefined ? [] : [olderThan(before)])
          ],
          priorities !== undefined && priorities.length < EventPriority.literals.length ? priorities : undefined,
          limit
        )
        // An unknown cursor matches nothing: tell it apart from the end of the list.
        if (strictCursor && page.length === 0 && before !== undefined) yield* get(before)
        return page
      })

    const listBySession = (
      sessionId: string,
      options: EventListOptions = {}
    ): Effect.Effect<ReadonlyArray<OrchestratorEvent>, NotFound | DbError> =>
      validateSessionId(sessionId).pipe(
        Effect.flatMap((id) => list(["session_id", id], options)),
        Spans.operation("EventsRepo.listBySession", { "session.id": sessionId })
      )

    const listSessionPage = (sessionId: string, pageSize: number, before: string | undefined) =>
      Effect.flatMap(validateSessionId(sessionId), (id) => list(["session_id", id], { limit: pageSize, before }, false))

    const listByProject = (
      projectId: string,
      options: EventListOptions = {}
    ): Effect.Effect<ReadonlyArray<OrchestratorEvent>, NotFound | DbError> =>
      validateProjectId(projectId).pipe(
        Effect.flatMap((id) => list(["project_id", id], options)),
        Spans.operation("EventsRepo.listByProject", { "project.id": projectId })
      )

    const listByType = (
      eventType: EventType,
      options: EventListOptions = {}
    ): Effect.Effect<ReadonlyArray<OrchestratorEvent>, NotFound | DbError> =>
      validateType(eventType).pipe(
        Effect.flatMap((type) => list(["event_type", type], options)),
        Spans.operation("EventsRepo.listByType", { "event.type": eventType })
      )

    const listRecent = (
      limit: number,
      options: Omit<EventListOptions, "limit"> = {}
    ): Effect.Effect<ReadonlyArray<OrchestratorEvent>, NotFound | DbError> =>
      validateLimit(limit).pipe(
        Effect.flatMap((limit) => list(undefined, { ...options, limit })),
        Spans.operation("EventsRepo.listRecent", { "events.limit": limit })
      )

    const deleteOlderThan = (cutoff: DateTime.Utc): Effect.Effect<number, DbError> =>
      validateCutoff(cutoff).pipe(
        Effect.flatMap((cutoff) =>
          atomic(
            plain.rows(sql`DELETE FROM events WHERE ${instant} < ${at(cutoff)} RETURNING id`).pipe(
              // The change log's entries of the deleted events go too; followers skip them either way.
              Effect.tap(() =>
                plain.void(sql`DELETE FROM event_log WHERE NOT EXISTS (SELECT 1 FROM events WHERE events.id = event_log.event_id)`)
              )
            )
          )
        ),
        Effect.map((rows) => rows.length),
        Spans.traced("EventsRepo.deleteOlderThan")
      )

    const countOlderThan = (cutoff: DateTime.Utc): Effect.Effect<number, DbError> =>
      validateCutoff(cutoff).pipe(
        Effect.flatMap((cutoff) =>
          plain.rows(sql<{ readonly n: number | string }>`SELECT count(*) AS n FROM events WHERE ${instant} < ${at(cutoff)}`)
        ),
        Effect.map((rows) => Number(rows[0]?.n ?? 0)),
        Spans.traced("EventsRepo.countOlderThan")
      )

    const countPerHour = (options: Query.HourlyOptions): Effect.Effect<ReadonlyArray<number>, DbError> =>
      validateHourly(options).pipe(
        Effect.flatMap(({ hours, since }) => {
          const sums = Query.hourlySums(sql, { instant, at, since, hours, value: sql.literal("1") })
          return Effect.map(
            plain.rows(
              sql<{ readonly hour: unknown; readonly total: unknown }>`SELECT ${sums.select} FROM events WHERE ${sums.within} GROUP BY 1`
            ),
            sums.read
          )
        }),
        Spans.traced("EventsRepo.countPerHour", { "events.hours": options.hours })
      )

    const streamBySession = (
      sessionId: string,
      options: EventStreamOptions = {}
    ): Stream.Stream<OrchestratorEvent, NotFound | DbError> =>
      Stream.unwrap(Effect.map(validateStreamOptions(options), ({ pageSize = defaultPageSize }) =>
        Stream.paginateChunkEffect(undefined as string | undefined, (before) =>
          // Retention may delete the cursor's event: everything older went with it, so the stream ends.
          Effect.map(listSessionPage(sessionId, pageSize, before), (page) =>
            [
              Chunk.unsafeFromArray(page),
              page.length < pageSize ? Option.none() : Option.some(page[page.length - 1]!.id)
            ] as const))
      )).pipe(
        Stream.withSpan("EventsRepo.streamBySession", {
          captureStackTrace: false,
          attributes: { "session.id": sessionId }
        })
      )

    const logged = sql`FROM event_log JOIN events ON events.id = event_log.event_id`
    const newestLogged = Effect.map(
      plain.rows(sql<{ readonly top: number | string | null }>`SELECT max(position) AS top FROM event_log`),
      (rows) => Number(rows[0]?.top ?? 0)
    )

    const follow = (
      filter: EventFollowFilter = {},
      options: EventFollowOptions = {}
    ): Stream.Stream<FollowedEvent, DbError> =>
      Stream.unwrap(Effect.gen(function*() {
        const valid = yield* validateFollowFilter(filter)
        const { after, fromStart, pageSize = defaultFollowPageSize, replay } = yield* validateFollowOptions(options)
        const afterPosition = after === undefined ? undefined : yield* positionOf("events", after)
        const priorities = valid.minPriority === undefined ? undefined : EventPriorities.atLeast(valid.minPriority)
        const conditions = [
          ...(valid.sessionId === undefined ? [] : [sql`session_id = ${valid.sessionId}`]),
          ...(valid.projectId === undefined ? [] : [sql`project_id = ${valid.projectId}`]),
          ...(valid.eventType === undefined ? [] : [sql`event_type = ${valid.eventType}`]),
          ...(priorities === undefined ? [] : [sql`priority IN ${sql.in(priorities)}`])
        ]
        const matching = (bounds: ReadonlyArray<Statement.Fragment>) => sql.and([...bounds, ...conditions])
        const start: Effect.Effect<number, DbError> = afterPosition !== undefined
          ? Effect.succeed(afterPosition)
          : replay !== undefined
          ? Effect.map(
            plain.rows(sql<{ readonly position: number | string }>`SELECT event_log.position AS position ${logged} WHERE ${
              matching([sql`1 = 1`])
            } ORDER BY event_log.position DESC LIMIT 1 OFFSET ${replay - 1}`),
            (rows) => rows.length === 0 ? 0 : Number(rows[0]!.position) - 1
          )
          : fromStart === true
          ? Effect.succeed(0)
          : newestLogged
        return ChangeStream.make({
          watch: backend.changes("events"),
          start,
          newest: newestLogged,
          pageSize,
          page: (from, upTo, limit) =>
            events.findPositioned(
              sql`SELECT ${columns}, event_log.position ${logged} WHERE ${
                matching([sql`event_log.position > ${from}`, sql`event_log.position <= ${upTo}`])
              } ORDER BY event_log.position LIMIT ${limit}`
            )
        })
      })).pipe(
        Stream.map(([position, event]): FollowedEvent => ({ event, cursor: cursorOf("events", position) })),
        Stream.withSpan("EventsRepo.follow", { captureStackTrace: false, attributes: { "session.id": filter.sessionId } })
      )

    return {
      follow,
      insert,
      insertMany,
      get,
      find,
      listBySession,
      listByProject,
      listByType,
      listRecent,
      deleteOlderThan,
      countOlderThan,
      countPerHour,
      streamBySession
    } as const
  })
}) {}
