import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export interface BenchServer {
  url: string
  seedSeconds: number
  stop(): Promise<void>
}

/**
 * Starts serverMain.ts with `notes` rows in a fresh SQLite file and waits for its READY line.
 * `pageDir`: a built browser benchmark page to serve under /bench/page/ (bench/browser/build.ts).
 */
export function startServer(notes: number, options: { pageDir?: string } = {}): Promise<BenchServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'replica-bench-server-'))
  const main = fileURLToPath(new URL('./serverMain.ts', import.meta.url))
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', main, String(notes), path.join(dir, 'server.db'), ...(options.pageDir ? [options.pageDir] : [])], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const stop = () =>
    new Promise<void>((resolve) => {
      child.once('close', () => (rmSync(dir, { recursive: true, force: true }), resolve()))
      child.kill('SIGTERM')
    })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const match = /READY (\S+) (\S+)/.exec(out)
      if (match) resolve({ url: match[1] as string, seedSeconds: Number(match[2]), stop })
    })
    child.once('close', (code) => reject(new Error(`bench server exited (${code}) before READY: ${out}`)))
  })
}
