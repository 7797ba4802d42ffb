/**
 * Looking after a database: `check` (its own structural checks, the migration state and every
 * row through the row schemas), `backup` (a consistent online copy of a SQLite file; of a
 * PostgreSQL database, its export),
 * `vacuum`, and `copy` between any two databases (SQLite and PostgreSQL both ways), which
 * `restore` is from a backup file. Each operation runs in a span `Maintenance.<operation>`.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import * as readline from "node:readline"
import { Backend, type Table, type TableRow } from "./Connection/Backend.js"
import { transaction } from "./Connection/Failures.js"
import * as Housekeeping from "./Connection/Housekeeping.js"
import * as Database from "./Database.js"
import { latestMigrationId, migrationsTable, missingFrom, recordedMigrations } from "./Migrations/index.js"
import { firstIssue } from "./Repos/Input.js"
import { columnName } from "./Schemas/Column.js"
import { DbError } from "./Schemas/Errors.js"
import { EventCodec } from "./Schemas/Event.js"
import { ProjectCodec } from "./Schemas/Project.js"
import type * as RowCodec from "./Schemas/RowCodec.js"
import { SessionCodec } from "./Schemas/Session.js"
import { SessionMetricsCodec } from "./Schemas/SessionMetrics.js"
import * as Spans from "./Spans.js"

/**
 * An operation refused as asked: the backup file exists (`Exists`), the target of a copy,
 * restore or import holds rows (`NotEmpty`), or a copy did not arrive whole (`Mismatch`).
 *
 * @since 0.1.0
 */
export class MaintenanceError extends Schema.TaggedError<MaintenanceError>()("MaintenanceError", {
  reason: Schema.Literal("Exists", "NotEmpty", "Mismatch"),
  message: Schema.String
}) {}

/**
 * One thing `check` found wrong: which check, where (table and row key, column when a row does
 * not decode), and why.
 *
 * @since 0.1.0
 */
export interface Problem {
  readonly kind: "integrity" | "foreign_key" | "decode" | "migration"
  readonly table: string
  readonly id: string
  readonly column: string
  readonly why: string
}

/** @since 0.1.0 */
export interface CheckReport {
  readonly healthy: boolean
  /** The problems found, at most `problemLimit` of them; `problemCount` counts all. */
  readonly problems: ReadonlyArray<Problem>
  readonly problemCount: number
  /** What was not checked, and why. */
  readonly notes: ReadonlyArray<string>
  readonly migration: { readonly applied: number; readonly latest: number }
  /** The rows read, by table. */
  readonly rows: Readonly<Record<Table, number>>
}

/** Reports how far an operation is: `done` of `total` steps. */
export type Progress = (done: number, total: number) => Effect.Effect<void>

const noProgress: Progress = () => Effect.void

/** @since 0.1.0 */
export interface CopyReport {
  readonly rows: Readonly<Record<Table, number>>
  /** Per table, the SHA-256 of its rows encoded by the row schemas, equal on both sides. */
  readonly checksums: Readonly<Record<Table, string>>
}

/** @since 0.1.0 */
export interface MaintenanceShape {
  /** Reads everything, changes nothing; problems are in the report, not failures. */
  readonly check: (progress?: Progress) => Effect.Effect<CheckReport, DbError>
  /** A consistent copy of this database into `file`, mode 0600, while others keep writing: a SQLite file, or PostgreSQL's export. */
  readonly backup: (
    file: string,
    options?: { readonly force?: boolean | undefined }
  ) => Effect.Effect<{ readonly file: string; readonly bytes: number }, DbError | MaintenanceError>
  /** `VACUUM`, and the bytes the database took before and after. */
  readonly vacuum: Effect.Effect<{ readonly bytesBefore: number; readonly bytesAfter: number }, DbError>
  /** Copies the backup at `file` (a SQLite file, or an export) into this database, which must be empty. */
  readonly restore: (file: string, progress?: Progress) => Effect.Effect<CopyReport, DbError | MaintenanceError>
  /**
   * Every row as JSON Lines through `write`: a header line (`format`, `version`, `migration`),
   * then `{"table": …, "row": …}` a line, the row under the `--json` field names.
   */
  readonly exportLines: (
    write: (text: string) => Effect.Effect<void, DbError>,
    progress?: Progress
  ) => Effect.Effect<Readonly<Record<Table, number>>, DbError>
  /** Reads an export into this database, which must be empty: every line validated, all or nothing (progress in bytes). */
  readonly importFile: (file: string, progress?: Progress) => Effect.Effect<Readonly<Record<Table, number>>, DbError | MaintenanceError>
  /** Internals of `copy`: the database's dialect operations and its client. */
  readonly housekeeping: Housekeeping.Housekeeping
  readonly sql: SqlClient.SqlClient
}

