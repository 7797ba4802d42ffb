import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import { demo } from "../../src/Cli/DemoCommand.js"
import { events } from "../../src/Cli/EventsCommand.js"
import * as Help from "../../src/Cli/Help.js"
import * as JsonOutput from "../../src/Cli/JsonOutput.js"
import { metrics } from "../../src/Cli/MetricsCommand.js"
import { migrate } from "../../src/Cli/MigrateCommand.js"
import {
  backup,
  check,
  copy,
  exportCommand,
  importCommand,
  restore,
  vacuum
} from "../../src/Cli/OperationsCommands.js"
import { projects } from "../../src/Cli/ProjectsCommand.js"
import { prune } from "../../src/Cli/PruneCommand.js"
import { sessions as sessionsCommand } from "../../src/Cli/SessionsCommand.js"
import { status } from "../../src/Cli/StatusCommand.js"
import { serve } from "../../src/Cli/Serve/ServeCommand.js"
import {
  EventsRepo,
  latestMigrationId,
  MetricsRepo,
  ProjectsRepo,
  Repos,
  type Session,
  SessionsRepo,
  SessionStatuses
} from "../../src/index.js"
import { freshPgDatabase, pgUrl } from "../fixtures/backends.js"
import { buildCli, type CliRun, hasScript, makeTempDir } from "./fixtures/cli.js"

type Cli = Awaited<ReturnType<typeof buildCli>>
let cli: Cli["cli"]
let cliOnTerminal: Cli["cliOnTerminal"]
let cliSignalled: Cli["cliSignalled"]
let removeCli = () => {}
const temp = makeTempDir()
// One demo database that the reading tests share; tests that write use databases of their own.
const demoUrl = temp.url("demo.db")
let sessions: ReadonlyArray<Session>

const read = <A, E>(url: string, effect: Effect.Effect<A, E, Repos.Repositories>) =>
  Effect.runPromise(Effect.provide(effect, Repos.layerDatabase({ url })))

const json = (run: CliRun): any => {
  expect(run.stderr).toBe("")
  expect(run.code).toBe(0)
  return JSON.parse(run.stdout)
}

/** An expected failure: exit 1 and one line on stderr, without a stack trace. */
const expectOneLineFailure = (run: CliRun, message: string | RegExp) => {
  expect(run.code).toBe(1)
  expect(run.stdout).toBe("")
  const lines = run.stderr.trimEnd().split("\n")
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(/^ennio-db: /)
  expect(lines[0]).toMatch(message)
  expect(run.stderr).not.toMatch(/\n\s+at /)
}

