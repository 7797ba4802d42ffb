/**
 * A row of `sessions`.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { column, jsonText, nullable } from "./Column.js"
import { ActivityState, SessionStatus } from "./Enums.js"
import { ProjectId, SessionId } from "./Ids.js"
import { AgentSessionInfo, AgentSessionInfoInput, JsonObject, RuntimeHandle, RuntimeHandleInput } from "./Json.js"
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
