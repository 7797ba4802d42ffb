/**
 * The command line's scheduler. Effect's default one resumes fibers on microtasks and lets the
 * event loop turn only after 2,048 turns in a row, a count that starts again whenever a fiber
 * waits and resumes; a command whose fiber does synchronous SQLite work between such waits (a
 * demo day, every statement a wait on the connection's lock) then never lets a timer or a
 * signal handler run, and Ctrl-C went unseen until it finished. This one also lets the event
 * loop turn once a few milliseconds have passed since it last did.
 *
 * @since 0.1.0
 */
import * as Scheduler from "effect/Scheduler"

/**
 * A scheduler that runs tasks on microtasks, yielding to the event loop every `budgetMs`.
 *
 * @since 0.1.0
 */
export const make = (budgetMs: number): Scheduler.Scheduler => {
  const tasks = new Scheduler.PriorityBuckets()
  let running = false
  let lastTurn = performance.now()
  const drain = () => {
    const due = tasks.buckets
    tasks.buckets = []
    for (const [, run] of due) for (let i = 0; i < run.length; i++) run[i]!()
    if (tasks.buckets.length === 0) running = false
    else schedule()
  }
  const schedule = () => {
    if (performance.now() - lastTurn < budgetMs) return queueMicrotask(drain)
    setImmediate(() => {
      lastTurn = performance.now()
      drain()
    })
  }
  return {
    shouldYield: (fiber) => Scheduler.defaultScheduler.shouldYield(fiber),
    scheduleTask: (task, priority) => {
      tasks.scheduleTask(task, priority)
      if (!running) {
        running = true
        schedule()
      }
    }
  }
}
