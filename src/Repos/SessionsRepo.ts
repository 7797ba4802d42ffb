/**
 * Agent sessions: the `sessions` table.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type * as Statement from "@effect/sql/Statement"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { Backend } from "../Connection/Backend.js"
import { transaction } from "../Connection/Failures.js"
import { ActivityState, SessionStatus, SessionStatuses } from "../Schemas/Enums.js"
import { AlreadyExists, DbError, NotFound } from "../Schemas/Errors.js"
import { ProjectId, SessionId } from "../Schemas/Ids.js"
import type { JsonObject } from "../Schemas/Json.js"
import {
  fastSessionInsert,
  PrNumber,
  Session,
  SessionCodec,
  sessionColumns,
  SessionInsert,
  SessionWritable
} from "../Schemas/Session.js"
import * as RowCodec from "../Schemas/RowCodec.js"
import { JsonObjectInput, Text } from "../Schemas/Text.js"
import { operation, traced } from "../Spans.js"
import * as ChangeStream from "./ChangeStream.js"
import { cursorOf, positionOf } from "./ChangeStream.js"
import { encoder, validator } from "./Input.js"
import * as Query from "./Query.js"

/**
 * Which sessions `list` returns, newest first (by the instant of `created_at`, then in reverse
 * insertion order). Conditions combine with AND.
 *
 * - `projectId`: only this project's sessions.
 * - `status`: only sessions in this status; `statuses`: in any of these.
 * - `terminal`: `false` for the sessions still live (not merged, done, exited or killed),
 *   `true` for the others.
 * - `archived`: `false` leaves archived sessions out, `true` keeps only them.
 *
 * @since 0.1.0
 */
export interface SessionFilter {
  readonly projectId?: string | undefined
  readonly status?: SessionStatus | undefined
  readonly statuses?: ReadonlyArray<SessionStatus> | undefined
  readonly terminal?: boolean | undefined
  readonly archived?: boolean | undefined
}

const SessionFilterInput = Schema.Struct({
  projectId: Schema.optional(ProjectId),
  status: Schema.optional(SessionStatus),
  statuses: Schema.optional(Schema.Array(SessionStatus)),
  terminal: Schema.optional(Schema.Boolean),
  archived: Schema.optional(Schema.Boolean)
})

/** The statuses a filter admits, or `undefined` for all of them. */
const admittedStatuses = (filter: typeof SessionFilterInput.Type): ReadonlyArray<SessionStatus> | undefined => {
  let admitted: ReadonlyArray<SessionStatus> | undefined
  const narrow = (statuses: ReadonlyArray<SessionStatus>) => {
    admitted = admitted === undefined ? statuses : admitted.filter((status) => statuses.includes(status))
  }
  if (filter.status !== undefined) narrow([filter.status])
  if (filter.statuses !== undefined) narrow(filter.statuses)
  if (filter.terminal !== undefined) {
    narrow(SessionStatus.literals.filter((status) => SessionStatuses.isTerminal(status) === filter.terminal))
  }
  return admitted
}
/**
 * Where `changes` starts: after `after` (a cursor it delivered), else with every session from
 * the start of the log when `fromStart` (each at its latest change), else with the changes
 * committed from now on. `pageSize` sessions are read at a time (default 500).
 *
 * @since 0.1.0
 */
export interface SessionChangesOptions {
  readonly after?: string | undefined
  readonly fromStart?: boolean | undefined
  readonly pageSize?: number | undefined
}

/**
 * A session whose row changed, as it reads after the change, and the cursor that resumes
 * after it.
 *
 * @since 0.1.0
 */
export interface ChangedSession {
  readonly session: Session
  readonly cursor: string
}

const SessionChangesOptionsInput = Schema.Struct({
  after: Schema.optional(Schema.String),
  fromStart: Schema.optional(Schema.Boolean),
  pageSize: Schema.optional(Schema.Int.pipe(Schema.positive({ message: () => "must be a positive integer" })))
})
const defaultChangesPageSize = 500

