/**
 * scripts/pg-test-server.sh keeps one cluster per checkout: the `stop` of one checkout must not
 * delete the server another checkout's tests are using.
 */
import { describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const script = path.join(import.meta.dirname, "..", "scripts", "pg-test-server.sh")

/** The cluster folder the script uses when it lives in checkout `root`. */
const clusterOf = (root: string): string => {
  fs.mkdirSync(path.join(root, "scripts"), { recursive: true })
  fs.copyFileSync(script, path.join(root, "scripts", "pg-test-server.sh"))
  const env = { ...process.env }
  delete env.ENNIO_PG_DIR
  try {
    execFileSync("bash", [path.join(root, "scripts", "pg-test-server.sh"), "url"], { env, stdio: "pipe" })
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr)
    const match = /no cluster in (\S+)/.exec(stderr)
    if (match !== null) return match[1]!
    throw error
  }
  throw new Error("a new checkout has a cluster already")
}

describe("pg-test-server.sh", () => {
  it("gives each checkout a cluster folder of its own, the same on every call", () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "ennio-db-checkouts-"))
    try {
      const a = clusterOf(path.join(base, "a"))
      const b = clusterOf(path.join(base, "b"))
      expect(a).not.toBe(b)
      expect(clusterOf(path.join(base, "a"))).toBe(a)
      expect(a.startsWith(path.join(process.env["TMPDIR"] ?? "/tmp", "ennio-pg-test-"))).toBe(true)
    } finally {
      fs.rmSync(base, { recursive: true, force: true })
    }
  })
})
