/// <reference lib="dom" />
/**
 * The dashboard in headless Chromium (Debian's `chromium`, driven by puppeteer-core; nothing
 * downloads a browser): the overview shows the demo's figures, a link opens its session, an
 * event another process commits appears without a reload, the page says when the connection
 * drops and catches up when it is back, hostile stored text runs nothing, and the pages work
 * with scripts off. It also takes the README's screenshot (docs/dashboard.png).
 *
 * Without Chromium these tests fail rather than skip: CI installs it (`.ci/run`).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import puppeteer, { type Browser, type Page } from "puppeteer-core"
import { makeTempDir } from "../Cli/fixtures/cli.js"
import { buildServeCli, hostile, insertEvent, insertHostile, type Served } from "../Cli/fixtures/serve.js"

const chromium = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"
const screenshot = path.resolve(import.meta.dirname, "..", "..", "docs", "dashboard.png")
const temp = makeTempDir()
const demoUrl = temp.url("browser.db")
let build: Awaited<ReturnType<typeof buildServeCli>>
let server: Served
let port = 0
let browser: Browser

const serve = async () => {
  server = await build.serve(["--database-url", demoUrl, "serve", "--port", String(port)])
  port = Number(new URL(server.url).port)
}

beforeAll(async () => {
  build = await buildServeCli()
  await build.cli(["--database-url", demoUrl, "demo", "--date", "2026-11-20"])
  await serve()
  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    // Chromium's sandbox refuses to run as root (CI containers); as any other user it stays on.
    args: process.getuid?.() === 0 ? ["--no-sandbox"] : []
  })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop("SIGTERM")
  build?.remove()
  temp.remove()
})

/** A new page that records any dialog (alert, confirm) a script opened. */
const open = async (width = 1280, height = 900) => {
  const page = await browser.newPage()
  await page.setViewport({ width, height })
  const dialogs: Array<string> = []
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message())
    void dialog.dismiss()
  })
  return { page, dialogs }
}

const text = (page: Page, selector: string) => page.$eval(selector, (element) => element.textContent ?? "")

const liveStatus = (page: Page) =>
  page.$eval("#live-status", (element) => ({ hidden: (element as HTMLElement).hidden, text: element.textContent }))

const statusJson = async () => JSON.parse((await build.cli(["--database-url", demoUrl, "--json", "status"])).stdout) as any

