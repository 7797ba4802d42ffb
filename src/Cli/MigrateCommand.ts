/**
 * `ennio-db migrate`: brings the database up to date and says what that took: the database
 * layer migrates as it opens and tells what it applied, the same way on every backend.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Database from "../Database.js"
import { latestMigrationId, migrations } from "../Migrations/index.js"
import { ennioDb, withDatabase } from "./GlobalOptions.js"
import * as JsonOutput from "./JsonOutput.js"

const latestName = Object.keys(migrations).find((key) => Number.parseInt(key, 10) === latestMigrationId)!

/** @since 0.1.0 */
export const migrate = Command.make("migrate", {}, () =>
  Effect.gen(function*() {
    const { databaseUrl, json } = yield* ennioDb
    const shownUrl = Database.redactUrl(databaseUrl)
    const applied = (yield* withDatabase("migrate")(Database.MigrationsApplied)).map(([migration_id, name]) => ({
      migration_id,
      name
    }))
    if (json) return yield* JsonOutput.print({ applied, latest: latestMigrationId })
    yield* Console.log(
      applied.length === 0
        ? `${shownUrl} is up to date (latest migration ${latestName}).`
        : [
          `Applied ${applied.length} migration${applied.length === 1 ? "" : "s"} to ${shownUrl}:`,
          ...applied.map(({ migration_id, name }) => `  ${migration_id}_${name}`)
        ].join("\n")
    )
  })).pipe(Command.withDescription("Apply the migrations the database lacks, and list them"))
