/**
 * Projects: the `projects` table.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { StatementRunner } from "../Connection/StatementRunner.js"
import { AlreadyExists, DbError, NotFound } from "../Schemas/Errors.js"
import { ProjectId } from "../Schemas/Ids.js"
import { Project, ProjectCodec, projectColumns, ProjectInsert } from "../Schemas/Project.js"
import * as RowCodec from "../Schemas/RowCodec.js"
import { traced } from "../Spans.js"
import { atomically, encoder, insertFailure, lookup, queryFailure, rowDecoder, validator } from "./RepoSupport.js"

/** @since 0.1.0 */
export class ProjectsRepo extends Effect.Service<ProjectsRepo>()("ennio-db/ProjectsRepo", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const { run, values } = yield* StatementRunner.current
    const columns = sql.literal(projectColumns)
    const decode = rowDecoder(ProjectCodec, "projects", "project_id")
    const encode = encoder(ProjectCodec, "project")
    const validateInsert = validator(ProjectInsert, "project")
    const validateId = validator(ProjectId, "project id", RowCodec.fastId)
    const atomic = atomically(sql)
    const notFound = (id: string) => new NotFound({ entity: "Project", id })

    /** Validates the input and builds the project it describes, both timestamps now. */
    const newProject = (input: ProjectInsert): Effect.Effect<Project, DbError> =>
      Effect.gen(function*() {
        const fields = yield* validateInsert(input)
        const now = yield* DateTime.now
        return RowCodec.construct(Project, {
          id: fields.id,
          name: fields.name,
          repo: fields.repo,
          path: fields.path,
          defaultBranch: fields.defaultBranch ?? "main",
          configHash: fields.configHash,
          createdAt: now,
          updatedAt: now
        })
      })

    const insert = (input: ProjectInsert): Effect.Effect<Project, AlreadyExists | DbError> =>
      Effect.gen(function*() {
        const project = yield* newProject(input)
        const row = yield* encode(project)
        yield* run(sql`INSERT INTO projects ${sql.insert(row)}`).pipe(
          Effect.mapError(insertFailure("Project", project.id))
        )
        return project
      }).pipe(traced("ProjectsRepo.insert", { "project.id": input.id }))

    /**
     * Inserts the project, or overwrites name, repo, path, defaultBranch (`main` when not
     * given) and configHash of the existing one, keeping its createdAt. One transaction with
     * the decoding of the row: a stored createdAt that does not decode leaves the row as it was.
     */
    const upsert = (input: ProjectInsert): Effect.Effect<Project, DbError> =>
      Effect.gen(function*() {
        const row = yield* Effect.flatMap(newProject(input), encode)
        return yield* atomic(Effect.flatMap(
          run(sql`INSERT INTO projects ${sql.insert(row)}
ON CONFLICT(project_id) DO UPDATE SET
  name = excluded.name,
  repo = excluded.repo,
  path = excluded.path,
  default_branch = excluded.default_branch,
  config_hash = excluded.config_hash,
  updated_at = excluded.updated_at
RETURNING *`).pipe(Effect.mapError(queryFailure)),
          (rows) => decode.one(rows[0])
        ))
      }).pipe(traced("ProjectsRepo.upsert", { "project.id": input.id }))

    const byKey = lookup({
      validate: validateId,
      select: (id) => values(sql`SELECT ${columns} FROM projects WHERE project_id = ${id}`),
      decode: decode.oneValues,
      notFound
    })

    const find = (id: string): Effect.Effect<Option.Option<Project>, DbError> =>
      byKey.find(id).pipe(traced("ProjectsRepo.find", { "project.id": id }))

    const get = (id: string): Effect.Effect<Project, NotFound | DbError> =>
      byKey.get(id).pipe(traced("ProjectsRepo.get", { "project.id": id }))

    const list = (): Effect.Effect<ReadonlyArray<Project>, DbError> =>
      values(sql`SELECT ${columns} FROM projects ORDER BY name, project_id`).pipe(
        Effect.mapError(queryFailure),
        Effect.flatMap(decode.allValues),
        traced("ProjectsRepo.list")
      )

    /** Deletes the project row only: `sessions.project_id` has no foreign key, so its sessions stay. */
    const delete_ = (id: string): Effect.Effect<void, NotFound | DbError> =>
      validateId(id).pipe(
        Effect.flatMap((id) =>
          Effect.mapError(run(sql`DELETE FROM projects WHERE project_id = ${id} RETURNING project_id`), queryFailure)
        ),
        Effect.flatMap((rows) => rows.length === 0 ? Effect.fail(notFound(id)) : Effect.void),
        traced("ProjectsRepo.delete", { "project.id": id })
      )

    return { insert, upsert, get, find, list, delete: delete_ } as const
  })
}) {}
