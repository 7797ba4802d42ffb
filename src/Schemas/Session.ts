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
import { JsonObjectInput, optionalInput, Text } from "./Text.js"
import { StorableUtc, Timestamp } from "./Timestamp.js"

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
  configHash: Text,
  status: optionalInput(SessionStatus),
  activity: optionalInput(ActivityState),
  branch: optionalInput(Text),
  issueId: optionalInput(Text),
  workspacePath: optionalInput(Text),
  runtimeHandle: optionalInput(RuntimeHandleInput),
  agentInfo: optionalInput(AgentSessionInfoInput),
  agentName: optionalInput(Text),
  prUrl: optionalInput(Text),
  prNumber: optionalInput(PrNumber),
  tmuxName: optionalInput(Text),
  role: optionalInput(Text),
  metadata: optionalInput(JsonObjectInput),
  createdAt: optionalInput(StorableUtc),
  lastActivityAt: optionalInput(StorableUtc)
})
/** @since 0.1.0 */
export type SessionInsert = typeof SessionInsert.Encoded

const optionalText = Schema.OptionFromSelf(Text)

/**
 * What `SessionsRepo.update` checks of a `Session` besides what encoding it checks: its text
 * and JSON must read back as written, as `SessionInsert` requires of an input.
 *
 * @since 0.1.0
 */
export const SessionWritable = Schema.Struct({
  branch: optionalText,
  issueId: optionalText,
  workspacePath: optionalText,
  runtimeHandle: Schema.OptionFromSelf(Schema.Struct({ id: Text, runtimeName: Text, data: JsonObjectInput })),
  agentInfo: Schema.OptionFromSelf(Schema.Struct({ summary: optionalText })),
  agentName: optionalText,
  prUrl: optionalText,
  tmuxName: optionalText,
  configHash: Text,
  role: optionalText,
  metadata: JsonObjectInput
})

const statuses: ReadonlySet<string> = new Set(SessionStatus.literals)
const activities: ReadonlySet<string> = new Set(ActivityState.literals)

/**
 * The columns a row is read as, in the order `SessionCodec.decodeValues` reads them.
 *
 * @since 0.1.0
 */
export const sessionColumns = `id, project_id, status, activity, branch, issue_id, workspace_path,
  runtime_handle, agent_info, agent_name, pr_url, pr_number, tmux_name, config_hash, role, metadata,
  created_at, last_activity_at, restored_at, archived_at` as const

/**
 * `Session` ⇄ its `sessions` row, with fast paths for valid rows (see RowCodec).
 *
 * @since 0.1.0
 */
export const SessionCodec = RowCodec.make(Session, sessionColumns, {
  decodeValues: (values) =>
    RowCodec.attempt(() =>
      RowCodec.construct(Session, {
        id: RowCodec.takeId<SessionId>(values[0]),
        projectId: RowCodec.takeId<ProjectId>(values[1]),
        status: RowCodec.takeLiteral<SessionStatus>(statuses, values[2]),
        activity: RowCodec.takeNullable(values[3], (v) => RowCodec.takeLiteral<ActivityState>(activities, v)),
        branch: RowCodec.takeNullable(values[4], RowCodec.takeString),
        issueId: RowCodec.takeNullable(values[5], RowCodec.takeString),
        workspacePath: RowCodec.takeNullable(values[6], RowCodec.takeString),
        runtimeHandle: RowCodec.takeNullable(values[7], (v) => runtimeHandleFromJson(RowCodec.takeJson(v))),
        agentInfo: RowCodec.takeNullable(values[8], (v) => agentInfoFromJson(RowCodec.takeJson(v))),
        agentName: RowCodec.takeNullable(values[9], RowCodec.takeString),
        prUrl: RowCodec.takeNullable(values[10], RowCodec.takeString),
        prNumber: RowCodec.takeNullable(values[11], RowCodec.takePositive),
        tmuxName: RowCodec.takeNullable(values[12], RowCodec.takeString),
        configHash: RowCodec.takeString(values[13]),
        role: RowCodec.takeNullable(values[14], RowCodec.takeString),
        metadata: RowCodec.takeJsonObject(values[15]),
        createdAt: RowCodec.takeTimestamp(values[16]),
        lastActivityAt: RowCodec.takeTimestamp(values[17]),
        restoredAt: RowCodec.takeNullable(values[18], RowCodec.takeTimestamp),
        archivedAt: RowCodec.takeNullable(values[19], RowCodec.takeTimestamp)
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
