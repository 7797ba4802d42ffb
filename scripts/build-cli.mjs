// Builds the `ennio-db` executable into dist/ (or the folder given as the first argument):
// - cli.cjs: the command line (src/Cli/Main.ts) bundled into one CommonJS file; better-sqlite3,
//   a native module, stays outside and is loaded from node_modules;
// - cli.js: the launcher (src/bin.ts), which runs cli.cjs from V8's code cache;
// - cli.cache: that code cache, written by running `status` once on a small demo database.
// Cold start is what this layout is for: see the launcher.
import { execFileSync } from "node:child_process"
import * as esbuild from "esbuild"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const outdir = path.resolve(process.argv[2] ?? path.join(root, "dist"))

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  minify: true,
  legalComments: "none",
  logLevel: "warning"
}
await esbuild.build({
  ...common,
  entryPoints: [path.join(root, "src", "Cli", "Main.ts")],
  outfile: path.join(outdir, "cli.cjs"),
  format: "cjs",
  external: ["better-sqlite3", "pg"],
  // The checkpoint worker finds better-sqlite3 from the module's own URL (src/Connection/Checkpointer.ts).
  define: { "import.meta.url": "__moduleUrl" },
  banner: { js: "const __moduleUrl = require(\"node:url\").pathToFileURL(__filename).href;" }
})
await esbuild.build({
  ...common,
  entryPoints: [path.join(root, "src", "bin.ts")],
  outfile: path.join(outdir, "cli.js"),
  format: "esm"
})

// The run that writes the cache reads a small demo database, so that it compiles what reading rows takes.
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "ennio-db-build-"))
try {
  const run = (...args) =>
    execFileSync(process.execPath, [path.join(outdir, "cli.js"), "--database-url", `sqlite:${scratch}/demo.db`, ...args], {
      stdio: "ignore"
    })
  run("demo", "--sessions", "20")
  fs.rmSync(path.join(outdir, "cli.cache"), { force: true })
  run("status")
} finally {
  fs.rmSync(scratch, { recursive: true, force: true })
}
