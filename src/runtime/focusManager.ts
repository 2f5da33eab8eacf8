/**
 * Knows whether the app is in front of the user, in the manner of TanStack Query's `focusManager`.
 * Coming back into focus triggers a pull at once: the user is looking, and the data may have
 * changed while the tab slept (browsers throttle timers in background tabs).
 */
export interface FocusManager {
  isFocused(): boolean
  /** Records a change; listeners hear about changes only. */
  setFocused(focused: boolean): void
  /** Calls `listener` on every change; returns the unsubscribe function. */
  subscribe(listener: (focused: boolean) => void): () => void
}

/** Wires platform events to `setFocused` and returns the cleanup. */
export type FocusEventSetup = (setFocused: (focused: boolean) => void) => (() => void) | void

export interface FocusManagerOptions {
  /**
   * Where the events come from. Default in a browser: `visibilitychange` on `document`, and
   * `focus`/`blur` on `window`; nothing elsewhere (Node is always focused).
   * @example
   * // React Native
   * createFocusManager({ setEventListener: (setFocused) => {
   *   const s = AppState.addEventListener('change', (state) => setFocused(state === 'active'))
   *   return () => s.remove()
   * } })
   */
  setEventListener?: FocusEventSetup
}

// Visibility alone misses a window that stays visible while the user works in another one beside
// it (two windows side by side, a second screen): only `focus` says the user came back to it.
const browserFocus: FocusEventSetup = (setFocused) => {
  if (typeof document === 'undefined' || typeof window === 'undefined') return undefined
  const onVisibility = () => setFocused(document.visibilityState !== 'hidden')
  const onFocus = () => setFocused(true)
  const onBlur = () => setFocused(false)
  document.addEventListener('visibilitychange', onVisibility, false)
  window.addEventListener('focus', onFocus, false)
  window.addEventListener('blur', onBlur, false)
  return () => {
    document.removeEventListener('visibilitychange', onVisibility)
    window.removeEventListener('focus', onFocus)
    window.removeEventListener('blur', onBlur)
  }
}

/** A page opened in the background is visible yet unfocused: its first `focus` must count as news. */
const initiallyFocused = () => {
  if (typeof document === 'undefined') return true
  return document.visibilityState !== 'hidden' && (typeof document.hasFocus !== 'function' || document.hasFocus())
}

/**
 * Makes a focus manager. Each replica makes its own by default.
 *
 * @example
 * const focusManager = createFocusManager({ setEventListener: () => undefined })
 * createReplica({ collections, transport, focusManager })
 * focusManager.setFocused(false); focusManager.setFocused(true) // as if the tab came back
 */
export function createFocusManager(options: FocusManagerOptions = {}): FocusManager {
  const setup = options.setEventListener ?? browserFocus
  let focused = initiallyFocused()
  const listeners = new Set<(focused: boolean) => void>()
  let cleanup: (() => void) | void = undefined

  const setFocused = (next: boolean) => {
    if (next === focused) return
    focused = next
    for (const listener of [...listeners]) listener(focused)
  }

  return {
    isFocused: () => focused,
    setFocused,
    subscribe(listener) {
      listeners.add(listener)
      if (listeners.size === 1) cleanup = setup(setFocused)
      return () => {
        if (!listeners.delete(listener) || listeners.size > 0) return
        cleanup?.()
        cleanup = undefined
      }
    },
  }
}
