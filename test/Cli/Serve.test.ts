/**
 * `ennio-db serve` over HTTP, as a real process on a demo database: every route and error, the
 * API beside the `--json` commands, stored text rendered inert, the live streams, the token,
 * and a clean end on SIGINT and SIGTERM.
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as http from "node:http"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import Sqlite from "better-sqlite3"
import * as Pg from "pg"
import { pgDatabaseUrl, pgUrl } from "../fixtures/backends.js"
import { originalSchema } from "../fixtures/originalSchema.js"
import * as Help from "../../src/Cli/Help.js"
import { statusOf } from "../../src/Cli/Serve/Routes.js"
import { latestMigrationId } from "../../src/Migrations/index.js"
import { DbError, NotFound } from "../../src/Schemas/Errors.js"
import { makeTempDir } from "./fixtures/cli.js"
import { buildServeCli, hostile, insertEvent, insertHostile, type Served } from "./fixtures/serve.js"

const temp = makeTempDir()
const demoUrl = temp.url("demo.db")
let build: Awaited<ReturnType<typeof buildServeCli>>
let server: Served
let demoEvents = 0

interface Answer {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

/** One request, without keeping the connection (so that servers stopped by tests close at once). */
const request = (url: string, options: { method?: string; headers?: Record<string, string> } = {}) =>
  new Promise<Answer>((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? "GET", headers: { connection: "close", ...options.headers } }, (res) => {
      let body = ""
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => (body += chunk))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on("error", reject)
    req.end()
  })

const get = (route: string, headers?: Record<string, string>) => request(new URL(route, server.url).href, { headers: headers ?? {} })
const json = async (route: string) => {
  const answer = await get(route)
  expect(answer.headers["content-type"], route).toMatch(/^application\/json/)
  return { status: answer.status, body: JSON.parse(answer.body) as any }
}
const cliJson = async (...args: ReadonlyArray<string>) =>
  JSON.parse((await build.cli(["--database-url", demoUrl, "--json", ...args])).stdout) as any

interface SseMessage {
  readonly event: string
  readonly id: string
  readonly data: string
}

/** A Server-Sent Events stream, its messages parsed as they come. */
const openStream = (url: string, headers: Record<string, string> = {}) => {
  const messages: Array<SseMessage> = []
  let raw = ""
  let status = 0
  let request: http.ClientRequest | undefined
  const ended = new Promise<void>((resolve, reject) => {
    request = http.get(url, { headers }, (res) => {
      status = res.statusCode ?? 0
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => {
        raw += chunk
        let end = raw.indexOf("\n\n")
        while (end !== -1) {
          const block = raw.slice(0, end)
          raw = raw.slice(end + 2)
          const fields = { event: "", id: "", data: [] as Array<string> }
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) fields.event = line.slice(7)
            else if (line.startsWith("id: ")) fields.id = line.slice(4)
            else if (line.startsWith("data: ")) fields.data.push(line.slice(6))
          }
          if (fields.event !== "") messages.push({ event: fields.event, id: fields.id, data: fields.data.join("\n") })
          end = raw.indexOf("\n\n")
        }
      })
      res.on("end", () => resolve())
      res.on("error", () => resolve())
    })
    request.on("error", reject)
  })
  return { messages, ended, status: () => status, close: () => request?.destroy() }
}