const ansi = /\x1b\[/

beforeAll(async () => {
  ;({ cli, cliOnTerminal, cliSignalled, remove: removeCli } = await buildCli())
  expect((await cli(["--database-url", demoUrl, "demo", "--seed", "7"])).code).toBe(0)
  sessions = await read(demoUrl, Effect.flatMap(SessionsRepo, (repo) => repo.list()))
})

afterAll(() => {
  removeCli()
  temp.remove()
})

/** A session of the demo database that `pick` likes. */
const sessionWhere = (pick: (session: Session) => boolean) => {
  const session = sessions.find(pick)
  expect(session).toBeDefined()
  return session!
}

describe("demo", () => {
  it("writes 3 projects and the sessions asked for, and a second run adds the next day", async () => {
    const url = temp.url("twice.db")
    const first = json(await cli(["--database-url", url, "--json", "demo", "--sessions", "12", "--seed", "3"]))
    expect(first).toMatchObject({ day: 1, seed: 3, projects: 3, sessions: 12 })
    const second = json(await cli(["--database-url", url, "--json", "demo", "--sessions", "12", "--seed", "3"]))
    expect(second).toMatchObject({ day: 2, sessions: 12 })
    const stored = await read(url, Effect.flatMap(SessionsRepo, (repo) => repo.list()))
    expect(stored).toHaveLength(24)
    expect(new Set(stored.map((s) => s.metadata.demo_day))).toEqual(new Set([1, 2]))
    const projects = await read(url, Effect.flatMap(ProjectsRepo, (repo) => repo.list()))
    expect(projects.map((p) => p.id)).toEqual(["infra", "payments", "storefront"])
  })

  it("two runs started at the same moment on one database both succeed, with different days", async () => {
    const url = temp.url("together.db")
    // Created first, so that both runs find a migrated file and race only for the day.
    expect((await cli(["--database-url", url, "migrate"])).code).toBe(0)
    const runs = await Promise.all([1, 2].map(() =>
      cli(["--database-url", url, "--json", "demo", "--sessions", "200", "--seed", "5"])
    ))
    const days = runs.map((run) => json(run).day)
    expect(days.sort()).toEqual([1, 2])
    const stored = await read(url, Effect.flatMap(SessionsRepo, (repo) => repo.list()))
    expect(stored).toHaveLength(400)
  })

  it("writes the same sessions for the same seed and date", async () => {
    const again = temp.url("again.db")
    expect((await cli(["--database-url", again, "demo", "--seed", "7"])).code).toBe(0)
    const list = ["sessions", "list", "--json"]
    const [first, second] = await Promise.all([again, demoUrl].map((url) => cli(["--database-url", url, ...list])))
    expect(json(first)).toEqual(json(second))
    const dated = await Promise.all(["dated-a.db", "dated-b.db"].map(async (name) => {
      const url = temp.url(name)
      expect((await cli(["--database-url", url, "demo", "--seed", "7", "--date", "2026-03-10"])).code).toBe(0)
      return json(await cli(["--database-url", url, "--json", "sessions", "list"]))
    }))
    expect(dated[0]).toEqual(dated[1])
    expect(new Set(dated[0].map((s: { created_at: string }) => s.created_at.slice(0, 10)))).toEqual(new Set(["2026-03-09"]))
  })

  it("writes a recent day, yesterday's for the first run, its projects and metrics stamped on that day", async () => {
    const url = temp.url("recent.db")
    const yesterdayOf = () => new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)
    const before = yesterdayOf()
    const summary = json(await cli(["--database-url", url, "--json", "demo", "--sessions", "5"]))
    // A run across midnight UTC may see either day as yesterday.
    expect([before, yesterdayOf()]).toContain(summary.date)
    const yesterday: string = summary.date
    const { metrics, projects } = await read(url, Effect.gen(function*() {
      const sessions = yield* Effect.flatMap(SessionsRepo, (repo) => repo.list())
      const metrics = yield* Effect.flatMap(MetricsRepo, (repo) => Effect.forEach(sessions, (s) => repo.get(s.id)))
      return { metrics, projects: yield* Effect.flatMap(ProjectsRepo, (repo) => repo.list()) }
    }))
    const days = [...projects.map((p) => p.updatedAt), ...metrics.map((m) => m.updatedAt)].map((t) =>
      new Date(t.epochMillis).toISOString().slice(0, 10)
    )
    expect(new Set(days)).toEqual(new Set([yesterday]))
  })

  it("records events and metrics for every session, a few thousand events a day", async () => {
    const { events, metrics } = await read(demoUrl, Effect.gen(function*() {
      const eventsRepo = yield* EventsRepo
      const metricsRepo = yield* MetricsRepo
      return {
        events: yield* Effect.forEach(sessions, (s) => eventsRepo.listBySession(s.id)),
        metrics: yield* metricsRepo.totals()
      }
    }))
    const total = events.reduce((sum, list) => sum + list.length, 0)
    expect(total).toBeGreaterThan(1_000)
    expect(total).toBeLessThan(6_000)
    expect(events.every((list) => list.length > 0)).toBe(true)
    expect(metrics.sessions).toBe(sessions.length)
    expect(metrics.costUsd).toBeGreaterThan(0)
  })
})

