/**
 * The program of the `ennio-db` executable: the command line on `process.argv`, run
 * until done or interrupted, its exit code the process's.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Exit from "effect/Exit"
import { main } from "./Cli.js"
import * as Interrupt from "./Interrupt.js"

// 130: the shell's code for a run stopped by Ctrl-C, the only way `main` can fail; 0 for a
// command that runs until stopped.
NodeRuntime.runMain(main(process.argv), {
  disableErrorReporting: true,
  teardown: (exit, onExit) =>
    onExit(Exit.isSuccess(exit) && typeof exit.value === "number" ? exit.value : Interrupt.endsWell() ? 0 : 130)
})