const until = async (check: () => boolean, timeoutMs: number, what: string) => {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** The event ids of a session page's timeline, in page order. */
const timelineIds = (page: string) => Array.from(page.matchAll(/<tr data-id="([^"]+)">/g), (match) => match[1]!)

beforeAll(async () => {
  build = await buildServeCli()
  const demo = await build.cli(["--database-url", demoUrl, "demo", "--date", "2026-11-20"])
  demoEvents = Number(/([\d,]+) events/.exec(demo.stdout)![1]!.replace(/,/g, ""))
  server = await build.serve(["--database-url", demoUrl, "serve", "--port", "0"])
}, 120_000)

afterAll(async () => {
  await server?.stop("SIGTERM")
  build?.remove()
  temp.remove()
})

describe("ennio-db serve: pages and API", () => {
  it("the overview shows the demo's figures, the same as status --json; /api/overview adds the charts", async () => {
    const status = await cliJson("status")
    const overview = await json("/api/overview")
    expect(overview.status).toBe(200)
    const { charts, ...figures } = overview.body
    expect(figures).toEqual(status)
    const page = await get("/")
    expect(page.status).toBe(200)
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8")
    expect(page.body).toContain(`<span class="value">${status.sessions}</span><span class="label">sessions</span>`)
    expect(page.body).toContain(`<span class="value">${status.needs_attention}</span><span class="label">need attention</span>`)
    for (const project of status.projects) {
      expect(page.body).toContain(`<tr><td>${project.project_id}</td><td>${project.name}</td><td class="num">${project.sessions}</td>`)
    }
    for (const session of status.attention) expect(page.body).toContain(`<a href="/sessions/${session.id}">${session.id}</a>`)
    for (const event of status.urgent_events) expect(page.body).toContain(event.message)
    // The charts: the day up to the newest event's hour, which holds every event of the demo's day.
    expect(charts.hours).toHaveLength(24)
    expect(charts.hours.reduce((sum: number, hour: any) => sum + hour.events, 0)).toBe(demoEvents)
    expect(charts.hours.reduce((sum: number, hour: any) => sum + hour.cost_usd, 0)).toBeCloseTo(status.metrics.cost_usd, 6)
    expect(page.body.match(/<svg /g)).toHaveLength(2)
    expect(page.body).toContain(`<title>08:00 UTC: ${charts.hours.find((hour: any) => hour.hour.includes("T08:00"))!.events}</title>`)
  })

  it("/api/projects, /api/sessions, /api/sessions/ID, its events and metrics: what the --json commands print", async () => {
    expect((await json("/api/projects")).body).toEqual(await cliJson("projects"))
    expect((await json("/api/sessions")).body).toEqual(await cliJson("sessions", "list"))
    expect((await json("/api/sessions?status=ci_fix_failed")).body).toEqual(
      await cliJson("sessions", "list", "--status", "ci_fix_failed")
    )
    expect((await json("/api/sessions?project=infra")).body).toEqual(await cliJson("sessions", "list", "--project", "infra"))
    const [first] = (await json("/api/sessions")).body
    expect((await json(`/api/sessions/${first.id}`)).body).toEqual(await cliJson("sessions", "show", first.id))
    expect((await json(`/api/sessions/${first.id}/metrics`)).body).toEqual(await cliJson("metrics", first.id))
    expect((await json(`/api/sessions/${first.id}/events?limit=7`)).body).toEqual(await cliJson("events", first.id, "--limit", "7"))
    const page = (await json(`/api/sessions/${first.id}/events?limit=3`)).body
    expect((await json(`/api/sessions/${first.id}/events?limit=3&before=${page[2].id}`)).body).toEqual(
      await cliJson("events", first.id, "--limit", "3", "--before", page[2].id)
    )
    expect((await json(`/api/sessions/${first.id}/events?type=node_health_check`)).body).toEqual(
      await cliJson("events", first.id, "--type", "node_health_check")
    )
  })

  it("a session page: its fields and metrics, 50 events newest first, an older link that pages by keyset, filters", async () => {
    const sessions = (await json("/api/sessions")).body as Array<{ id: string; branch: string }>
    const all = await Promise.all(sessions.map(async (session) => ({
      session,
      events: (await json(`/api/sessions/${session.id}/events?limit=1000`)).body as Array<{ id: string; event_type: string; priority: string }>
    })))
    const { events, session } = all.reduce((most, entry) => entry.events.length > most.events.length ? entry : most)
    expect(events.length).toBeGreaterThan(50)
    const page = await get(`/sessions/${session.id}`)
    expect(page.status).toBe(200)
    expect(page.body).toContain(`<h1>Session ${session.id}</h1>`)
    expect(page.body).toContain(`<dt>Branch</dt><dd>${session.branch}</dd>`)
    const metrics = (await json(`/api/sessions/${session.id}/metrics`)).body
    expect(page.body).toContain(`<dt>Cost</dt><dd>$${metrics.estimated_cost_usd.toFixed(2)}</dd>`)
    expect(timelineIds(page.body)).toEqual(events.slice(0, 50).map((event) => event.id))
    // The older link names the last event shown, and the next page starts right after it.
    const older = /<a rel="next" href="([^"]+)">Older<\/a>/.exec(page.body)![1]!.replace(/&amp;/g, "&")
    expect(older).toBe(`/sessions/${session.id}?before=${events[49]!.id}`)
    const next = await get(older)
    expect(timelineIds(next.body)).toEqual(events.slice(50, 100).map((event) => event.id))
    expect(next.body).toContain(`<a href="/sessions/${session.id}">Newest</a>`)
    // The newest page follows the live feed; an older one does not.
    expect(page.body).toMatch(new RegExp(`data-live="/live/sessions/${session.id}\\?after=events%40\\d+"`))
    expect(next.body).not.toContain("data-live")
    // A filter: only its events, and the older link keeps it.
    const type = events[0]!.event_type
    const filtered = await get(`/sessions/${session.id}?type=${type}`)
    expect(timelineIds(filtered.body)).toEqual(events.filter((event) => event.event_type === type).slice(0, 50).map((event) => event.id))
    expect(filtered.body).toContain(`<option value="${type}" selected>`)
    const urgent = await get(`/sessions/${session.id}?min_priority=action`)
    expect(timelineIds(urgent.body)).toEqual(
      events.filter((event) => event.priority !== "info").slice(0, 50).map((event) => event.id)
    )
  })

  it("errors: NotFound 404, InvalidInput 400, unknown routes 404, as JSON with the _tag under /api and as a page elsewhere", async () => {
    const missing = await json("/api/sessions/nope")
    expect(missing).toEqual({
      status: 404,
      body: { _tag: "NotFound", entity: "Session", id: "nope", message: "Session \"nope\" not found" }
    })
    for (const route of ["/api/sessions/nope/events", "/api/sessions/nope/metrics", "/live/sessions/nope"]) {
      expect(await json(route), route).toMatchObject({ status: 404, body: { _tag: "NotFound" } })
    }
    const [first] = (await json("/api/sessions")).body
    for (
      const route of [
        "/api/sessions/bad%20id",
        `/api/sessions/${first.id}/events?type=bogus`,
        `/api/sessions/${first.id}/events?min_priority=loud`,
        `/api/sessions/${first.id}/events?limit=0`,
        `/api/sessions/${first.id}/events?limit=1001`,
        "/api/sessions?status=sleeping"
      ]
    ) {
      expect(await json(route), route).toMatchObject({ status: 400, body: { _tag: "DbError", reason: "InvalidInput" } })
    }
    expect(await json(`/api/sessions/${first.id}/events?before=no-such-event`)).toMatchObject({
      status: 404,
      body: { _tag: "NotFound", entity: "Event", id: "no-such-event" }
    })
    expect(await json("/api/nothing")).toMatchObject({ status: 404, body: { _tag: "RouteNotFound" } })
    const page = await get("/sessions/nope")
    expect(page.status).toBe(404)
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8")
    expect(page.body).toContain("Session &quot;nope&quot; not found")
    expect((await get("/sessions/x?type=bogus")).status).toBe(400)
    expect((await get("/nothing/here")).status).toBe(404)
  })

  it("only GET and HEAD: every other method is 405 and writes nothing; HEAD answers without a body", async () => {
    const before = await cliJson("status")
    const [first] = (await json("/api/sessions")).body
    for (const method of ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
      for (const route of ["/", `/api/sessions/${first.id}`, `/sessions/${first.id}`]) {
        const answer = await request(new URL(route, server.url).href, { method })
        expect(answer.status, `${method} ${route}`).toBe(405)
        expect(answer.headers["allow"]).toBe("GET, HEAD")
      }
    }
    expect(JSON.parse((await request(new URL("/api/overview", server.url).href, { method: "DELETE" })).body)).toMatchObject({
      _tag: "MethodNotAllowed"
    })
    expect(await cliJson("status")).toEqual(before)
    const head = await request(new URL("/", server.url).href, { method: "HEAD" })
    expect(head.status).toBe(200)
    expect(head.body).toBe("")
    expect((await request(new URL("/live/overview", server.url).href, { method: "HEAD" })).status).toBe(200)
  })

  it("every answer carries a Content-Security-Policy that allows only the server's own script, and the assets are served", async () => {
    for (const route of ["/", "/api/overview", "/nothing", "/assets/live.js"]) {
      const answer = await get(route)
      expect(answer.headers["content-security-policy"], route).toBe(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
      )
      expect(answer.headers["x-content-type-options"]).toBe("nosniff")
      expect(answer.headers["server-timing"]).toMatch(/^app;dur=[\d.]+$/)
    }
    const script = await get("/assets/live.js")
    expect(script.headers["content-type"]).toBe("text/javascript; charset=utf-8")
    expect(script.body).toContain("new EventSource")
    const style = await get("/assets/style.css")
    expect(style.headers["content-type"]).toBe("text/css; charset=utf-8")
    expect(style.body).toContain("@media (max-width: 600px)")
    // Nothing on a page comes from elsewhere, and no script is inline.
    const page = (await get("/")).body
    expect(page).not.toMatch(/<(script|link|img)[^>]*(src|href)="(https?:)?\/\//)
    expect(page).toContain(`<link rel="stylesheet" href="/assets/style.css">`)
    expect(page.match(/<script/g)).toEqual(["<script"])
    expect(page).toContain(`<script src="/assets/live.js" defer></script>`)
  })

  it("answers only requests that name a loopback host (a page elsewhere cannot read it through DNS rebinding)", async () => {
    expect((await get("/api/overview", { host: "attacker.example" }))).toMatchObject({ status: 403 })
    expect((await get("/", { host: "attacker.example:4310" })).status).toBe(403)
    expect((await get("/api/overview", { host: "localhost" })).status).toBe(200)
  })
})

