/**
 * Security: no SQL text is built from run-time values anywhere in src/, and database files
 * are private (0600) and never made more open than they were.
 */
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import * as Database from "../../src/Database.js"
import {
  figures,
  repoRoot,
  runChild,
  useFixture
} from "./support/harness.js"
import { type CheckResult, checkSources, type Finding, sourceFiles } from "./support/sqlChecker.js"

const { fixture: currentFixture, tempDir } = useFixture()

/**
 * Sinks read and judged safe. Each entry must still match something (a stale entry fails).
 */
const reviewed: ReadonlyArray<{ file: string; sink: string; argument: string; why: string }> = [
  {
    file: "src/Connection/SqliteConnection.ts",
    sink: "sqlite.prepare",
    argument: "sql",
    why: "the driver: it prepares the text @effect/sql compiled, where every value is a bound `?` parameter; " +
      "what reaches it is checked at the statements' construction sites"
  },
  {
    file: "src/Connection/PostgresBackend.ts",
    sink: "pg.query",
    argument: "compiled as Pg.QueryConfig",
    why: "the driver: it runs the text @effect/sql compiled, every value a bound $n parameter, under a name " +
      "derived from that text"
  },
  // The row codecs' column lists, derived from the constant field names of their
  // `RowCodec.table` specs in src/Schemas: whichever file selects them.
  ...["eventColumns", "sessionColumns", "projectColumns", "sessionMetricsColumns"].map((argument) => ({
    file: "*",
    sink: "sql.literal",
    argument,
    why: "a column list computed once at load from the constant `field`/`column` names of a table's ColumnSpecs"
  })),
  {
    file: "src/Repos/MetricsRepo.ts",
    sink: "sql()",
    argument: "columnName(field)",
    why: "field is typed \"timeToFirstPrSecs\" | \"timeToMergeSecs\": the identifier is one of two constants"
  }
]

const matches = (r: { file: string; sink: string; argument: string }, f: Finding) =>
  (r.file === "*" || r.file === f.file) && r.sink === f.sink && r.argument === f.argument

const isReviewed = (finding: Finding) =>
  reviewed.some((r) => matches(r, finding))

