import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import { main } from "../examples/quickstart.js"

const readme = fs.readFileSync(new URL("../README.md", import.meta.url), "utf8")

describe("README", () => {
  it("shows examples/quickstart.ts verbatim, so its usage example compiles", () => {
    const example = fs.readFileSync(new URL("../examples/quickstart.ts", import.meta.url), "utf8")
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1]
    expect(block).toBe(example)
  })

  it("shows examples/tracing.ts verbatim, so its exporter example compiles", () => {
    const example = fs.readFileSync(new URL("../examples/tracing.ts", import.meta.url), "utf8")
    const block = /```typescript\n([\s\S]*?)```/.exec(readme)?.[1]
    expect(block).toBe(example)
  })

  it.effect("its usage example runs and reads back what it wrote", () =>
    Effect.gen(function*() {
      expect(yield* main).toEqual({ status: "working", events: 1, tokensIn: 1200 })
    }))
})
