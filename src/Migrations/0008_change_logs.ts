/**
 * V8: the change logs that `EventsRepo.follow` and `SessionsRepo.changes` read, numbered in
 * commit order, filled by triggers so that every writer's rows are logged, the original
 * implementation's included.
 *
 * `event_log` has a row per inserted event; `session_log` a row per session, moved to the end
 * whenever the session is inserted or updated. A follower reads `position > cursor`.
 *
 * SQLite: `AUTOINCREMENT` positions are never reused (a rowid is, once the newest row is
 * deleted, and VACUUM renumbers the implicit rowid of `events`), and are taken under the write
 * lock, which one transaction holds from its first write to its commit: position order is
 * commit order. The triggers use plain `INSERT` and `DELETE`, which any SQLite runs.
 *
 * PostgreSQL: a sequence is taken in statement order, not commit order, so the log rows are
 * written by deferred constraint triggers, which run as the transaction commits, under a
 * transaction-scoped advisory lock held until the commit is visible: a position is taken
 * only after every transaction holding a smaller one has committed or rolled back. They also
 * `NOTIFY` the followers, which PostgreSQL delivers on commit only.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.onDialectOrElse({
    pg: () =>
      Effect.all([
        sql`CREATE TABLE IF NOT EXISTS event_log (
  position BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id TEXT COLLATE "C" NOT NULL
)`,
        sql`CREATE TABLE IF NOT EXISTS session_log (
  position BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  session_id TEXT COLLATE "C" NOT NULL
)`,
        sql`CREATE INDEX IF NOT EXISTS idx_session_log_session ON session_log(session_id)`,
        sql`INSERT INTO event_log(event_id) SELECT id FROM events ORDER BY seq`,
        sql`INSERT INTO session_log(session_id) SELECT id FROM sessions ORDER BY seq`,
        sql`CREATE OR REPLACE FUNCTION ennio_log_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('ennio-db change log ' || current_schema()));
  INSERT INTO event_log(event_id) VALUES (NEW.id);
  PERFORM pg_notify('ennio_events', '');
  RETURN NULL;
END $$`,
        sql`CREATE OR REPLACE FUNCTION ennio_log_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('ennio-db change log ' || current_schema()));
  DELETE FROM session_log WHERE session_id = NEW.id;
  INSERT INTO session_log(session_id) VALUES (NEW.id);
  PERFORM pg_notify('ennio_sessions', '');
  RETURN NULL;
END $$`,
        // The same lock first: a log row this holds must not wait on a committer that waits for the lock.
        sql`CREATE OR REPLACE FUNCTION ennio_unlog_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('ennio-db change log ' || current_schema()));
  DELETE FROM session_log WHERE session_id = OLD.id;
  RETURN NULL;
END $$`,
        sql`DROP TRIGGER IF EXISTS event_log_insert ON events`,
        sql`CREATE CONSTRAINT TRIGGER event_log_insert AFTER INSERT ON events
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ennio_log_event()`,
        sql`DROP TRIGGER IF EXISTS session_log_write ON sessions`,
        sql`CREATE CONSTRAINT TRIGGER session_log_write AFTER INSERT OR UPDATE ON sessions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ennio_log_session()`,
        sql`DROP TRIGGER IF EXISTS session_log_delete ON sessions`,
        sql`CREATE TRIGGER session_log_delete AFTER DELETE ON sessions FOR EACH ROW EXECUTE FUNCTION ennio_unlog_session()`
      ], { discard: true }),
    orElse: () =>
      Effect.all([
        sql`CREATE TABLE IF NOT EXISTS event_log (
  position INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL
)`,
        sql`CREATE TABLE IF NOT EXISTS session_log (
  position INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id TEXT NOT NULL
)`,
        sql`CREATE INDEX IF NOT EXISTS idx_session_log_session ON session_log(session_id)`,
        sql`INSERT INTO event_log(event_id) SELECT id FROM events ORDER BY rowid`,
        sql`INSERT INTO session_log(session_id) SELECT id FROM sessions ORDER BY rowid`,
        sql`CREATE TRIGGER IF NOT EXISTS event_log_insert AFTER INSERT ON events BEGIN
  INSERT INTO event_log(event_id) VALUES (new.id);
END`,
        sql`CREATE TRIGGER IF NOT EXISTS session_log_insert AFTER INSERT ON sessions BEGIN
  DELETE FROM session_log WHERE session_id = new.id;
  INSERT INTO session_log(session_id) VALUES (new.id);
END`,
        sql`CREATE TRIGGER IF NOT EXISTS session_log_update AFTER UPDATE ON sessions BEGIN
  DELETE FROM session_log WHERE session_id = old.id;
  INSERT INTO session_log(session_id) VALUES (new.id);
END`,
        sql`CREATE TRIGGER IF NOT EXISTS session_log_delete AFTER DELETE ON sessions BEGIN
  DELETE FROM session_log WHERE session_id = old.id;
END`
      ], { discard: true })
  }))
