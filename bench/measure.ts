/**
 * Timing: warm-up, throughput rounds and per-operation latencies, for synchronous drivers
 * (raw, Drizzle) and for Effect programs (ennio-db) alike. A runner measures one side in
 * rounds so that the caller can interleave the sides' rounds: a busy moment of the machine
 * then slows every side, not just the one that happened to be running.
 */
import * as Effect from "effect/Effect"

/**
 * Operation `i` of a workload on one side: a plain call for the synchronous drivers, a
 * promise for the asynchronous `pg` driver, an Effect for ennio-db together with the runtime
 * that runs it.
 */
export type Run =
  | { readonly kind: "sync"; readonly op: (i: number) => unknown }
  | { readonly kind: "async"; readonly op: (i: number) => Promise<unknown> }
  | {
    readonly kind: "effect"
    readonly op: (i: number) => Effect.Effect<unknown, unknown>
    readonly runPromise: <A>(effect: Effect.Effect<A, unknown>) => Promise<A>
  }

/** One caller after another. A round: `perRound` untimed ops for ops/s, then `timedPerRound` ops timed one by one. */
export interface SequentialPlan {
  readonly warmup: number
  readonly rounds: number
  readonly perRound: number
  readonly timedPerRound: number
}

/** `callers` concurrent loops; each round is timed as a whole (ops/s) and per operation (submit → completion). */
export interface ConcurrentPlan {
  readonly callers: number
  readonly warmupPerCaller: number
  readonly rounds: number
  readonly perCaller: number
}

export interface Measurement {
  /** Operations measured (warm-up excluded). */
  readonly ops: number
  /** The median of the rounds' ops/s. */
  readonly opsPerSec: number
  readonly p50Us: number
  readonly p99Us: number
}

/** One side's measurement, a round at a time. */
export interface Runner {
  readonly rounds: number
  readonly warmup: () => Promise<void>
  readonly round: () => Promise<void>
  readonly result: () => Measurement
}

/**
 * Warms every side up, then runs their rounds in turn, starting each round with the next
 * side, so that a busy moment of the machine falls on all of them alike.
 */
export const runInRotation = async (runners: ReadonlyArray<Runner>): Promise<void> => {
  for (const runner of runners) await runner.warmup()
  const rounds = runners[0]!.rounds
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < runners.length; k++) await runners[(round + k) % runners.length]!.round()
  }
}

/** How many distinct operation indices a plan uses: the data a workload must provide. */
export const sequentialOps = (plan: SequentialPlan): number =>
  plan.warmup + plan.rounds * (plan.perRound + plan.timedPerRound)

export const concurrentOps = (plan: ConcurrentPlan): number =>
  plan.callers * (plan.warmupPerCaller + plan.rounds * plan.perCaller)

const now = () => process.hrtime.bigint()

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Nearest-rank percentile of nanosecond samples, in µs. */
const percentileUs = (sortedNs: Float64Array, p: number): number =>
  sortedNs[Math.max(0, Math.ceil(p * sortedNs.length) - 1)]! / 1_000

const measurement = (ops: number, rates: ReadonlyArray<number>, samplesNs: Float64Array): Measurement => {
  const sorted = samplesNs.slice().sort()
  return { ops, opsPerSec: median(rates), p50Us: percentileUs(sorted, 0.5), p99Us: percentileUs(sorted, 0.99) }
}

/** Runs operations `from … from + count − 1`; with `samples`, times each into `samples[k]`. */
const runSpan = async (run: Run, from: number, count: number, samples?: Float64Array): Promise<void> => {
  if (run.kind === "sync") {
    const { op } = run
    if (samples === undefined) {
      for (let i = from; i < from + count; i++) op(i)
    } else {
      for (let k = 0; k < count; k++) {
        const start = now()
        op(from + k)
        samples[k] = Number(now() - start)
      }
    }
    return
  }
  if (run.kind === "async") {
    const { op } = run
    if (samples === undefined) {
      for (let i = from; i < from + count; i++) await op(i)
    } else {
      for (let k = 0; k < count; k++) {
        const start = now()
        await op(from + k)
        samples[k] = Number(now() - start)
      }
    }
    return
  }
  const { op } = run
  // One program per span, as an Effect application calls its repositories from its own fibers.
  await run.runPromise(Effect.gen(function*() {
    if (samples === undefined) {
      for (let i = from; i < from + count; i++) yield* op(i)
    } else {
      for (let k = 0; k < count; k++) {
        const start = now()
        yield* op(from + k)
        samples[k] = Number(now() - start)
      }
    }
  }))
}

export const sequentialRunner = (run: Run, plan: SequentialPlan): Runner => {
  let next = 0
  const rates: Array<number> = []
  const samples = new Float64Array(plan.rounds * plan.timedPerRound)
  return {
    rounds: plan.rounds,
    warmup: async () => {
      await runSpan(run, next, plan.warmup)
      next += plan.warmup
    },
    round: async () => {
      const start = now()
      await runSpan(run, next, plan.perRound)
      rates.push(plan.perRound / (Number(now() - start) / 1e9))
      next += plan.perRound
      const slice = rates.length - 1
      await runSpan(run, next, plan.timedPerRound, samples.subarray(slice * plan.timedPerRound))
      next += plan.timedPerRound
    },
    result: () => measurement(plan.rounds * (plan.perRound + plan.timedPerRound), rates, samples)
  }
}

/** `callers` loops of `perCaller` operations from `from` on, each op timed submit → completion. */
const runCallers = async (run: Run, callers: number, from: number, perCaller: number, samples: Float64Array) => {
  const callerIndices = Array.from({ length: callers }, (_, c) => c)
  if (run.kind === "sync" || run.kind === "async") {
    const { op } = run
    const caller = async (c: number) => {
      for (let k = 0; k < perCaller; k++) {
        const start = now()
        // A synchronous driver: the await is where the other callers get their turn. The `pg`
        // driver: the callers' statements wait for a connection of the pool.
        await op(from + c * perCaller + k)
        samples[c * perCaller + k] = Number(now() - start)
      }
    }
    await Promise.all(callerIndices.map(caller))
    return
  }
  const { op } = run
  await run.runPromise(Effect.forEach(callerIndices, (c) =>
    Effect.gen(function*() {
      for (let k = 0; k < perCaller; k++) {
        const start = now()
        yield* op(from + c * perCaller + k)
        samples[c * perCaller + k] = Number(now() - start)
      }
    }), { concurrency: "unbounded", discard: true }))
}

export const concurrentRunner = (run: Run, plan: ConcurrentPlan): Runner => {
  let next = 0
  const perRound = plan.callers * plan.perCaller
  const rates: Array<number> = []
  const samples = new Float64Array(plan.rounds * perRound)
  return {
    rounds: plan.rounds,
    warmup: async () => {
      const warmup = plan.callers * plan.warmupPerCaller
      await runCallers(run, plan.callers, next, plan.warmupPerCaller, new Float64Array(warmup))
      next += warmup
    },
    round: async () => {
      const slice = samples.subarray(rates.length * perRound, (rates.length + 1) * perRound)
      const start = now()
      await runCallers(run, plan.callers, next, plan.perCaller, slice)
      rates.push(perRound / (Number(now() - start) / 1e9))
      next += perRound
    },
    result: () => measurement(plan.rounds * perRound, rates, samples)
  }
}

/** Runs operation `i` once, untimed, and returns its result (to check that every side returns the same). */
export const runOnce = (run: Run, i: number): Promise<unknown> =>
  run.kind === "effect" ? run.runPromise(run.op(i)) : Promise.resolve(run.op(i))
