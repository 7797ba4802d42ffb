/**
 * The `ennio-db` command line: the commands under the root, `--trace`, and the exit code.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Tracer from "effect/Tracer"
import { globalOptionsFirst } from "./Arguments.js"
import { demo } from "./DemoCommand.js"
import { events } from "./EventsCommand.js"
import { exitCode, UsageError } from "./Failures.js"
import { ennioDb } from "./GlobalOptions.js"
import * as Help from "./Help.js"
import { metrics } from "./MetricsCommand.js"
import { migrate } from "./MigrateCommand.js"
import { backup, check, copy, exportCommand, importCommand, restore, vacuum } from "./OperationsCommands.js"
import { projects } from "./ProjectsCommand.js"
import { prune } from "./PruneCommand.js"
import { serve } from "./Serve/ServeCommand.js"
import { sessions } from "./SessionsCommand.js"
import * as SpanTree from "./SpanTree.js"
import * as Scheduler from "./Scheduler.js"
import * as Screen from "./Screen.js"
import { status } from "./StatusCommand.js"

const drawTrace = (spans: ReadonlyArray<Tracer.Span>) => SpanTree.render(spans, Screen.of(process.stderr)).join("\n")

const command = ennioDb.pipe(
  Command.withDescription("Inspect and demo the Ennio database: sessions, events, projects and costs"),
  Command.withSubcommands([
    demo,
    status,
    serve,
    sessions,
    events,
    projects,
    metrics,
    migrate,
    prune,
    backup,
    restore,
    check,
    vacuum,
    copy,
    exportCommand,
    importCommand
  ]),
  Command.transformHandler((effect, { trace }) =>
    trace ? SpanTree.recordSpans(effect, (spans) => Console.error(drawTrace(spans))) : effect
  )
)

const cli = Command.run(command, { name: "ennio-db", version: "0.1.0" })

// @effect/cli's own extras: a wizard that waits for a terminal, completions for a command no shell installs.
const unsupported: ReadonlyArray<string> = ["--wizard", "--completions", "--log-level"]

const run = (program: ReadonlyArray<string>, args: ReadonlyArray<string>) =>
  Effect.suspend(() => {
    const help = Help.requested(args)
    if (help !== undefined) return Console.log(help)
    const words = args.includes("--") ? args.slice(0, args.indexOf("--")) : args
    const refused = unsupported.find((option) => words.some((word) => word === option || word.startsWith(`${option}=`)))
    if (refused !== undefined) return Effect.fail(new UsageError({ message: `${refused} is not an option of ennio-db (see ennio-db --help)` }))
    return cli([...program, ...globalOptionsFirst(args)])
  })

// What @effect/cli needs from the platform (help, completions): no more, to keep start-up quick.
const platform = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer)

/**
 * Runs the command line `argv` (as `process.argv`) and returns its exit code.
 *
 * @since 0.1.0
 */
export const main = (argv: ReadonlyArray<string>): Effect.Effect<number> =>
  exitCode(run(argv.slice(0, 2), argv.slice(2))).pipe(
    Screen.withColourOnlyWhereShown,
    Effect.provide(platform),
    // Ctrl-C and SIGTERM are seen within a few milliseconds of arriving.
    Effect.withScheduler(Scheduler.make(10))
  )
