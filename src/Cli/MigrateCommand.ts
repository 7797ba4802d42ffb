/**
 * `ennio-db migrate`: brings the database up to date and says what that took. The
 * database layer migrates as it opens; what was new is told by the migrations the
 * tracking table recorded before it did.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import Sqlite from "better-sqlite3"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Database from "../Database.js"
import { migrations, migrationsTable } from "../Migrations/index.js"
import { ennioDb, withDatabase } from "./GlobalOptions.js"
import * as JsonOutput from "./JsonOutput.js"

/**
 * The ids of the migrations the SQLite database at `url` records, read without writing
 * anything; `undefined` where that cannot be read beforehand (PostgreSQL).
 */
const recordedMigrationIds = (url: string): ReadonlySet<number> | undefined => {
  const target = Database.parseUrl(url)
  if (Either.isLeft(target) || target.right._tag === "SqliteMemory") return new Set()
  if (target.right._tag !== "SqliteFile") return undefined
  try {
    const db = new Sqlite(target.right.filename, { readonly: true, fileMustExist: true })
    try {
      return new Set(db.prepare(`SELECT migration_id FROM ${migrationsTable}`).pluck().all() as Array<number>)
    } finally {
      db.close()
    }
  } catch {
    // No file, no tracking table yet, or not a database: nothing is recorded, and the layer says why if it cannot open.
    return new Set()
  }
}

const known = Object.keys(migrations).map((key) => {
  const separator = key.indexOf("_")
  return { migration_id: Number(key.slice(0, separator)), name: key.slice(separator + 1) }
})

/** @since 0.1.0 */
export const migrate = Command.make("migrate", {}, () =>
  Effect.gen(function*() {
    const { databaseUrl, json } = yield* ennioDb
    const shownUrl = Database.redactUrl(databaseUrl)
    const recorded = recordedMigrationIds(databaseUrl)
    yield* withDatabase("migrate")(Effect.void)
    const latest = known[known.length - 1]!
    const latestName = `${latest.migration_id}_${latest.name}`
    if (recorded === undefined) {
      if (json) return yield* JsonOutput.print({ applied: null, latest: latest.migration_id })
      return yield* Console.log(`${shownUrl} is migrated to ${latestName}.`)
    }
    const applied = known.filter(({ migration_id }) => !recorded.has(migration_id))
    if (json) return yield* JsonOutput.print({ applied, latest: latest.migration_id })
    yield* Console.log(
      applied.length === 0
        ? `${shownUrl} is up to date (latest migration ${latestName}).`
        : [
          `Applied ${applied.length} migration${applied.length === 1 ? "" : "s"} to ${shownUrl}:`,
          ...applied.map(({ migration_id, name }) => `  ${migration_id}_${name}`)
        ].join("\n")
    )
  })).pipe(Command.withDescription("Apply the migrations the database lacks, and list them"))