describe("reading commands with --json", () => {
  it("status counts what the repositories hold", async () => {
    const status = json(await cli(["--database-url", demoUrl, "status", "--json"]))
    const expected = await read(demoUrl, Effect.gen(function*() {
      const metrics = yield* MetricsRepo
      return { all: yield* metrics.totals(), storefront: yield* metrics.totals({ projectId: "storefront" }) }
    }))
    expect(status.sessions).toBe(sessions.length)
    const byStatus: Record<string, number> = {}
    for (const s of sessions) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1
    expect(status.by_status).toEqual(byStatus)
    expect(status.metrics).toEqual(JsonOutput.totals(expected.all))
    const storefront = status.projects.find((p: { project_id: string }) => p.project_id === "storefront")
    expect(storefront.name).toBe("Storefront")
    expect(storefront.sessions).toBe(sessions.filter((s) => s.projectId === "storefront").length)
    expect(storefront.metrics).toEqual(JsonOutput.totals(expected.storefront))
    const attention = sessions.filter((s) => SessionStatuses.needsAttention(s.status))
    expect(status.needs_attention).toBe(attention.length)
    expect(status.attention.map((s: { id: string }) => s.id).sort()).toEqual(attention.map((s) => s.id).sort())
    for (const event of status.urgent_events) expect(["urgent", "critical"]).toContain(event.priority)
  })

  it("sessions list prints the rows: snake_case columns, JSON columns as nested JSON", async () => {
    const listed = json(await cli(["--database-url", demoUrl, "sessions", "list", "--json"]))
    expect(listed).toEqual(sessions.map(JsonOutput.session))
    const [first] = listed
    expect(first).toHaveProperty("project_id")
    expect(first).toHaveProperty("last_activity_at")
    expect(first.metadata).toEqual({ demo_day: 1, demo_seed: 7 })
    expect(first.runtime_handle).toMatchObject({ runtime_name: "tmux" })
  })

  it("sessions list filters by project and status", async () => {
    const { projectId, status } = sessionWhere((s) => s.status === "done")
    const listed = json(
      await cli(["--database-url", demoUrl, "sessions", "list", "--project", projectId, "--status", status, "--json"])
    )
    expect(listed.map((s: { id: string }) => s.id)).toEqual(
      sessions.filter((s) => s.projectId === projectId && s.status === status).map((s) => s.id)
    )
  })

  it("sessions show prints the session, its metrics and its latest events", async () => {
    const { id } = sessionWhere((s) => s.status === "done")
    const shown = json(await cli(["--database-url", demoUrl, "sessions", "show", id, "--json"]))
    const expected = await read(demoUrl, Effect.gen(function*() {
      return {
        metrics: yield* Effect.flatMap(MetricsRepo, (repo) => repo.get(id)),
        events: yield* Effect.flatMap(EventsRepo, (repo) => repo.listBySession(id, { limit: 10 }))
      }
    }))
    expect(shown.session.id).toBe(id)
    expect(shown.metrics).toEqual(JsonOutput.metrics(expected.metrics))
    expect(shown.events).toEqual(expected.events.map(JsonOutput.event))
  })

  it("events pages with --limit and --before, and filters with --type", async () => {
    const { id } = sessionWhere((s) => s.status === "done")
    const args = ["--database-url", demoUrl, "--json", "events", id]
    const first = json(await cli([...args, "--limit", "5"]))
    const second = json(await cli([...args, "--limit", "5", "--before", first[4].id]))
    const expected = await read(demoUrl, Effect.flatMap(EventsRepo, (repo) => repo.listBySession(id, { limit: 10 })))
    expect([...first, ...second]).toEqual(expected.map(JsonOutput.event))
    const checks = json(await cli([...args, "--type", "node_health_check", "--limit", "3"]))
    expect(checks).toHaveLength(3)
    for (const event of checks) expect(event.event_type).toBe("node_health_check")
  })

  it("events hints at older events only when there are some", async () => {
    const { id } = sessionWhere((s) => s.status === "done")
    const all = await read(demoUrl, Effect.flatMap(EventsRepo, (repo) => repo.listBySession(id)))
    const page = (limit: number) => cli(["--database-url", demoUrl, "events", id, "--limit", String(limit)])
    expect((await page(all.length - 1)).stdout).toContain(`Older events: --before ${all[all.length - 2]!.id}`)
    expect((await page(all.length)).stdout).not.toContain("Older events")
  })

  it("metrics and projects print what the repositories hold", async () => {
    const { id } = sessionWhere((s) => s.status === "done")
    const expected = await read(demoUrl, Effect.gen(function*() {
      return {
        metrics: yield* Effect.flatMap(MetricsRepo, (repo) => repo.get(id)),
        projects: yield* Effect.flatMap(ProjectsRepo, (repo) => repo.list())
      }
    }))
    expect(json(await cli(["--database-url", demoUrl, "--json", "metrics", id]))).toEqual(
      JsonOutput.metrics(expected.metrics)
    )
    expect(json(await cli(["--database-url", demoUrl, "--json", "projects"]))).toEqual(
      expected.projects.map(JsonOutput.project)
    )
  })

  it("reads DATABASE_URL, which --database-url overrides", async () => {
    const fromEnv = json(await cli(["status", "--json"], { env: { DATABASE_URL: demoUrl } }))
    expect(fromEnv.sessions).toBe(sessions.length)
    const empty = temp.url("empty.db")
    const overridden = json(
      await cli(["--database-url", empty, "status", "--json"], { env: { DATABASE_URL: demoUrl } })
    )
    expect(overridden.sessions).toBe(0)
  })
})

