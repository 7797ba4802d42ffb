/**
 * The command line's words as @effect/cli reads them. Its options of the root command
 * (`--database-url`, `--json`, `--trace`) must come before the subcommand; ennio-db accepts
 * them anywhere, so they are moved to the front (a `--` ends the options, as usual).
 *
 * @since 0.1.0
 */

const flags: ReadonlySet<string> = new Set(["--json", "--trace"])
const withValue = "--database-url"

/**
 * `args` (the words after the program's name) with the global options first, in their order.
 *
 * @since 0.1.0
 */
export const globalOptionsFirst = (args: ReadonlyArray<string>): Array<string> => {
  const global: Array<string> = []
  const rest: Array<string> = []
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!
    if (word === "--") {
      rest.push(...args.slice(i))
      break
    }
    if (flags.has(word) || word.startsWith(`${withValue}=`)) global.push(word)
    else if (word === withValue && i + 1 < args.length) global.push(word, args[++i]!)
    else rest.push(word)
  }
  return [...global, ...rest]
}