describe("ennio-db serve: a large database", () => {
  it("the overview lists the 50 most recently active sessions that need attention, and says how many more", async () => {
    const url = temp.url("large.db")
    await build.cli(["--database-url", url, "demo", "--sessions", "600", "--date", "2026-11-20"])
    const status = JSON.parse((await build.cli(["--database-url", url, "--json", "status"])).stdout)
    expect(status.attention.length).toBeGreaterThan(50)
    const running = await build.serve(["--database-url", url, "serve", "--port", "0"])
    try {
      const page = (await request(new URL("/", running.url).href)).body
      const listed = Array.from(
        page.slice(page.indexOf(`<table id="attention">`)).matchAll(/<tr><td><a href="\/sessions\/([^"]+)">/g),
        (match) => match[1]
      ).slice(0, 51)
      expect(listed.slice(0, 50)).toEqual(status.attention.slice(0, 50).map((session: any) => session.id))
      expect(page).toContain(`… and ${status.attention.length - 50} more, least recently active`)
      expect(page.match(/<table id="attention">.*?<\/table>/s)![0].match(/<tr>/g)).toHaveLength(51)
    } finally {
      await running.stop("SIGTERM")
    }
  })
})

describe("ennio-db serve: stored text is text", () => {
  it("messages, branch, PR URL, metadata and event data holding markup or javascript: are escaped, links inert", async () => {
    await insertHostile(demoUrl, "hostile-1")
    const page = (await get("/sessions/hostile-1")).body
    const overview = (await get("/")).body
    for (const markup of [page, overview]) {
      expect(markup).not.toContain("<script>window")
      expect(markup).not.toContain("<img src=x")
      expect(markup).not.toContain("<svg onload")
      expect(markup).not.toMatch(/href="javascript:/i)
      expect(markup).not.toContain("onerror=\"")
      expect(markup).toContain("&lt;script&gt;window.__pwned = &#39;script&#39;&lt;/script&gt;")
    }
    expect(page).toContain("&quot;&gt;&lt;img src=x onerror=&quot;window.__pwned = &#39;img&#39;&quot;&gt;")
    expect(page).toContain("<dt>PR</dt><dd>javascript:window.__pwned = &#39;link&#39;</dd>")
    expect(page).toContain("&lt;/pre&gt;&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;svg onload=")
    // The API returns the stored text as it is: JSON is not markup.
    const api = (await json("/api/sessions/hostile-1")).body
    expect(api.session.branch).toBe(hostile.script)
    expect(api.events.map((event: any) => event.message).sort()).toEqual([hostile.attribute, hostile.link, hostile.script].sort())
  })
})

describe("ennio-db serve: live", () => {
  it("an event another process commits reaches an open session stream; a reconnect with its cursor gets what it missed", async () => {
    const [session, other] = (await json("/api/sessions?project=payments")).body
    const page = (await get(`/sessions/${session.id}`)).body
    const live = /data-live="([^"]+)"/.exec(page)![1]!.replace(/&amp;/g, "&")
    const stream = openStream(new URL(live, server.url).href)
    await until(() => stream.status() === 200, 5_000, "the stream to open")
    const sentAt = performance.now()
    await insertEvent(demoUrl, session.id, session.project_id, "first <b>live</b> event")
    await until(() => stream.messages.length >= 1, 5_000, "the first event")
    const latency = performance.now() - sentAt
    expect(latency).toBeLessThan(1_000)
    const [first] = stream.messages
    expect(first!.event).toBe("event")
    expect(first!.id).toMatch(/^events@\d+$/)
    expect(first!.data).toContain("first &lt;b&gt;live&lt;/b&gt; event")
    stream.close()
    // Missed while disconnected: the browser sends its last id as Last-Event-ID and gets the rest.
    await insertEvent(demoUrl, session.id, session.project_id, "missed while away")
    await insertEvent(demoUrl, other.id, other.project_id, "another session's event")
    await new Promise((resolve) => setTimeout(resolve, 300))
    const resumed = openStream(new URL(`/live/sessions/${session.id}`, server.url).href, { "last-event-id": first!.id })
    await until(() => resumed.messages.length >= 1, 5_000, "the missed event")
    expect(resumed.messages[0]!.data).toContain("missed while away")
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(resumed.messages).toHaveLength(1)
    resumed.close()
    // A cursor the server does not hold (another run's, or too old): the page is told to reload.
    const lost = openStream(new URL(`/live/sessions/${session.id}?after=events@1`, server.url).href)
    await until(() => lost.messages.length >= 1, 5_000, "the reload message")
    expect(lost.messages[0]!.event).toBe("reload")
    lost.close()
  })

  it("the overview stream sends a newer overview when another process writes", async () => {
    // The earlier tests' writes make their overview within a second: let them pass.
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    const page = (await get("/")).body
    const version = Number(/data-version="(\d+)"/.exec(page)![1])
    const stream = openStream(new URL(`/live/overview?version=${version}`, server.url).href)
    await until(() => stream.status() === 200, 5_000, "the stream to open")
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(stream.messages).toEqual([])
    const [session] = (await json("/api/sessions")).body
    await insertEvent(demoUrl, session.id, session.project_id, "an urgent change for the overview")
    await until(() => stream.messages.length >= 1, 5_000, "a new overview")
    const [update] = stream.messages
    expect(update!.event).toBe("overview")
    expect(Number(update!.id)).toBeGreaterThan(version)
    expect(update!.data).toMatch(/^<main id="live-main" data-version="\d+">/)
    expect(update!.data).toContain("an urgent change for the overview")
    stream.close()
  })
})

