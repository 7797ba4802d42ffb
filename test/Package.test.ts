/**
 * The package as a user gets it: built from the current sources, packed, installed into a new
 * project next to the newest effect 3 release with the README's install commands, the README's
 * examples type-checked there with `tsc --strict` (the libraries' declarations included) and
 * run, and `npx ennio-db status` run from it.
 *
 * The install comes from the npm registry. better-sqlite3 compiles from source on this machine
 * (about two minutes): the consumer installs with `--ignore-scripts` and is given the addon
 * this checkout compiled for the same better-sqlite3 version and the same Node.js.
 */
import { describe, expect, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"

const exec = promisify(execFile)
const root = path.resolve(import.meta.dirname, "..")
const readme = fs.readFileSync(path.join(root, "README.md"), "utf8")

/** The `npm install …` lines of the README's "Installing" block, in order. */
const installCommands = (): Array<Array<string>> => {
  const block = /## Installing[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1]
  if (block === undefined) throw new Error("the README has no Installing block")
  return block.split("\n").map((line) => line.replace(/#.*$/, "").trim()).filter((line) => line.startsWith("npm install"))
    .map((line) => line.split(/\s+/))
}

const run = async (command: string, args: ReadonlyArray<string>, cwd: string, env: NodeJS.ProcessEnv = {}) => {
  try {
    return await exec(command, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 })
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string }
    throw new Error(`${command} ${args.join(" ")} failed:\n${failed.stdout ?? ""}\n${failed.stderr ?? failed.message}`)
  }
}

describe("the package in a new project", () => {
  it("installs with the README's commands, type-checks and runs its examples, and runs npx ennio-db", async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "ennio-db-package-"))
    let staged = ""
    try {
      // The package folder: what `files` ships, built from the current sources (under node_modules,
      // where the build's own run of the command finds better-sqlite3).
      fs.mkdirSync(path.join(root, "node_modules", ".cache"), { recursive: true })
      staged = fs.mkdtempSync(path.join(root, "node_modules", ".cache", "ennio-db-package-"))
      await run(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--outDir", path.join(staged, "dist")], root)
      await run(process.execPath, [path.join(root, "scripts/build-cli.mjs"), path.join(staged, "dist")], root)
      for (const file of ["package.json", "README.md", "LICENSE"]) fs.copyFileSync(path.join(root, file), path.join(staged, file))
      const { stdout: packed } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], staged)
      const [{ filename, files }] = JSON.parse(packed) as Array<{ filename: string; files: Array<{ path: string }> }>
      const shipped = files.map((file) => file.path)
      expect(shipped).toContain("LICENSE")
      expect(shipped).toContain("dist/index.d.ts")
      expect(shipped.filter((file) => file.endsWith(".map") || file.endsWith("cli.cache"))).toEqual([])

      // The consumer: the README's install commands, with the tarball in place of the registry's ennio-db.
      const consumer = path.join(work, "consumer")
      fs.mkdirSync(consumer)
      fs.writeFileSync(path.join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }))
      for (const command of installCommands()) {
        const args = command.slice(1).map((word) => word === "ennio-db" ? path.join(work, filename) : word)
        await run("npm", [...args, "--ignore-scripts", "--no-audit", "--no-fund"], consumer)
      }
      const installed = (name: string) =>
        JSON.parse(fs.readFileSync(path.join(consumer, "node_modules", name, "package.json"), "utf8")).version as string
      expect(installed("effect")).toMatch(/^3\./)
      const ours = JSON.parse(fs.readFileSync(path.join(root, "node_modules/better-sqlite3/package.json"), "utf8")).version
      expect(installed("better-sqlite3")).toBe(ours)
      fs.cpSync(path.join(root, "node_modules/better-sqlite3/build"), path.join(consumer, "node_modules/better-sqlite3/build"), { recursive: true })
      // Installing pulls in only what the library and the command need.
      for (const heavy of ["@effect/cluster", "kubernetes-types", "@parcel/watcher", "@effect/platform-node"]) {
        expect(fs.existsSync(path.join(consumer, "node_modules", heavy)), heavy).toBe(false)
      }

      // The README's examples, type-checked strictly with every declaration file, then run.
      fs.mkdirSync(path.join(consumer, "src"))
      for (const example of ["quickstart.ts", "tracing.ts"]) {
        fs.copyFileSync(path.join(root, "examples", example), path.join(consumer, "src", example))
      }
      fs.writeFileSync(path.join(consumer, "src", "runQuickstart.ts"), [
        `import { Effect } from "effect"`,
        `import { main } from "./quickstart.js"`,
        `console.log(JSON.stringify(await Effect.runPromise(main)))`
      ].join("\n"))
      fs.writeFileSync(path.join(consumer, "tsconfig.json"), JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          skipLibCheck: false,
          types: [],
          outDir: "out"
        },
        include: ["src"]
      }))
      await run(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], consumer)
      const quickstart = await run(process.execPath, ["out/runQuickstart.js"], consumer)
      expect(JSON.parse(quickstart.stdout)).toEqual({ status: "working", events: 1, tokensIn: 1200 })
      const database = `sqlite:${path.join(work, "consumer.db")}`
      const traced = await run(process.execPath, ["out/tracing.js"], consumer, { DATABASE_URL: database })
      expect(traced.stdout).toContain("SessionsRepo.list")

      // The command the package installs.
      await run("npx", ["ennio-db", "demo", "--sessions", "5", "--database-url", database], consumer)
      const status = await run("npx", ["ennio-db", "--json", "status", "--database-url", database], consumer)
      expect(JSON.parse(status.stdout).projects).toHaveLength(3)
    } finally {
      fs.rmSync(work, { recursive: true, force: true })
      fs.rmSync(staged, { recursive: true, force: true })
    }
  }, 600_000)
})