/** @since 0.1.0 */
export class Maintenance extends Context.Tag("ennio-db/Maintenance")<Maintenance, MaintenanceShape>() {}

interface TableSpec {
  readonly codec: RowCodec.RowCodec<any, any>
  /** The JSON text columns: PostgreSQL's jsonb keeps their value, not their keys' order or spacing. */
  readonly json: ReadonlyArray<string>
  /** Those of them where SQL NULL is absence, as `--json` prints it: `null`. */
  readonly nullable: ReadonlyArray<string>
}

const specs: Readonly<Record<Table, TableSpec>> = {
  projects: { codec: ProjectCodec, json: [], nullable: [] },
  sessions: {
    codec: SessionCodec,
    json: ["runtime_handle", "agent_info", "metadata"],
    nullable: ["runtime_handle", "agent_info"]
  },
  events: { codec: EventCodec, json: ["data"], nullable: [] },
  session_metrics: { codec: SessionMetricsCodec, json: [], nullable: [] }
}

/** JSON with every object's keys sorted: equal for equal JSON values. */
const sortedJson = (value: unknown): string =>
  Array.isArray(value)
    ? `[${value.map(sortedJson).join(",")}]`
    : typeof value === "object" && value !== null
    ? `{${
      Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${sortedJson((value as Record<string, unknown>)[key])}`)
        .join(",")
    }}`
    : JSON.stringify(value)

/** A canonical row's line in its table's checksum. */
const checksumLine = (table: Table, row: TableRow): string => {
  const values = { ...row } as Record<string, unknown>
  for (const column of specs[table].json) {
    const text = values[column]
    if (typeof text === "string") values[column] = sortedJson(JSON.parse(text))
  }
  return `${JSON.stringify(Object.values(values))}\n`
}

// Rows read per statement: memory stays bounded whatever the table's size.
const pageSize = 1000
// At most this many problems are kept for the report; the count goes on.
const problemLimit = 1000

const emptyCounts = (): Record<Table, number> => ({ projects: 0, sessions: 0, events: 0, session_metrics: 0 })

/** Every page of `table`, in order: the order key first, then the codec's columns. */
const eachPage = (
  housekeeping: Housekeeping.Housekeeping,
  table: Table,
  body: (rows: ReadonlyArray<ReadonlyArray<unknown>>) => Effect.Effect<void, DbError | MaintenanceError>,
  read: <A, E>(effect: Effect.Effect<A, E>) => Effect.Effect<A, E> = (effect) => effect
): Effect.Effect<void, DbError | MaintenanceError> =>
  Effect.iterate(Option.none<string | number>() as Option.Option<string | number> | undefined, {
    while: (after) => after !== undefined,
    body: (after) =>
      Effect.flatMap(read(housekeeping.page(table, after!, pageSize)), (rows) =>
        Effect.as(
          body(rows),
          rows.length < pageSize ? undefined : Option.some(rows[rows.length - 1]![0] as string | number)
        ))
  }).pipe(Effect.asVoid)

const decodeProblem = (table: Table, values: ReadonlyArray<unknown>, error: Parameters<typeof firstIssue>[0]): Problem => {
  const { message, path } = firstIssue(error)
  return { kind: "decode", table, id: String(values[0]), column: columnName(path), why: message }
}

/** A row decoded and encoded again by its schema, in the codec's column order: the same on every backend. */
const canonicalRow = (table: Table, values: ReadonlyArray<unknown>): Either.Either<TableRow, DbError> => {
  const { codec } = specs[table]
  return Either.flatMap(
    Either.flatMap(codec.decodeValues(values), (value) => codec.encode(value)).pipe(
      Either.mapLeft((error) => {
        const problem = decodeProblem(table, values, error)
        return new DbError({
          reason: "Decode",
          message: `Cannot decode ${table} row ${JSON.stringify(problem.id)}, column ${problem.column}: ${problem.why}`,
          cause: error
        })
      })
    ),
    (encoded: Record<string, unknown>) =>
      Either.right(Object.fromEntries(codec.columns.map((column) => [column, encoded[column]])) as TableRow)
  )
}

/** A filesystem failure as the error model's reason: a full disk is `DiskFull`. */
const fileError = (what: string) => (cause: unknown): DbError => {
  const code = String((cause as { code?: unknown } | undefined)?.code ?? "")
  const reason = code === "ENOSPC" || code === "EDQUOT"
    ? "DiskFull"
    : code === "EACCES" || code === "EPERM" || code === "EROFS"
    ? "ReadOnly"
    : "IoError"
  const detail = (cause as { message?: unknown } | undefined)?.message
  return new DbError({ reason, message: `${what}: ${typeof detail === "string" ? detail : String(cause)}`, cause })
}

const fileSync = <A>(what: string, f: () => A): Effect.Effect<A, DbError> => Effect.try({ try: f, catch: fileError(what) })

const fsyncPath = (file: string, flags: string) => {
  const fd = fs.openSync(file, flags)
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

// Reads of one database inside the other's transaction must not run on that transaction's connection.
const outsideTransaction = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.mapInputContext(effect, (context: Context.Context<R>) => Context.omit(SqlClient.TransactionConnection)(context) as Context.Context<R>)

/**
 * Runs `use` on `self` as it was at one instant while others keep writing: on PostgreSQL in one
 * REPEATABLE READ, READ ONLY transaction; on SQLite in one read transaction of a second,
 * read-only connection to the file (writers go on; the WAL keeps what the reader sees).
 */
const atOneInstant = <A, E>(
  self: MaintenanceShape,
  use: (source: MaintenanceShape) => Effect.Effect<A, E>
): Effect.Effect<A, E | DbError> =>
  self.housekeeping.dialect === "postgres"
    ? self.housekeeping.readSnapshot((reads) => use({ ...self, housekeeping: reads }))
    : Effect.scoped(Effect.gen(function*() {
      const file = yield* self.housekeeping.databaseFile
      // A private in-memory database has no other writer.
      if (Option.isNone(file)) return yield* use(self)
      const reader = yield* opened(`sqlite:${file.value}`, { readOnly: true })
      return yield* reader.housekeeping.readSnapshot((reads) => use({ ...reader, housekeeping: reads }))
    }))

/**
 * Copies every row of `source` into `target`, which must be empty, in one transaction of the
 * target: interrupted (even by SIGKILL), the target is left empty. Then reads the target back
 * and compares counts and checksums with what was read from the source.
 */
const copyBetween = (
  source: MaintenanceShape,
  target: MaintenanceShape,
  progress: Progress
): Effect.Effect<CopyReport, DbError | MaintenanceError> =>
  Effect.gen(function*() {
    const counts = emptyCounts()
    for (const table of Housekeeping.tablesInOrder) {
      const held = yield* target.housekeeping.count(table)
      if (held > 0) {
        return yield* new MaintenanceError({
          reason: "NotEmpty",
          message: `The target database is not empty (${table} holds ${held} rows): copy and restore write only into an empty database`
        })
      }
      counts[table] = yield* outsideTransaction(source.housekeeping.count(table))
    }
    const total = Housekeeping.tablesInOrder.reduce((sum, table) => sum + counts[table], 0)
    const copied = emptyCounts()
    const sourceSums: Partial<Record<Table, crypto.Hash>> = {}
    let done = 0
    yield* transaction(target.sql)(Effect.forEach(Housekeeping.tablesInOrder, (table) => {
      const hash = crypto.createHash("sha256")
      sourceSums[table] = hash
      return eachPage(source.housekeeping, table, (page) =>
        Effect.gen(function*() {
          const rows: Array<TableRow> = new Array(page.length)
          for (let i = 0; i < page.length; i++) {
            const row = yield* canonicalRow(table, page[i]!.slice(1))
            hash.update(checksumLine(table, row))
            rows[i] = row
          }
          yield* target.housekeeping.insertRows(table, rows)
          copied[table] += rows.length
          done += rows.length
          yield* progress(done, total)
        }), outsideTransaction)
    }, { discard: true }))
    const checksums = {} as Record<Table, string>
    for (const table of Housekeeping.tablesInOrder) {
      const expected = sourceSums[table]!.digest("hex")
      const found = yield* tableChecksum(target.housekeeping, table)
      if (found.rows !== copied[table] || found.checksum !== expected) {
        return yield* new MaintenanceError({
          reason: "Mismatch",
          message: `The copy of ${table} does not match: ${copied[table]} rows read, ${found.rows} in the target` +
            (found.checksum === expected ? "" : ", checksums differ")
        })
      }
      checksums[table] = expected
    }
    return { rows: copied, checksums }
  })

/**
 * The SHA-256 of a table's rows, each decoded and encoded again by its row schema, in key
 * order (insertion order for sessions and events): equal for equal content on either backend.
 *
 * @since 0.1.0
 */
export const tableChecksum = (
  housekeeping: Housekeeping.Housekeeping,
  table: Table
): Effect.Effect<{ readonly rows: number; readonly checksum: string }, DbError> => {
  const hash = crypto.createHash("sha256")
  let rows = 0
  return eachPage(housekeeping, table, (page) =>
    Effect.gen(function*() {
      for (const values of page) {
        const row = yield* canonicalRow(table, values.slice(1))
        hash.update(checksumLine(table, row))
        rows++
      }
    })).pipe(
      Effect.catchTag("MaintenanceError", (error) => Effect.die(error)),
      Effect.map(() => ({ rows, checksum: hash.digest("hex") }))
    )
}

const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const backend = yield* Backend.current
  const housekeeping = Housekeeping.make(sql, backend)

  const migrationState = Effect.gen(function*() {
    const applied = yield* Effect.mapError(
      Effect.provideService(recordedMigrations, SqlClient.SqlClient, sql),
      (error) => new DbError({ reason: "Query", message: `Cannot read the migrations table: ${error.message}`, cause: error })
    )
    const missing = missingFrom(applied)
    const problems: Array<Problem> = missing.map((id) => ({
      kind: "migration",
      table: migrationsTable,
      id: String(id),
      column: "migration_id",
      why: "this migration is not recorded as applied"
    }))
    return { applied: Math.max(0, ...applied), problems }
  })

  const check = (progress: Progress = noProgress) =>
    Effect.gen(function*() {
      const problems: Array<Problem> = []
      let problemCount = 0
      const note = (problem: Problem) => {
        problemCount++
        if (problems.length < problemLimit) problems.push(problem)
      }
      const structure = yield* housekeeping.structure
      for (const found of structure.problems) {
        note({ kind: found.check, table: found.table, id: found.id, column: "", why: found.detail })
      }
      const migration = yield* migrationState
      migration.problems.forEach(note)
      const rows = emptyCounts()
      let total = 0
      for (const table of Housekeeping.tablesInOrder) total += yield* housekeeping.count(table)
      let done = 0
      for (const table of Housekeeping.tablesInOrder) {
        const { codec } = specs[table]
        yield* eachPage(housekeeping, table, (page) => {
          for (const values of page) {
            const row = values.slice(1)
            const decoded = codec.decodeValues(row)
            if (Either.isLeft(decoded)) note(decodeProblem(table, row, decoded.left))
          }
          rows[table] += page.length
          done += page.length
          return progress(done, total)
        }).pipe(Effect.catchTag("MaintenanceError", (error) => Effect.die(error)))
      }
      return {
        healthy: problemCount === 0,
        problems,
        problemCount,
        notes: structure.notes,
        migration: { applied: migration.applied, latest: latestMigrationId },
        rows
      } satisfies CheckReport
    }).pipe(Spans.traced("Maintenance.check"))

  const backup = (file: string, options: { readonly force?: boolean | undefined } = {}) =>
    Effect.gen(function*() {
      // PostgreSQL has no file to copy: its backup is the portable export.
      const copyInto = Option.getOrElse(housekeeping.copyFileInto, () => exportInto)
      const destination = path.resolve(file)
      const force = options.force === true
      if (!force && fs.existsSync(destination)) {
        return yield* new MaintenanceError({ reason: "Exists", message: `${file} exists: add --force to replace it` })
      }
      const temporary = path.join(
        path.dirname(destination),
        `.${path.basename(destination)}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`
      )
      yield* Effect.gen(function*() {
        yield* copyInto(temporary)
        yield* fileSync(`Cannot write the backup ${file}`, () => {
          fs.chmodSync(temporary, 0o600)
          fsyncPath(temporary, "r+")
        })
        if (force) {
          yield* fileSync(`Cannot move the backup into ${file}`, () => fs.renameSync(temporary, destination))
        } else {
          // A link fails if the name appeared meanwhile, where a rename would replace it.
          yield* Effect.try({
            try: () => fs.linkSync(temporary, destination),
            catch: (cause) =>
              (cause as { code?: unknown }).code === "EEXIST"
                ? new MaintenanceError({ reason: "Exists", message: `${file} exists: add --force to replace it` })
                : fileError(`Cannot move the backup into ${file}`)(cause)
          })
          yield* fileSync(`Cannot remove ${temporary}`, () => fs.unlinkSync(temporary))
        }
        yield* fileSync(`Cannot sync the folder of ${file}`, () => fsyncPath(path.dirname(destination), "r"))
      }).pipe(Effect.onError(() => Effect.sync(() => fs.rmSync(temporary, { force: true }))))
      const bytes = yield* fileSync(`Cannot read ${file}`, () => fs.statSync(destination).size)
      return { file: destination, bytes }
    }).pipe(Spans.traced("Maintenance.backup", { "ennio.backup.file": file }))

  const vacuum = Effect.gen(function*() {
    const bytesBefore = yield* housekeeping.sizeBytes
    yield* housekeeping.vacuum
    const bytesAfter = yield* housekeeping.sizeBytes
    return { bytesBefore, bytesAfter }
  }).pipe(Spans.traced("Maintenance.vacuum"))

  // The export into a new file (mode 0600), for a backup of a database that is not a file.
  const exportInto = (file: string): Effect.Effect<void, DbError> =>
    Effect.acquireUseRelease(
      fileSync(`Cannot write ${file}`, () => fs.openSync(file, "wx", 0o600)),
      (fd) => Effect.asVoid(self.exportLines((text) => fileSync(`Cannot write ${file}`, () => void fs.writeSync(fd, text)))),
      (fd) => Effect.sync(() => fs.closeSync(fd))
    )

  const self: MaintenanceShape = {
    check,
    backup,
    vacuum,
    restore: (file, progress = noProgress) =>
      Effect.gen(function*() {
        if (!fs.existsSync(file)) {
          return yield* new DbError({ reason: "Connection", message: `Cannot restore ${file}: no such file` })
        }
        if (!(yield* fileSync(`Cannot read ${file}`, () => isSqliteFile(file)))) {
          const rows = yield* self.importFile(file, progress)
          const checksums = {} as Record<Table, string>
          for (const table of Housekeeping.tablesInOrder) checksums[table] = (yield* tableChecksum(housekeeping, table)).checksum
          return { rows, checksums }
        }
        return yield* copyBetween(yield* opened(`sqlite:${path.resolve(file)}`, { readOnly: true }), self, progress)
      }).pipe(Effect.scoped, Spans.traced("Maintenance.restore", { "ennio.restore.file": file })),
    exportLines: (write, progress = noProgress) =>
      atOneInstant(self, (source) =>
        Effect.gen(function*() {
          yield* write(`${JSON.stringify({ format: exportFormat, version: exportVersion, migration: latestMigrationId })}\n`)
          const counts = emptyCounts()
          let total = 0
          for (const table of Housekeeping.tablesInOrder) total += yield* source.housekeeping.count(table)
          let done = 0
          for (const table of Housekeeping.tablesInOrder) {
            yield* eachPage(source.housekeeping, table, (page) =>
              Effect.gen(function*() {
                let text = ""
                for (const values of page) {
                  const row = yield* canonicalRow(table, values.slice(1))
                  text += `${JSON.stringify({ table, row: exportedRow(table, row) })}\n`
                }
                yield* write(text)
                counts[table] += page.length
                done += page.length
                yield* progress(done, total)
              })).pipe(Effect.catchTag("MaintenanceError", (error) => Effect.die(error)))
          }
          return counts
        })).pipe(Spans.traced("Maintenance.export")),
    importFile: (file, progress = noProgress) =>
      Effect.gen(function*() {
        for (const table of Housekeeping.tablesInOrder) {
          const held = yield* housekeeping.count(table)
          if (held > 0) {
            return yield* new MaintenanceError({
              reason: "NotEmpty",
              message: `The database is not empty (${table} holds ${held} rows): import writes only into an empty database`
            })
          }
        }
        const counts = emptyCounts()
        const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity })
        const invalid = (line: number, why: string) =>
          new DbError({ reason: "InvalidInput", message: `${file} line ${line}: ${why}` })
        let number = 0
        let bytesRead = 0
        const size = yield* fileSync(`Cannot read ${file}`, () => fs.statSync(file).size)
        let pending: { table: Table; rows: Array<TableRow> } | undefined
        const flush = Effect.suspend(() => {
          const batch = pending
          pending = undefined
          return batch === undefined ? Effect.void : housekeeping.insertRows(batch.table, batch.rows)
        })
        yield* transaction(sql)(Effect.gen(function*() {
          yield* Stream.fromAsyncIterable(lines, (cause) => fileError(`Cannot read ${file}`)(cause)).pipe(
            Stream.runForEach((line) =>
              Effect.gen(function*() {
                number++
                bytesRead += Buffer.byteLength(line) + 1
                const parsed = yield* Effect.try({ try: () => JSON.parse(line) as unknown, catch: () => invalid(number, "not JSON") })
                if (number === 1) return yield* checkHeader(parsed, (why) => invalid(1, why))
                const { row, table } = yield* Either.mapLeft(importedRow(parsed), (why) => invalid(number, why))
                if (pending !== undefined && (pending.table !== table || pending.rows.length >= pageSize)) yield* flush
                pending ??= { table, rows: [] }
                pending.rows.push(row)
                counts[table]++
                if (number % pageSize === 0) yield* progress(Math.min(bytesRead, size), size)
              })
            )
          )
          if (number === 0) return yield* invalid(1, "empty: no header line")
          yield* flush
        }))
        return counts
      }).pipe(Spans.traced("Maintenance.import", { "ennio.import.file": file })),
    housekeeping,
    sql
  }
  return self
})

/** Whether `file` starts with SQLite's header (else it is taken for an export). */
const isSqliteFile = (file: string): boolean => {
  const fd = fs.openSync(file, "r")
  try {
    const header = Buffer.alloc(16)
    fs.readSync(fd, header, 0, 16, 0)
    return header.toString("latin1") === "SQLite format 3\0"
  } finally {
    fs.closeSync(fd)
  }
}

const exportFormat = "ennio-db export"
const exportVersion = 1

const checkHeader = (header: unknown, invalid: (why: string) => DbError): Effect.Effect<void, DbError> => {
  const { format, migration, version } = (typeof header === "object" && header !== null ? header : {}) as Record<string, unknown>
  if (format !== exportFormat || version !== exportVersion) {
    return Effect.fail(invalid(`not an ennio-db export of version ${exportVersion} (a header line {"format":"${exportFormat}","version":${exportVersion},…} first)`))
  }
  if (typeof migration !== "number" || migration > latestMigrationId) {
    return Effect.fail(invalid(`written at migration ${String(migration)}, newer than this module's ${latestMigrationId}`))
  }
  return Effect.void
}

