/**
 * The operator's commands: `backup FILE [--force]`, `restore FILE`, `check`, `vacuum` and
 * `copy --from URL --to URL`, each over the Maintenance service.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as Database from "../Database.js"
import * as Maintenance from "../Maintenance.js"
import { DbError } from "../Schemas/Errors.js"
import * as Format from "./Format.js"
import { ennioDb, withDatabase } from "./GlobalOptions.js"
import * as JsonOutput from "./JsonOutput.js"
import * as ProgressBar from "./ProgressBar.js"

/** Runs `work` on the Maintenance of the database of `--database-url`. */
const withMaintenance = (command: string, options: { readonly readOnly?: boolean } = {}) =>
<A, E>(work: (maintenance: Maintenance.MaintenanceShape) => Effect.Effect<A, E>) =>
  withDatabase(command, options)(Effect.provide(Effect.flatMap(Maintenance.Maintenance, work), Maintenance.layer))

/** A progress bar drawn on a terminal only, made when the total is first known. */
const progressOn = (unit: string) => {
  let bar: ProgressBar.ProgressBar | undefined
  const progress: Maintenance.Progress = (done, total) =>
    Effect.suspend(() => {
      bar ??= ProgressBar.make(total, unit)
      return bar.advance(done)
    })
  return { progress, finish: Effect.suspend(() => bar?.finish ?? Effect.void) }
}

const bytes = (n: number) => `${Format.count(n)} bytes`

/** @since 0.1.0 */
export const backup = Command.make("backup", {
  file: Args.text({ name: "FILE" }).pipe(Args.withDescription("The backup file to write (a SQLite database, or PostgreSQL's export)")),
  force: Options.boolean("force").pipe(Options.withDescription("Replace FILE if it exists"))
}, ({ file, force }) =>
  Effect.gen(function*() {
    const { json } = yield* ennioDb
    const done = yield* withMaintenance("backup", { readOnly: true })((maintenance) => maintenance.backup(file, { force }))
    if (json) return yield* JsonOutput.print({ file: done.file, bytes: done.bytes })
    yield* Console.log(`Backed up to ${done.file} (${bytes(done.bytes)}).`)
  })).pipe(Command.withDescription("Write a consistent copy of the database while others write (PostgreSQL: its export)"))

const rowCounts = (rows: Readonly<Record<string, number>>) =>
  Object.entries(rows).map(([table, n]) => `${Format.count(n)} ${table}`).join(", ")

/** @since 0.1.0 */
export const restore = Command.make("restore", {
  file: Args.text({ name: "FILE" }).pipe(Args.withDescription("A backup file written by backup, or an export"))
}, ({ file }) =>
  Effect.gen(function*() {
    const { json } = yield* ennioDb
    const { finish, progress } = progressOn("rows")
    const report = yield* withMaintenance("restore")((maintenance) => maintenance.restore(file, progress)).pipe(
      Effect.ensuring(finish)
    )
    if (json) return yield* JsonOutput.print({ restored: report.rows, checksums: report.checksums })
    yield* Console.log(`Restored ${rowCounts(report.rows)} from ${file}; counts and checksums verified.`)
  })).pipe(Command.withDescription("Copy a backup into an empty database"))

/** @since 0.1.0 */
export const check = Command.make("check", {}, () =>
  Effect.gen(function*() {
    const { json } = yield* ennioDb
    const { finish, progress } = progressOn("rows")
    const report = yield* withMaintenance("check", { readOnly: true })((maintenance) => maintenance.check(progress)).pipe(
      Effect.ensuring(finish)
    )
    if (json) {
      yield* JsonOutput.print({
        healthy: report.healthy,
        problem_count: report.problemCount,
        problems: report.problems,
        notes: report.notes,
        migration: report.migration,
        rows: report.rows
      })
    } else {
      for (const problem of report.problems) {
        yield* Console.log(
          [problem.kind, problem.table, problem.id, problem.column, problem.why].filter((part) => part !== "").join("  ")
        )
      }
      for (const note of report.notes) yield* Console.log(`note: ${note}`)
      yield* Console.log(
        `${report.healthy ? "Healthy" : `${Format.count(report.problemCount)} problems`}: ` +
          `${rowCounts(report.rows)} read; migrations ${report.migration.applied} of ${report.migration.latest}.`
      )
    }
    if (!report.healthy) {
      return yield* new DbError({ reason: "Corrupt", message: `check found ${Format.count(report.problemCount)} problems` })
    }
  })).pipe(Command.withDescription("Check the database: structure, migrations, and every row"))