/** A new PostgreSQL database on the test server for `body`, dropped after. */
const withPgDatabase = async (body: (url: string) => Promise<void>) => {
  const name = `ennio_serve_${crypto.randomBytes(6).toString("hex")}`
  const admin = new Pg.Client({ connectionString: pgUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  try {
    await body(pgDatabaseUrl(name))
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.end()
  }
}

describe.skipIf(pgUrl === undefined)("ennio-db serve on PostgreSQL [postgres]", () => {
  it("serves the overview and a session, and an event another process commits reaches the open stream", () =>
    withPgDatabase(async (url) => {
      await build.cli(["--database-url", url, "demo", "--sessions", "3", "--date", "2026-11-20"])
      const running = await build.serve(["--database-url", url, "serve", "--port", "0"])
      try {
        const overview = JSON.parse((await request(new URL("/api/overview", running.url).href)).body)
        expect(overview.sessions).toBe(3)
        const [session] = overview.attention.length > 0 ? overview.attention : JSON.parse(
          (await request(new URL("/api/sessions", running.url).href)).body
        )
        const page = await request(new URL(`/sessions/${session.id}`, running.url).href)
        expect(page.status).toBe(200)
        const live = /data-live="([^"]+)"/.exec(page.body)![1]!.replace(/&amp;/g, "&")
        const stream = openStream(new URL(live, running.url).href)
        await until(() => stream.status() === 200, 5_000, "the stream to open")
        await insertEvent(url, session.id, session.project_id, "committed on PostgreSQL")
        await until(() => stream.messages.length >= 1, 5_000, "the event")
        expect(stream.messages[0]!.data).toContain("committed on PostgreSQL")
        expect((await running.stop("SIGTERM")).code).toBe(0)
        await stream.ended
      } finally {
        running.child.kill("SIGKILL")
      }
    }))
})

