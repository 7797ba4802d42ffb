#!/usr/bin/env node
/**
 * The `ennio-db` executable. The command line itself is bundled into `cli.cjs` next to
 * this file; it is compiled from V8's code cache (`cli.cache`, written beside it by the first
 * run, and again by the first run of another Node.js, whose V8 refuses the old one) because
 * compiling half a megabyte of JavaScript is most of a cold start. The package ships no cache:
 * one is only good for the V8 that wrote it.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import { createRequire, Module } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as vm from "node:vm"

const bundle = fileURLToPath(new URL("./cli.cjs", import.meta.url))
const cache = fileURLToPath(new URL("./cli.cache", import.meta.url))

const readCache = (): Buffer | undefined => {
  try {
    return fs.readFileSync(cache)
  } catch {
    return undefined
  }
}

/** Writes the cache beside the bundle, atomically; where that is not allowed, runs stay uncached. */
const writeCache = (data: Buffer) => {
  const temporary = `${cache}.${process.pid}`
  try {
    fs.writeFileSync(temporary, data)
    fs.renameSync(temporary, cache)
  } catch {
    fs.rmSync(temporary, { force: true })
  }
}

const cachedData = readCache()
const script = new vm.Script(Module.wrap(fs.readFileSync(bundle, "utf8")), { filename: bundle, cachedData })
// After the run, the cache also holds the functions it compiled along the way.
if (cachedData === undefined || script.cachedDataRejected === true) {
  process.once("exit", () => writeCache(script.createCachedData()))
}
const module = { exports: {} }
script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, path.dirname(bundle))
