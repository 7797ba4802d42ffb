/**
 * `ennio-db status` on a database holding rows another program (or an earlier version) broke:
 * the dashboard shows the rest and names each broken row, as a real process.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import Sqlite from "better-sqlite3"
import * as Effect from "effect/Effect"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { MetricsRepo, ProjectsRepo, Repos, SessionsRepo } from "../../src/index.js"
import { buildCli, makeTempDir } from "./fixtures/cli.js"

type Cli = Awaited<ReturnType<typeof buildCli>>
let cli: Cli["cli"]
let removeCli = () => {}
const temp = makeTempDir()

beforeAll(async () => {
  ;({ cli, remove: removeCli } = await buildCli())
})

afterAll(() => {
  removeCli()
  temp.remove()
})

const write = <A, E>(url: string, effect: Effect.Effect<A, E, Repos.Repositories | SqlClient.SqlClient>) =>
  Effect.runPromise(Effect.provide(effect, Repos.layerDatabase({ url })))

describe("status with rows that do not read back", () => {
  it("reports the rest and names the bad metrics row and the bad session; exit code 0", async () => {
    const url = temp.url("broken.db")
    await write(url, Effect.gen(function*() {
      const projects = yield* ProjectsRepo
      const sessions = yield* SessionsRepo
      const metrics = yield* MetricsRepo
      yield* projects.insert({ id: "shop", name: "Shop", repo: "acme/shop", path: "/src/shop", configHash: "h" })
      for (const id of ["shop-good", "shop-bad", "shop-red"]) {
        yield* sessions.insert({ id, projectId: "shop", configHash: "h", status: "ci_failed" })
      }
      yield* metrics.record("shop-good", { tokensIn: 1_000, tokensOut: 500, costUsd: 1.25, ciRuns: 2 })
      yield* metrics.record("shop-red", { tokensIn: 10, costUsd: 0.25 })
      yield* metrics.record("shop-bad", { tokensIn: 1 })
    }))
    // What an earlier version committed (the sum of MAX_SAFE_INTEGER and 10), and a session
    // whose agent_info another program wrote in the wrong shape.
    const db = new Sqlite(path.join(temp.dir, "broken.db"))
    db.prepare("UPDATE session_metrics SET total_tokens_in = 9007199254741001 WHERE session_id = 'shop-bad'").run()
    db.prepare("UPDATE sessions SET agent_info = '{\"summary\": 5}' WHERE id = 'shop-red'").run()
    db.close()

    const text = await cli(["--database-url", url, "status"])
    expect(text.stderr).toBe("")
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/^PROJECTS \(1\)/)
    expect(text.stdout).toMatch(/^shop\s+Shop\s+3\s+3\s+3\s+/m)
    expect(text.stdout).toContain("UNREADABLE ROWS (2), left out of the figures above")
    expect(text.stdout).toContain("session_metrics row \"shop-bad\", column total_tokens_in")
    expect(text.stdout).toContain("sessions row \"shop-red\", column agent_info")

    const run = await cli(["--database-url", url, "--json", "status"])
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    const json = JSON.parse(run.stdout)
    // The figures of the two metrics rows that read back, nothing of the third.
    expect(json.metrics).toEqual({
      sessions: 2,
      tokens_in: 1_010,
      tokens_out: 500,
      cost_usd: 1.5,
      ci_runs: 2,
      ci_failures: 0,
      review_rounds: 0
    })
    expect(json.projects[0].metrics).toEqual(json.metrics)
    expect(json.sessions).toBe(3)
    expect(json.needs_attention).toBe(3)
    expect(json.unreadable.map((entry: { reason: string }) => entry.reason)).toEqual(["Decode", "Decode"])
    expect(json.unreadable.map((entry: { message: string }) => entry.message).join("\n")).toMatch(
      /session_metrics row "shop-bad", column total_tokens_in[^]*sessions row "shop-red", column agent_info|sessions row "shop-red", column agent_info[^]*session_metrics row "shop-bad", column total_tokens_in/
    )

    // A healthy database says nothing of the kind.
    const healthy = temp.url("healthy.db")
    await write(healthy, Effect.flatMap(SessionsRepo, (sessions) => sessions.insert({ id: "s", projectId: "p", configHash: "h" })))
    const fine = await cli(["--database-url", healthy, "--json", "status"])
    expect(JSON.parse(fine.stdout).unreadable).toEqual([])
    expect((await cli(["--database-url", healthy, "status"])).stdout).not.toContain("UNREADABLE")
  })
})
