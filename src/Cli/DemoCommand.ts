/**
 * `ennio-db demo`: writes a simulated day of the orchestrator through the repositories.
 * Each run adds the next day, so running it again never collides with what is there.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Database from "../Database.js"
import { EventsRepo } from "../Repos/EventsRepo.js"
import { MetricsRepo } from "../Repos/MetricsRepo.js"
import { ProjectsRepo } from "../Repos/ProjectsRepo.js"
import { SessionsRepo } from "../Repos/SessionsRepo.js"
import * as DemoSimulation from "./DemoSimulation.js"
import * as DemoWorld from "./DemoWorld.js"
import * as Format from "./Format.js"
import { ennioDb, withDatabase } from "./GlobalOptions.js"
import * as JsonOutput from "./JsonOutput.js"
import * as ProgressBar from "./ProgressBar.js"

// Sessions written per transaction: small enough for a lively progress bar, large enough to commit rarely.
const sessionsPerTransaction = 25

/** The day after the last one a demo wrote (recorded in each demo session's metadata), or day 1. */
const nextDay = Effect.map(
  Effect.flatMap(SessionsRepo, (sessions) => sessions.list()),
  (sessions) =>
    1 + sessions.reduce((last, { metadata }) => {
      const day = metadata.demo_day
      return typeof day === "number" && Number.isSafeInteger(day) ? Math.max(last, day) : last
    }, 0)
)

const writeSessions = (plans: ReadonlyArray<DemoSimulation.SessionPlan>) =>
  Effect.gen(function*() {
    const sessions = yield* SessionsRepo
    const events = yield* EventsRepo
    const metrics = yield* MetricsRepo
    for (const plan of plans) yield* sessions.insert(plan.session)
    yield* events.insertMany(plans.flatMap((plan) => plan.events))
    for (const plan of plans) {
      const id = plan.session.id
      for (const delta of plan.spending) yield* metrics.record(id, delta)
      if (plan.timeToFirstPrSecs !== undefined) yield* metrics.setTimeToFirstPr(id, plan.timeToFirstPrSecs)
      if (plan.timeToMergeSecs !== undefined) yield* metrics.setTimeToMerge(id, plan.timeToMergeSecs)
    }
  })

/**
 * Claims the next day and writes its first sessions in one transaction. Two demos started
 * together may pick the same day: the one whose first sessions collide with the other's takes
 * the day after, so both succeed.
 */
const claimDay = (seed: number, sessionCount: number) =>
  Database.transaction(Effect.gen(function*() {
    const day = yield* nextDay
    const plans = DemoSimulation.plan({ seed, day, sessions: sessionCount })
    yield* writeSessions(plans.slice(0, sessionsPerTransaction))
    return { day, plans }
  })).pipe(Effect.retry({ times: 20, while: (error) => error._tag === "AlreadyExists" }))

const chunksOf = <A>(items: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size))

// Enough for a benchmark database; more would only take long to simulate.
const maxSessions = 100_000

/** @since 0.1.0 */
export const demo = Command.make("demo", {
  sessions: Options.integer("sessions").pipe(
    Options.withPseudoName("N"),
    Options.withDescription("How many sessions the day has"),
    Options.filterMap(
      Option.liftPredicate((n) => n >= 1 && n <= maxSessions),
      `--sessions takes a number from 1 to ${Format.count(maxSessions)}`
    ),
    Options.withDefault(40)
  ),
  seed: Options.integer("seed").pipe(
    Options.withPseudoName("SEED"),
    Options.withDescription("The seed: the same seed writes the same day"),
    Options.withDefault(1)
  )
}, ({ seed, sessions: sessionCount }) =>
  Effect.gen(function*() {
    const { databaseUrl, json } = yield* ennioDb
    const summary = yield* withDatabase("demo")(Effect.gen(function*() {
      const projects = yield* ProjectsRepo
      for (const { configHash, defaultBranch, id, name, path, repo } of DemoWorld.projects) {
        yield* projects.upsert({ id, name, repo, path, defaultBranch, configHash })
      }
      const { day, plans } = yield* claimDay(seed, sessionCount)
      const progress = ProgressBar.make(plans.length, "sessions")
      const rest = chunksOf(plans.slice(sessionsPerTransaction), sessionsPerTransaction)
      yield* progress.advance(Math.min(plans.length, sessionsPerTransaction))
      yield* Effect.forEach(rest, (batch, i) =>
        Database.transaction(writeSessions(batch)).pipe(
          Effect.zipRight(progress.advance((i + 1) * sessionsPerTransaction + batch.length))
        ), { discard: true }).pipe(Effect.ensuring(progress.finish))
      const spent = plans.flatMap((plan) => plan.spending)
      return {
        day,
        seed,
        projects: DemoWorld.projects.length,
        sessions: plans.length,
        events: plans.reduce((sum, plan) => sum + plan.events.length, 0),
        tokens: spent.reduce((sum, delta) => sum + (delta.tokensIn ?? 0) + (delta.tokensOut ?? 0), 0),
        cost_usd: spent.reduce((sum, delta) => sum + (delta.costUsd ?? 0), 0)
      }
    }))
    if (json) return yield* JsonOutput.print(summary)
    yield* Console.log(
      `Demo day ${summary.day} (seed ${seed}) written to ${Database.redactUrl(databaseUrl)}: ` +
        `${summary.projects} projects, ` +
        `${Format.count(summary.sessions)} sessions, ${Format.count(summary.events)} events, ` +
        `${Format.tokens(summary.tokens)} tokens, ${Format.usd(summary.cost_usd)}.`
    )
  })).pipe(
    Command.withDescription("Write a simulated day of agent sessions (each run adds the next day)")
  )