const PrInput = Schema.Struct({ url: Text, number: PrNumber })

const StatusCountRow = Schema.Struct({
  projectId: Schema.propertySignature(ProjectId).pipe(Schema.fromKey("project_id")),
  status: SessionStatus,
  count: Schema.NonNegativeInt
})

/**
 * How many sessions of one project are in one status.
 *
 * @since 0.1.0
 */
export type StatusCount = typeof StatusCountRow.Type

/** @since 0.1.0 */
export class SessionsRepo extends Effect.Service<SessionsRepo>()("ennio-db/SessionsRepo", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const backend = yield* Backend.current
    const columns = sql.literal(sessionColumns)
    const sessions = Query.make(backend, Query.rowDecoder(SessionCodec, "sessions", "id"))
    const plain = Query.plain(backend)
    const encode = encoder(SessionCodec, "session")
    const validateInsert = validator(SessionInsert, "session", fastSessionInsert)
    const validateId = validator(SessionId, "session id", RowCodec.fastId)
    const validateFilter = validator(SessionFilterInput, "session filter")
    const validateStatus = validator(SessionStatus, "session status")
    const validateActivity = validator(Schema.UndefinedOr(ActivityState), "activity state")
    const validatePr = validator(PrInput, "pull request")
    const validateMetadata = validator(JsonObjectInput, "metadata")
    const validateWritable = validator(SessionWritable, "session")
    const validateChangesOptions = validator(SessionChangesOptionsInput, "session changes options")
    const atomic = transaction(sql)
    const notFound = (id: string) => () => new NotFound({ entity: "Session", id })
    const { insertionOrder, instant } = backend.time
    const newestFirst = sql`ORDER BY ${instant("created_at")} DESC, ${insertionOrder} DESC`

    const insert = (input: SessionInsert): Effect.Effect<Session, AlreadyExists | DbError> =>
      Effect.gen(function*() {
        const fields = yield* validateInsert(input)
        const now = yield* DateTime.now
        const session = RowCodec.construct(Session, {
          id: fields.id,
          projectId: fields.projectId,
          status: fields.status ?? "spawning",
          activity: Option.fromNullable(fields.activity),
          branch: Option.fromNullable(fields.branch),
          issueId: Option.fromNullable(fields.issueId),
          workspacePath: Option.fromNullable(fields.workspacePath),
          runtimeHandle: Option.fromNullable(fields.runtimeHandle),
          agentInfo: Option.fromNullable(fields.agentInfo),
          agentName: Option.fromNullable(fields.agentName),
          prUrl: Option.fromNullable(fields.prUrl),
          prNumber: Option.fromNullable(fields.prNumber),
          tmuxName: Option.fromNullable(fields.tmuxName),
          configHash: fields.configHash,
          role: Option.fromNullable(fields.role),
          metadata: fields.metadata ?? {},
          createdAt: fields.createdAt ?? now,
          lastActivityAt: fields.lastActivityAt ?? fields.createdAt ?? now,
          restoredAt: Option.none(),
          archivedAt: Option.none()
        })
        const row = yield* encode(session)
        // The backend's insert: a statement text built once, where `sql.insert` compiles one per call.
        yield* plain.insertRows("sessions", [row], Query.insertFailure("Session", session.id))
        return session
      }).pipe(operation("SessionsRepo.insert", { "session.id": input.id }))

    const { find, get } = Query.lookup(sessions, {
      repository: "SessionsRepo",
      entity: "Session",
      attribute: "session.id",
      validate: validateId,
      select: (id) => sql`SELECT ${columns} FROM sessions WHERE id = ${id}`
    })

    /** The conditions of a validated filter; `undefined` when it admits no status at all. */
    const conditionsOf = (valid: typeof SessionFilterInput.Type): Array<Statement.Fragment> | undefined => {
      const statuses = admittedStatuses(valid)
      if (statuses !== undefined && statuses.length === 0) return undefined
      return [
        ...(valid.projectId === undefined ? [] : [sql`project_id = ${valid.projectId}`]),
        ...(statuses === undefined ? [] : [
          statuses.length === 1 ? sql`status = ${statuses[0]!}` : sql`status IN ${sql.in(statuses)}`
        ]),
        ...(valid.archived === undefined ? [] : [
          valid.archived ? sql`archived_at IS NOT NULL` : sql`archived_at IS NULL`
        ])
      ]
    }

    const list = (filter: SessionFilter = {}): Effect.Effect<ReadonlyArray<Session>, DbError> =>
      validateFilter(filter).pipe(
        Effect.flatMap((valid) => {
          const conditions = conditionsOf(valid)
          if (conditions === undefined) return Effect.succeed([])
          const where = conditions.length === 0 ? sql`` : sql`WHERE ${sql.and(conditions)}`
          return sessions.findAll(sql`SELECT ${columns} FROM sessions ${where} ${newestFirst}`)
        }),
        operation("SessionsRepo.list", { "project.id": filter.projectId, "session.status": filter.status })
      )

    const listByStatus = (status: SessionStatus): Effect.Effect<ReadonlyArray<Session>, DbError> =>
      list({ status }).pipe(operation("SessionsRepo.listByStatus", { "session.status": status }))

    const decodeCounts = Query.rowDecoder(RowCodec.make(StatusCountRow), "sessions counts", "project_id")

    /** How many sessions each project has in each status: one grouped query over the (project_id, status) index. */
    const countByProjectAndStatus = (): Effect.Effect<ReadonlyArray<StatusCount>, DbError> =>
      plain.rows(sql`SELECT project_id, status, count(*) AS count FROM sessions GROUP BY project_id, status
ORDER BY project_id, status`).pipe(
        Effect.flatMap((rows) => Either.all(rows.map(decodeCounts.one))),
        traced("SessionsRepo.countByProjectAndStatus")
      )

    /**
     * Runs an `UPDATE … RETURNING` on one session and decodes the row, or `NotFound`. One
     * transaction: a stored row that does not decode (another program wrote it) fails the
     * update and leaves the row as it was, so that a caller never retries a committed change.
     */
    const updateOne = (
      id: string,
      assignments: (now: string) => Statement.Fragment | Statement.Helper
    ): Effect.Effect<Session, NotFound | DbError> =>
      Effect.gen(function*() {
        const validId = yield* validateId(id)
        const now = DateTime.formatIso(yield* DateTime.now)
        return yield* atomic(
          sessions.single(
            sql`UPDATE sessions SET ${assignments(now)} WHERE id = ${validId} RETURNING ${columns}`,
            notFound(validId)
          )
        )
      })

    const update = (session: Session): Effect.Effect<Session, NotFound | DbError> =>
      validateWritable(session).pipe(
        Effect.flatMap(() => encode(session)),
        Effect.flatMap((row) => {
          const { created_at: _createdAt, id: _id, ...mutable } = row
          return updateOne(session.id, (now) => sql.update({ ...mutable, last_activity_at: now }))
        }),
        traced("SessionsRepo.update", { "session.id": session.id })
      )

    const updateStatus = (id: string, status: SessionStatus): Effect.Effect<Session, NotFound | DbError> =>
      validateStatus(status).pipe(
        Effect.flatMap((status) => updateOne(id, (now) => sql`status = ${status}, last_activity_at = ${now}`)),
        traced("SessionsRepo.updateStatus", { "session.id": id, "session.status": status })
      )

    const updateActivity = (
      id: string,
      activity: ActivityState | undefined
    ): Effect.Effect<Session, NotFound | DbError> =>
      validateActivity(activity).pipe(
        Effect.flatMap((activity) =>
          updateOne(id, (now) => sql`activity = ${activity ?? null}, last_activity_at = ${now}`)
        ),
        traced("SessionsRepo.updateActivity", { "session.id": id })
      )

    const updatePr = (
      id: string,
      pr: { readonly url: string; readonly number: number }
    ): Effect.Effect<Session, NotFound | DbError> =>
      validatePr(pr).pipe(
        Effect.flatMap((pr) =>
          updateOne(id, (now) => sql`pr_url = ${pr.url}, pr_number = ${pr.number}, last_activity_at = ${now}`)
        ),
        traced("SessionsRepo.updatePr", { "session.id": id, "pr.number": pr.number })
      )

    const updateMetadata = (id: string, metadata: JsonObject): Effect.Effect<Session, NotFound | DbError> =>
      validateMetadata(metadata).pipe(
        // The validator refused what JSON.stringify cannot write, or would write as something else.
        Effect.flatMap((metadata) =>
          updateOne(id, (now) => sql`metadata = ${JSON.stringify(metadata)}, last_activity_at = ${now}`)
        ),
        traced("SessionsRepo.updateMetadata", { "session.id": id })
      )

    const archive = (id: string): Effect.Effect<Session, NotFound | DbError> =>
      updateOne(id, (now) => sql`archived_at = ${now}, last_activity_at = ${now}`).pipe(
        traced("SessionsRepo.archive", { "session.id": id })
      )

    const markRestored = (id: string): Effect.Effect<Session, NotFound | DbError> =>
      updateOne(id, (now) => sql`restored_at = ${now}, last_activity_at = ${now}`).pipe(
        traced("SessionsRepo.markRestored", { "session.id": id })
      )

    const delete_ = (id: string): Effect.Effect<void, NotFound | DbError> =>
      validateId(id).pipe(
        Effect.flatMap((id) => plain.rows(sql`DELETE FROM sessions WHERE id = ${id} RETURNING id`)),
        Effect.flatMap((rows) => rows.length === 0 ? Effect.fail(notFound(id)()) : Effect.void),
        traced("SessionsRepo.delete", { "session.id": id })
      )

    const newestLogged = Effect.map(
      plain.rows(sql<{ readonly top: number | string | null }>`SELECT max(position) AS top FROM session_log`),
      (rows) => Number(rows[0]?.top ?? 0)
    )

    const changes = (
      filter: SessionFilter = {},
      options: SessionChangesOptions = {}
    ): Stream.Stream<ChangedSession, DbError> =>
      Stream.unwrap(Effect.gen(function*() {
        const valid = yield* validateFilter(filter)
        const { after, fromStart, pageSize = defaultChangesPageSize } = yield* validateChangesOptions(options)
        const afterPosition = after === undefined ? undefined : yield* positionOf("sessions", after)
        // A filter that admits no status still reads the log, matching nothing.
        const conditions = conditionsOf(valid) ?? [sql`1 = 0`]
        return ChangeStream.make({
          watch: backend.changes("sessions"),
          start: afterPosition !== undefined
            ? Effect.succeed(afterPosition)
            : fromStart === true
            ? Effect.succeed(0)
            : newestLogged,
          newest: newestLogged,
          pageSize,
          page: (from, upTo, limit) =>
            sessions.findPositioned(
              sql`SELECT ${columns}, session_log.position FROM session_log JOIN sessions ON sessions.id = session_log.session_id
WHERE ${
                sql.and([sql`session_log.position > ${from}`, sql`session_log.position <= ${upTo}`, ...conditions])
              } ORDER BY session_log.position LIMIT ${limit}`
            )
        })
      })).pipe(
        Stream.map(([position, session]): ChangedSession => ({ session, cursor: cursorOf("sessions", position) })),
        Stream.withSpan("SessionsRepo.changes", {
          captureStackTrace: false,
          attributes: { "project.id": filter.projectId }
        })
      )

    return {
      changes,
      insert,
      get,
      find,
      list,
      listByStatus,
      countByProjectAndStatus,
      update,
      updateStatus,
      updateActivity,
      updatePr,
      updateMetadata,
      archive,
      markRestored,
      delete: delete_
    } as const
  })
}) {}
