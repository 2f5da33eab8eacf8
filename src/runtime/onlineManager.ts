/**
 * Knows whether the network is reachable, in the manner of TanStack Query's `onlineManager`.
 *
 * Two kinds of evidence feed it: the platform's events (`online`/`offline` in browsers, NetInfo in
 * React Native, whatever `setEventListener` wires up) and the sync engine's own requests (a network
 * error sets it offline, any HTTP answer sets it online). The requests matter because
 * `navigator.onLine` lies: it stays `true` behind a dead Wi-Fi router or a captive portal
 * (redux-offline #364, #546).
 */
export interface OnlineManager {
  isOnline(): boolean
  /** Records new evidence; listeners hear about changes only. */
  setOnline(online: boolean): void
  /** Calls `listener` on every change; returns the unsubscribe function. */
  subscribe(listener: (online: boolean) => void): () => void
}

/**
 * Wires platform events to `setOnline` and returns the cleanup. Called when the first listener
 * subscribes; its cleanup runs when the last one leaves.
 */
export type OnlineEventSetup = (setOnline: (online: boolean) => void) => (() => void) | void

export interface OnlineManagerOptions {
  /**
   * Where the events come from. Default: the browser's `online`/`offline` events on `window`, or
   * nothing outside a browser (Node starts online and learns from requests).
   * @example
   * // React Native
   * createOnlineManager({ setEventListener: (setOnline) => NetInfo.addEventListener((s) => setOnline(!!s.isConnected)) })
   */
  setEventListener?: OnlineEventSetup
  /**
   * The state before any evidence. Default `navigator.onLine` in a browser, else `true`.
   * @example createOnlineManager({ initiallyOnline: false })
   */
  initiallyOnline?: boolean
}

const browserOnlineEvents: OnlineEventSetup = (setOnline) => {
  if (typeof window === 'undefined' || typeof window.addEventListener !== 'function') return undefined
  const online = () => setOnline(true)
  const offline = () => setOnline(false)
  window.addEventListener('online', online, false)
  window.addEventListener('offline', offline, false)
  return () => {
    window.removeEventListener('online', online)
    window.removeEventListener('offline', offline)
  }
}

/**
 * Makes an online manager. Each replica makes its own by default; pass one to share it or to drive
 * it by hand in tests.
 *
 * @example
 * const onlineManager = createOnlineManager({ setEventListener: () => undefined })
 * createReplica({ collections, transport, onlineManager })
 * onlineManager.setOnline(false) // as if the network went away
 */
export function createOnlineManager(options: OnlineManagerOptions = {}): OnlineManager {
  const setup = options.setEventListener ?? browserOnlineEvents
  let online =
    options.initiallyOnline ?? (typeof navigator !== 'undefined' && typeof navigator.onLine === 'boolean' ? navigator.onLine : true)
  const listeners = new Set<(online: boolean) => void>()
  let cleanup: (() => void) | void = undefined

  const setOnline = (next: boolean) => {
    if (next === online) return
    online = next
    for (const listener of [...listeners]) listener(online)
  }

  return {
    isOnline: () => online,
    setOnline,
    subscribe(listener) {
      listeners.add(listener)
      if (listeners.size === 1) cleanup = setup(setOnline)
      return () => {
        if (!listeners.delete(listener) || listeners.size > 0) return
        cleanup?.()
        cleanup = undefined
      }
    },
  }
}
