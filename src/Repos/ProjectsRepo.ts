/**
 * Projects: the `projects` table.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import { Backend } from "../Connection/Backend.js"
import { transaction } from "../Connection/Failures.js"
import { AlreadyExists, DbError, NotFound } from "../Schemas/Errors.js"
import { ProjectId } from "../Schemas/Ids.js"
import { Project, ProjectCodec, projectColumns, ProjectInsert } from "../Schemas/Project.js"
import * as RowCodec from "../Schemas/RowCodec.js"
import { operation, traced } from "../Spans.js"
import { encoder, validator } from "./Input.js"
import * as Query from "./Query.js"

/** @since 0.1.0 */
export class ProjectsRepo extends Effect.Service<ProjectsRepo>()("ennio-db/ProjectsRepo", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const backend = yield* Backend.current
    const columns = sql.literal(projectColumns)
    const projects = Query.make(backend, Query.rowDecoder(ProjectCodec, "projects", "project_id"))
    const plain = Query.plain(backend)
    const encode = encoder(ProjectCodec, "project")
    const validateInsert = validator(ProjectInsert, "project")
    const validateId = validator(ProjectId, "project id", RowCodec.fastId)
    const atomic = transaction(sql)

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
        yield* plain.void(sql`INSERT INTO projects ${sql.insert(row)}`, Query.insertFailure("Project", project.id))
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
        const [project] = yield* atomic(projects.returning(sql`INSERT INTO projects ${sql.insert(row)}
ON CONFLICT(project_id) DO UPDATE SET
  name = excluded.name,
  repo = excluded.repo,
  path = excluded.path,
  default_branch = excluded.default_branch,
  config_hash = excluded.config_hash,
  updated_at = excluded.updated_at
RETURNING ${columns}`))
        return project!
      }).pipe(traced("ProjectsRepo.upsert", { "project.id": input.id }))

    const { find, get } = Query.lookup(projects, {
      repository: "ProjectsRepo",
      entity: "Project",
      attribute: "project.id",
      validate: validateId,
      select: (id) => sql`SELECT ${columns} FROM projects WHERE project_id = ${id}`
    })

    const list = (): Effect.Effect<ReadonlyArray<Project>, DbError> =>
      projects.findAll(sql`SELECT ${columns} FROM projects ORDER BY name, project_id`).pipe(operation("ProjectsRepo.list"))

    /** Deletes the project row only: `sessions.project_id` has no foreign key, so its sessions stay. */
    const delete_ = (id: string): Effect.Effect<void, NotFound | DbError> =>
      validateId(id).pipe(
        Effect.flatMap((id) => plain.rows(sql`DELETE FROM projects WHERE project_id = ${id} RETURNING project_id`)),
        Effect.flatMap((rows) => rows.length === 0 ? Effect.fail(new NotFound({ entity: "Project", id })) : Effect.void),
        traced("ProjectsRepo.delete", { "project.id": id })
      )

    return { insert, upsert, get, find, list, delete: delete_ } as const
  })
}) {}