describe("no SQL from run-time values", () => {
  const header = `import type * as Statement from "@effect/sql/Statement"
import * as StatementModule from "@effect/sql/Statement"
import type Sqlite from "better-sqlite3"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
declare const sql: Statement.Constructor
declare const db: Sqlite.Database
declare const input: string
declare const mode: string
declare const row: Record<string, unknown>
export {}
`
  const bad: Record<string, string> = {
    concatenation: `sql.unsafe("SELECT * FROM t WHERE id = '" + input + "'")`,
    template: "sql.unsafe(`SELECT * FROM ${input}`)",
    literal: "sql.literal(input)",
    identifier: "sql(input)",
    prepare: `db.prepare("SELECT * FROM t WHERE name = '" + input + "'")`,
    exec: "db.exec(`DROP TABLE ${input}`)",
    pragma: "db.pragma(`journal_mode = ${input}`)",
    unsafeFragment: "StatementModule.unsafeFragment(input)",
    stringClause: "sql.and([input, sql`x = 1`])",
    runtimeKeys: "sql.insert(row)",
    runtimeKeysArray: "sql.insert([row, row])",
    throughVariable: `let q = "SELECT "; q += input; sql.unsafe(q)`,
    throughConst: `const q = "SELECT * FROM " + input; sql.unsafe(q)`,
    castToLiteral: `sql.unsafe(input as "SELECT 1")`,
    escapedReference: "const f = sql.unsafe; f(input)",
    anyReceiver: "(sql as any).unsafe(input)",
    elementAccess: `sql["unsafe"](input)`,
    inColumn: "sql.in(input, [1, 2])",
    csvPrefix: "sql.csv(input, [sql`a`])",
    joinLiteral: "sql.join(input)([sql`a`])",
    updateValuesAlias: `sql.updateValues([{ a: 1 }], input)`,
    anyDatabase: "const d: any = db; d.prepare(input)",
    conditionalWithValue: `sql.unsafe(mode === "x" ? "SELECT 1" : input)`,
    serviceClient: "export const pragma = (name: string) =>\n" +
      "  Effect.flatMap(SqlClient.SqlClient, (client) => client.unsafe(`PRAGMA ${name}`))",
    pgQuery: `declare module "pg" { interface PoolClient { query(text: string): Promise<unknown> } }\n` +
      `import type { PoolClient } from "pg"\ndeclare const client: PoolClient\nclient.query("SELECT " + input)`,
    stringOfValue: "sql.literal(String(input))",
    toStringOfValue: "sql.literal(input.toString())",
    shadowedString: `const String = (x: unknown) => "" + x; sql.literal(String(input))`,
    mixedClauses: "const clauses: Array<string | Statement.Fragment> = [sql`a = 1`]; sql.and(clauses)"
  }
  const good: Record<string, string> = {
    taggedTemplate: "sql`SELECT * FROM t WHERE id = ${input} AND name = ${mode}`",
    constants: `sql.unsafe("SELECT 1"); sql.literal("rowid"); db.exec("CREATE TABLE x (id)")`,
    boundPrepare: `db.prepare("SELECT * FROM t WHERE id = ?").get(input)`,
    conditionalPragma: "db.pragma(`synchronous = ${mode === \"full\" ? \"FULL\" : \"NORMAL\"}`)",
    literalIdentifier: `const table = "sessions"; sql(table); const t2 = "events" as const; sql(t2)`,
    literalUnionParameter: `export const f = (t: "sessions" | "events") => sql(t)`,
    fixedKeys: "sql.insert({ id: input, name: mode }); sql.update({ status: input })",
    fixedKeysArray: "sql.insert([{ id: input }, { id: mode }])",
    fragmentClauses: "sql.and([sql`a = ${input}`, sql`b = 1`]); sql.or([sql`c = ${mode}`])",
    boundIn: "sql.in([input, mode])",
    pgQuery: `declare module "pg" { interface PoolClient { query(text: string): Promise<unknown> } }\n` +
      `import type { PoolClient } from "pg"\ndeclare const client: PoolClient\n` +
      `const settings = "SET TimeZone = 'UTC'"; client.query(settings)`,
    stringOfConstant: "const key = 0x656e6e696f; sql`SELECT pg_advisory_xact_lock(${sql.literal(String(key))})`; " +
      "sql.literal(key.toString())",
    constantConcatenation: `const p = "SELECT"; sql.unsafe(p + " 1")`,
    notSql: `/x/.exec(input); Config.literal("normal", "full")("MODE"); new Map<string, string>().set(input, input)`,
    serviceClient: "export const count = (id: string) =>\n" +
      "  Effect.flatMap(SqlClient.SqlClient, (client) => client`SELECT count(*) FROM sessions WHERE id = ${id}`)"
  }
  const sources = Object.fromEntries([
    ...Object.entries(bad).map(([name, body]) => [`bad-${name}.ts`, header + body + "\n"]),
    ...Object.entries(good).map(([name, body]) => [`good-${name}.ts`, header + body + "\n"])
  ])
  let results: Record<string, CheckResult>
  let src: CheckResult
  beforeAll(() => {
    const checked = checkSources(repoRoot, "test/reliability/__checker__", sources, sourceFiles(path.join(repoRoot, "src")))
    results = checked.virtual
    src = checked.real
  }, 120_000)

  it("the checker flags every planted violation and passes safe code", () => {
    for (const name of Object.keys(bad)) {
      expect(results[`bad-${name}.ts`]!.findings.length, `planted violation "${name}" not flagged`).toBeGreaterThan(0)
    }
    for (const name of Object.keys(good)) {
      expect(results[`good-${name}.ts`]!.findings, `safe code "${name}" flagged`).toEqual([])
    }
    figures("sql-checker-self-test", {
      plantedViolations: Object.keys(bad).length,
      flagged: Object.keys(bad).filter((name) => results[`bad-${name}.ts`]!.findings.length > 0).length,
      safeSnippets: Object.keys(good).length,
      falsePositives: 0
    })
  })

  it("src/ builds no SQL text from run-time values (identifiers only from constants)", () => {
    const result = src
    const unreviewed = result.findings.filter((finding) => !isReviewed(finding))
    expect(unreviewed, "SQL built from run-time values").toEqual([])
    const stale = reviewed.filter((r) =>
      !result.findings.some((f) => matches(r, f))
    )
    expect(stale, "reviewed entries that no longer match anything: remove them").toEqual([])
    expect(result.sinks).toBeGreaterThan(10)
    figures("sql-checker-src", {
      files: result.files,
      sinksChecked: result.sinks,
      violations: unreviewed.length,
      reviewedExceptions: result.findings.length
    })
  })
})

