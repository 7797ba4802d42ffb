/**
 * The connection settings of the raw and Drizzle sides: those ennio-db sets on its own
 * (WAL, synchronous NORMAL, foreign keys on).
 */
import Sqlite from "better-sqlite3"

export const openConnection = (file: string): Sqlite.Database => {
  const db = new Sqlite(file, { fileMustExist: true })
  db.pragma("journal_mode = WAL")
  db.pragma("synchronous = NORMAL")
  db.pragma("foreign_keys = ON")
  return db
}
