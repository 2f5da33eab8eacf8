/**
 * Pass instead of a filter to skip a subscription, as with RTK Query's `skipToken`: nothing is
 * subscribed and no rows are returned until a filter is given.
 * @example useSubscription('note', projectId ?? skipToken)
 */
export const skipToken: unique symbol = Symbol.for('redux-replica/skipToken')
export type SkipToken = typeof skipToken
