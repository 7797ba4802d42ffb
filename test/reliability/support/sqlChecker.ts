/**
 * A checker for SQL built from run-time values, using the TypeScript compiler's types.
 *
 * A *sink* is a call whose argument becomes SQL text or an SQL identifier without being
 * bound as a parameter:
 *
 * - on an @effect/sql statement constructor (`sql`, a `SqlClient`: a type with `unsafe`,
 *   `literal` and `insert`): `sql.unsafe(text)`, `sql.literal(text)`, `sql(identifier)`,
 *   `sql.in(column, …)`, `sql.csv(prefix, …)`, `sql.join(text)`, `sql.updateValues(…, alias)`;
 *   the clauses of `sql.and`/`sql.or`/`sql.csv` (a plain string clause is raw SQL); the keys
 *   of `sql.insert`/`sql.update`/`sql.updateValues` records (they become column names);
 * - on the Statement module (a type with `unsafeFragment`): `unsafeFragment(text)` and the same
 *   `and`/`or`/`csv`/`join`;
 * - on a better-sqlite3 database (a type with `prepare`, `pragma` and `exec`): `prepare`,
 *   `exec`, `pragma`;
 * - on a `pg` pool or client (its `query` declared by the module "pg"): `query`;
 * - any of those method names on a receiver typed `any`;
 * - a reference to `unsafe`/`unsafeFragment`/`literal` that is not called right away.
 *
 * Text and identifiers must be *constant*: a literal, a template or `+` of constants, a
 * conditional between constants, `String(constant)`, or an expression whose type is a literal or a union of
 * literals (a constant, or a parameter typed `"sessions" | "events"`) — but not a type
 * assertion, which could dress any string as a literal. Record keys must be fixed by the
 * type (no index signature). Tagged templates (`sql\`… ${value}\``) bind their values and
 * are not sinks.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import ts from "typescript"

export interface Finding {
  readonly file: string
  readonly line: number
  readonly sink: string
  readonly argument: string
  readonly why: string
}

export interface CheckResult {
  readonly findings: ReadonlyArray<Finding>
  /** How many sink calls were examined. */
  readonly sinks: number
  readonly files: number
}

const compilerOptions = (repoRoot: string): ts.CompilerOptions => {
  const configPath = path.join(repoRoot, "tsconfig.json")
  const config = ts.readConfigFile(configPath, ts.sys.readFile)
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, repoRoot)
  return { ...parsed.options, noEmit: true }
}

type ReceiverKind = "sql" | "statementModule" | "sqlite" | "pg" | "any" | undefined

const sinkMethods = new Set([
  "unsafe",
  "literal",
  "in",
  "csv",
  "and",
  "or",
  "join",
  "insert",
  "update",
  "updateValues",
  "unsafeFragment",
  "prepare",
  "exec",
  "pragma",
  "query"
])
const escapingMembers = new Set(["unsafe", "unsafeFragment", "literal"])

