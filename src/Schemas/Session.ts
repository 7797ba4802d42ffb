/**
 * A row of `sessions`.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { column, jsonText, nullable } from "./Column.js"
import { ActivityState, SessionStatus } from "./Enums.js"
import { ProjectId, SessionId } from "./Ids.js"
import * as Option from "effect/Option"
import {
  AgentCost,
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

/** A plain object of JSON that reads back as written, as `JsonObjectInput` requires. */
const takeJsonObjectInput = (value: unknown): { readonly [key: string]: unknown } =>
  RowCodec.isPlainObject(value) ? RowCodec.takeJsonInput(value) as { readonly [key: string]: unknown } : RowCodec.refuse()

/** What `RuntimeHandleInput` decodes. */
const takeRuntimeHandleInput = (value: unknown): RuntimeHandle => {
  if (!RowCodec.isObject(value)) return RowCodec.refuse()
  return RowCodec.construct(RuntimeHandle, {
    id: RowCodec.takeOwn(value, "id", RowCodec.takeText),
    runtimeName: RowCodec.takeOwn(value, "runtimeName", RowCodec.takeText),
    data: RowCodec.takeOwn(value, "data", takeJsonObjectInput)
  })
}

/** What `AgentSessionInfoInput` decodes: absent or null parts are `None`. */
const takeAgentInfoInput = (value: unknown): AgentSessionInfo => {
  if (!RowCodec.isObject(value)) return RowCodec.refuse()
  const fields: Record<string, unknown> = {}
  RowCodec.copyOptional(value, fields, "summary", (v) => v === null ? null : RowCodec.takeText(v))
  RowCodec.copyOptional(value, fields, "cost", (v) => {
    if (v === null) return null
    if (!RowCodec.isObject(v)) return RowCodec.refuse()
    return RowCodec.construct(AgentCost, {
      inputTokens: RowCodec.takeOwn(v, "inputTokens", RowCodec.takeCount),
      outputTokens: RowCodec.takeOwn(v, "outputTokens", RowCodec.takeCount),
      estimatedCostUsd: RowCodec.takeOwn(v, "estimatedCostUsd", RowCodec.takeFinite)
    })
  })
  return RowCodec.construct(AgentSessionInfo, {
    summary: Option.fromNullable(fields.summary as string | null | undefined),
    cost: Option.fromNullable(fields.cost as AgentCost | null | undefined)
  })
}

const takeStatus = (value: unknown) => RowCodec.takeLiteral<SessionStatus>(statuses, value)

/**
 * The fast path of `SessionInsert` (see RowCodec): the decoded input, or `undefined` to let
 * the Schema decide. test/Schemas/FastInputs.test.ts holds it equal to the Schema.
 *
 * @since 0.1.0
 */
export const fastSessionInsert = (input: unknown): typeof SessionInsert.Type | undefined =>
  RowCodec.attempt(() => {
    if (!RowCodec.isObject(input)) return RowCodec.refuse()
    const output: Record<string, unknown> = {
      id: RowCodec.takeOwn(input, "id", RowCodec.takeId),
      projectId: RowCodec.takeOwn(input, "projectId", RowCodec.takeId),
      configHash: RowCodec.takeOwn(input, "configHash", RowCodec.takeText)
    }
    RowCodec.copyOptional(input, output, "status", takeStatus)
    RowCodec.copyOptional(input, output, "activity", (v) => RowCodec.takeLiteral(activities, v))
    RowCodec.copyOptional(input, output, "branch", RowCodec.takeText)
    RowCodec.copyOptional(input, output, "issueId", RowCodec.takeText)
    RowCodec.copyOptional(input, output, "workspacePath", RowCodec.takeText)
    RowCodec.copyOptional(input, output, "runtimeHandle", takeRuntimeHandleInput)
    RowCodec.copyOptional(input, output, "agentInfo", takeAgentInfoInput)
    RowCodec.copyOptional(input, output, "agentName", RowCodec.takeText)
    RowCodec.copyOptional(input, output, "prUrl", RowCodec.takeText)
    RowCodec.copyOptional(input, output, "prNumber", RowCodec.takePositive)
    RowCodec.copyOptional(input, output, "tmuxName", RowCodec.takeText)
    RowCodec.copyOptional(input, output, "role", RowCodec.takeText)
    RowCodec.copyOptional(input, output, "metadata", takeJsonObjectInput)
    RowCodec.copyOptional(input, output, "createdAt", RowCodec.takeUtc)
    RowCodec.copyOptional(input, output, "lastActivityAt", RowCodec.takeUtc)
    return output as typeof SessionInsert.Type
  })

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