/** A canonical row as `--json` prints it: the JSON text columns nested. */
const exportedRow = (table: Table, row: TableRow): Record<string, unknown> => {
  const out = { ...row } as Record<string, unknown>
  for (const column of specs[table].json) {
    if (typeof out[column] === "string") out[column] = JSON.parse(out[column] as string)
  }
  return out
}

/** A line of an export: its table, and its row validated by the row schema and encoded again. */
const importedRow = (line: unknown): Either.Either<{ readonly table: Table; readonly row: TableRow }, string> => {
  const { row, table } = (typeof line === "object" && line !== null ? line : {}) as Record<string, unknown>
  if (typeof table !== "string" || !Object.hasOwn(specs, table)) return Either.left("no known \"table\"")
  if (typeof row !== "object" || row === null || Array.isArray(row)) return Either.left("no \"row\" object")
  const known = table as Table
  const { codec, json, nullable } = specs[known]
  const stored: Record<string, unknown> = { ...row }
  for (const column of json) {
    const absent = stored[column] === undefined || (stored[column] === null && nullable.includes(column))
    if (!absent) stored[column] = JSON.stringify(stored[column])
  }
  const values = codec.columns.map((column) => stored[column])
  return Either.match(canonicalRow(known, values), {
    onLeft: (error) => Either.left(error.message),
    onRight: (encoded) => Either.right({ table: known, row: encoded })
  })
}

