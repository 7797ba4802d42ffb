/**
 * A row of `events`.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { column, jsonText } from "./Column.js"
import { EventPriority, EventType } from "./Enums.js"
import { EventId, ProjectId, SessionId } from "./Ids.js"
import { JsonValue } from "./Json.js"
import { Timestamp } from "./Timestamp.js"

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
  id: Schema.optional(EventId),
  eventType: EventType,
  sessionId: SessionId,
  projectId: ProjectId,
  message: Schema.String,
  priority: Schema.optional(EventPriority),
  timestamp: Schema.optional(Schema.DateTimeUtcFromSelf),
  data: Schema.optional(JsonValue)
})
/** @since 0.1.0 */
export type EventInsert = typeof EventInsert.Encoded
