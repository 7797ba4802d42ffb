/**
 * The dashboard's live feed: one follower of the events (`EventsRepo.follow`) and one of the
 * sessions (`SessionsRepo.changes`) for the whole server, shared by every open page, so that
 * a hundred idle pages cost what one does. A session page resumes from its cursor: the feed
 * keeps the last `kept` events, and replays those past the cursor to a page that reconnects;
 * a page whose cursor is older than that is told to reload. The overview gets a new version
 * whenever something changed (at most once a second), rendered once for every page.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { EventsRepo } from "../../Repos/EventsRepo.js"
import type { Repositories } from "../../Repos/Repos.js"
import { SessionsRepo } from "../../Repos/SessionsRepo.js"
import { EventPriorities, type EventPriority, type EventType } from "../../Schemas/Enums.js"
import type { OrchestratorEvent } from "../../Schemas/Event.js"
import * as Overview from "./Overview.js"
import * as Pages from "./Pages.js"

/** An event as the feed delivered it: `seq` orders the feed's own deliveries. */
interface Delivered {
  readonly seq: number
  readonly cursor: string
  readonly event: OrchestratorEvent
}

/** What a session page's stream carries. */
export type SessionMessage =
  | { readonly _tag: "Event"; readonly cursor: string; readonly event: OrchestratorEvent }
  | { readonly _tag: "Reload" }

/** Which events of a session a page shows. */
export interface SessionFilter {
  readonly sessionId: string
  readonly eventType?: EventType | undefined
  readonly minPriority?: EventPriority | undefined
}

/** @since 0.1.0 */
export interface LiveFeedShape {
  /** The cursor a page read now resumes from ("" before the first event). */
  readonly cursor: Effect.Effect<string>
  /** The overview's version now: a page read now gets every later one. */
  readonly version: Effect.Effect<number>
  /** A session's events past `after`, then as they land; ends when the server closes. */
  readonly session: (filter: SessionFilter, after: string) => Stream.Stream<SessionMessage>
  /** The overview's content, each version after `after`; ends when the server closes. */
  readonly overview: (after: number) => Stream.Stream<{ readonly version: number; readonly markup: string }>
  /** Ends every stream; the server closes after. */
  readonly close: Effect.Effect<void>
  /** How many streams are open. */
  readonly open: Effect.Effect<number>
}

/** @since 0.1.0 */
export class LiveFeed extends Context.Tag("ennio-db/Serve/LiveFeed")<LiveFeed, LiveFeedShape>() {}

// How many delivered events a reconnecting page can resume within.
const kept = 2_000
// Changes within this window make one new overview.
const overviewEveryMs = 1_000
// A follower that failed (its own retries spent) starts again after this.
const restart = Schedule.spaced("1 second")

