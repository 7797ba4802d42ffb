/**
 * The command line as the README shows it: its synopsis is the help's, and its sample outputs
 * and pipelines are what the commands print (durations and dates aside).
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Help from "../../src/Cli/Help.js"
import { buildCli, makeTempDir } from "./fixtures/cli.js"

const readme = fs.readFileSync(new URL("../../README.md", import.meta.url), "utf8")
const packageJson = JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8"))

/** The README's code block that starts with `firstLine`, as lines. */
const block = (firstLine: string): Array<string> => {
  const start = readme.indexOf("```\n" + firstLine + "\n")
  expect(start, firstLine).toBeGreaterThan(-1)
  const body = readme.slice(start + 4, readme.indexOf("\n```", start + 4))
  return body.split("\n")
}

// What changes from run to run: timings, and the dates of a demo day (yesterday's).
const normalise = (line: string) =>
  line.replace(/\s+[\d.]+ ms$/, "").replace(/\d{4}-\d{2}-\d{2}/g, "DATE").trimEnd()

// A trace line's statement is cut where its duration begins, whose text is a character or two
// longer or shorter from run to run: a cut line is compared on its first 48 characters, which
// every cut line of the sample has.
const normaliseTrace = (line: string) => {
  const timeless = normalise(line)
  return timeless.indexOf("…") > 48 ? `${timeless.slice(0, 48)}…` : timeless
}

/** Each shown line (but `…`) appears in `output`, in the order shown. */
const showsIn = (shown: ReadonlyArray<string>, output: string) => {
  const lines = output.split("\n").map(normalise)
  let at = 0
  for (const line of shown.map(normalise)) {
    if (line === "…") continue
    const found = lines.indexOf(line, at)
    expect(found, `README line not in the output (in order): ${line}`).toBeGreaterThanOrEqual(at)
    at = found + 1
  }
}

let cli: Awaited<ReturnType<typeof buildCli>>["cli"]
let remove = () => {}
const temp = makeTempDir()
const url = temp.url("readme.db")

beforeAll(async () => {
  ;({ cli, remove } = await buildCli())
})

afterAll(() => {
  remove()
  temp.remove()
})

describe("the README's command line", () => {
  it("shows the same synopsis as the help", () => {
    const synopsis = block("ennio-db demo [--sessions N] [--seed SEED] [--date YYYY-MM-DD]")
    expect(synopsis).toEqual(Help.commands.flatMap((command) => command.usage))
  })

  it("shows what npm start prints on a new database: the demo, then the dashboard", async () => {
    expect(packageJson.scripts.start).toBe("node dist/cli.js demo && node dist/cli.js status")
    const [, ...shown] = block("$ npm start")
    expect((await cli(["--database-url", url, "demo"])).code).toBe(0)
    const status = await cli(["--database-url", url, "status"])
    expect(status.code).toBe(0)
    showsIn(shown, status.stdout)
  })

  it("shows what --trace prints", async () => {
    const [command, ...shown] = block("$ ennio-db --trace sessions show payments-d1-mmaw > /dev/null")
    const args = command!.replace(/^\$ ennio-db /, "").replace(" > /dev/null", "").split(" ")
    const run = await cli(["--database-url", url, ...args])
    expect(run.code).toBe(0)
    expect(run.stderr.split("\n").map(normaliseTrace).filter((line) => line !== "")).toEqual(shown.map(normaliseTrace))
  })

  it("its jq pipelines run and print what they promise", async () => {
    let jq = true
    try {
      execFileSync("jq", ["--version"])
    } catch {
      jq = false
      console.info("[ennio-db] the README's jq pipelines were not run: jq is not installed")
    }
    const pipelines = readme.match(/^ennio-db --json .*\| jq .*$/gm) ?? []
    expect(pipelines).toHaveLength(2)
    if (!jq) return
    for (const pipeline of pipelines) {
      const [command, filter] = pipeline.split(" | jq ")
      const args = command!.replace(/^ennio-db /, "").split(" ")
      const json = await cli(["--database-url", url, ...args])
      expect(json.code).toBe(0)
      const flags = filter!.startsWith("-r ") ? ["-r"] : []
      const program = filter!.replace(/^-r /, "").replace(/^'|'$/g, "")
      const out = execFileSync("jq", [...flags, program], { input: json.stdout, encoding: "utf8" })
      expect(out.trim(), pipeline).not.toBe("")
      expect(out, pipeline).not.toContain("null")
    }
  })
})
