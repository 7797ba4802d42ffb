/**
 * A row of `sessions`.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { column, jsonText, nullable } from "./Column.js"
import { ActivityState, SessionStatus } from "./Enums.js"
import { ProjectId, SessionId } from "./Ids.js"
import {
  agentInfoFromJson,
  agentInfoToJson,
  AgentSessionInfo,
  AgentSessionInfoInput,
  JsonObject,
  RuntimeHandle,
  runtimeHandleFromJson,
  RuntimeHandleInput,
  runtimeHandleToJson
} from "./Json.js"
import * as RowCodec from "./RowCodec.js"
import { Timestamp } from "./Timestamp.js"

/** @since 0.1.0 */
export const PrNumber = Schema.Int.pipe(Schema.positive({ message: () => "a PR number is a positive integer" }))

/** @since 0.1.0 */
export class Session extends Schema.Class<Session>("Session")({
  id: SessionId,
  projectId: column("project_id", ProjectId),
  status: SessionStatus,
  activity: nullable(ActivityState),
  branch: nullable(Schema.String),
  issueId: column("issue_id", nullable(Schema.String)),
  workspacePath: column("workspace_path", nullable(Schema.String)),
  runtimeHandle: column("runtime_handle", nullable(jsonText(RuntimeHandle))),
  agentInfo: column("agent_info", nullable(jsonText(AgentSessionInfo))),
  agentName: column("agent_name", nullable(Schema.String)),
  prUrl: column("pr_url", nullable(Schema.String)),
  prNumber: column("pr_number", nullable(PrNumber)),
  tmuxName: column("tmux_name", nullable(Schema.String)),
  configHash: column("config_hash", Schema.String),
  role: nullable(Schema.String),
  metadata: jsonText(JsonObject),
  createdAt: column("created_at", Timestamp),
  lastActivityAt: column("last_activity_at", Timestamp),
  restoredAt: column("restored_at", nullable(Timestamp)),
  archivedAt: column("archived_at", nullable(Timestamp))
}) {}

/**
 * What `SessionsRepo.insert` takes: id, projectId and configHash; every other field is
 * optional (status `spawning`, metadata `{}`, both timestamps now).
 *
 * @since 0.1.0
 */
export const SessionInsert = Schema.Struct({
  id: SessionId,
  projectId: ProjectId,
  configHash: Schema.String,
  status: Schema.optional(SessionStatus),
  activity: Schema.optional(ActivityState),
  branch: Schema.optional(Schema.String),
  issueId: Schema.optional(Schema.String),
  workspacePath: Schema.optional(Schema.String),
  runtimeHandle: Schema.optional(RuntimeHandleInput),
  agentInfo: Schema.optional(AgentSessionInfoInput),
  agentName: Schema.optional(Schema.String),
  prUrl: Schema.optional(Schema.String),
  prNumber: Schema.optional(PrNumber),
  tmuxName: Schema.optional(Schema.String),
  role: Schema.optional(Schema.String),
  metadata: Schema.optional(JsonObject),
  createdAt: Schema.optional(Schema.DateTimeUtcFromSelf),
  lastActivityAt: Schema.optional(Schema.DateTimeUtcFromSelf)
})
/** @since 0.1.0 */
export type SessionInsert = typeof SessionInsert.Encoded

const statuses: ReadonlySet<string> = new Set(SessionStatus.literals)
const activities: ReadonlySet<string> = new Set(ActivityState.literals)

/**
 * `Session` ⇄ its `sessions` row, with fast paths for valid rows (see RowCodec).
 *
 * @since 0.1.0
 */
export const SessionCodec = RowCodec.make(Session, {
  decode: (row) =>
    RowCodec.attempt(() =>
      RowCodec.construct(Session, {
        id: RowCodec.takeId<SessionId>(row.id),
        projectId: RowCodec.takeId<ProjectId>(row.project_id),
        status: RowCodec.takeLiteral<SessionStatus>(statuses, row.status),
        activity: RowCodec.takeNullable(row.activity, (v) => RowCodec.takeLiteral<ActivityState>(activities, v)),
        branch: RowCodec.takeNullable(row.branch, RowCodec.takeString),
        issueId: RowCodec.takeNullable(row.issue_id, RowCodec.takeString),
        workspacePath: RowCodec.takeNullable(row.workspace_path, RowCodec.takeString),
        runtimeHandle: RowCodec.takeNullable(row.runtime_handle, (v) => runtimeHandleFromJson(RowCodec.takeJson(v))),
        agentInfo: RowCodec.takeNullable(row.agent_info, (v) => agentInfoFromJson(RowCodec.takeJson(v))),
        agentName: RowCodec.takeNullable(row.agent_name, RowCodec.takeString),
        prUrl: RowCodec.takeNullable(row.pr_url, RowCodec.takeString),
        prNumber: RowCodec.takeNullable(row.pr_number, RowCodec.takePositive),
        tmuxName: RowCodec.takeNullable(row.tmux_name, RowCodec.takeString),
        configHash: RowCodec.takeString(row.config_hash),
        role: RowCodec.takeNullable(row.role, RowCodec.takeString),
        metadata: RowCodec.takeJsonObject(row.metadata),
        createdAt: RowCodec.takeTimestamp(row.created_at),
        lastActivityAt: RowCodec.takeTimestamp(row.last_activity_at),
        restoredAt: RowCodec.takeNullable(row.restored_at, RowCodec.takeTimestamp),
        archivedAt: RowCodec.takeNullable(row.archived_at, RowCodec.takeTimestamp)
      })
    ),
  encode: (session) =>
    RowCodec.attempt(() => ({
      id: RowCodec.takeId<string>(session.id),
      project_id: RowCodec.takeId<string>(session.projectId),
      status: RowCodec.takeLiteral<SessionStatus>(statuses, session.status),
      activity: RowCodec.orNull(session.activity, (v) => RowCodec.takeLiteral<ActivityState>(activities, v)),
      branch: RowCodec.orNull(session.branch, RowCodec.takeString),
      issue_id: RowCodec.orNull(session.issueId, RowCodec.takeString),
      workspace_path: RowCodec.orNull(session.workspacePath, RowCodec.takeString),
      runtime_handle: RowCodec.orNull(session.runtimeHandle, (h) => RowCodec.toJson(runtimeHandleToJson(h))),
      agent_info: RowCodec.orNull(session.agentInfo, (i) => RowCodec.toJson(agentInfoToJson(i))),
      agent_name: RowCodec.orNull(session.agentName, RowCodec.takeString),
      pr_url: RowCodec.orNull(session.prUrl, RowCodec.takeString),
      pr_number: RowCodec.orNull(session.prNumber, RowCodec.takePositive),
      tmux_name: RowCodec.orNull(session.tmuxName, RowCodec.takeString),
      config_hash: RowCodec.takeString(session.configHash),
      role: RowCodec.orNull(session.role, RowCodec.takeString),
      metadata: RowCodec.toJson(RowCodec.isPlainObject(session.metadata) ? session.metadata : RowCodec.refuse()),
      created_at: RowCodec.writeTimestamp(session.createdAt),
      last_activity_at: RowCodec.writeTimestamp(session.lastActivityAt),
      restored_at: RowCodec.orNull(session.restoredAt, RowCodec.writeTimestamp),
      archived_at: RowCodec.orNull(session.archivedAt, RowCodec.writeTimestamp)
    }))
})
