import { busy } from './errors.js'

/**
 * A small semaphore with a bounded queue for costly reads (digests, counts). At most `concurrency`
 * run at once; up to `queue` more wait, each at most `maxWaitMs`; anything beyond is refused at once
 * with `503 busy` and a `Retry-After`, which clients honour. So however many digests one caller
 * fires, the database works on a few, and every other request still gets its turn.
 */
export interface Gate {
  run<T>(task: () => Promise<T>): Promise<T>
}

export function createGate(options: { concurrency: number; queue: number; maxWaitMs: number }): Gate {
  let running = 0
  const waiting: Array<{ start: () => void; timer: ReturnType<typeof setTimeout> }> = []

  const release = () => {
    running--
    const next = waiting.shift()
    if (next) {
      clearTimeout(next.timer)
      next.start()
    }
  }

  return {
    async run(task) {
      if (running >= options.concurrency) {
        if (waiting.length >= options.queue) throw busy('too many costly requests at once; try again later')
        await new Promise<void>((resolve, reject) => {
          const entry = {
            start: resolve,
            timer: setTimeout(() => {
              waiting.splice(waiting.indexOf(entry), 1)
              reject(busy('waited too long for a turn; try again later'))
            }, options.maxWaitMs),
          }
          waiting.push(entry)
        })
      }
      running++
      try {
        return await task()
      } finally {
        release()
      }
    },
  }
}