/**
 * The maintenance of the database the layer's `SqlClient` reaches.
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<Maintenance, never, SqlClient.SqlClient> = Layer.effect(Maintenance, make)

/** The maintenance of the database at `url`, opened for the scope. */
const opened = (url: string, options: { readonly readOnly?: boolean } = {}) =>
  Effect.flatMap(Layer.build(Layer.provide(layer, Database.layer({ url, readOnly: options.readOnly }))), (context) =>
    Effect.succeed(Context.get(context, Maintenance)))

/**
 * Copies every project, session, event and metrics row from the database at `from` into the
 * one at `to`, which must be empty, then verifies counts and checksums on both sides. The
 * target is written in one transaction: an interrupted copy leaves it empty.
 *
 * @since 0.1.0
 */
export const copy = (
  from: string,
  to: string,
  progress: Progress = noProgress
): Effect.Effect<CopyReport, DbError | MaintenanceError> =>
  Effect.gen(function*() {
    // The source is only read: opened read-only, it is not migrated either.
    const source = yield* opened(from, { readOnly: true })
    const target = yield* opened(to)
    return yield* atOneInstant(source, (snapshot) => copyBetween(snapshot, target, progress))
  }).pipe(
    Effect.scoped,
    Spans.traced("Maintenance.copy", { "ennio.copy.from": Database.redactUrl(from), "ennio.copy.to": Database.redactUrl(to) })
  )