const status = (value: unknown) => RowCodec.takeLiteral<SessionStatus>(statuses, value)
const activity = (value: unknown) => RowCodec.takeLiteral<ActivityState>(activities, value)

/**
 * `Session` ⇄ its `sessions` row, with fast paths for valid rows (see RowCodec): one entry a
 * column, in the order rows are read.
 *
 * @since 0.1.0
 */
export const SessionCodec = RowCodec.table(Session, [
  { field: "id", take: RowCodec.takeId, write: RowCodec.takeId },
  { field: "projectId", take: RowCodec.takeId, write: RowCodec.takeId },
  { field: "status", take: status, write: status },
  { field: "activity", ...RowCodec.nullableColumn(activity, activity) },
  { field: "branch", ...RowCodec.nullableColumn(RowCodec.takeString, RowCodec.takeString) },
  { field: "issueId", ...RowCodec.nullableColumn(RowCodec.takeString, RowCodec.takeString) },
  { field: "workspacePath", ...RowCodec.nullableColumn(RowCodec.takeString, RowCodec.takeString) },
  {
    field: "runtimeHandle",
    ...RowCodec.nullableColumn(
      (v) => runtimeHandleFromJson(RowCodec.takeJson(v)),
      (h) => RowCodec.toJson(runtimeHandleToJson(h as RuntimeHandle))
    )
  },
  {
    field: "agentInfo",
    ...RowCodec.nullableColumn(
      (v) => agentInfoFromJson(RowCodec.takeJson(v)),
      (i) => RowCodec.toJson(agentInfoToJson(i as AgentSessionInfo))
    )
  },
  { field: "agentName", ...RowCodec.nullableColumn(RowCodec.takeString, RowCodec.takeString) },
  { field: "prUrl", ...RowCodec.nullableColumn(RowCodec.takeString, RowCodec.takeString) },
  { field: "prNumber", ...RowCodec.nullableColumn(RowCodec.takePositive, RowCodec.takePositive) },
  { field: "tmuxName", ...RowCodec.nullableColumn(RowCodec.takeString, RowCodec.takeString) },
  { field: "configHash", take: RowCodec.takeString, write: RowCodec.takeString },
  { field: "role", ...RowCodec.nullableColumn(RowCodec.takeString, RowCodec.takeString) },
  {
    field: "metadata",
    take: RowCodec.takeJsonObject,
    write: (m) => RowCodec.toJson(RowCodec.isPlainObject(m) ? m : RowCodec.refuse())
  },
  { field: "createdAt", take: RowCodec.takeTimestamp, write: RowCodec.writeTimestamp },
  { field: "lastActivityAt", take: RowCodec.takeTimestamp, write: RowCodec.writeTimestamp },
  { field: "restoredAt", ...RowCodec.nullableColumn(RowCodec.takeTimestamp, RowCodec.writeTimestamp) },
  { field: "archivedAt", ...RowCodec.nullableColumn(RowCodec.takeTimestamp, RowCodec.writeTimestamp) }
])

/**
 * The columns a row is read as, in the order `SessionCodec.decodeValues` reads them.
 *
 * @since 0.1.0
 */
export const sessionColumns = SessionCodec.columns.join(", ")
