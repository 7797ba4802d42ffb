/**
 * ennio-db: the storage layer of Ennio.
 *
 * @since 0.1.0
 */
export * as Database from "./Database.js"
export { migrations, latestMigrationId } from "./Migrations/index.js"
export * from "./Schemas/Enums.js"
export * from "./Schemas/Errors.js"
export * from "./Schemas/Event.js"
export * from "./Schemas/Ids.js"
export * from "./Schemas/Json.js"
export * from "./Schemas/Project.js"
export * from "./Schemas/Session.js"
export * from "./Schemas/SessionMetrics.js"
export { formatTimestamp, isStorable, parseTimestamp, StorableUtc, storableRange, Timestamp } from "./Schemas/Timestamp.js"
export type { RowCodec } from "./Schemas/RowCodec.js"
export { type SessionFilter, SessionsRepo, type StatusCount } from "./Repos/SessionsRepo.js"
export { type EventListOptions, EventsRepo, type EventStreamOptions } from "./Repos/EventsRepo.js"
export { type MetricsTotalsFilter, MetricsRepo } from "./Repos/MetricsRepo.js"
export { ProjectsRepo } from "./Repos/ProjectsRepo.js"
export * as Repos from "./Repos/Repos.js"
