/**
 * `ennio-db demo`: writes a simulated day of the orchestrator through the repositories.
 * Each run adds the next day, so running it again never collides with what is there.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Clock from "effect/Clock"
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

// Sessions written between two moves of the progress bar.
const sessionsPerChunk = 25

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

/** What a demo day wrote, counted as it is written. */
interface DaySummary {
  readonly day: number
  readonly date: number
  sessions: number
  events: number
  tokens: number
  costUsd: number
}

const dayMs = 86_400_000

/** A clock that always reads `epochMs` (sleeping as `real` does): the demo's writes happen on its day. */
const clockAt = (epochMs: number, real: Clock.Clock): Clock.Clock => ({
  [Clock.ClockTypeId]: Clock.ClockTypeId,
  unsafeCurrentTimeMillis: () => epochMs,
  unsafeCurrentTimeNanos: () => BigInt(epochMs) * BigInt(1_000_000),
  currentTimeMillis: Effect.sync(() => epochMs),
  currentTimeNanos: Effect.sync(() => BigInt(epochMs) * BigInt(1_000_000)),
  sleep: (duration) => real.sleep(duration)
})

/**
 * Writes the next day whole, in one transaction: an interrupted demo leaves nothing of its day.
 * Day n is the calendar day n days before `reference` (a UTC midnight), so the data is recent
 * and in the past; its projects and metrics are stamped at that day's end. Sessions are
 * simulated a chunk at a time, between writes, so an interrupt stops it at once. Two demos
 * started together may pick the same day: the one whose sessions collide with the other's
 * takes the day after, so both succeed.
 */
const writeDay = (seed: number, sessionCount: number, reference: number) =>
  Database.transaction(Effect.gen(function*() {
    const day = yield* nextDay
    const date = reference - day * dayMs
    const plans = DemoSimulation.planLazily({ seed, day, date, sessions: sessionCount })
    const progress = ProgressBar.make(sessionCount, "sessions")
    const summary: DaySummary = { day, date, sessions: 0, events: 0, tokens: 0, costUsd: 0 }
    const nextChunk = Effect.sync(() => {
      const chunk: Array<DemoSimulation.SessionPlan> = []
      while (chunk.length < sessionsPerChunk) {
        const next = plans.next()
        if (next.done === true) break
        chunk.push(next.value)
      }
      return chunk
    })
    const write = Effect.gen(function*() {
      const projects = yield* ProjectsRepo
      for (const { configHash, defaultBranch, id, name, path, repo } of DemoWorld.projects) {
        yield* projects.upsert({ id, name, repo, path, defaultBranch, configHash })
      }
      for (let chunk = yield* nextChunk; chunk.length > 0; chunk = yield* nextChunk) {
        yield* writeSessions(chunk)
        for (const plan of chunk) {
          summary.sessions++
          summary.events += plan.events.length
          for (const delta of plan.spending) {
            summary.tokens += (delta.tokensIn ?? 0) + (delta.tokensOut ?? 0)
            summary.costUsd += delta.costUsd ?? 0
          }
        }
        yield* progress.advance(summary.sessions)
      }
    })
    yield* Effect.clockWith((real) => Effect.withClock(write, clockAt(DemoSimulation.eveningOf(date), real))).pipe(
      Effect.ensuring(progress.finish)
    )
    return summary
  })).pipe(Effect.retry({ times: 20, while: (error) => error._tag === "AlreadyExists" }))

/** Reads a date such as `2026-11-30` as its midnight, UTC. */
const parseDate = (text: string): Option.Option<number> => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return Option.none()
  const epoch = Date.parse(`${text}T00:00:00Z`)
  return Number.isNaN(epoch) || new Date(epoch).toISOString().slice(0, 10) !== text ? Option.none() : Option.some(epoch)
}

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
    Options.withDescription("The seed: the same seed and date write the same day"),
    Options.withDefault(1)
  ),
  date: Options.text("date").pipe(
    Options.withPseudoName("YYYY-MM-DD"),
    Options.withDescription("Count the days back from this date (default: today, UTC): run n writes the n-th day before it"),
    Options.filterMap(parseDate, "--date takes a date such as 2026-11-30"),
    Options.optional
  )
}, ({ date, seed, sessions: sessionCount }) =>
  Effect.gen(function*() {
    const { databaseUrl, json } = yield* ennioDb
    const now = yield* Clock.currentTimeMillis
    const reference = Option.getOrElse(date, () => now - (now % dayMs))
    const summary = yield* withDatabase("demo")(Effect.gen(function*() {
      const day = yield* writeDay(seed, sessionCount, reference)
      return {
        day: day.day,
        date: new Date(day.date).toISOString().slice(0, 10),
        seed,
        projects: DemoWorld.projects.length,
        sessions: day.sessions,
        events: day.events,
        tokens: day.tokens,
        cost_usd: day.costUsd
      }
    }))
    if (json) return yield* JsonOutput.print(summary)
    yield* Console.log(
      `Demo day ${summary.day} (${summary.date}, seed ${seed}) written to ${Database.redactUrl(databaseUrl)}: ` +
        `${summary.projects} projects, ` +
        `${Format.count(summary.sessions)} sessions, ${Format.count(summary.events)} events, ` +
        `${Format.tokens(summary.tokens)} tokens, ${Format.usd(summary.cost_usd)}.`
    )
  })).pipe(
    Command.withDescription("Write a simulated day of agent sessions (each run adds the next day)")
  )
