/**
 * `ennio-db serve`: the live web dashboard of the database, read-only, until Ctrl-C or SIGTERM.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Migrations from "../../Migrations/index.js"
import { withDatabase } from "../GlobalOptions.js"
import * as Interrupt from "../Interrupt.js"
import * as Access from "./Access.js"
import * as Server from "./Server.js"

/** @since 0.1.0 */
export const defaultPort = 4310

/** @since 0.1.0 */
export const serve = Command.make("serve", {
  host: Options.text("host").pipe(
    Options.withPseudoName("HOST"),
    Options.withDescription("The address to listen on (default 127.0.0.1; another needs --token)"),
    Options.withDefault("127.0.0.1")
  ),
  port: Options.integer("port").pipe(
    Options.withPseudoName("PORT"),
    Options.withDescription(`The port (default ${defaultPort}; 0 picks a free one)`),
    Options.filterMap(
      Option.liftPredicate((port: number) => port >= 0 && port <= 65_535),
      "--port takes a port number from 0 to 65535"
    ),
    Options.withDefault(defaultPort)
  ),
  token: Options.text("token").pipe(
    Options.withPseudoName("TOKEN"),
    Options.withDescription("Every request must carry it (default: ENNIO_DB_TOKEN)"),
    Options.withFallbackConfig(Config.string("ENNIO_DB_TOKEN")),
    Options.optional
  )
}, ({ host, port, token }) =>
  Effect.zipRight(
    Access.checkBinding(host, token),
    // Read-only: nothing it opens can write, not even a migration; an older database is refused.
    Interrupt.untilInterrupted(
      withDatabase("serve", { readOnly: true })(Effect.zipRight(Migrations.requireCurrent, Server.run({ host, port, token })))
    )
  )).pipe(Command.withDescription("Serve a live web dashboard of the database (read-only)"))
