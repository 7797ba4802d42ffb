/**
 * The cast of the demo: three projects with their backlog, the agents that work on
 * them (and what their tokens cost), the reviewers and the CI checks.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export interface DemoProject {
  readonly id: string
  readonly name: string
  readonly repo: string
  readonly path: string
  readonly defaultBranch: string
  readonly configHash: string
  /** Issue keys look like `SHOP-142`. */
  readonly issuePrefix: string
  /** How much of the day's work lands on this project. */
  readonly share: number
  readonly backlog: ReadonlyArray<string>
}

/** @since 0.1.0 */
export const projects: ReadonlyArray<DemoProject> = [
  {
    id: "storefront",
    name: "Storefront",
    repo: "acme/storefront",
    path: "/srv/ennio/repos/storefront",
    defaultBranch: "main",
    configHash: "c0ffee1d2e3f4a5b",
    issuePrefix: "SHOP",
    share: 0.45,
    backlog: [
      "Add rate limiting to checkout",
      "Fix flaky cart total test",
      "Lazy-load product images",
      "Show delivery estimate on product page",
      "Migrate search to the new index",
      "Remove legacy coupon code path",
      "Add keyboard navigation to filters",
      "Cache category pages at the edge",
      "Fix currency rounding in the basket",
      "Upgrade the design system to v4"
    ]
  },
  {
    id: "payments",
    name: "Payments API",
    repo: "acme/payments-api",
    path: "/srv/ennio/repos/payments-api",
    defaultBranch: "main",
    configHash: "5eedbead0a1b2c3d",
    issuePrefix: "PAY",
    share: 0.35,
    backlog: [
      "Retry webhooks with exponential backoff",
      "Add idempotency keys to refunds",
      "Split the ledger service",
      "Reconcile payouts nightly",
      "Reject expired cards before capture",
      "Add 3-D Secure fallback",
      "Log PSP latency per region",
      "Fix double charge on timeout"
    ]
  },
  {
    id: "infra",
    name: "Infrastructure",
    repo: "acme/infra",
    path: "/srv/ennio/repos/infra",
    defaultBranch: "trunk",
    configHash: "0dd5a1e5f00d4c2b",
    issuePrefix: "OPS",
    share: 0.2,
    backlog: [
      "Move CI runners to ARM",
      "Rotate database credentials automatically",
      "Alert on queue depth",
      "Pin base images by digest",
      "Shrink the staging cluster at night",
      "Add canary stage to deploys"
    ]
  }
]

/** @since 0.1.0 */
export interface Agent {
  readonly name: string
  readonly share: number
  /** Dollars per million input and output tokens. */
  readonly inputPrice: number
  readonly outputPrice: number
}

/** @since 0.1.0 */
export const agents: ReadonlyArray<Agent> = [
  { name: "claude-code", share: 0.5, inputPrice: 3, outputPrice: 15 },
  { name: "codex", share: 0.3, inputPrice: 1.25, outputPrice: 10 },
  { name: "aider", share: 0.2, inputPrice: 3, outputPrice: 15 }
]

/** @since 0.1.0 */
export const reviewers: ReadonlyArray<string> = ["@maria", "@kenji", "@amara", "@lucas"]

/** @since 0.1.0 */
export const ciChecks: ReadonlyArray<string> = ["unit tests", "lint", "typecheck", "e2e tests", "build"]

/** @since 0.1.0 */
export const nodes: ReadonlyArray<string> = ["node-1", "node-2", "node-3"]
