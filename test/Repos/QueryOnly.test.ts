/**
 * Repositories run statements through the query module (src/Repos/Query.ts), which maps every
 * driver failure into the error model and takes the backend's fast path. A statement is an
 * Effect, so `yield* sql\`…\``, `sql\`…\`.pipe(…)` or `Effect.flatMap(sql\`…\`, …)` would
 * type-check and silently run the slow path with a raw `SqlError`: this scan refuses them.
 */
import { describe, expect, it } from "@effect/vitest"
import * as path from "node:path"
import ts from "typescript"

const root = path.resolve(import.meta.dirname, "../..")
const repos = path.join(root, "src", "Repos")

interface Misuse {
  readonly file: string
  readonly line: number
  readonly text: string
}

/** Every place in `files` where a value of @effect/sql's `Statement` type is run other than through Query. */
const misuses = (program: ts.Program, files: ReadonlyArray<string>): Array<Misuse> => {
  const checker = program.getTypeChecker()
  const isStatement = (node: ts.Node) => {
    const type = checker.getTypeAtLocation(node)
    const symbol = type.getSymbol() ?? type.aliasSymbol
    return symbol?.getName() === "Statement" &&
      (symbol.declarations ?? []).some((d) => d.getSourceFile().fileName.includes("@effect/sql"))
  }
  const found: Array<Misuse> = []
  for (const file of files) {
    const source = program.getSourceFile(file)!
    const report = (node: ts.Node) =>
      found.push({
        file: path.relative(root, file),
        line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1,
        text: node.getText(source).slice(0, 60)
      })
    const visit = (node: ts.Node) => {
      // Run: yielded, piped, or handed to an Effect combinator.
      if (ts.isYieldExpression(node) && node.asteriskToken !== undefined && node.expression && isStatement(node.expression)) {
        report(node)
      }
      if (ts.isPropertyAccessExpression(node) && isStatement(node.expression) && node.name.text !== "compile") report(node)
      if (
        ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) &&
        ts.isIdentifier(node.expression.expression) && node.expression.expression.text === "Effect" &&
        node.arguments.some(isStatement)
      ) report(node)
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
  return found
}

const program = (files: ReadonlyArray<string>, virtual: Record<string, string> = {}) => {
  const config = ts.readConfigFile(path.join(root, "tsconfig.json"), ts.sys.readFile)
  const options = { ...ts.parseJsonConfigFileContent(config.config, ts.sys, root).options, noEmit: true }
  const host = ts.createCompilerHost(options)
  const getSourceFile = host.getSourceFile.bind(host)
  host.getSourceFile = (name, language, onError, create) =>
    virtual[path.resolve(name)] !== undefined
      ? ts.createSourceFile(name, virtual[path.resolve(name)]!, language, true)
      : getSourceFile(name, language, onError, create)
  host.fileExists = ((exists) => (name: string) => virtual[path.resolve(name)] !== undefined || exists(name))(
    host.fileExists.bind(host)
  )
  return ts.createProgram([...files, ...Object.keys(virtual)], options, host)
}

describe("repositories run statements only through Query", () => {
  it("no repository yields, pipes or combines a statement itself", () => {
    const files = ts.sys.readDirectory(repos, [".ts"]).filter((file) => !file.endsWith("Query.ts"))
    expect(files.length).toBeGreaterThan(5)
    expect(misuses(program(files), files)).toEqual([])
  })

  it("the scan finds the three ways a statement slips past Query", () => {
    const planted = path.join(repos, "Planted.ts")
    const text = `import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
export const planted = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql\`SELECT 1\`
  yield* sql\`SELECT 2\`.pipe(Effect.orDie)
  yield* Effect.flatMap(sql\`SELECT 3\`, () => Effect.void)
})
`
    const found = misuses(program([planted], { [planted]: text }), [planted])
    expect(found.map((misuse) => misuse.line)).toEqual([5, 6, 7])
  })
})
