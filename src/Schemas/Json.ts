/**
 * The JSON column shapes of domain.md. Keys inside the JSON stay snake_case so the
 * original implementation can still read what ennio-db writes.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import {
  construct,
  isPlainObject,
  orNull,
  refuse,
  takeCount,
  takeFinite,
  takeInstance,
  takeNullable,
  takeString
} from "./RowCodec.js"
import { JsonObjectInput, nullOrInput, optionalInput, Text } from "./Text.js"

const key = <const K extends string, S extends Schema.Schema.Any>(name: K, schema: S) =>
  Schema.propertySignature(schema).pipe(Schema.fromKey(name))

/**
 * Any JSON value. Values that JSON cannot hold (a bigint, a cycle) fail when encoded.
 *
 * @since 0.1.0
 */
export const JsonValue = Schema.Unknown.annotations({ identifier: "JsonValue" })

/** @since 0.1.0 */
export const JsonObject = Schema.Record({ key: Schema.String, value: JsonValue })
/** @since 0.1.0 */
export type JsonObject = typeof JsonObject.Type

/**
 * Where a session runs: `{ "id", "runtime_name", "data" }`.
 *
 * @since 0.1.0
 */
export class RuntimeHandle extends Schema.Class<RuntimeHandle>("RuntimeHandle")({
  id: Schema.String,
  runtimeName: key("runtime_name", Schema.String),
  data: JsonObject
}) {}

/** @since 0.1.0 */
export class AgentCost extends Schema.Class<AgentCost>("AgentCost")({
  inputTokens: key("input_tokens", Schema.NonNegativeInt),
  outputTokens: key("output_tokens", Schema.NonNegativeInt),
  estimatedCostUsd: key("estimated_cost_usd", Schema.Finite)
}) {}

/**
 * What the agent plugin reports: `{ "summary": string | null, "cost": null | {…} }`.
 *
 * @since 0.1.0
 */
export class AgentSessionInfo extends Schema.Class<AgentSessionInfo>("AgentSessionInfo")({
  summary: Schema.OptionFromNullOr(Schema.String),
  cost: Schema.OptionFromNullOr(AgentCost)
}) {}

/**
 * A `RuntimeHandle` as callers write it: `{ id, runtimeName, data }`.
 *
 * @since 0.1.0
 */
export const RuntimeHandleInput = Schema.transform(
  Schema.Struct({ id: Text, runtimeName: Text, data: JsonObjectInput }),
  Schema.typeSchema(RuntimeHandle),
  { strict: true, decode: (input) => new RuntimeHandle(input, true), encode: (handle) => ({ ...handle }) }
)
/** @since 0.1.0 */
export type RuntimeHandleInput = typeof RuntimeHandleInput.Encoded

/**
 * An `AgentSessionInfo` as callers write it: absent parts are `null` or left out.
 *
 * @since 0.1.0
 */
export const AgentSessionInfoInput = Schema.transform(
  Schema.Struct({
    summary: optionalInput(nullOrInput(Text)),
    cost: optionalInput(nullOrInput(Schema.Struct({
      inputTokens: Schema.NonNegativeInt,
      outputTokens: Schema.NonNegativeInt,
      estimatedCostUsd: Schema.Finite
    })))
  }),
  Schema.typeSchema(AgentSessionInfo),
  {
    strict: true,
    decode: ({ cost, summary }) =>
      construct(AgentSessionInfo, {
        summary: Option.fromNullable(summary),
        cost: Option.map(Option.fromNullable(cost), (c) => construct(AgentCost, c))
      }),
    encode: (info) => ({
      summary: Option.getOrNull(info.summary),
      cost: Option.getOrNull(Option.map(info.cost, (c) => ({ ...c })))
    })
  }
)
/** @since 0.1.0 */
export type AgentSessionInfoInput = typeof AgentSessionInfoInput.Encoded

/** Fast path of the `runtime_handle` column (see RowCodec): a parsed JSON value to a RuntimeHandle. */
export const runtimeHandleFromJson = (json: unknown): RuntimeHandle => {
  if (!isPlainObject(json)) return refuse()
  return construct(RuntimeHandle, {
    id: takeString(json.id),
    runtimeName: takeString(json.runtime_name),
    data: isPlainObject(json.data) ? json.data : refuse()
  })
}

/** Fast path of the `runtime_handle` column: a RuntimeHandle to its JSON shape. */
export const runtimeHandleToJson = (value: unknown) => {
  const handle = takeInstance(RuntimeHandle, value)
  return {
    id: takeString(handle.id),
    runtime_name: takeString(handle.runtimeName),
    data: isPlainObject(handle.data) ? handle.data : refuse()
  }
}

/** Fast path of the `agent_info` column: a parsed JSON value to an AgentSessionInfo. */
export const agentInfoFromJson = (json: unknown): AgentSessionInfo => {
  if (!isPlainObject(json)) return refuse()
  const cost = json.cost
  return construct(AgentSessionInfo, {
    summary: takeNullable(json.summary, takeString),
    cost: takeNullable(cost, (c) => {
      if (!isPlainObject(c)) return refuse()
      return construct(AgentCost, {
        inputTokens: takeCount(c.input_tokens),
        outputTokens: takeCount(c.output_tokens),
        estimatedCostUsd: takeFinite(c.estimated_cost_usd)
      })
    })
  })
}

/** Fast path of the `agent_info` column: an AgentSessionInfo to its JSON shape. */
export const agentInfoToJson = (value: unknown) => {
  const info = takeInstance(AgentSessionInfo, value)
  return {
    summary: orNull(info.summary, takeString),
    cost: orNull(info.cost, (c) => {
      const cost = takeInstance(AgentCost, c)
      return {
        input_tokens: takeCount(cost.inputTokens),
        output_tokens: takeCount(cost.outputTokens),
        estimated_cost_usd: takeFinite(cost.estimatedCostUsd)
      }
    })
  }
}
