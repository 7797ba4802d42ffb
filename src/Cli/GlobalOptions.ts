/**
 * The options every command takes, on the root command `ennio-db` (they may be written
 * before or after the subcommand), and the database they name.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Database from "../Database.js"
import * as Repos from "../Repos/Repos.js"
import type { DbError } from "../Schemas/Errors.js"

/**
 * The root command; a subcommand reads the global options by yielding it.
 *
 * @since 0.1.0
 */
export const ennioDb = Command.make("ennio-db", {
  databaseUrl: Options.text("database-url").pipe(
    Options.withPseudoName("URL"),
    Options.withDescription(`The database (${Database.acceptedUrlForms}); overrides DATABASE_URL`),
    Options.withFallbackConfig(Config.string("DATABASE_URL")),
    Options.withDefault(Database.defaultUrl)
  ),
  json: Options.boolean("json").pipe(
    Options.withDescription("Print JSON for scripts: the rows' snake_case columns, JSON columns nested")
  ),
  trace: Options.boolean("trace").pipe(
    Options.withDescription("After the command, print its span tree (operations and SQL statements) to stderr")
  )
})

/**
 * Runs `work` on the repositories over the database of `--database-url`, in a span named
 * after the command (the root of what `--trace` prints); opened for reading only when asked
 * (see `DatabaseOptions.readOnly`).
 *
 * @since 0.1.0
 */
export const withDatabase = (command: string, options: { readonly readOnly?: boolean } = {}) =>
<A, E>(
  work: Effect.Effect<A, E, Repos.Repositories | Database.DatabaseServices>
): Effect.Effect<A, E | DbError, Command.Command.Context<"ennio-db">> =>
  Effect.flatMap(
    ennioDb,
    ({ databaseUrl }) => Effect.provide(work, Repos.layerDatabase({ url: databaseUrl, readOnly: options.readOnly }))
  ).pipe(
    Effect.withSpan(`ennio-db ${command}`)
  )
