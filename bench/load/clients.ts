/**
 * One process of the load tool's clients (bench/loadtest.ts): `LOAD_COUNT` real stores with the
 * middleware, each subscribed to one project's notes through one of the servers. Speaks JSON lines
 * on stdout; reads `measure`, `report` and `quit` on stdin.
 */
import { createInterface } from 'node:readline'
import { configureStore } from '@reduxjs/toolkit'
import { collection, createFocusManager, createOnlineManager, createReplica, httpTransport, memoryPersistence } from '../../src'

interface Note {
  id: number
  project_id: number
  body: string
}

const urls = process.env.LOAD_URLS!.split(',')
const from = Number(process.env.LOAD_FROM)
const count = Number(process.env.LOAD_COUNT)
const projects = Number(process.env.LOAD_PROJECTS)
const live = process.env.LOAD_LIVE !== '0'
const pollingInterval = Number(process.env.LOAD_POLL)
const now = () => performance.timeOrigin + performance.now()

let measuring = false
let cpuAtMeasure = process.cpuUsage()
let measuredAt = performance.now()
const latencies: number[] = []
const counts = { pulls: 0, heldBackPulls: 0, pokes: 0, requests: 0, channelOpens: 0 }
let synced = 0
let open = 0
const clients: Array<{ close(): Promise<void> }> = []

function startClient(i: number) {
  const project = (i % projects) + 1
  const replica = createReplica({
    collections: { note: collection<Note>() },
    transport: httpTransport({ url: urls[i % urls.length]!, headers: { authorization: `Bearer project-${project}` }, live }),
    persistence: memoryPersistence(`load-${i}`),
    pollingInterval,
    digestInterval: 0,
    onlineManager: createOnlineManager({ setEventListener: () => undefined, initiallyOnline: true }),
    focusManager: createFocusManager({ setEventListener: () => undefined }),
    onEvent(e) {
      if (e.type === 'synced' && !wasSynced) {
        wasSynced = true
        synced++
      }
      if (e.type === 'channel' && e.state === 'open') {
        if (!wasOpen) open++
        wasOpen = true
        if (measuring) counts.channelOpens++
      }
      if (!measuring) return
      if (e.type === 'pullStarted' && e.trigger === 'heldBack') counts.heldBackPulls++
      if (e.type === 'pullStarted' && e.trigger !== 'subscribe') counts.pulls++
      else if (e.type === 'poke') counts.pokes++
      else if (e.type === 'requestSent') counts.requests++
    },
  })
  let wasSynced = false
  let wasOpen = false
  const store = configureStore({
    reducer: { replica: replica.reducer },
    middleware: (gDM) => gDM({ serializableCheck: false, immutableCheck: false }).concat(replica.middleware),
    enhancers: (gDE) => gDE().concat(replica.enhancer),
  })
  const seen = new Set<number>()
  let last: readonly Note[] | undefined
  store.subscribe(() => {
    const notes = replica.selectors.note.selectAll(store.getState())
    if (notes === last) return
    last = notes
    const at = now()
    for (const n of notes) {
      if (seen.has(n.id)) continue
      seen.add(n.id)
      if (!measuring) continue
      const t = (JSON.parse(n.body) as { t?: number }).t
      if (typeof t === 'number') latencies.push(at - t)
    }
  })
  store.dispatch(replica.actions.subscribe({ collection: 'note', filter: { project_id: project } }))
  clients.push(store.replica)
}

// Start a few clients at a time, as users arrive, not all in one tick.
for (let i = from; i < from + count; i++) {
  startClient(i)
  if (i % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 20))
}
const readyCheck = setInterval(() => {
  if (synced === count && (!live || open === count)) {
    clearInterval(readyCheck)
    process.stdout.write(`${JSON.stringify({ ready: true })}\n`)
  }
}, 50)

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = line.trim()
  if (command === 'measure') {
    latencies.length = 0
    for (const k of Object.keys(counts) as Array<keyof typeof counts>) counts[k] = 0
    measuring = true
    cpuAtMeasure = process.cpuUsage()
    measuredAt = performance.now()
  } else if (command === 'report') {
    const cpu = process.cpuUsage(cpuAtMeasure)
    const cpuPct = (100 * (cpu.user + cpu.system)) / 1000 / (performance.now() - measuredAt)
    process.stdout.write(`${JSON.stringify({ latencies, ...counts, cpuPct, rssBytes: process.memoryUsage().rss })}\n`)
  } else if (command === 'quit') {
    measuring = false
    void Promise.allSettled(clients.map((c) => c.close())).then(() => process.exit(0))
  }
})