/** Runs `vacuum` and tells what it gave back. */
export const vacuumReport = Effect.gen(function*() {
  const { json } = yield* ennioDb
  const result = yield* withMaintenance("vacuum")((maintenance) => maintenance.vacuum)
  if (json) return { bytes_before: result.bytesBefore, bytes_after: result.bytesAfter }
  yield* Console.log(`Vacuumed: ${bytes(result.bytesBefore)} before, ${bytes(result.bytesAfter)} after.`)
  return undefined
})

/** @since 0.1.0 */
export const vacuum = Command.make("vacuum", {}, () =>
  Effect.flatMap(vacuumReport, (json) => json === undefined ? Effect.void : JsonOutput.print(json))).pipe(
    Command.withDescription("Give the space of deleted rows back (VACUUM)")
  )

/** @since 0.1.0 */
export const copy = Command.make("copy", {
  from: Options.text("from").pipe(
    Options.withPseudoName("URL"),
    Options.withDescription("The database to copy (default: --database-url's)"),
    Options.optional
  ),
  to: Options.text("to").pipe(Options.withPseudoName("URL"), Options.withDescription("The empty database to copy into"))
}, ({ from, to }) =>
  Effect.gen(function*() {
    const { databaseUrl, json } = yield* ennioDb
    const source = Option.getOrElse(from, () => databaseUrl)
    const { finish, progress } = progressOn("rows")
    const report = yield* Maintenance.copy(source, to, progress).pipe(
      Effect.ensuring(finish),
      Effect.withSpan("ennio-db copy")
    )
    if (json) return yield* JsonOutput.print({ copied: report.rows, checksums: report.checksums })
    yield* Console.log(
      `Copied ${rowCounts(report.rows)} from ${Database.redactUrl(source)} to ${Database.redactUrl(to)}; ` +
        "counts and checksums verified."
    )
  })).pipe(Command.withDescription("Copy every row into an empty database (SQLite and PostgreSQL)"))

/** Writes to stdout, waiting while the pipe is full. */
const toStdout = (text: string): Effect.Effect<void, DbError> =>
  Effect.async<void, DbError>((resume) => {
    process.stdout.write(text, (error) =>
      resume(
        error === undefined || error === null
          ? Effect.void
          : Effect.fail(new DbError({ reason: "IoError", message: `Cannot write the export: ${error.message}` }))
      ))
  })

const writeError = (file: string) => (cause: unknown) =>
  new DbError({
    reason: (cause as { code?: unknown }).code === "ENOSPC" ? "DiskFull" : "IoError",
    message: `Cannot write ${file}: ${(cause as Error).message}`,
    cause
  })

/** @since 0.1.0 */
export const exportCommand = Command.make("export", {
  out: Options.file("out").pipe(
    Options.withDescription("Write to this file (mode 0600) instead of stdout"),
    Options.optional
  )
}, ({ out }) =>
  Effect.gen(function*() {
    const { json } = yield* ennioDb
    if (Option.isNone(out)) {
      yield* withMaintenance("export", { readOnly: true })((maintenance) => maintenance.exportLines(toStdout))
      return
    }
    const file = out.value
    const temporary = `${file}.${process.pid}.tmp`
    const fd = yield* Effect.try({ try: () => fs.openSync(temporary, "wx", 0o600), catch: writeError(file) })
    const { finish, progress } = progressOn("rows")
    const counts = yield* withMaintenance("export", { readOnly: true })((maintenance) =>
      maintenance.exportLines((text) => Effect.try({ try: () => void fs.writeSync(fd, text), catch: writeError(file) }), progress)
    ).pipe(
      Effect.zipLeft(Effect.try({
        try: () => {
          fs.fsyncSync(fd)
          fs.renameSync(temporary, file)
        },
        catch: writeError(file)
      })),
      Effect.ensuring(Effect.sync(() => fs.closeSync(fd))),
      Effect.onError(() => Effect.sync(() => fs.rmSync(temporary, { force: true }))),
      Effect.ensuring(finish)
    )
    if (json) return yield* JsonOutput.print({ file, exported: counts })
    yield* Console.log(`Exported ${rowCounts(counts)} to ${file}.`)
  })).pipe(Command.withDescription("Write every row as JSON Lines"))

/** @since 0.1.0 */
export const importCommand = Command.make("import", {
  file: Args.file({ name: "FILE", exists: "yes" }).pipe(Args.withDescription("An export written by export"))
}, ({ file }) =>
  Effect.gen(function*() {
    const { json } = yield* ennioDb
    const { finish, progress } = progressOn("bytes")
    const counts = yield* withMaintenance("import")((maintenance) => maintenance.importFile(file, progress)).pipe(
      Effect.ensuring(finish)
    )
    if (json) return yield* JsonOutput.print({ imported: counts })
    yield* Console.log(`Imported ${rowCounts(counts)} from ${file}.`)
  })).pipe(Command.withDescription("Read an export into an empty database, all or nothing"))