describe("text output", () => {
  it("fits 80 columns and has no colour codes when stdout is not a terminal", async () => {
    const { id } = sessionWhere((s) => s.status === "done")
    for (const args of [["status"], ["sessions", "list"], ["sessions", "show", id], ["events", id], ["projects"]]) {
      const run = await cli(["--database-url", demoUrl, ...args])
      expect(run.code).toBe(0)
      expect(run.stdout).not.toMatch(ansi)
      for (const line of run.stdout.split("\n")) expect(line.length, line).toBeLessThanOrEqual(80)
    }
    const help = await cli(["status", "--help"])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain("Usage:")
    expect(help.stdout).not.toMatch(ansi)
  })

  it("status shows every project and the sessions that need attention", async () => {
    const run = await cli(["--database-url", demoUrl, "status"])
    const attention = sessions.filter((s) => SessionStatuses.needsAttention(s.status))
    expect(run.stdout).toContain(`NEEDS ATTENTION (${attention.length})`)
    for (const project of ["infra", "payments", "storefront"]) expect(run.stdout).toContain(project)
    for (const session of attention.slice(0, 15)) expect(run.stdout).toContain(session.id)
    expect(run.stdout).toMatch(new RegExp(`TOTAL\\s+${sessions.length}\\s`))
  })
})