describe.skipIf(pgUrl === undefined)("ennio-db serve: the database failing [postgres]", () => {
  it("a table locked by another connection past lock_timeout is 503 DbError Busy, with Retry-After; then it reads again", () =>
    withPgDatabase(async (url) => {
      const locker = new Pg.Client({ connectionString: url })
      await build.cli(["--database-url", url, "demo", "--sessions", "3"])
      // A libpq option of the URL: a statement waits at most 500 ms for a lock.
      const running = await build.serve(["--database-url", `${url}?options=-c%20lock_timeout%3D500`, "serve", "--port", "0"])
      try {
        await locker.connect()
        await locker.query("BEGIN")
        await locker.query("LOCK TABLE projects IN ACCESS EXCLUSIVE MODE")
        const answer = await request(new URL("/api/projects", running.url).href)
        expect(answer.status).toBe(503)
        expect(JSON.parse(answer.body)).toMatchObject({ _tag: "DbError", reason: "Busy" })
        expect(answer.headers["retry-after"]).toBe("1")
        const page = await request(new URL("/", running.url).href)
        expect(page.status).toBe(503)
        expect(page.headers["content-type"]).toBe("text/html; charset=utf-8")
        await locker.query("ROLLBACK")
        expect((await request(new URL("/api/projects", running.url).href)).status).toBe(200)
        expect((await running.stop("SIGTERM")).code).toBe(0)
      } finally {
        running.child.kill("SIGKILL")
        await locker.end().catch(() => {})
      }
    }))
})

