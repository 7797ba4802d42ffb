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
 * `Project` ⇄ its `projects` row, with fast paths for valid rows (see RowCodec): one entry a
 * column, in the order rows are read.
 *
 * @since 0.1.0
 */
export const ProjectCodec = RowCodec.table(Project, [
  { field: "id", column: "project_id", take: RowCodec.takeId, write: RowCodec.takeId },
  { field: "name", take: RowCodec.takeString, write: RowCodec.takeString },
  { field: "repo", take: RowCodec.takeString, write: RowCodec.takeString },
  { field: "path", take: RowCodec.takeString, write: RowCodec.takeString },
  { field: "defaultBranch", take: RowCodec.takeString, write: RowCodec.takeString },
  { field: "configHash", take: RowCodec.takeString, write: RowCodec.takeString },
  { field: "createdAt", take: RowCodec.takeTimestamp, write: RowCodec.writeTimestamp },
  { field: "updatedAt", take: RowCodec.takeTimestamp, write: RowCodec.writeTimestamp }
])

/**
 * The columns a row is read as, in the order `ProjectCodec.decodeValues` reads them.
 *
 * @since 0.1.0
 */
export const projectColumns = ProjectCodec.columns.join(", ")
