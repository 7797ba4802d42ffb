/**
 * PostgreSQL sessions that cannot write: the URL asks the server to start every transaction
 * READ ONLY, so a write fails with SQLSTATE 25006 (`DbError` reason `ReadOnly`).
 *
 * @since 0.1.0
 */

/**
 * `url` with `-c default_transaction_read_only=on` added to its startup `options`, after any
 * it gives. A pooler that refuses startup options (PgBouncer) refuses such a URL.
 *
 * @since 0.1.0
 */
export const readOnlyUrl = (url: string): string => {
  const parsed = new URL(url)
  const given = parsed.searchParams.get("options")
  parsed.searchParams.set("options", `${given === null ? "" : `${given} `}-c default_transaction_read_only=on`)
  return parsed.toString()
}
