/**
 * Round trips per operation on PostgreSQL, pg raw against ennio-db (pg): what each side sends
 * for one operation of W1–W8 and W10, counted in the `pg` driver's protocol messages.
 *
 *   npx tsx bench/pg-roundtrips.ts [W1 W3 …] [--pg URL] [--full]
 *
 * On the server `--pg URL` or `ENNIO_TEST_PG_URL` names, or else on a throwaway server of
 * default durability (bench/pg-server.ts). Each workload runs on the quick run's tables (the
 * full run's with `--full`): warm-up, then the rounds of the benchmark's plan, counted; on pg
 * raw, on pg raw with unnamed statements (parsed at every call, as @effect/sql-pg sends its
 * statements: the server's share of the difference) and on ennio-db (pg). A round
 * trip is a Sync (extended protocol: Parse/Bind/Describe/Execute, sent together) or a simple
 * Query: each waits for the server's ReadyForQuery. "Waiting" is the time from a round trip's
 * first message to its ReadyForQuery, summed (the server's work, the network, and the client's
 * parsing of the rows as they arrive). CPU time an operation: this process's (`process.cpuUsage`)
 * and, on a server on this machine, that of the side's server processes (`/proc/<pid>/schedstat`
 * of the backends `pg_stat_activity` lists under the side's application name): on a machine of
 * few cores the server runs while the client waits in a socket write, so the client's wall time
 * alone does not tell the two apart. Statements are named by their first words.
 */
import * as fs from "node:fs"
import * as Pg from "pg"
import { pgFull, pgQuick, full, quick } from "./config.js"
import { ennioPg } from "./ennio.js"
import { describeSettings, makePgWorkloads, readServerSettings } from "./pg.js"
import { displayUrl, PgFixtures } from "./pg-fixtures.js"
import { pgRaw, pgRawUnnamed } from "./pg-raw.js"
import { serverForScript } from "./pg-server.js"
import { type PgSideName, sideLabels } from "./side.js"

/** What the sides sent while counting. */
interface Counts {
  roundTrips: number
  parses: number
  binds: number
  simpleQueries: number
  waitNs: number
  readonly statements: Map<string, number>
}

const fresh = (): Counts => ({ roundTrips: 0, parses: 0, binds: 0, simpleQueries: 0, waitNs: 0, statements: new Map() })
let counts = fresh()

type Instrumented = Pg.Connection & { __roundTripStart?: bigint | undefined }

/** Starts timing a round trip at its first message. */
const begin = (connection: Instrumented) => {
  connection.__roundTripStart ??= process.hrtime.bigint()
}

// The driver's protocol messages, counted and timed: every side's pool and client go through these.
const connection = Pg.Connection.prototype as Instrumented & Record<string, unknown>
const wrap = (method: "query" | "parse" | "bind" | "sync", count: (c: Counts) => void) => {
  const original = connection[method] as (this: Instrumented, ...args: Array<unknown>) => unknown
  connection[method] = function(this: Instrumented, ...args: Array<unknown>) {
    if (method !== "sync") begin(this)
    count(counts)
    return original.apply(this, args)
  }
}
wrap("query", (c) => {
  c.simpleQueries++
  c.roundTrips++
})
wrap("parse", (c) => c.parses++)
wrap("bind", (c) => c.binds++)
wrap("sync", (c) => c.roundTrips++)
const emit = connection.emit
connection.emit = function(this: Instrumented, event: string | symbol, ...args: Array<unknown>) {
  if (event === "readyForQuery" && this.__roundTripStart !== undefined) {
    counts.waitNs += Number(process.hrtime.bigint() - this.__roundTripStart)
    this.__roundTripStart = undefined
  }
  return emit.call(this, event, ...args)
}

/** `INSERT INTO events`, `SELECT … FROM sessions`, `BEGIN`: enough of a statement to tell it apart. */
const label = (text: string): string => {
  const flat = text.replace(/\s+/g, " ").replace(/"/g, "").trim()
  const from = /^SELECT .*? FROM (\w+)/i.exec(flat)
  if (from !== null) return `SELECT … FROM ${from[1]}`
  const write = /^(INSERT INTO \w+|UPDATE \w+|DELETE FROM \w+|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)/i.exec(flat)
  if (write !== null) return write[1]!
  return flat.split(" ")[0]!.toUpperCase()
}

const clientQuery = Pg.Client.prototype.query as (this: Pg.Client, ...args: Array<unknown>) => unknown
;(Pg.Client.prototype as unknown as { query: unknown }).query = function(this: Pg.Client, ...args: Array<unknown>) {
  const config = args[0] as string | { readonly text?: unknown } | undefined
  const text = typeof config === "string" ? config : typeof config?.text === "string" ? config.text : undefined
  if (text !== undefined) {
    const name = label(text)
    counts.statements.set(name, (counts.statements.get(name) ?? 0) + 1)
  }
  return clientQuery.apply(this, args)
}

const per = (n: number, ops: number) => (n / ops).toFixed(n % ops === 0 ? 0 : 2)

interface Row {
  readonly workload: string
  readonly side: string
  readonly ops: number
  readonly counts: Counts
  readonly wallNs: number
  readonly clientCpuUs: number
  /** undefined when the server's processes cannot be read (another machine, another user). */
  readonly serverCpuUs: number | undefined
  readonly concurrent: boolean
}

/** The application name each side's connections carry: the backends whose CPU time is theirs. */
const applicationName = (side: PgSideName) => side === "ennio-pg" ? "ennio-db" : "ennio-bench-pg-raw"

/** CPU time a server process has used, in µs: schedstat (ns), or utime + stime (clock ticks of 10 ms). */
const processCpuUs = (pid: number): number | undefined => {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[0]) / 1_000
  } catch {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ")
      return (Number(fields[11]) + Number(fields[12])) * 10_000
    } catch {
      return undefined
    }
  }
}