describe("ennio-db serve: who may connect", () => {
  it("refuses another address than loopback without --token (exit 2), and an empty or short token", async () => {
    for (const args of [["--host", "0.0.0.0"], ["--host", "192.168.1.10"], ["--host", "0.0.0.0", "--token", "short"]]) {
      const run = await build.cliExit(["--database-url", demoUrl, "serve", "--port", "0", ...args])
      expect(run.code, args.join(" ")).toBe(2)
      expect(run.stderr).toMatch(/^ennio-db: (serve binds .* only with --token|--token must be at least 8 characters)/)
    }
  })

  it("with a token every request needs it: a Bearer header, or ?token= once, which sets a cookie", async () => {
    const token = "a-long-test-token"
    const guarded = await build.serve(["--database-url", demoUrl, "serve", "--port", "0", "--host", "0.0.0.0", "--token", token])
    try {
      const base = guarded.url.replace("0.0.0.0", "127.0.0.1")
      const at = (route: string, headers: Record<string, string> = {}) => request(new URL(route, base).href, { headers })
      for (const route of ["/", "/api/overview", "/live/overview", "/assets/live.js", "/nothing"]) {
        expect((await at(route)).status, route).toBe(401)
        expect((await at(route, { authorization: "Bearer wrong-token-of-length" })).status, route).toBe(401)
      }
      expect(JSON.parse((await at("/api/overview")).body)).toMatchObject({ _tag: "Unauthorized" })
      expect((await at("/api/overview", { authorization: `Bearer ${token}` })).status).toBe(200)
      // A token admits any Host header: the address is what the token guards.
      expect((await at("/api/overview", { authorization: `Bearer ${token}`, host: "dashboard.example" })).status).toBe(200)
      const first = await at(`/?token=${token}`)
      expect(first.status).toBe(200)
      const cookie = first.headers["set-cookie"]![0]!
      expect(cookie).toMatch(/^ennio_db_token=a-long-test-token; Path=\/; HttpOnly; SameSite=Strict$/)
      expect((await at("/api/overview", { cookie: cookie.split(";")[0]! })).status).toBe(200)
      expect((await at("/?token=wrong-token-of-length")).status).toBe(401)
    } finally {
      expect((await guarded.stop("SIGTERM")).code).toBe(0)
    }
  })

  it("a port that is taken is a failure in one line, exit 1", async () => {
    const port = new URL(server.url).port
    const run = await build.cliExit(["--database-url", demoUrl, "serve", "--port", port])
    expect(run.code).toBe(1)
    expect(run.stderr).toBe(`ennio-db: Cannot listen on 127.0.0.1:${port}: listen EADDRINUSE: address already in use 127.0.0.1:${port}\n`)
  })

  it("ENNIO_DB_TOKEN stands for --token", async () => {
    const guarded = await build.serve(["--database-url", demoUrl, "serve", "--port", "0", "--host", "0.0.0.0"], {
      ENNIO_DB_TOKEN: "token-from-the-environment"
    })
    try {
      const base = guarded.url.replace("0.0.0.0", "127.0.0.1")
      expect((await request(new URL("/api/projects", base).href)).status).toBe(401)
      expect((await request(new URL("/api/projects", base).href, { headers: { authorization: "Bearer token-from-the-environment" } })).status)
        .toBe(200)
    } finally {
      await guarded.stop("SIGTERM")
    }
  })
})