describe.skipIf(!hasScript)("on a terminal", () => {
  it("status highlights the sessions that need attention, unless NO_COLOR is set", async () => {
    const coloured = await cliOnTerminal(["--database-url", demoUrl, "status"])
    const reasons = ["CI failed", "CI fix attempt failed", "Changes requested by reviewer", "Merge conflicts detected"]
    expect(coloured).toMatch(new RegExp(`\x1b\\[31m(${reasons.join("|")})`))
    const plain = await cliOnTerminal(["--database-url", demoUrl, "status"], { NO_COLOR: "1" })
    expect(plain).not.toMatch(ansi)
    expect(plain).toContain("NEEDS ATTENTION")
  })

  it("demo draws a progress bar", async () => {
    const output = await cliOnTerminal(["--database-url", temp.url("terminal.db"), "demo", "--sessions", "30"])
    expect(output).toMatch(/\r\[#+\.*\] \d+\/30 sessions/)
    expect(output).toContain("Demo day 1")
  })
})

describe("--trace", () => {
  it("prints the operations and, under them, their SQL statements to stderr", async () => {
    const run = await cli(["--database-url", demoUrl, "--trace", "sessions", "list", "--json"])
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toHaveLength(sessions.length)
    const lines = run.stderr.split("\n")
    const root = lines.findIndex((line) => line.includes("ennio-db sessions list"))
    const list = lines.findIndex((line) => /SessionsRepo\.list\s.*\d ms$/.test(line))
    expect(root).toBeGreaterThan(-1)
    expect(list).toBeGreaterThan(root)
    expect(lines[list + 1]).toMatch(/sql\.execute\s+SELECT id, project_id, status/)
    const indent = (line: string) => line.search(/[A-Za-z]/)
    expect(indent(lines[list + 1]!)).toBeGreaterThan(indent(lines[list]!))
    expect(indent(lines[list]!)).toBeGreaterThan(indent(lines[root]!))
    expect(run.stderr).not.toMatch(ansi)
  })
})

describe("migrate and prune", () => {
  it("migrate lists what it applied, then that the database is up to date", async () => {
    const url = temp.url("migrate.db")
    const first = json(await cli(["--database-url", url, "--json", "migrate"]))
    expect(first.applied.map((m: { migration_id: number }) => m.migration_id)).toEqual(Array.from({ length: latestMigrationId }, (_, i) => i + 1))
    expect(json(await cli(["--database-url", url, "--json", "migrate"]))).toEqual({ applied: [], latest: latestMigrationId })
    expect((await cli(["--database-url", url, "migrate"])).stdout).toContain("is up to date")
  })

  it.skipIf(pgUrl === undefined)("migrate says the same on PostgreSQL", async () => {
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const url = yield* freshPgDatabase()
      const run = (args: ReadonlyArray<string>) => Effect.promise(() => cli(["--database-url", url, ...args]))
      const first = json(yield* run(["--json", "migrate"]))
      expect(first.applied.map((m: { migration_id: number }) => m.migration_id)).toEqual(
        Array.from({ length: latestMigrationId }, (_, i) => i + 1)
      )
      expect(json(yield* run(["--json", "migrate"]))).toEqual({ applied: [], latest: latestMigrationId })
      const again = yield* run(["migrate"])
      expect(again.stdout).toMatch(/^postgres:\/\/postgres:\*\*\*@.* is up to date \(latest migration \d+_\w+\)\.\n$/)
    })))
  })

  it("prune deletes the events older than the age given, shows it first with --dry-run, and 0d needs --force", async () => {
    const url = temp.url("prune.db")
    expect((await cli(["--database-url", url, "demo", "--sessions", "3"])).code).toBe(0)
    // The demo's day is yesterday: the README's 30 days keep all of it.
    expect(json(await cli(["--database-url", url, "--json", "prune", "--older-than", "30d"])).deleted).toBe(0)
    const all = await read(url, Effect.flatMap(EventsRepo, (repo) => repo.listRecent(100_000)))
    expect(all.length).toBeGreaterThan(0)
    const everything = await cli(["--database-url", url, "prune", "--older-than", "0d"])
    expect(everything.code).toBe(2)
    expect(everything.stderr).toMatch(/^ennio-db: .*--force/)
    const dryRun = json(await cli(["--database-url", url, "--json", "prune", "--older-than", "0d", "--dry-run"]))
    expect(dryRun.would_delete).toBe(all.length)
    expect(await read(url, Effect.flatMap(EventsRepo, (repo) => repo.listRecent(100_000)))).toHaveLength(all.length)
    const pruned = json(await cli(["--database-url", url, "--json", "prune", "--older-than", "0d", "--force"]))
    expect(pruned.deleted).toBe(all.length)
    expect(await read(url, Effect.flatMap(EventsRepo, (repo) => repo.listRecent(10)))).toEqual([])
  })
})

