/**
 * ennio-db: the storage layer of Ennio. What an application composes with: the layers, the
 * four repository services, the row and input schemas, the ids, the enums and their helpers,
 * and the errors.
 *
 * @since 0.1.0
 */
/** The database layers, `Database.transaction` and URL helpers. */
export * as Database from "./Database.js"
/** Backup, restore, check, vacuum, export, import and copy between databases. */
export * as Maintenance from "./Maintenance.js"
/** The four repositories as one layer, over a URL, `DATABASE_URL` or memory. */
export * as Repos from "./Repos/Repos.js"
export {
  type ChangedSession,
  type SessionChangesOptions,
  type SessionFilter,
  SessionsRepo,
  type StatusCount
} from "./Repos/SessionsRepo.js"
export {
  type EventFollowFilter,
  type EventFollowOptions,
  type EventListOptions,
  EventsRepo,
  type EventStreamOptions,
  type FollowedEvent
} from "./Repos/EventsRepo.js"
export { type MetricsTotalsFilter, MetricsRepo } from "./Repos/MetricsRepo.js"
export { ProjectsRepo } from "./Repos/ProjectsRepo.js"
export { type DbErrorReason, AlreadyExists, DbError, NotFound, type RepoError } from "./Schemas/Errors.js"
export { EventId, makeEventId, ProjectId, SessionId } from "./Schemas/Ids.js"
export {
  ActivityState,
  EventPriorities,
  EventPriority,
  EventType,
  SessionStatus,
  SessionStatuses
} from "./Schemas/Enums.js"
export { OrchestratorEvent, EventInsert } from "./Schemas/Event.js"
export { PrNumber, Session, SessionInsert } from "./Schemas/Session.js"
export { Project, ProjectInsert } from "./Schemas/Project.js"
export { type MetricsTotals, MetricsDelta, MetricsInsert, SessionMetrics } from "./Schemas/SessionMetrics.js"
export {
  AgentCost,
  AgentSessionInfo,
  AgentSessionInfoInput,
  JsonObject,
  JsonValue,
  RuntimeHandle,
  RuntimeHandleInput
} from "./Schemas/Json.js"
export { formatTimestamp, isStorable, parseTimestamp, StorableUtc, storableRange, Timestamp } from "./Schemas/Timestamp.js"
/** The id of the newest migration this version applies; a check that a read-only handle's database has them all. */
export { latestMigrationId, requireCurrent } from "./Migrations/index.js"
