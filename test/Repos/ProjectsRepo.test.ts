import * as SqlClient from "@effect/sql/SqlClient"
import { expect, it } from "@effect/vitest"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { ProjectsRepo } from "../../src/Repos/ProjectsRepo.js"
import { SessionsRepo } from "../../src/Repos/SessionsRepo.js"
import type { ProjectInsert } from "../../src/Schemas/Project.js"
import { type Backend, describeBackends } from "../fixtures/backends.js"

const start = Date.parse("2026-11-26T08:06:52.123Z")

const myapp: ProjectInsert = {
  id: "myapp",
  name: "My App",
  repo: "acme/myapp",
  path: "/src/myapp",
  configHash: "hash-1"
}

const iso = DateTime.formatIso

describeBackends("ProjectsRepo", (backend: Backend) => {
  const TestLayer = Layer.mergeAll(ProjectsRepo.Default, SessionsRepo.Default).pipe(
    Layer.provideMerge(backend.layer)
  )

  it.effect("insert defaults defaultBranch to main and stamps both timestamps, stored as RFC 3339 ms Z (SQLite) or timestamptz", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(start)
      const repo = yield* ProjectsRepo
      const sql = yield* SqlClient.SqlClient
      const project = yield* repo.insert(myapp)
      expect(project.defaultBranch).toBe("main")
      expect(iso(project.createdAt)).toBe("2026-11-26T08:06:52.123Z")
      expect(iso(project.updatedAt)).toBe("2026-11-26T08:06:52.123Z")
      expect(yield* repo.get("myapp")).toEqual(project)
      const [row] = yield* sql`SELECT default_branch, created_at, updated_at FROM projects`
      expect(row).toEqual({
        default_branch: "main",
        created_at: backend.storedTimestamp("2026-11-26T08:06:52.123Z"),
        updated_at: backend.storedTimestamp("2026-11-26T08:06:52.123Z")
      })
      const develop = yield* repo.insert({ ...myapp, id: "other", defaultBranch: "develop" })
      expect(develop.defaultBranch).toBe("develop")
    }).pipe(Effect.provide(TestLayer)))

  it.effect("insert of an existing id fails with AlreadyExists and keeps the first row", () =>
    Effect.gen(function*() {
      const repo = yield* ProjectsRepo
      const first = yield* repo.insert(myapp)
      const error = yield* Effect.flip(repo.insert({ ...myapp, name: "Second" }))
      expect(error).toMatchObject({ _tag: "AlreadyExists", entity: "Project", id: "myapp" })
      expect(yield* repo.get("myapp")).toEqual(first)
    }).pipe(Effect.provide(TestLayer)))

  it.effect("invalid input is refused with InvalidInput before any SQL, and nothing is written", () =>
    Effect.gen(function*() {
      const repo = yield* ProjectsRepo
      const badId = yield* Effect.flip(repo.insert({ ...myapp, id: "my app" }))
      expect(badId).toMatchObject({ _tag: "DbError", reason: "InvalidInput" })
      expect(badId.message).toContain("id")
      const badName = yield* Effect.flip(repo.insert({ ...myapp, name: 42 as unknown as string }))
      expect(badName).toMatchObject({ _tag: "DbError", reason: "InvalidInput" })
      const badUpsert = yield* Effect.flip(repo.upsert({ ...myapp, id: "../etc" }))
      expect(badUpsert).toMatchObject({ _tag: "DbError", reason: "InvalidInput" })
      expect(yield* repo.list()).toEqual([])
      for (const id of ["", "a.b", "é"]) {
        expect(yield* Effect.flip(repo.get(id))).toMatchObject({ reason: "InvalidInput" })
        expect(yield* Effect.flip(repo.delete(id))).toMatchObject({ reason: "InvalidInput" })
      }
    }).pipe(Effect.provide(TestLayer)))

  it.effect("upsert inserts a new project, then overwrites its fields, keeping createdAt and stamping updatedAt", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(start)
      const repo = yield* ProjectsRepo
      const created = yield* repo.upsert({ ...myapp, defaultBranch: "develop" })
      expect(iso(created.createdAt)).toBe("2026-11-26T08:06:52.123Z")
      expect(iso(created.updatedAt)).toBe("2026-11-26T08:06:52.123Z")
      expect(created.defaultBranch).toBe("develop")

      yield* TestClock.adjust("90 seconds")
      const updated = yield* repo.upsert({
        id: "myapp",
        name: "Renamed",
        repo: "acme/renamed",
        path: "/src/renamed",
        defaultBranch: "trunk",
        configHash: "hash-2"
      })
      expect(updated).toMatchObject({
        id: "myapp",
        name: "Renamed",
        repo: "acme/renamed",
        path: "/src/renamed",
        defaultBranch: "trunk",
        configHash: "hash-2"
      })
      expect(iso(updated.createdAt)).toBe("2026-11-26T08:06:52.123Z")
      expect(iso(updated.updatedAt)).toBe("2026-11-26T08:08:22.123Z")
      expect(yield* repo.get("myapp")).toEqual(updated)
      expect(yield* repo.list()).toHaveLength(1)
    }).pipe(Effect.provide(TestLayer)))

  it.effect("find returns none for an unknown id and get fails with NotFound", () =>
    Effect.gen(function*() {
      const repo = yield* ProjectsRepo
      expect(yield* repo.find("nope")).toEqual(Option.none())
      const error = yield* Effect.flip(repo.get("nope"))
      expect(error).toMatchObject({ _tag: "NotFound", entity: "Project", id: "nope" })
      const project = yield* repo.insert(myapp)
      expect(yield* repo.find("myapp")).toEqual(Option.some(project))
    }).pipe(Effect.provide(TestLayer)))

  it.effect("list orders by name, then by id for equal names", () =>
    Effect.gen(function*() {
      const repo = yield* ProjectsRepo
      yield* repo.insert({ ...myapp, id: "c-id", name: "Alpha" })
      yield* repo.insert({ ...myapp, id: "a-id", name: "Zeta" })
      yield* repo.insert({ ...myapp, id: "b-id", name: "Alpha" })
      yield* repo.insert({ ...myapp, id: "d-id", name: "Mid" })
      const projects = yield* repo.list()
      expect(projects.map((p) => p.id)).toEqual(["b-id", "c-id", "d-id", "a-id"])
    }).pipe(Effect.provide(TestLayer)))

  it.effect("list compares names by code point, whatever the server's locale: upper case first, accents last", () =>
    Effect.gen(function*() {
      const repo = yield* ProjectsRepo
      for (const [id, name] of [["p1", "beta"], ["p2", "Beta"], ["p3", "alpha"], ["p4", "Zulu"], ["p5", "élan"]]) {
        yield* repo.insert({ ...myapp, id: id!, name: name! })
      }
      expect((yield* repo.list()).map((p) => p.name)).toEqual(["Beta", "Zulu", "alpha", "beta", "élan"])
    }).pipe(Effect.provide(TestLayer)))

  it.effect("delete removes the project, then NotFound; an unknown id is NotFound", () =>
    Effect.gen(function*() {
      const repo = yield* ProjectsRepo
      yield* repo.insert(myapp)
      yield* repo.insert({ ...myapp, id: "other" })
      yield* repo.delete("myapp")
      expect(yield* repo.find("myapp")).toEqual(Option.none())
      expect((yield* repo.list()).map((p) => p.id)).toEqual(["other"])
      const again = yield* Effect.flip(repo.delete("myapp"))
      expect(again).toMatchObject({ _tag: "NotFound", entity: "Project", id: "myapp" })
      const unknown = yield* Effect.flip(repo.delete("never"))
      expect(unknown).toMatchObject({ _tag: "NotFound", entity: "Project", id: "never" })
    }).pipe(Effect.provide(TestLayer)))

  it.effect("deleting a project leaves its sessions", () =>
    Effect.gen(function*() {
      const repo = yield* ProjectsRepo
      const sessions = yield* SessionsRepo
      yield* repo.insert(myapp)
      yield* sessions.insert({ id: "myapp-1", projectId: "myapp", configHash: "hash-1" })
      yield* sessions.insert({ id: "myapp-2", projectId: "myapp", configHash: "hash-1" })
      yield* repo.delete("myapp")
      const left = yield* sessions.list({ projectId: "myapp" })
      expect(left.map((s) => s.id).sort()).toEqual(["myapp-1", "myapp-2"])
    }).pipe(Effect.provide(TestLayer)))
})