// ---------------------------------------------------------------------------------------

interface ModesSummary {
  readonly ok: boolean
  readonly whileOpen: Record<"db" | "wal" | "shm", number | null>
  readonly afterClose: Record<"db" | "wal" | "shm", number | null>
  readonly error?: string
}

const octal = (mode: number | null) => (mode === null ? "none" : mode.toString(8).padStart(4, "0"))

describe("file modes", () => {
  it("a new database file and the -wal and -shm SQLite creates are 0600, even under umask 000", async () => {
    const dir = tempDir("modes-new")
    const summaries: Array<ModesSummary> = []
    for (const umask of [0o000, 0o022, 0o077]) {
      const file = path.join(dir, `umask-${umask.toString(8)}`, "nested", "ennio.db")
      const { summary } = await runChild<ModesSummary>(currentFixture(), "modes", { file, umask })
      expect(summary.ok, summary.error).toBe(true)
      expect(summary.whileOpen, `umask ${umask.toString(8)}`).toEqual({ db: 0o600, wal: 0o600, shm: 0o600 })
      expect(summary.afterClose.db).toBe(0o600)
      for (const leftover of [summary.afterClose.wal, summary.afterClose.shm]) expect([null, 0o600]).toContain(leftover)
      summaries.push(summary)
    }
    // Folders the module creates for a new database (reported, see the README).
    const folderMode = fs.statSync(path.join(dir, "umask-0", "nested")).mode & 0o777
    figures("file-modes-new", {
      umasks: "000,022,077",
      databases: summaries.length,
      dbMode: octal(summaries[0]!.whileOpen.db),
      walMode: octal(summaries[0]!.whileOpen.wal),
      shmMode: octal(summaries[0]!.whileOpen.shm),
      createdFolderModeUnderUmask000: octal(folderMode)
    })
  }, 60_000)

  it("never widens an existing file's mode (nor makes -wal/-shm wider than the database)", async () => {
    const dir = tempDir("modes-existing")
    const checked: Array<string> = []
    for (const mode of [0o600, 0o640, 0o400, 0o644, 0o660]) {
      for (const kind of ["empty", "database"] as const) {
        const file = path.join(dir, `${kind}-${mode.toString(8)}.db`)
        if (kind === "empty") fs.writeFileSync(file, "")
        else await Effect.runPromise(Effect.provide(Effect.void, Database.layer({ url: `sqlite:${file}` })))
        fs.chmodSync(file, mode)
        const { summary } = await runChild<ModesSummary>(currentFixture(), "modes", { file, umask: 0 })
        expect(summary.ok, summary.error).toBe(true)
        for (const [name, found] of [...Object.entries(summary.whileOpen), ...Object.entries(summary.afterClose)]) {
          if (found === null) continue
          expect(found & ~mode, `${kind} ${mode.toString(8)}: ${name} is ${octal(found)}`).toBe(0)
        }
        expect(summary.afterClose.db, `${kind} ${mode.toString(8)}`).toBe(mode)
        checked.push(`${kind}:${octal(mode)}->${octal(summary.afterClose.db)}/wal${octal(summary.whileOpen.wal)}`)
      }
    }
    figures("file-modes-existing", { files: checked.length, widened: 0, checked: checked.join(",") })
  }, 60_000)
})
