/**
 * `ennio-db metrics SESSION_ID`: what a session cost, and how its CI and reviews went.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { MetricsRepo } from "../Repos/MetricsRepo.js"
import { SessionsRepo } from "../Repos/SessionsRepo.js"
import type { SessionMetrics } from "../Schemas/SessionMetrics.js"
import * as Cells from "./Cells.js"
import * as Format from "./Format.js"
import { ennioDb, withDatabase } from "./GlobalOptions.js"
import * as JsonOutput from "./JsonOutput.js"
import * as Screen from "./Screen.js"
import * as Table from "./Table.js"

/**
 * A session's metrics as label–value pairs.
 *
 * @since 0.1.0
 */
export const fields = (metrics: SessionMetrics): Array<readonly [string, string]> => [
  ["Tokens in", Format.count(metrics.totalTokensIn)],
  ["Tokens out", Format.count(metrics.totalTokensOut)],
  ["Cost", Format.usd(metrics.estimatedCostUsd)],
  ["CI runs", `${Format.count(metrics.ciRuns)} (${Format.count(metrics.ciFailures)} failed)`],
  ["Review rounds", Format.count(metrics.reviewRounds)],
  ["Time to first PR", Cells.optional(metrics.timeToFirstPrSecs, Format.seconds)],
  ["Time to merge", Cells.optional(metrics.timeToMergeSecs, Format.seconds)],
  ["Updated", Format.instant(metrics.updatedAt)]
]

/** @since 0.1.0 */
export const metrics = Command.make("metrics", { sessionId: Args.text({ name: "SESSION_ID" }) }, ({ sessionId }) =>
  Effect.gen(function*() {
    const { json } = yield* ennioDb
    const found = yield* withDatabase("metrics")(Effect.gen(function*() {
      // An unknown session is an error; a known one may not have recorded anything yet.
      yield* Effect.flatMap(SessionsRepo, (sessions) => sessions.get(sessionId))
      return yield* Effect.flatMap(MetricsRepo, (repo) => repo.find(sessionId))
    }))
    if (json) return yield* JsonOutput.print(Option.getOrNull(Option.map(found, JsonOutput.metrics)))
    const screen = Screen.of(process.stdout)
    yield* Console.log(Option.match(found, {
      onNone: () => `Session ${sessionId} has not recorded any metrics.`,
      onSome: (m) => [screen.palette.bold(`Metrics of ${sessionId}`), ...Table.fields(fields(m), screen)].join("\n")
    }))
  })).pipe(Command.withDescription("A session's tokens, cost, CI runs and review rounds"))