describe("global options", () => {
  it("--json, --trace and --database-url work before the command, after its name and after its arguments", async () => {
    const id = sessions[0]!.id
    const calls: ReadonlyArray<ReadonlyArray<string>> = [
      ["sessions", "list", "--json", "--project", "infra", "--database-url", demoUrl],
      ["--json", "sessions", "list", "--database-url", demoUrl, "--project", "infra"],
      ["sessions", "list", "--project", "infra", `--database-url=${demoUrl}`, "--json"],
      ["events", "--json", id, "--database-url", demoUrl],
      ["sessions", "show", "--json", id, "--database-url", demoUrl],
      ["prune", "--json", "--older-than", "100000d", "--database-url", demoUrl]
    ]
    for (const args of calls) {
      const run = await cli(args)
      expect(run.code, args.join(" ")).toBe(0)
      expect(() => JSON.parse(run.stdout), args.join(" ")).not.toThrow()
    }
    const listed = json(await cli(["sessions", "list", "--json", "--project", "infra", "--database-url", demoUrl]))
    expect(listed.map((s: { id: string }) => s.id)).toEqual(
      sessions.filter((s) => s.projectId === "infra").map((s) => s.id)
    )
    const traced = await cli(["metrics", id, "--trace", "--database-url", demoUrl])
    expect(traced.stderr).toContain("SessionsRepo.get")
  })
})

