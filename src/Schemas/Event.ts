/**
 * A row of `events`.
 *
 * @since 0.1.0
 */
import type * as DateTime from "effect/DateTime"
import * as Schema from "effect/Schema"
import { column, jsonText } from "./Column.js"
import { EventPriority, EventType } from "./Enums.js"
import { EventId, ProjectId, SessionId } from "./Ids.js"
import { JsonValue } from "./Json.js"
import * as RowCodec from "./RowCodec.js"
import { JsonValueInput, optionalInput, Text } from "./Text.js"
import { StorableUtc, Timestamp } from "./Timestamp.js"

/** @since 0.1.0 */
export class OrchestratorEvent extends Schema.Class<OrchestratorEvent>("OrchestratorEvent")({
  id: EventId,
  eventType: column("event_type", EventType),
  priority: EventPriority,
  sessionId: column("session_id", SessionId),
  projectId: column("project_id", ProjectId),
  timestamp: Timestamp,
  message: Schema.String,
  data: jsonText(JsonValue)
}) {}

/**
 * What `EventsRepo.insert` takes: eventType, sessionId, projectId and message; the id
 * (a new UUID v4), priority (`info`), timestamp (now) and data (`{}`) are optional.
 *
 * @since 0.1.0
 */
export const EventInsert = Schema.Struct({
  id: optionalInput(EventId),
  eventType: EventType,
  sessionId: SessionId,
  projectId: ProjectId,
  message: Text,
  priority: optionalInput(EventPriority),
  timestamp: optionalInput(StorableUtc),
  data: optionalInput(JsonValueInput)
})
/** @since 0.1.0 */
export type EventInsert = typeof EventInsert.Encoded

const eventTypes: ReadonlySet<string> = new Set(EventType.literals)
const priorities: ReadonlySet<string> = new Set(EventPriority.literals)

/**
 * The fast path of `EventInsert` (see RowCodec): the decoded input, or `undefined` to let
 * the Schema decide. test/Schemas/FastInputs.test.ts holds it equal to the Schema.
 *
 * @since 0.1.0
 */
export const fastEventInsert = (input: unknown): typeof EventInsert.Type | undefined =>
  RowCodec.attempt(() => {
    if (!RowCodec.isObject(input)) return RowCodec.refuse()
    const output: Record<string, unknown> = {
      eventType: RowCodec.takeOwn(input, "eventType", (v) => RowCodec.takeLiteral(eventTypes, v)),
      sessionId: RowCodec.takeOwn(input, "sessionId", RowCodec.takeId),
      projectId: RowCodec.takeOwn(input, "projectId", RowCodec.takeId),
      message: RowCodec.takeOwn(input, "message", RowCodec.takeText)
    }
    RowCodec.copyOptional(input, output, "id", RowCodec.takeId)
    RowCodec.copyOptional(input, output, "priority", (v) => RowCodec.takeLiteral(priorities, v))
    RowCodec.copyOptional(input, output, "timestamp", RowCodec.takeUtc)
    RowCodec.copyOptional(input, output, "data", RowCodec.takeJsonInput)
    return output as typeof EventInsert.Type
  })


/**
 * The row of a new event, written straight from an input `EventInsert` has validated and the
 * defaults (priority `info`, the given `now`, data `{}`): what `EventCodec.encode` writes for
 * the event they make, without building the event (FastInputs.test.ts holds it to that).
 * `undefined` when `data` cannot be written as JSON: the Schema then says why.
 *
 * @since 0.1.0
 */
export const fastEventRow = (
  fields: typeof EventInsert.Type,
  id: EventId,
  now: () => DateTime.Utc
): typeof OrchestratorEvent.Encoded | undefined =>
  RowCodec.attempt(() => ({
    id,
    event_type: fields.eventType,
    priority: fields.priority ?? "info",
    session_id: fields.sessionId,
    project_id: fields.projectId,
    timestamp: RowCodec.writeTimestamp(fields.timestamp ?? now()),
    message: fields.message,
    // A JSON `null` is a value to store, not a missing one.
    data: RowCodec.toJson(fields.data === undefined ? {} : fields.data)
  }))

const eventType = (value: unknown) => RowCodec.takeLiteral<EventType>(eventTypes, value)
const priority = (value: unknown) => RowCodec.takeLiteral<EventPriority>(priorities, value)

/**
 * `OrchestratorEvent` ⇄ its `events` row, with fast paths for valid rows (see RowCodec): one
 * entry a column, in the order rows are read.
 *
 * @since 0.1.0
 */
export const EventCodec = RowCodec.table(OrchestratorEvent, [
  { field: "id", take: RowCodec.takeId, write: RowCodec.takeId },
  { field: "eventType", take: eventType, write: eventType },
  { field: "priority", take: priority, write: priority },
  { field: "sessionId", take: RowCodec.takeId, write: RowCodec.takeId },
  { field: "projectId", take: RowCodec.takeId, write: RowCodec.takeId },
  { field: "timestamp", take: RowCodec.takeTimestamp, write: RowCodec.writeTimestamp },
  { field: "message", take: RowCodec.takeString, write: RowCodec.takeString },
  { field: "data", take: RowCodec.takeJson, write: RowCodec.toJson }
])

/**
 * The columns a row is read as, in the order `EventCodec.decodeValues` reads them.
 *
 * @since 0.1.0
 */
export const eventColumns = EventCodec.columns.join(", ")
