import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const WORKER = fileURLToPath(new URL('../worker.ts', import.meta.url))
const MARK = 'BENCH_RESULT '

/**
 * Runs one measurement in a fresh node process (tsx loader, --expose-gc), so no run inherits the
 * previous one's heap, JIT state or open handles. Resolves with the object the task printed.
 */
export function runChild<R>(task: string, args: Record<string, unknown>, options: { timeoutMs?: number; nodeArgs?: string[] } = {}): Promise<R> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', ...(options.nodeArgs ?? []), WORKER, task, JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const line = out.split('\n').find((l) => l.startsWith(MARK))
      if (line) resolve(JSON.parse(line.slice(MARK.length)) as R)
      else reject(new Error(`bench task ${task} ${JSON.stringify(args)} ended (${signal ?? code}) without a result:\n${out.slice(-2000)}`))
    })
  })
}

/** The worker side: print the result where the parent looks for it. */
export function report(result: unknown): void {
  process.stdout.write(`${MARK}${JSON.stringify(result)}\n`)
}
