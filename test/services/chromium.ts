import { accessSync, constants, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

/** How to launch a headless Chromium with playwright-core: `chromium.launch({ executablePath, args, env })`. */
export interface TestChromium {
  executablePath: string
  args: string[]
  /** Variables to add to the browser's environment (libraries and fonts of the bundled build). */
  env: Record<string, string>
  /** True when no system Chromium was found and the one inside `@sparticuz/chromium` is used. */
  bundled: boolean
}

// Without the networking flags Chromium calls out to Google's hosts, which some networks refuse.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

/**
 * A system Chromium when one is at `candidates` (CHROMIUM_PATH, then Debian's /usr/bin/chromium),
 * else the build shipped inside the `@sparticuz/chromium` devDependency, unpacked to the temp
 * directory with the NSS and expat libraries it links to (a fresh machine may lack them).
 *
 * @example const browser = await chromium.launch(await findChromium())
 */
export async function findChromium(candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium']): Promise<TestChromium> {
  const system = candidates.find((p): p is string => !!p && isExecutableFile(p))
  if (system) return { executablePath: system, args: FLAGS, env: {}, bundled: false }

  const { default: bundled } = await import('@sparticuz/chromium')
  // The package serves Lambda: it unpacks its Amazon Linux libraries only there. We want them
  // everywhere, so the build runs on a machine without libnss3.
  const bin = path.join(path.dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium')), '..', '..', 'bin')
  const { inflate } = (await import(pathToImport(path.join(bin, '..', 'build', 'esm', 'lambdafs.js')))) as { inflate(file: string): Promise<string> }
  bundled.setGraphicsMode = false
  const executablePath = await bundled.executablePath(bin)
  const libraries = path.join(await inflate(path.join(bin, 'al2023.tar.br')), 'lib')
  return {
    executablePath,
    args: FLAGS,
    env: {
      LD_LIBRARY_PATH: [libraries, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
      FONTCONFIG_PATH: path.join(path.dirname(executablePath), 'fonts'),
    },
    bundled: true,
  }
}

/** A file this process may run: not a missing path, a directory or a device mounted over it. */
function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return statSync(file).isFile()
  } catch {
    return false
  }
}

const pathToImport = (file: string) => new URL(`file://${file}`).href
