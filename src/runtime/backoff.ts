/** How retries space themselves out. */
export interface BackoffPolicy {
  /** Ceiling of the first wait, in ms; each further attempt doubles it. */
  baseDelay: number
  /** No wait is longer than this, in ms. */
  maxDelay: number
  /** A number in [0, 1); `Math.random` unless a test pins it. */
  random: () => number
}

/** The wait before retry number `attempt` (0-based) and the ceiling it was drawn under. */
export interface Backoff {
  delay: number
  ceiling: number
}

/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"):
 * a uniform draw in [0, min(maxDelay, baseDelay * 2^attempt)]. Full jitter spreads clients that
 * failed together (a server restart, a network coming back) instead of retrying in lockstep.
 */
export function backoff(attempt: number, policy: BackoffPolicy): Backoff {
  const ceiling = Math.min(policy.maxDelay, policy.baseDelay * 2 ** Math.min(attempt, 30))
  return { delay: Math.round(policy.random() * ceiling), ceiling }
}
