import { expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { Database, EventsRepo, MetricsRepo, ProjectsRepo, Repos, SessionsRepo } from "../../src/index.js"
import { type Backend, describeBackends } from "../fixtures/backends.js"

const spawn = (id: string, fail: boolean) =>
  Effect.gen(function*() {
    const sessions = yield* SessionsRepo
    const events = yield* EventsRepo
    const metrics = yield* MetricsRepo
    yield* sessions.insert({ id, projectId: "app", configHash: "cfg" })
    yield* events.insert({ eventType: "session_spawned", sessionId: id, projectId: "app", message: "spawned" })
    yield* metrics.insert({ sessionId: id, totalTokensIn: 10 })
    if (fail) return yield* Effect.fail("agent crashed" as const)
  })

describeBackends("Repos", (backend: Backend) => {
  it.layer(Layer.fresh(Layer.provideMerge(Repos.layer, backend.layer)))((it) => {
    it.effect("a session, its event and its metrics commit together or not at all", () =>
      Effect.gen(function*() {
        const sessions = yield* SessionsRepo
        const events = yield* EventsRepo
        const metrics = yield* MetricsRepo
        yield* Database.transaction(spawn("kept", false))
        expect(yield* Effect.flip(Database.transaction(spawn("lost", true)))).toBe("agent crashed")
        expect(yield* Effect.exit(Database.transaction(Effect.zipRight(spawn("died", false), Effect.die("bug")))))
          .toMatchObject({ _tag: "Failure" })
        expect((yield* sessions.list()).map((s) => s.id)).toEqual(["kept"])
        expect(yield* events.listBySession("lost")).toEqual([])
        expect(yield* metrics.find("lost")).toEqual(Option.none())
        expect(yield* metrics.find("died")).toEqual(Option.none())
        expect(yield* events.listBySession("kept")).toHaveLength(1)
      }))

    it.effect("deleting a session removes its events and metrics; its project stays", () =>
      Effect.gen(function*() {
        const sessions = yield* SessionsRepo
        const events = yield* EventsRepo
        const metrics = yield* MetricsRepo
        const projects = yield* ProjectsRepo
        yield* projects.insert({ id: "app", name: "App", repo: "org/app", path: "/src/app", configHash: "cfg" })
        yield* spawn("gone", false)
        yield* metrics.record("gone", { tokensOut: 5 })
        yield* sessions.delete("gone")
        expect(yield* events.listBySession("gone")).toEqual([])
        expect(yield* metrics.find("gone")).toEqual(Option.none())
        expect((yield* projects.get("app")).name).toBe("App")
      }))
  })
})