export const checkProgram = (program: ts.Program, files: ReadonlyArray<string>, repoRoot: string): CheckResult => {
  const checker = program.getTypeChecker()
  const findings: Array<Finding> = []
  let sinks = 0

  const has = (type: ts.Type, ...names: Array<string>) => names.every((name) => type.getProperty(name) !== undefined)
  const isAny = (type: ts.Type) => (type.flags & ts.TypeFlags.Any) !== 0

  const receiverKind = (expression: ts.Expression): ReceiverKind => {
    const type = checker.getTypeAtLocation(expression)
    if (isAny(type)) return "any"
    if (has(type, "unsafe", "literal", "insert")) return "sql"
    if (has(type, "unsafeFragment")) return "statementModule"
    if (has(type, "prepare", "pragma", "exec")) return "sqlite"
    if (isPg(type)) return "pg"
    return undefined
  }

  /** A `pg` Pool, Client or PoolClient: its `query` is declared by the module "pg" (its package or a local declaration). */
  const isPg = (type: ts.Type): boolean => {
    const declarations = type.getProperty("query")?.declarations ?? []
    return declarations.some((declaration) => {
      const file = declaration.getSourceFile().fileName
      if (/[/\\]node_modules[/\\](@types[/\\])?pg[/\\]/.test(file)) return true
      for (let node: ts.Node | undefined = declaration; node !== undefined; node = node.parent) {
        if (ts.isModuleDeclaration(node) && ts.isStringLiteral(node.name) && node.name.text === "pg") return true
      }
      return false
    })
  }

  const isLiteralType = (type: ts.Type): boolean => {
    if (type.isUnion()) return type.types.every(isLiteralType)
    return (type.flags & (ts.TypeFlags.StringLiteral | ts.TypeFlags.NumberLiteral | ts.TypeFlags.BooleanLiteral |
      ts.TypeFlags.EnumLiteral | ts.TypeFlags.Undefined | ts.TypeFlags.Null)) !== 0
  }

  const isConstant = (expression: ts.Expression): boolean => {
    if (ts.isParenthesizedExpression(expression)) return isConstant(expression.expression)
    if (ts.isAsExpression(expression) || ts.isTypeAssertionExpression(expression)) {
      // `"x" as const` is a literal; any other assertion could dress a run-time string as a literal.
      const isConst = ts.isTypeReferenceNode(expression.type) && expression.type.typeName.getText() === "const"
      return isConst && isConstant(expression.expression)
    }
    if (ts.isNonNullExpression(expression) || ts.isSatisfiesExpression(expression)) return isConstant(expression.expression)
    if (ts.isStringLiteral(expression) || ts.isNoSubstitutionTemplateLiteral(expression) || ts.isNumericLiteral(expression)) {
      return true
    }
    if (ts.isTemplateExpression(expression)) return expression.templateSpans.every((span) => isConstant(span.expression))
    if (ts.isBinaryExpression(expression) && expression.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      return isConstant(expression.left) && isConstant(expression.right)
    }
    if (ts.isConditionalExpression(expression)) return isConstant(expression.whenTrue) && isConstant(expression.whenFalse)
    // String(constant) and constant.toString(): the text of a constant.
    if (
      ts.isCallExpression(expression) && ts.isIdentifier(expression.expression) &&
      expression.expression.text === "String" && expression.arguments.length === 1 &&
      checker.getSymbolAtLocation(expression.expression)?.declarations?.some((d) => d.getSourceFile().isDeclarationFile)
    ) {
      return isConstant(expression.arguments[0]!)
    }
    if (
      ts.isCallExpression(expression) && ts.isPropertyAccessExpression(expression.expression) &&
      expression.expression.name.text === "toString" && expression.arguments.length === 0
    ) {
      return isConstant(expression.expression.expression)
    }
    if (ts.isIdentifier(expression)) {
      // A const initialized with a constant expression (`const q = "a" + "b"`), or a literal-typed name.
      const symbol = checker.getSymbolAtLocation(expression)
      const declaration = symbol?.valueDeclaration
      if (
        declaration !== undefined && ts.isVariableDeclaration(declaration) && declaration.initializer !== undefined &&
        ts.isVariableDeclarationList(declaration.parent) && (declaration.parent.flags & ts.NodeFlags.Const) !== 0
      ) {
        return isConstant(declaration.initializer)
      }
    }
    return isLiteralType(checker.getTypeAtLocation(expression))
  }

  /** A record whose keys the type fixes (no index signature), or an array of such records. */
  const hasFixedKeys = (type: ts.Type): boolean => {
    if (isAny(type) || (type.flags & ts.TypeFlags.Unknown) !== 0) return false
    if (type.isUnion()) return type.types.every(hasFixedKeys)
    if (checker.isArrayType(type) || checker.isTupleType(type)) {
      return checker.getTypeArguments(type as ts.TypeReference).every(hasFixedKeys)
    }
    if ((type.flags & ts.TypeFlags.Object) === 0 && !type.isIntersection()) return false
    return checker.getIndexInfosOfType(type).length === 0
  }

  /** Clauses of and/or/csv: a string clause is raw SQL, so it must be constant; fragments are fine. */
  const clausesSafe = (expression: ts.Expression): boolean => {
    if (ts.isArrayLiteralExpression(expression)) {
      return expression.elements.every((element) => {
        if (ts.isSpreadElement(element)) return clausesSafe(element.expression)
        return isConstant(element) || !mayBeString(checker.getTypeAtLocation(element))
      })
    }
    const type = checker.getTypeAtLocation(expression)
    const element = checker.getIndexTypeOfType(type, ts.IndexKind.Number)
    return element !== undefined && !mayBeString(element)
  }
  const mayBeString = (type: ts.Type): boolean => {
    if (isAny(type) || (type.flags & ts.TypeFlags.Unknown) !== 0) return true
    if (type.isUnion()) return type.types.some(mayBeString)
    return (type.flags & ts.TypeFlags.String) !== 0
  }

  const visit = (sourceFile: ts.SourceFile, relative: string) => {
    const report = (node: ts.Node, sink: string, argument: ts.Node | undefined, why: string) =>
      findings.push({
        file: relative,
        line: sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line + 1,
        sink,
        argument: argument === undefined ? "" : argument.getText(sourceFile).replace(/\s+/g, " "),
        why
      })

    const walk = (node: ts.Node): void => {
      if (ts.isCallExpression(node)) checkCall(node)
      if (
        (ts.isPropertyAccessExpression(node) && escapingMembers.has(node.name.text)) ||
        (ts.isElementAccessExpression(node) && ts.isStringLiteral(node.argumentExpression) &&
          escapingMembers.has(node.argumentExpression.text))
      ) {
        const called = ts.isCallExpression(node.parent) && node.parent.expression === node
        const kind = called ? undefined : receiverKind(node.expression)
        if (kind === "sql" || kind === "statementModule" || kind === "any") {
          report(node, node.getText(sourceFile), undefined, "an unsafe SQL constructor escapes as a value")
        }
      }
      ts.forEachChild(node, walk)
    }

    const checkCall = (call: ts.CallExpression) => {
      const callee = call.expression
      let receiver: ts.Expression | undefined
      let method: string | undefined
      if (ts.isPropertyAccessExpression(callee)) {
        receiver = callee.expression
        method = callee.name.text
      } else if (ts.isElementAccessExpression(callee) && ts.isStringLiteralLike(callee.argumentExpression)) {
        receiver = callee.expression
        method = callee.argumentExpression.text
      }
      const args = call.arguments
      const sinkName = (kind: string) => `${kind}.${method}`

      // `sql(identifier)`: the constructor called, not as a tag.
      if (receiver === undefined || !sinkMethods.has(method!)) {
        if (receiverKind(callee) === "sql") {
          sinks++
          const [first] = args
          if (first !== undefined && !isConstant(first)) report(call, "sql()", first, "identifier from a run-time value")
        }
        return
      }
      const kind = receiverKind(receiver)
      if (kind === undefined) return
      const need = (index: number, why: string) => {
        const argument = args[index]
        if (argument !== undefined && !isConstant(argument)) report(call, sinkName(kind), argument, why)
      }
      const countSink = () => {
        sinks++
      }
      if (kind === "pg" || (kind === "any" && method === "query")) {
        if (method !== "query") return
        countSink()
        need(0, "SQL text from a run-time value")
        return
      }
      if (kind === "sqlite" || (kind === "any" && ["prepare", "exec", "pragma"].includes(method!))) {
        countSink()
        need(0, "SQL text from a run-time value")
        return
      }
      switch (method) {
        case "unsafe":
        case "literal":
        case "unsafeFragment":
          countSink()
          need(0, "SQL text from a run-time value")
          return
        case "join":
          countSink()
          need(0, "SQL text from a run-time value")
          return
        case "in":
          countSink()
          if (args.length >= 2) need(0, "column identifier from a run-time value")
          return
        case "and":
        case "or":
          countSink()
          if (args[0] !== undefined && !clausesSafe(args[0])) {
            report(call, sinkName(kind), args[0], "a string clause is raw SQL")
          }
          return
        case "csv":
          countSink()
          if (args.length >= 2) need(0, "SQL prefix from a run-time value")
          if (args.length > 0 && !clausesSafe(args[args.length - 1]!)) {
            report(call, sinkName(kind), args[args.length - 1], "a string clause is raw SQL")
          }
          return
        case "insert":
        case "update":
        case "updateValues":
          if (kind !== "sql" && kind !== "any") return
          countSink()
          if (args[0] !== undefined && !hasFixedKeys(checker.getTypeAtLocation(args[0]))) {
            report(call, sinkName(kind), args[0], "column names from the keys of a record the type does not fix")
          }
          if (method === "updateValues") need(1, "alias from a run-time value")
          return
      }
    }
    walk(sourceFile)
  }

  for (const file of files) {
    const sourceFile = program.getSourceFile(file)
    if (sourceFile === undefined) throw new Error(`not in the program: ${file}`)
    visit(sourceFile, path.relative(repoRoot, file))
  }
  return { findings, sinks, files: files.length }
}

