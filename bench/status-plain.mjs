// W9's baseline: the figures `ennio-db status` shows (sessions by project and status, active
// and needing attention, tokens and cost, the latest urgent events), read with better-sqlite3 alone.
//   node bench/status-plain.mjs <database file>
import Database from "better-sqlite3"

const file = process.argv[2]
if (file === undefined) throw new Error("usage: node bench/status-plain.mjs <database file>")
const terminal = new Set(["merged", "done", "exited", "killed"])
const attentionStatuses = new Set(["ci_failed", "ci_fix_failed", "changes_requested", "merge_conflicts"])

const db = new Database(file, { fileMustExist: true })
db.pragma("journal_mode = WAL")
db.pragma("foreign_keys = ON")
const projects = db.prepare("SELECT project_id, name FROM projects ORDER BY project_id").all()
const byStatus = db.prepare(
  "SELECT project_id, status, count(*) AS n FROM sessions GROUP BY project_id, status ORDER BY project_id, status"
).all()
const attention = db.prepare(
  `SELECT id, status, pr_number, last_activity_at FROM sessions
   WHERE status IN ('ci_failed', 'ci_fix_failed', 'changes_requested', 'merge_conflicts')
   ORDER BY last_activity_at DESC`
).all()
const costs = db.prepare(
  `SELECT s.project_id, sum(m.total_tokens_in + m.total_tokens_out) AS tokens, sum(m.estimated_cost_usd) AS cost
   FROM session_metrics m JOIN sessions s ON s.id = m.session_id GROUP BY s.project_id`
).all()
const urgent = db.prepare(
  `SELECT timestamp, priority, session_id, message FROM events WHERE priority IN ('urgent', 'critical')
   ORDER BY timestamp DESC, rowid DESC LIMIT 8`
).all()
db.close()

const names = new Map(projects.map((p) => [p.project_id, p.name]))
const perProject = new Map()
for (const { n, project_id, status } of byStatus) {
  const entry = perProject.get(project_id) ?? { sessions: 0, active: 0, attention: 0 }
  entry.sessions += n
  if (!terminal.has(status)) entry.active += n
  if (attentionStatuses.has(status)) entry.attention += n
  perProject.set(project_id, entry)
}
const spent = new Map(costs.map((c) => [c.project_id, c]))
let tokens = 0
let cost = 0
for (const [id, entry] of perProject) {
  const c = spent.get(id) ?? { tokens: 0, cost: 0 }
  tokens += c.tokens
  cost += c.cost
  console.log(`${id}  ${names.get(id) ?? ""}  ${entry.sessions} ${entry.active} ${entry.attention}  ${c.tokens}  $${c.cost.toFixed(2)}`)
}
console.log(`TOTAL  ${tokens} tokens  $${cost.toFixed(2)}`)
for (const { n, project_id, status } of byStatus) console.log(`${status}  ${project_id}  ${n}`)
console.log(`NEEDS ATTENTION (${attention.length})`)
for (const s of attention) console.log(`${s.id}  ${s.status}  #${s.pr_number}  ${s.last_activity_at}`)
for (const e of urgent) console.log(`${e.timestamp}  ${e.priority}  ${e.session_id}  ${e.message}`)