describe("the dashboard in Chromium", () => {
  it("the overview shows the demo's counts, with its CSP header, goes live, and is readable at 1280 px and on a phone", async () => {
    const status = await statusJson()
    const { dialogs, page } = await open()
    const response = await page.goto(server.url)
    expect(response!.status()).toBe(200)
    expect(response!.headers()["content-security-policy"]).toContain("script-src 'self'")
    const tiles = await page.$$eval(".tile", (elements) =>
      elements.map((element) => [
        element.querySelector(".label")!.textContent,
        element.querySelector(".value")!.textContent
      ]))
    expect(Object.fromEntries(tiles)).toMatchObject({
      sessions: String(status.sessions),
      active: String(status.active),
      "need attention": String(status.needs_attention)
    })
    const projects = await page.$$eval("#projects tbody tr", (rows) =>
      rows.map((row) => Array.from(row.querySelectorAll("td"), (cell) => cell.textContent)))
    for (const project of status.projects) {
      expect(projects).toContainEqual(expect.arrayContaining([project.project_id, project.name, String(project.sessions)]))
    }
    const attention = await page.$$eval("#attention tbody tr td:first-child", (cells) => cells.map((cell) => cell.textContent))
    expect(attention).toEqual(status.attention.map((session: any) => session.id))
    // The script connected its live stream.
    await page.waitForFunction(() => document.getElementById("live-status")!.textContent === "Live", { timeout: 5_000 })
    expect(await liveStatus(page)).toEqual({ hidden: false, text: "Live" })
    // At 1280 px nothing overflows the window; this is the README's picture.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280)
    fs.mkdirSync(path.dirname(screenshot), { recursive: true })
    await page.screenshot({ path: screenshot as `${string}.png`, fullPage: true })
    expect(fs.statSync(screenshot).size).toBeGreaterThan(10_000)
    // On a phone the page is as wide as the screen: the wide tables scroll within themselves.
    await page.setViewport({ width: 390, height: 844, isMobile: true })
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    expect(await page.$eval(".tile .value", (element) => element.getBoundingClientRect().width)).toBeGreaterThan(0)
    expect(dialogs).toEqual([])
    await page.close()
  })

  it("following a link opens the session", async () => {
    const { page } = await open()
    await page.goto(server.url)
    const id = await text(page, "#attention tbody tr td:first-child a")
    await Promise.all([page.waitForNavigation(), page.click("#attention tbody tr td:first-child a")])
    expect(new URL(page.url()).pathname).toBe(`/sessions/${id}`)
    expect(await text(page, "h1")).toBe(`Session ${id}`)
    expect(await page.$$eval("#timeline tbody tr", (rows) => rows.length)).toBeGreaterThan(0)
    await page.close()
  })

  it("an event another process commits appears on the open session page within a second, without a reload", async () => {
    const sessions = JSON.parse((await build.cli(["--database-url", demoUrl, "--json", "sessions", "list"])).stdout)
    const session = sessions[0]
    const { page } = await open()
    await page.goto(new URL(`/sessions/${session.id}`, server.url).href)
    await page.waitForFunction(() => document.getElementById("live-status")!.textContent === "Live", { timeout: 5_000 })
    // Set in this page's window: a reload would lose it.
    await page.evaluate(() => Object.assign(window, { loadedOnce: true }))
    const rowsBefore = await page.$$eval("#timeline tbody tr", (rows) => rows.length)
    const sentAt = performance.now()
    await insertEvent(demoUrl, session.id, session.project_id, "landed while the page was open")
    await page.waitForFunction(
      () => document.querySelector("#timeline tbody tr td.message")?.textContent === "landed while the page was open",
      { timeout: 1_000, polling: 10 }
    )
    const latencyMs = performance.now() - sentAt
    console.info(`BROWSER live event: on the page ${latencyMs.toFixed(0)} ms after its commit returned`)
    expect(await page.$$eval("#timeline tbody tr", (rows) => rows.length)).toBe(rowsBefore + 1)
    expect(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true)
    await page.close()
  })

  it("the overview updates itself when another process writes", async () => {
    const { page } = await open()
    await page.goto(server.url)
    await page.waitForFunction(() => document.getElementById("live-status")!.textContent === "Live", { timeout: 5_000 })
    await page.evaluate(() => Object.assign(window, { loadedOnce: true }))
    const sessions = JSON.parse((await build.cli(["--database-url", demoUrl, "--json", "sessions", "list"])).stdout)
    await insertEvent(demoUrl, sessions[1].id, sessions[1].project_id, "an urgent event for the overview")
    await page.waitForFunction(
      () => document.querySelector("#urgent tbody tr td.message")?.textContent === "an urgent event for the overview",
      { timeout: 5_000 }
    )
    expect(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true)
    await page.close()
  })

  it("says when the connection drops, reconnects by itself, and shows what was committed meanwhile", async () => {
    const sessions = JSON.parse((await build.cli(["--database-url", demoUrl, "--json", "sessions", "list"])).stdout)
    const session = sessions[2]
    const { page } = await open()
    await page.goto(new URL(`/sessions/${session.id}`, server.url).href)
    await page.waitForFunction(() => document.getElementById("live-status")!.textContent === "Live", { timeout: 5_000 })
    expect((await server.stop("SIGTERM")).code).toBe(0)
    await page.waitForFunction(() => document.getElementById("live-status")!.getAttribute("data-state") === "lost", {
      timeout: 5_000
    })
    expect(await text(page, "#live-status")).toBe("Connection lost: reconnecting…")
    await insertEvent(demoUrl, session.id, session.project_id, "committed while the server was down")
    await serve()
    await page.waitForFunction(
      () =>
        Array.from(document.querySelectorAll("#timeline tbody td.message")).some((cell) =>
          cell.textContent === "committed while the server was down"
        ),
      { timeout: 10_000 }
    )
    await page.waitForFunction(() => document.getElementById("live-status")!.textContent === "Live", { timeout: 10_000 })
    await page.close()
  })

  it("hostile stored text shows as text and runs nothing, loaded or arriving live; the CSP refuses inline script", async () => {
    await insertHostile(demoUrl, "hostile-browser")
    for (const route of ["/", "/sessions/hostile-browser"]) {
      const { dialogs, page } = await open()
      await page.goto(new URL(route, server.url).href)
      await page.waitForFunction(() => document.getElementById("live-status")!.textContent === "Live", { timeout: 5_000 })
      if (route !== "/") {
        // One more arrives live, through the script's insertion.
        await insertEvent(demoUrl, "hostile-browser", "hostile", hostile.attribute + hostile.script)
        await page.waitForFunction(
          (expected) => document.querySelector("#timeline tbody td.message")?.textContent === expected,
          { timeout: 2_000 },
          hostile.attribute + hostile.script
        )
        expect(await text(page, "#fields")).toContain(hostile.script)
        expect(await text(page, "#fields")).toContain(hostile.closing)
        expect(await page.$$eval("a[href^='javascript:' i]", (links) => links.length)).toBe(0)
      }
      expect(await text(page, "main")).toContain(hostile.script)
      expect(await page.$$eval("main img, main script, main svg[onload]", (elements) => elements.length)).toBe(0)
      // An inline script the page did not send is refused by the Content-Security-Policy.
      await page.evaluate(() => {
        const script = document.createElement("script")
        script.textContent = "window.__pwned = 'inline'"
        document.body.append(script)
      })
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined()
      expect(dialogs).toEqual([])
      await page.close()
    }
  })

  it("works with scripts off: the figures, the links and the filter form", async () => {
    const { page } = await open()
    await page.setJavaScriptEnabled(false)
    await page.goto(server.url)
    expect(await liveStatus(page)).toEqual({ hidden: true, text: "" })
    const status = await statusJson()
    expect(await text(page, ".tile .value")).toBe(String(status.sessions))
    await Promise.all([page.waitForNavigation(), page.click("#attention tbody tr td:first-child a")])
    await page.select("select[name=min_priority]", "urgent")
    await Promise.all([page.waitForNavigation(), page.click(".filter button")])
    expect(new URL(page.url()).searchParams.get("min_priority")).toBe("urgent")
    const priorities = await page.$$eval("#timeline tbody .priority", (cells) => cells.map((cell) => cell.textContent))
    expect(priorities.length).toBeGreaterThan(0)
    expect(new Set(priorities)).toEqual(new Set(priorities.filter((p) => p === "urgent" || p === "critical")))
    await page.close()
  })
})