describe("interrupts", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal} stops a long demo at once, exits 130 and leaves no part of its day`, async () => {
      const url = temp.url(`interrupted-${signal}.db`)
      expect((await cli(["--database-url", url, "demo", "--sessions", "10"])).code).toBe(0)
      const stopped = await cliSignalled(["--database-url", url, "demo", "--sessions", "3000"], signal, 1_500)
      expect(stopped.code).toBe(130)
      expect(stopped.msToExit).toBeGreaterThan(0)
      expect(stopped.msToExit).toBeLessThan(500)
      const stored = await read(url, Effect.flatMap(SessionsRepo, (repo) => repo.list()))
      expect(stored).toHaveLength(10)
      expect(json(await cli(["--database-url", url, "--json", "demo", "--sessions", "5"])).day).toBe(2)
    })
  }
})

describe("help", () => {
  it("--help, -h, help and no command at all show the commands, one line each, within 80 columns", async () => {
    for (const args of [["--help"], ["-h"], ["help"], []]) {
      const run = await cli(args)
      expect(run.code, args.join(" ")).toBe(0)
      expect(run.stdout).toBe(`${Help.overview()}\n`)
      for (const command of Help.commands) expect(run.stdout).toMatch(new RegExp(`^  ${command.name} +\\S`, "m"))
      for (const line of run.stdout.split("\n")) expect(line.length, line).toBeLessThanOrEqual(80)
      expect(run.stdout).not.toMatch(/user-defined|--wizard|--completions/)
    }
  })

  it("each command's help names every option the command takes, and the global ones", async () => {
    const config = CliConfig.make({ showBuiltIns: false })
    // The commands as @effect/cli parses them, with the help's name for each.
    const parsed: ReadonlyArray<readonly [string, string]> = [
      ["demo", HelpDoc.toAnsiText(Command.getHelp(demo, config))],
      ["status", HelpDoc.toAnsiText(Command.getHelp(status, config))],
      ["serve", HelpDoc.toAnsiText(Command.getHelp(serve, config))],
      ["sessions", HelpDoc.toAnsiText(Command.getHelp(sessionsCommand, config))],
      ["events", HelpDoc.toAnsiText(Command.getHelp(events, config))],
      ["projects", HelpDoc.toAnsiText(Command.getHelp(projects, config))],
      ["metrics", HelpDoc.toAnsiText(Command.getHelp(metrics, config))],
      ["migrate", HelpDoc.toAnsiText(Command.getHelp(migrate, config))],
      ["prune", HelpDoc.toAnsiText(Command.getHelp(prune, config))],
      ["backup", HelpDoc.toAnsiText(Command.getHelp(backup, config))],
      ["restore", HelpDoc.toAnsiText(Command.getHelp(restore, config))],
      ["check", HelpDoc.toAnsiText(Command.getHelp(check, config))],
      ["vacuum", HelpDoc.toAnsiText(Command.getHelp(vacuum, config))],
      ["copy", HelpDoc.toAnsiText(Command.getHelp(copy, config))],
      ["export", HelpDoc.toAnsiText(Command.getHelp(exportCommand, config))],
      ["import", HelpDoc.toAnsiText(Command.getHelp(importCommand, config))]
    ]
    expect(parsed.map(([name]) => name)).toEqual(Help.commands.map((command) => command.name))
    for (const [name, parsedHelp] of parsed) {
      const run = await cli([name, "--help"])
      expect(run.code).toBe(0)
      expect(run.stdout).toContain(`ennio-db ${name}`)
      const options = parsedHelp.match(/--[a-z][a-z-]*/g) ?? []
      for (const option of [...options, "--database-url", "--json", "--trace"]) expect(run.stdout, name).toContain(option)
      for (const line of run.stdout.split("\n")) expect(line.length, line).toBeLessThanOrEqual(80)
    }
  })

  it("every example in the help runs", async () => {
    const url = temp.url("examples.db")
    const id = sessions[0]!.id
    // serve runs until stopped: test/Cli/Serve.test.ts runs its examples and stops them.
    for (const command of Help.commands.filter((command) => command.name !== "serve")) {
      for (const example of command.examples) {
        // Files the examples name under /tmp go to this test's folder; restore needs an empty database.
        const args = example.replace("SESSION_ID", id).replaceAll("/tmp/", `${temp.dir}/`).split(" ").slice(1)
        const database = args[0] === "demo" ? url : ["restore", "import"].includes(args[0]!) ? temp.url(`${args[0]}-into.db`) : demoUrl
        const run = await cli([...args, "--database-url", database])
        expect(run.code, example).toBe(0)
      }
    }
  })

  it("--wizard and --completions are refused at once, without waiting for a terminal", async () => {
    for (const option of ["--wizard", "--completions"]) {
      const run = await cli(["--database-url", demoUrl, "status", option])
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(`ennio-db: ${option} is not an option`)
    }
  })
})

describe("failures", () => {
  it("an unknown id fails with exit code 1 and one line", async () => {
    for (const args of [["sessions", "show", "nope"], ["events", "nope"], ["metrics", "nope"]]) {
      expectOneLineFailure(await cli(["--database-url", demoUrl, ...args]), /Session "nope" not found/)
    }
    const { id } = sessions[0]!
    expectOneLineFailure(
      await cli(["--database-url", demoUrl, "events", id, "--before", "nope"]),
      /Event "nope" not found/
    )
  })

  it("a bad URL, a corrupt file and a folder fail with exit code 1 and one line", async () => {
    expectOneLineFailure(await cli(["--database-url", "mysql://localhost/db", "status"]), /Unsupported database URL/)
    const corrupt = path.join(temp.dir, "corrupt.db")
    fs.writeFileSync(corrupt, "this is not a database, just text that is long enough to look like one")
    expectOneLineFailure(await cli(["--database-url", `sqlite:${corrupt}`, "status"]), /not a SQLite database/)
    expectOneLineFailure(await cli(["--database-url", `sqlite:${temp.dir}`, "projects"]), /is a directory/)
    // Node's recursive mkdir never returns under /proc: the folder is made one level at a time.
    expectOneLineFailure(await cli(["--database-url", "sqlite:/proc/nope/x.db", "status"]), /Cannot open database \/proc\/nope\/x\.db/)
  })

  it("usage errors exit with code 2", async () => {
    for (
      const args of [
        ["bogus"],
        ["events"],
        ["status", "--limit", "3"],
        ["events", "x", "--limit", "0"],
        ["sessions", "list", "--status", "nope"],
        ["prune", "--older-than", "30x"],
        ["prune"],
        ["demo", "--sessions", "zero"]
      ]
    ) {
      const run = await cli(["--database-url", demoUrl, ...args])
      expect(run.code, args.join(" ")).toBe(2)
      expect(run.stderr).not.toBe("")
      expect(run.stderr).not.toMatch(ansi)
    }
  })
})