/** The CPU time of `side`'s backends by pid, or undefined when they are not processes of this machine. */
const serverCpu = async (pg: PgFixtures, side: PgSideName): Promise<Map<number, number> | undefined> => {
  const rows = await pg.query<{ pid: string }>(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1",
    [applicationName(side)]
  )
  const cpu = new Map<number, number>()
  for (const { pid } of rows) {
    const us = processCpuUs(Number(pid))
    if (us === undefined) return undefined
    cpu.set(Number(pid), us)
  }
  return cpu
}

/** CPU µs the backends used between two readings (a backend opened between them counts whole). */
const serverCpuUsed = (before: Map<number, number> | undefined, after: Map<number, number> | undefined) =>
  before === undefined || after === undefined
    ? undefined
    : [...after].reduce((sum, [pid, us]) => sum + us - (before.get(pid) ?? 0), 0)

const describeRow = (row: Row): string => {
  const { counts: c, ops } = row
  const statements = [...c.statements].map(([name, n]) => `${name} ×${per(n, ops)}`).join(", ")
  const us = (value: number) => (value / ops).toFixed(0)
  const wall = row.concurrent
    ? `wall ${us(row.wallNs / 1e3)} µs an op (64 callers)`
    : `wall ${us(row.wallNs / 1e3)} µs an op, ${us(c.waitNs / 1e3)} µs of it in round trips`
  const cpu = `CPU an op: client ${us(row.clientCpuUs)} µs, server ${
    row.serverCpuUs === undefined ? "n/a" : `${us(row.serverCpuUs)} µs`
  }`
  const pad = "".padEnd(16)
  return `  ${sideLabels[row.side as PgSideName].padEnd(14)} ${per(c.roundTrips, ops)} round trips/op ` +
    `(Parse ${per(c.parses, ops)}, Bind ${per(c.binds, ops)}, simple Query ${per(c.simpleQueries, ops)})\n` +
    `${pad}statements/op: ${statements}\n${pad}${wall}; ${cpu}`
}

const main = async () => {
  const selected = process.argv.slice(2).filter((arg, i, all) => !arg.startsWith("--") && all[i - 1] !== "--pg")
  const isFull = process.argv.includes("--full")
  const { stop, url } = await serverForScript()
  const pg = await PgFixtures.make(url)
  try {
    const settings = await readServerSettings((text, values) => pg.query<{ v: string }>(text, values))
    console.log(`${pg.serverVersion} at ${displayUrl(url)}: ${describeSettings(settings)}`)
    const { workloads } = makePgWorkloads(isFull ? pgFull : pgQuick, isFull ? full : quick, pg)
    const rows: Array<Row> = []
    for (const workload of workloads) {
      if (selected.length > 0 && !selected.includes(workload.id)) {
        await workload.done()
        continue
      }
      console.log(`\n${workload.id} ${workload.title}`)
      for (const side of [pgRaw, pgRawUnnamed, ennioPg]) {
        const { url: schemaUrl } = await workload.database(side.name)
        const handle = await side.open(schemaUrl)
        try {
          const runner = workload.runner(workload.bind(handle))
          await runner.warmup()
          const serverBefore = await serverCpu(pg, side.name)
          counts = fresh()
          const cpuBefore = process.cpuUsage()
          const start = process.hrtime.bigint()
          for (let round = 0; round < runner.rounds; round++) await runner.round()
          const wallNs = Number(process.hrtime.bigint() - start)
          const cpu = process.cpuUsage(cpuBefore)
          const measured = counts
          // The CPU reading below is the inspector's statement, not the side's.
          counts = fresh()
          const serverCpuUs = serverCpuUsed(serverBefore, await serverCpu(pg, side.name))
          const { ops } = runner.result()
          const row: Row = {
            workload: workload.id,
            side: side.name,
            ops,
            counts: measured,
            wallNs,
            clientCpuUs: cpu.user + cpu.system,
            serverCpuUs,
            concurrent: workload.id === "W4" || workload.id === "W8"
          }
          rows.push(row)
          console.log(describeRow(row))
        } finally {
          await handle.close()
        }
      }
      await workload.done()
    }
  } finally {
    await pg.dispose()
    stop?.()
  }
}

await main()
