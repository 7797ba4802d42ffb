/**
 * A row of `projects`.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { column } from "./Column.js"
import { ProjectId } from "./Ids.js"
import { Timestamp } from "./Timestamp.js"

/** @since 0.1.0 */
export class Project extends Schema.Class<Project>("Project")({
  id: column("project_id", ProjectId),
  name: Schema.String,
  repo: Schema.String,
  path: Schema.String,
  defaultBranch: column("default_branch", Schema.String),
  configHash: column("config_hash", Schema.String),
  createdAt: column("created_at", Timestamp),
  updatedAt: column("updated_at", Timestamp)
}) {}

/**
 * What `ProjectsRepo.insert` and `upsert` take; defaultBranch defaults to `main`.
 *
 * @since 0.1.0
 */
export const ProjectInsert = Schema.Struct({
  id: ProjectId,
  name: Schema.String,
  repo: Schema.String,
  path: Schema.String,
  defaultBranch: Schema.optional(Schema.String),
  configHash: Schema.String
})
/** @since 0.1.0 */
export type ProjectInsert = typeof ProjectInsert.Encoded
