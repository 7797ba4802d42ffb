/**
 * A row of `projects`.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { column } from "./Column.js"
import { ProjectId } from "./Ids.js"
import * as RowCodec from "./RowCodec.js"
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

/**
 * `Project` ⇄ its `projects` row, with fast paths for valid rows (see RowCodec).
 *
 * @since 0.1.0
 */
export const ProjectCodec = RowCodec.make(Project, {
  decode: (row) =>
    RowCodec.attempt(() =>
      RowCodec.construct(Project, {
        id: RowCodec.takeId<ProjectId>(row.project_id),
        name: RowCodec.takeString(row.name),
        repo: RowCodec.takeString(row.repo),
        path: RowCodec.takeString(row.path),
        defaultBranch: RowCodec.takeString(row.default_branch),
        configHash: RowCodec.takeString(row.config_hash),
        createdAt: RowCodec.takeTimestamp(row.created_at),
        updatedAt: RowCodec.takeTimestamp(row.updated_at)
      })
    ),
  encode: (project) =>
    RowCodec.attempt(() => ({
      project_id: RowCodec.takeId<string>(project.id),
      name: RowCodec.takeString(project.name),
      repo: RowCodec.takeString(project.repo),
      path: RowCodec.takeString(project.path),
      default_branch: RowCodec.takeString(project.defaultBranch),
      config_hash: RowCodec.takeString(project.configHash),
      created_at: RowCodec.writeTimestamp(project.createdAt),
      updated_at: RowCodec.writeTimestamp(project.updatedAt)
    }))
})