describe("ennio-db serve: reads only", () => {
  it("an original implementation's file is refused (exit 1, naming the missing migrations), and not migrated", async () => {
    const file = path.join(temp.dir, "original.db")
    const db = new Sqlite(file)
    db.exec(originalSchema)
    db.prepare("INSERT INTO sessions (id, project_id, config_hash) VALUES ('old-1', 'old', 'cfg')").run()
    db.close()
    const before = fs.readFileSync(file)
    const run = await build.cliExit(["--database-url", temp.url("original.db"), "serve", "--port", "0"])
    expect(run.code).toBe(1)
    const every = Array.from({ length: latestMigrationId }, (_, i) => i + 1).join(", ")
    expect(run.stderr).toContain(`opened for reading only, lacks migrations ${every}: migrate it first`)
    expect(fs.readFileSync(file).equals(before)).toBe(true)
  })

  it("a database that does not exist is refused, and no file is created", async () => {
    const run = await build.cliExit(["--database-url", temp.url("absent.db"), "serve", "--port", "0"])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/no such file/)
    expect(fs.existsSync(path.join(temp.dir, "absent.db"))).toBe(false)
  })
})

describe("ennio-db serve: ending", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal} ends the open live streams, closes the database (having written nothing) and exits 0`, async () => {
      const url = temp.url(`ending-${signal}.db`)
      const file = path.join(temp.dir, `ending-${signal}.db`)
      await build.cli(["--database-url", url, "demo", "--sessions", "3"])
      const digest = () => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex")
      const before = digest()
      const running = await build.serve(["--database-url", url, "serve", "--port", "0"])
      const [session] = JSON.parse((await request(new URL("/api/sessions", running.url).href)).body)
      const streams = [
        openStream(new URL("/live/overview", running.url).href),
        openStream(new URL(`/live/sessions/${session.id}`, running.url).href)
      ]
      await until(() => streams.every((stream) => stream.status() === 200), 5_000, "the streams to open")
      // While serving, the database is open: SQLite's shared-memory file exists.
      expect(fs.existsSync(`${file}-shm`)).toBe(true)
      const { code, msToExit } = await running.stop(signal)
      expect(code).toBe(0)
      // Both streams ended: the server finished their answers rather than dropping them.
      await Promise.all(streams.map((stream) => stream.ended))
      // It opened the database read-only and wrote nothing: the file is as the demo left it, and
      // the WAL that SQLite keeps beside a read-only handle holds no frame.
      expect(digest()).toBe(before)
      expect(fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0).toBe(0)
      console.info(`SERVE ${signal}: exit 0 in ${msToExit.toFixed(0)} ms with 2 live streams open`)
    })
  }

  it("the README's Dashboard commands are the help's examples, which this suite runs", () => {
    const readme = fs.readFileSync(path.resolve(import.meta.dirname, "..", "..", "README.md"), "utf8")
    const section = readme.slice(readme.indexOf("## Dashboard"), readme.indexOf("## Tracing"))
    const shown = Array.from(section.matchAll(/^(?:npx )?(ennio-db serve[^#\n]*?)\s*(?:#.*)?$/gm), (match) => match[1]!)
    expect(shown).toEqual(Help.commands.find((command) => command.name === "serve")!.examples)
  })

  it("the help's examples serve until stopped", async () => {
    const examples = Help.commands.find((command) => command.name === "serve")!.examples
    expect(examples).toEqual(["ennio-db serve", "ennio-db serve --host 0.0.0.0 --port 8080 --token a-long-secret"])
    for (const example of examples) {
      const args = example.split(" ").slice(1)
      const running = await build.serve(["--database-url", demoUrl, ...args])
      expect(running.url).toBe(args.length === 1 ? "http://127.0.0.1:4310/" : "http://0.0.0.0:8080/")
      expect((await running.stop("SIGTERM")).code).toBe(0)
    }
  })
})

describe("ennio-db serve: the status of each failure", () => {
  it("NotFound 404, InvalidInput 400, Busy, Closed and Connection 503 (the database will answer later), others 500", () => {
    expect(statusOf(new NotFound({ entity: "Session", id: "x" }))).toBe(404)
    const statuses = Object.fromEntries(
      (["InvalidInput", "Busy", "Closed", "Connection", "Decode", "Query", "Corrupt"] as const).map((reason) => [
        reason,
        statusOf(new DbError({ reason, message: reason }))
      ])
    )
    expect(statuses).toEqual({ InvalidInput: 400, Busy: 503, Closed: 503, Connection: 503, Decode: 500, Query: 500, Corrupt: 500 })
  })
})
