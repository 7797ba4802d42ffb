/**
 * What open dashboard pages cost the server when nothing happens: 100 live streams (50
 * overview pages, 50 session pages) held open on a demo database, and the server process's
 * CPU time (process.cpuUsage) over a quiet interval, beside the same server with none open.
 *
 *   npx tsx bench/serve-idle-sse.ts [--seconds 30] [--streams 100]
 *
 * The server runs in this process (its clients too, which only wait), so process.cpuUsage is its.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Server from "../src/Cli/Serve/Server.js"
import * as Repos from "../src/Repos/Repos.js"

const option = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name)
  return at === -1 ? fallback : Number(process.argv[at + 1])
}
const seconds = option("--seconds", 30)
const streams = option("--streams", 100)
const root = path.resolve(import.meta.dirname, "..")

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo
      probe.close(() => resolve(port))
    })
  })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The share of one core this process used over `ms` of waiting. */
const cpuOver = async (ms: number) => {
  const before = process.cpuUsage()
  const began = performance.now()
  await sleep(ms)
  const used = process.cpuUsage(before)
  return (used.user + used.system) / 1_000 / (performance.now() - began)
}

const main = async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ennio-serve-idle-"))
  const url = `sqlite:${path.join(dir, "demo.db")}`
  execFileSync(process.execPath, ["--import", "tsx", path.join(root, "src", "Cli", "Main.ts"), "--database-url", url, "demo"], {
    cwd: root
  })
  const sessions = JSON.parse(
    execFileSync(process.execPath, ["--import", "tsx", path.join(root, "src", "Cli", "Main.ts"), "--database-url", url, "--json", "sessions", "list"], {
      cwd: root,
      encoding: "utf8"
    })
  ) as Array<{ id: string }>
  const port = await freePort()
  const fiber = Effect.runFork(Effect.provide(Server.run({ host: "127.0.0.1", port, token: Option.none() }), Repos.layerDatabase({ url })))
  const base = `http://127.0.0.1:${port}`
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await fetch(`${base}/assets/style.css`).then(() => true, () => false)) break
    await sleep(100)
  }
  await sleep(2_000)
  const idle = await cpuOver(seconds * 1_000)

  const agent = new http.Agent({ keepAlive: true, maxSockets: streams * 2 })
  let opened = 0
  const requests = Array.from({ length: streams }, (_, i) => {
    const route = i % 2 === 0 ? "/live/overview" : `/live/sessions/${sessions[i % sessions.length]!.id}`
    return http.get(`${base}${route}`, { agent }, (response) => {
      if (response.statusCode === 200) opened++
      response.resume()
    })
  })
  while (opened < streams) await sleep(50)
  await sleep(2_000)
  const withStreams = await cpuOver(seconds * 1_000)
  console.log(`server process CPU over ${seconds} s, nothing written (2 cores here, shared):`)
  console.log(`  no live streams open:  ${(idle * 100).toFixed(2)}% of a core`)
  console.log(`  ${streams} live streams open: ${(withStreams * 100).toFixed(2)}% of a core`)
  for (const request of requests) request.destroy()
  agent.destroy()
  await Effect.runPromise(Fiber.interrupt(fiber))
  fs.rmSync(dir, { recursive: true, force: true })
}

void main()
