import { Effect } from "effect"
import { Database, EventsRepo, MetricsRepo, Repos, SessionsRepo } from "ennio-db"

// Spawn a session, record its first event and its spend in one transaction, then read them back.
export const program = Effect.gen(function*() {
  const sessions = yield* SessionsRepo
  const events = yield* EventsRepo
  const metrics = yield* MetricsRepo

  yield* Database.transaction(Effect.gen(function*() {
    yield* sessions.insert({ id: "myapp-abc123", projectId: "myapp", configHash: "cfg-1", branch: "feat/login" })
    yield* events.insert({
      eventType: "session_spawned",
      sessionId: "myapp-abc123",
      projectId: "myapp",
      message: "Agent spawned in a fresh workspace"
    })
    yield* metrics.record("myapp-abc123", { tokensIn: 1200, tokensOut: 340, costUsd: 0.0125 })
  }))

  const session = yield* sessions.updateStatus("myapp-abc123", "working")
  const latest = yield* events.listBySession(session.id, { limit: 10 })
  const spent = yield* metrics.get(session.id)
  return { status: session.status, events: latest.length, tokensIn: spent.totalTokensIn }
}).pipe(
  Effect.catchTags({
    NotFound: (e) => Effect.die(`unexpected: ${e.message}`),
    AlreadyExists: (e) => Effect.die(`unexpected: ${e.message}`)
  })
)

// Repos.layerMemory for tests; Repos.layerConfig reads DATABASE_URL (default sqlite:ennio.db).
export const main = program.pipe(Effect.provide(Repos.layerMemory))
