/**
 * A row of `projects`.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { column } from "./Column.js"
import { ProjectId } from "./Ids.js"
import * as RowCodec from "./RowCodec.js"
import { optionalInput, Text } from "./Text.js"
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
  name: Text,
  repo: Text,
  path: Text,
  defaultBranch: optionalInput(Text),
  configHash: Text
})
/** @since 0.1.0 */
export type ProjectInsert = typeof ProjectInsert.Encoded

/**
 * The columns a row is read as, in the order `ProjectCodec.decodeValues` reads them.
 *
 * @since 0.1.0
 */
export const projectColumns = `project_id, name, repo, path, default_branch, config_hash,
  created_at, updated_at` as const

/**
 * `Project` ⇄ its `projects` row, with fast paths for valid rows (see RowCodec).
 *
 * @since 0.1.0
 */
export const ProjectCodec = RowCodec.make(Project, projectColumns, {
  decodeValues: (values) =>
    RowCodec.attempt(() =>
      RowCodec.construct(Project, {
        id: RowCodec.takeId<ProjectId>(values[0]),
        name: RowCodec.takeString(values[1]),
        repo: RowCodec.takeString(values[2]),
        path: RowCodec.takeString(values[3]),
        defaultBranch: RowCodec.takeString(values[4]),
        configHash: RowCodec.takeString(values[5]),
        createdAt: RowCodec.takeTimestamp(values[6]),
        updatedAt: RowCodec.takeTimestamp(values[7])
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
