/**
 * The four repositories as one layer, alone or with the matching database.
 *
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import * as Layer from "effect/Layer"
import * as Database from "../Database.js"
import type { DbError } from "../Schemas/Errors.js"
import { EventsRepo } from "./EventsRepo.js"
import { MetricsRepo } from "./MetricsRepo.js"
import { ProjectsRepo } from "./ProjectsRepo.js"
import { SessionsRepo } from "./SessionsRepo.js"

/** @since 0.1.0 */
export type Repositories = SessionsRepo | EventsRepo | ProjectsRepo | MetricsRepo

/**
 * All four repositories, over the `SqlClient` you provide.
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<Repositories, never, SqlClient.SqlClient> = Layer.mergeAll(
  SessionsRepo.Default,
  EventsRepo.Default,
  ProjectsRepo.Default,
  MetricsRepo.Default
)

/**
 * The repositories over the database a URL names (see `Database.layer`); the `SqlClient`
 * stays available for `Database.transaction`.
 *
 * @since 0.1.0
 */
export const layerDatabase = (
  options: Database.DatabaseOptions
): Layer.Layer<Repositories | Database.DatabaseServices, DbError> =>
  Layer.provideMerge(layer, Database.layer(options))

/**
 * The repositories over `DATABASE_URL` (default `sqlite:ennio.db`).
 *
 * @since 0.1.0
 */
export const layerConfig: Layer.Layer<Repositories | Database.DatabaseServices, DbError> = Layer
  .provideMerge(layer, Database.layerConfig)

/**
 * The repositories over a private, migrated in-memory database: one per build.
 *
 * @since 0.1.0
 */
export const layerMemory: Layer.Layer<Repositories | Database.DatabaseServices, DbError> = Layer
  .provideMerge(layer, Database.layerMemory)
