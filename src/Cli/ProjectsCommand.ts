/**
 * `ennio-db projects`: the projects the orchestrator knows.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { ProjectsRepo } from "../Repos/ProjectsRepo.js"
import { ennioDb, withDatabase } from "./GlobalOptions.js"
import * as JsonOutput from "./JsonOutput.js"
import * as Screen from "./Screen.js"
import * as Table from "./Table.js"

/** @since 0.1.0 */
export const projects = Command.make("projects", {}, () =>
  Effect.gen(function*() {
    const { json } = yield* ennioDb
    const projects = yield* withDatabase("projects")(Effect.flatMap(ProjectsRepo, (repo) => repo.list()))
    if (json) return yield* JsonOutput.print(projects.map(JsonOutput.project))
    if (projects.length === 0) return yield* Console.log("No projects.")
    const screen = Screen.of(process.stdout)
    yield* Console.log(Table.render(
      [
        { header: "PROJECT", shrink: true },
        { header: "NAME" },
        { header: "REPO", shrink: true },
        { header: "BRANCH" },
        { header: "PATH", shrink: true }
      ],
      projects.map((project) => [
        project.id,
        project.name,
        project.repo,
        project.defaultBranch,
        project.path
      ]),
      screen
    ).join("\n"))
  })).pipe(Command.withDescription("List the projects"))
