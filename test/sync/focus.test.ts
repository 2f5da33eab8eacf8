import { afterEach, describe, expect, it, vi } from 'vitest'
import { createFocusManager } from '../../src'
import { advance, advanceUntil, liveReplica, rows, useMockServerAndFakeClock } from './harness'

const server = useMockServerAndFakeClock()

/** A browser's `window` and `document`, as far as focus goes: events, visibility, `hasFocus()`. */
function browserGlobals(options: { visible?: boolean; focused?: boolean } = {}) {
  const page = { visible: options.visible ?? true, focused: options.focused ?? true }
  const window = new EventTarget()
  const document = Object.defineProperties(new EventTarget(), {
    visibilityState: { get: () => (page.visible ? 'visible' : 'hidden') },
    hasFocus: { value: () => page.focused },
  })
  vi.stubGlobal('window', window)
  vi.stubGlobal('document', document)
  return {
    focus: () => ((page.focused = true), window.dispatchEvent(new Event('focus'))),
    blur: () => ((page.focused = false), window.dispatchEvent(new Event('blur'))),
    hide: () => ((page.visible = false), document.dispatchEvent(new Event('visibilitychange'))),
    show: () => ((page.visible = true), document.dispatchEvent(new Event('visibilitychange'))),
  }
}

afterEach(() => vi.unstubAllGlobals())

describe('the default focus manager in a browser', () => {
  it('hears the window lose and regain focus as well as the page hide and show, and drops its listeners when the last one leaves', () => {
    const browser = browserGlobals()
    const manager = createFocusManager()
    const heard: boolean[] = []
    const unsubscribe = manager.subscribe((focused) => heard.push(focused))
    browser.blur()
    browser.focus()
    browser.hide()
    browser.show()
    expect(heard).toEqual([false, true, false, true])
    unsubscribe()
    browser.blur()
    expect(heard).toHaveLength(4)
  })

  it('a page opened in the background (visible, not focused) hears its first focus as news', () => {
    const browser = browserGlobals({ focused: false })
    const manager = createFocusManager()
    expect(manager.isFocused()).toBe(false)
    const heard: boolean[] = []
    manager.subscribe((focused) => heard.push(focused))
    browser.focus()
    expect(heard).toEqual([true])
  })
})

describe('a replica with the default focus manager', () => {
  it('pulls at once when its window, visible all along, regains focus', async () => {
    const browser = browserGlobals()
    const notes = { collection: 'note', filter: {} }
    const h = liveReplica(server, { tables: { note: rows(2), contact: [] }, pollingInterval: 0, digestInterval: 0, focusManager: createFocusManager() })
    h.store.dispatch(h.replica.actions.subscribe(notes))
    await advanceUntil(() => h.statusOf(notes).status === 'synced')
    h.api.upsert('note', { id: 3, body: 'written while the user was in another window' })
    browser.blur()
    await advance(10 * 60_000)
    expect(h.requestsFor('note')).toBe(1) // polling is off, and the page never hid
    browser.focus()
    await advanceUntil(() => h.replica.selectors.note.selectTotal(h.store.getState()) === 3, 100)
    expect(h.eventsOf('pullStarted').map((e) => e.trigger)).toEqual(['subscribe', 'focus'])
    await h.close()
  })
})
