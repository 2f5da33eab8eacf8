import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cjsScript, consumerTs, esmScript, tsconfig } from './consumerApp'

// The package as a user gets it: built, packed, installed into an app of its own with only what
// a user installs next to it (redux, @reduxjs/toolkit, better-sqlite3), then run and typechecked.
const run = promisify(execFile)
const repo = path.resolve(import.meta.dirname, '../..')
const bin = (name: string) => path.join(repo, 'node_modules', '.bin', name)
const pinned = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).devDependencies as Record<string, string>
// Each step is bounded, so a hung install fails the suite rather than CI's clock.
const STEP = { timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }

describe('the packed package in a fresh app', () => {
  let work: string
  let app: string
  const node = (script: string) => run(process.execPath, [script], { cwd: app, ...STEP })
  const typecheck = (config: string) => run(process.execPath, [path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', config], { cwd: app, ...STEP })

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'replica-pack-'))
    // Built and packed away from the worktree, so a run never touches its dist/.
    const pkg = path.join(work, 'package')
    await run(bin('tsup'), ['--out-dir', path.join(pkg, 'dist'), '--silent'], { cwd: repo, ...STEP })
    writeFileSync(path.join(pkg, 'package.json'), readFileSync(path.join(repo, 'package.json')))
    writeFileSync(path.join(pkg, 'README.md'), readFileSync(path.join(repo, 'README.md')))
    await run('npm', ['pack', '--silent', '--pack-destination', work], { cwd: pkg, ...STEP })
    const tarball = path.join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!)

    app = path.join(work, 'app')
    await run('mkdir', [app])
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer-app', private: true, type: 'module' }))
    // From npm's cache when it has them (npm ci filled it); better-sqlite3 is linked to the
    // repository's already-compiled copy rather than rebuilt.
    await run('npm', [
      'install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts',
      tarball,
      `redux@${pinned.redux}`, `@reduxjs/toolkit@${pinned['@reduxjs/toolkit']}`,
      `@types/node@${pinned['@types/node']}`, `@types/better-sqlite3@${pinned['@types/better-sqlite3']}`,
      `file:${path.join(repo, 'node_modules', 'better-sqlite3')}`,
    ], { cwd: app, ...STEP })
    writeFileSync(path.join(app, 'app.mjs'), esmScript)
    writeFileSync(path.join(app, 'app.cjs'), cjsScript)
    writeFileSync(path.join(app, 'consumer.ts'), consumerTs)
    writeFileSync(path.join(app, 'consumer.cts'), consumerTs)
    writeFileSync(path.join(app, 'tsconfig.bundler.json'), tsconfig('bundler'))
    writeFileSync(path.join(app, 'tsconfig.node16.json'), tsconfig('node16'))
  }, 400_000)
  afterAll(() => rmSync(work, { recursive: true, force: true }))

  it.each(['app.mjs', 'app.cjs'])('%s starts the server over SQLite and syncs its notes into a store kept in a compacted file, without pg installed', async (script) => {
    const { stdout } = await node(script)
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { notes: number; missingDriver: string; compacted: boolean }
    expect(result.notes).toBe(600)
    expect(result.compacted).toBe(true)
    // PostgreSQL was not installed: its source says which package to add.
    expect(result.missingDriver).toContain('npm install pg')
  }, 120_000)

  it.each(['bundler', 'node16'])('a TypeScript app typechecks under moduleResolution %s', async (resolution) => {
    // tsc prints nothing when the program typechecks; its errors otherwise.
    const { stdout } = await typecheck(`tsconfig.${resolution}.json`).catch((error: { stdout: string }) => error)
    expect(stdout).toBe('')
  }, 120_000)
})
