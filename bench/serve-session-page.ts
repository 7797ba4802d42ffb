/**
 * The dashboard's session page on a session with 1,000,000 events: the server's own time
 * (its Server-Timing header) for the newest page, a page deep in the timeline (keyset cursor),
 * the filters, the API's page, and the overview on the same database. Nothing here counts the
 * session's events: each page is one index walk of 51 rows.
 *
 *   npx tsx bench/serve-session-page.ts [--events N]
 *
 * The database is built once into node_modules/.cache (about a minute) and reused.
 */
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Server from "../src/Cli/Serve/Server.js"
import { EventsRepo } from "../src/Repos/EventsRepo.js"
import * as Repos from "../src/Repos/Repos.js"
import { SessionsRepo } from "../src/Repos/SessionsRepo.js"
import type { EventPriority, EventType } from "../src/Schemas/Enums.js"

const eventsArg = process.argv.indexOf("--events")
const total = eventsArg === -1 ? 1_000_000 : Number(process.argv[eventsArg + 1])
const cacheDir = path.resolve(import.meta.dirname, "..", "node_modules", ".cache")
const file = path.join(cacheDir, `bench-serve-${total}.db`)
const url = `sqlite:${file}`
const sessionId = "bench-long-session"
const chunk = 50_000
const start = Date.parse("2026-11-01T00:00:00.000Z")

// Mostly routine events; a few per cent of CI failures, urgent and critical ones, as a long-running agent writes.
const kindOf = (i: number): { eventType: EventType; priority: EventPriority } =>
  i % 1_000 === 0
    ? { eventType: "reaction_escalated", priority: "critical" }
    : i % 50 === 0
    ? { eventType: "ci_failing", priority: "urgent" }
    : i % 7 === 0
    ? { eventType: "activity_changed", priority: "action" }
    : { eventType: "node_health_check", priority: "info" }

const build = Effect.gen(function*() {
  const sessions = yield* SessionsRepo
  const events = yield* EventsRepo
  yield* sessions.insert({ id: sessionId, projectId: "bench", configHash: "bench", status: "working" })
  for (let from = 0; from < total; from += chunk) {
    const batch = Array.from({ length: Math.min(chunk, total - from) }, (_, offset) => {
      const i = from + offset
      return {
        ...kindOf(i),
        sessionId,
        projectId: "bench",
        timestamp: DateTime.unsafeMake(start + i * 1_000),
        message: `event ${i} of a long session`,
        data: { i }
      }
    })
    yield* events.insertMany(batch)
    process.stderr.write(`\rbuilding: ${Math.min(from + chunk, total).toLocaleString("en-US")} events`)
  }
  process.stderr.write("\n")
})

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo
      probe.close(() => resolve(port))
    })
  })

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

const main = async () => {
  fs.mkdirSync(cacheDir, { recursive: true })
  if (!fs.existsSync(file)) {
    const began = performance.now()
    await Effect.runPromise(Effect.provide(build, Repos.layerDatabase({ url })))
    console.log(`built ${total.toLocaleString("en-US")} events in ${((performance.now() - began) / 1000).toFixed(0)} s: ${file}`)
  }
  const port = await freePort()
  const fiber = Effect.runFork(
    Effect.provide(Server.run({ host: "127.0.0.1", port, token: Option.none() }), Repos.layerDatabase({ url }))
  )
  const base = `http://127.0.0.1:${port}`
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await fetch(`${base}/assets/style.css`).then(() => true, () => false)) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  // A cursor half-way down the timeline: page 10,000 of 20,000, reached without reading the pages before it.
  const deep = await Effect.runPromise(
    Effect.flatMap(EventsRepo, (events) => events.listBySession(sessionId, { limit: 1, until: DateTime.unsafeMake(start + (total / 2) * 1_000) }))
      .pipe(Effect.provide(Repos.layerDatabase({ url })))
  )
  const routes: ReadonlyArray<readonly [string, string]> = [
    ["session page, newest 50", `/sessions/${sessionId}`],
    ["session page, half-way down (keyset)", `/sessions/${sessionId}?before=${deep[0]!.id}`],
    ["session page, type ci_failing (2%)", `/sessions/${sessionId}?type=ci_failing`],
    ["session page, min priority urgent (2%)", `/sessions/${sessionId}?min_priority=urgent`],
    ["session page, min priority critical (0.1%)", `/sessions/${sessionId}?min_priority=critical`],
    ["API, 50 events", `/api/sessions/${sessionId}/events?limit=50`],
    ["overview (86,400 events in its day)", `/`]
  ]
  const runs = 15
  console.log(`\n${total.toLocaleString("en-US")} events in one session; server time (Server-Timing) over ${runs} requests after one warm-up:`)
  for (const [name, route] of routes) {
    const server: Array<number> = []
    const wall: Array<number> = []
    await fetch(`${base}${route}`).then((response) => response.text())
    for (let i = 0; i < runs; i++) {
      const sent = performance.now()
      const response = await fetch(`${base}${route}`)
      const body = await response.text()
      wall.push(performance.now() - sent)
      if (response.status !== 200) throw new Error(`${route}: ${response.status} ${body.slice(0, 200)}`)
      server.push(Number(/app;dur=([\d.]+)/.exec(response.headers.get("server-timing") ?? "")![1]))
    }
    console.log(
      `  ${name.padEnd(44)} median ${median(server).toFixed(1).padStart(6)} ms, max ${
        Math.max(...server).toFixed(1).padStart(6)
      } ms (round trip median ${median(wall).toFixed(1)} ms)`
    )
  }
  await Effect.runPromise(Fiber.interrupt(fiber))
}

void main()