/** Every .ts file under `dir`. */
export const sourceFiles = (dir: string): Array<string> =>
  fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts"))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort()

/** Checks the real files under `dir` (with the project's compiler options). */
export const checkDirectory = (repoRoot: string, dir: string): CheckResult => {
  const files = sourceFiles(dir)
  const program = ts.createProgram(files, compilerOptions(repoRoot))
  return checkProgram(program, files, repoRoot)
}

/**
 * Checks in-memory sources, as if they were files in `folder` of the repository, and the real
 * files `realFiles`, in one program (the type information is loaded once).
 */
export const checkSources = (
  repoRoot: string,
  folder: string,
  sources: Record<string, string>,
  realFiles: ReadonlyArray<string> = []
): { readonly virtual: Record<string, CheckResult>; readonly real: CheckResult } => {
  const options = compilerOptions(repoRoot)
  const host = ts.createCompilerHost(options)
  const virtual = new Map(Object.entries(sources).map(([name, text]) => [path.join(repoRoot, folder, name), text]))
  const getSourceFile = host.getSourceFile.bind(host)
  const fileExists = host.fileExists.bind(host)
  const readFile = host.readFile.bind(host)
  host.getSourceFile = (fileName, language, onError, shouldCreate) => {
    const text = virtual.get(path.resolve(fileName))
    return text === undefined
      ? getSourceFile(fileName, language, onError, shouldCreate)
      : ts.createSourceFile(fileName, text, language, true)
  }
  host.fileExists = (fileName) => virtual.has(path.resolve(fileName)) || fileExists(fileName)
  host.readFile = (fileName) => virtual.get(path.resolve(fileName)) ?? readFile(fileName)
  const program = ts.createProgram([...virtual.keys(), ...realFiles], options, host)
  return {
    virtual: Object.fromEntries(
      [...virtual.keys()].map((file) => [path.basename(file), checkProgram(program, [file], repoRoot)])
    ),
    real: checkProgram(program, realFiles, repoRoot)
  }
}
