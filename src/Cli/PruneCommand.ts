/**
 * `ennio-db prune --older-than 30d`: event retention.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { EventsRepo } from "../Repos/EventsRepo.js"
import * as Format from "./Format.js"
import { ennioDb, withDatabase } from "./GlobalOptions.js"
import { UsageError } from "./Failures.js"
import * as JsonOutput from "./JsonOutput.js"
import { vacuumReport } from "./OperationsCommands.js"

const units = { d: "days", h: "hours", m: "minutes" } as const

/** Reads an age such as `30d`, `12h` or `90m`. */
const parseAge = (text: string): Option.Option<Duration.Duration> => {
  const match = /^(\d+)([dhm])$/.exec(text)
  return match === null
    ? Option.none()
    : Option.some(Duration.decode(`${Number(match[1])} ${units[match[2] as keyof typeof units]}`))
}

/** @since 0.1.0 */
export const prune = Command.make("prune", {
  olderThan: Options.text("older-than").pipe(
    Options.withPseudoName("AGE"),
    Options.withDescription("Delete the events older than this age: 30d, 12h or 90m"),
    Options.filterMap(parseAge, "--older-than takes an age such as 30d, 12h or 90m")
  ),
  dryRun: Options.boolean("dry-run").pipe(Options.withDescription("Count what would be deleted, delete nothing")),
  force: Options.boolean("force").pipe(Options.withDescription("Allow --older-than 0d, which deletes every event")),
  vacuum: Options.boolean("vacuum").pipe(Options.withDescription("Then give the space back (as ennio-db vacuum)"))
}, ({ dryRun, force, olderThan, vacuum }) =>
  Effect.gen(function*() {
    const { json } = yield* ennioDb
    if (Duration.toMillis(olderThan) === 0 && !force && !dryRun) {
      return yield* new UsageError({ message: "--older-than 0 deletes every event: add --force to mean it" })
    }
    const cutoff = DateTime.subtractDuration(yield* DateTime.now, olderThan)
    const count = yield* withDatabase("prune")(
      Effect.flatMap(EventsRepo, (repo) => dryRun ? repo.countOlderThan(cutoff) : repo.deleteOlderThan(cutoff))
    )
    if (!json) {
      yield* Console.log(
        `${dryRun ? "Would delete" : "Deleted"} ${Format.count(count)} events from before ${Format.instant(cutoff)} UTC.`
      )
    }
    const vacuumed = vacuum && !dryRun ? yield* vacuumReport : undefined
    if (json) {
      return yield* JsonOutput.print(
        dryRun
          ? { would_delete: count, cutoff: DateTime.formatIso(cutoff) }
          : { deleted: count, cutoff: DateTime.formatIso(cutoff), ...(vacuumed === undefined ? {} : { vacuum: vacuumed }) }
      )
    }
  })).pipe(Command.withDescription("Delete old events (retention)"))