/** @since 0.1.0 */
export const layer: Layer.Layer<LiveFeed, never, Repositories> = Layer.scoped(
  LiveFeed,
  Effect.gen(function*() {
    const events = yield* EventsRepo
    const sessions = yield* SessionsRepo
    const context = yield* Effect.context<Repositories>()
    const closing = yield* Deferred.make<void>()
    const delivered = yield* PubSub.sliding<Delivered>(4_096)
    // Versions start at the start time, so that a page of an earlier run is behind this one.
    const version = yield* SubscriptionRef.make(yield* Clock.currentTimeMillis)
    const ready = yield* Deferred.make<void>()
    const ring: Array<Delivered> = []
    const seqOf = new Map<string, number>()
    let floorCursor = ""
    let floorSeq = 0
    let latestCursor = ""
    let seq = 0
    let openStreams = 0

    const deliver = (cursor: string, event: OrchestratorEvent) =>
      Effect.suspend(() => {
        const item = { seq: ++seq, cursor, event }
        ring.push(item)
        seqOf.set(cursor, item.seq)
        latestCursor = cursor
        if (ring.length > kept) {
          const dropped = ring.shift()!
          seqOf.delete(dropped.cursor)
          floorCursor = dropped.cursor
          floorSeq = dropped.seq
        }
        return Effect.zipRight(PubSub.publish(delivered, item), Deferred.succeed(ready, undefined))
      })

    // Starts with the newest event (its cursor is where pages read from now resume), then follows.
    const followEvents = Effect.suspend(() =>
      Stream.runForEach(
        events.follow({}, latestCursor === "" ? { replay: 1 } : { after: latestCursor }),
        ({ cursor, event }) => deliver(cursor, event)
      )
    ).pipe(Effect.retry(restart))
    const bump = SubscriptionRef.update(version, (n) => n + 1)
    const overviewChanges = Stream.merge(
      Stream.fromPubSub(delivered),
      sessions.changes().pipe(Stream.retry(restart))
    ).pipe(Stream.groupedWithin(Number.MAX_SAFE_INTEGER, overviewEveryMs), Stream.runForEach(() => bump))

    yield* Effect.forkScoped(followEvents)
    yield* Effect.forkScoped(overviewChanges)
    // An empty log has no newest event to wait for; otherwise pages wait for it (briefly).
    const [newest] = yield* Effect.orElseSucceed(events.listRecent(1), () => [])
    if (newest === undefined) yield* Deferred.succeed(ready, undefined)
    yield* Effect.timeout(Deferred.await(ready), "5 seconds").pipe(Effect.ignore)
    yield* Effect.addFinalizer(() => Deferred.succeed(closing, undefined))

    /** A stream that ends when the server closes, counted while open. */
    const served = <A>(stream: Stream.Stream<A>): Stream.Stream<A> =>
      Stream.unwrapScoped(
        Effect.acquireRelease(
          Effect.sync(() => {
            openStreams++
          }),
          () =>
            Effect.sync(() => {
              openStreams--
            })
        ).pipe(Effect.as(Stream.interruptWhen(stream, Deferred.await(closing))))
      )

    const matches = (filter: SessionFilter) => {
      const priorities = filter.minPriority === undefined ? undefined : new Set(EventPriorities.atLeast(filter.minPriority))
      return ({ event }: Delivered) =>
        event.sessionId === filter.sessionId &&
        (filter.eventType === undefined || event.eventType === filter.eventType) &&
        (priorities === undefined || priorities.has(event.priority))
    }

    const session = (filter: SessionFilter, after: string): Stream.Stream<SessionMessage> =>
      served(Stream.unwrapScoped(Effect.gen(function*() {
        // Subscribed before the backlog is read: an event is in one or the other, or both.
        const subscription = yield* PubSub.subscribe(delivered)
        const from = after === floorCursor ? floorSeq : seqOf.get(after)
        if (from === undefined) return Stream.succeed<SessionMessage>({ _tag: "Reload" })
        const backlog = ring.filter((item) => item.seq > from)
        const seen = backlog.length === 0 ? from : backlog[backlog.length - 1]!.seq
        const keep = matches(filter)
        // Deliveries are numbered one by one: a missing number is one the subscription dropped
        // (a page too slow to keep up), and the page must read itself again.
        const live = Stream.fromQueue(subscription).pipe(
          Stream.filter((item) => item.seq > seen),
          Stream.mapAccum(seen, (last, item): readonly [number, Delivered | undefined] => [
            item.seq,
            item.seq === last + 1 ? item : undefined
          ]),
          Stream.takeUntil((item) => item === undefined)
        )
        return Stream.concat(Stream.fromIterable<Delivered | undefined>(backlog), live).pipe(
          Stream.filter((item) => item === undefined || keep(item)),
          Stream.map((item): SessionMessage =>
            item === undefined ? { _tag: "Reload" } : { _tag: "Event", cursor: item.cursor, event: item.event }
          )
        )
      })))

    // Each version is rendered once, whoever asks for it.
    let rendered: { readonly version: number; readonly markup: Effect.Effect<Option.Option<string>> } | undefined
    const renderOverview = (at: number): Effect.Effect<Option.Option<string>> =>
      Effect.suspend(() => {
        if (rendered !== undefined && rendered.version === at) return rendered.markup
        const markup = Overview.gather.pipe(
          Effect.map((overview) => Pages.overviewMain(overview, at).markup),
          Effect.provide(context),
          // A read that fails now (a lock held too long) is made again at the next change.
          Effect.option
        )
        return Effect.flatten(Effect.tap(Effect.cached(markup), (cached) => {
          rendered = { version: at, markup: cached }
        }))
      })

    const overview = (after: number) =>
      served(
        version.changes.pipe(
          Stream.filter((at) => at > after),
          Stream.mapEffect((at) => Effect.map(renderOverview(at), Option.map((markup) => ({ version: at, markup })))),
          Stream.filterMap((update) => update)
        )
      )

    return {
      cursor: Effect.sync(() => latestCursor),
      version: SubscriptionRef.get(version),
      session,
      overview,
      close: Deferred.succeed(closing, undefined),
      open: Effect.sync(() => openStreams)
    } satisfies LiveFeedShape
  })
)
