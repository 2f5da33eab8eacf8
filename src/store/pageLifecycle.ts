/**
 * Calls `onHidden` when the page may be about to go away (browsers): on `pagehide`, and when the
 * document becomes hidden (the last moment a mobile browser reliably gives before it kills a
 * tab). Elsewhere it does nothing. Returns the function that stops listening.
 */
export function onPageHidden(
  onHidden: () => void,
  env: { window?: EventTarget; document?: EventTarget & { visibilityState?: string } } = browserEnv(),
): () => void {
  const { window, document } = env
  const onVisibility = () => {
    if (document?.visibilityState === 'hidden') onHidden()
  }
  window?.addEventListener('pagehide', onHidden)
  document?.addEventListener('visibilitychange', onVisibility)
  return () => {
    window?.removeEventListener('pagehide', onHidden)
    document?.removeEventListener('visibilitychange', onVisibility)
  }
}

function browserEnv() {
  const g = globalThis as { window?: EventTarget; document?: EventTarget & { visibilityState?: string } }
  return {
    window: typeof g.window?.addEventListener === 'function' ? g.window : undefined,
    document: typeof g.document?.addEventListener === 'function' ? g.document : undefined,
  }
}
