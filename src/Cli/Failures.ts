/**
 * How a command ends: exit code 0; 2 for a usage error (which @effect/cli has already
 * explained); 1 for an expected failure, told in one line on stderr; 70 for a defect (a
 * bug), the only case that prints a stack trace.
 *
 * @since 0.1.0
 */
import * as ValidationError from "@effect/cli/ValidationError"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type { MaintenanceError } from "../Maintenance.js"
import type { RepoError } from "../Schemas/Errors.js"
import type { ListenError } from "./Serve/Server.js"

const ExitCode = { ok: 0, failure: 1, usage: 2, defect: 70 } as const

/**
 * A command line that parses but asks for something the command will not do as written
 * (exit code 2, told in one line).
 *
 * @since 0.1.0
 */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

const oneLine = (message: string) => message.replace(/\s*\n\s*/g, " ")

/**
 * Runs a command line and tells how it ended, as an exit code.
 *
 * @since 0.1.0
 */
export const exitCode = <R>(
  program: Effect.Effect<void, ValidationError.ValidationError | UsageError | RepoError | MaintenanceError | ListenError, R>
): Effect.Effect<number, never, R> =>
  program.pipe(
    Effect.as(ExitCode.ok),
    Effect.catchAll((error) =>
      ValidationError.isValidationError(error)
        ? Effect.succeed(ExitCode.usage)
        : Effect.as(
          Console.error(`ennio-db: ${oneLine(error.message)}`),
          error._tag === "UsageError" ? ExitCode.usage : ExitCode.failure
        )
    ),
    Effect.catchAllDefect((defect) =>
      Effect.as(
        Console.error(`ennio-db: internal error (please report it):\n${Cause.pretty(Cause.die(defect))}`),
        ExitCode.defect
      )
    )
  )
