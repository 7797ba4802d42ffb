/**
 * The connection settings of the raw and Drizzle sides: those ennio-db sets on its own
 * (WAL, synchronous NORMAL, foreign keys on); FULL for the `synchronous: "full"` column.
 */
import Sqlite from "better-sqlite3"

export type SqliteSynchronous = "NORMAL" | "FULL"

export const openConnection = (file: string, synchronous: SqliteSynchronous = "NORMAL"): Sqlite.Database => {
  const db = new Sqlite(file, { fileMustExist: true })
  db.pragma("journal_mode = WAL")
  db.pragma(synchronous === "FULL" ? "synchronous = FULL" : "synchronous = NORMAL")
  db.pragma("foreign_keys = ON")
  return db
}
