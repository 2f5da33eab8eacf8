/** Command-line flags of `npm run bench -- ...`. */
export type Part = 'core' | 'e2e' | 'browser' | 'server' | 'persistence' | 'storage' | 'experiments'
const PARTS: readonly Part[] = ['core', 'e2e', 'browser', 'server', 'persistence', 'storage', 'experiments']

export interface BenchArgs {
  /** Row counts to measure. Default 10,000 and 100,000; `--million` adds 1,000,000. */
  sizes: number[]
  /** Fresh processes per figure (the median is reported). Default 3. */
  runs: number
  /**
   * Which parts to run: `core` (in-process, issue 2), `e2e` (server on loopback, issue 6); and,
   * only when asked (they add minutes): `browser` (headless Chromium, issue 13; added to the
   * default parts, like `--million` adds a size), `server` (bench/server.ts, the server's own
   * pull throughput), `persistence` (bench/persistence.ts, what durability costs), `storage`
   * (bench/storageLog.ts, what a save writes, hydration, live updates) and `experiments`.
   * `--only=browser,e2e` runs exactly the parts listed.
   */
  parts: Set<Part>
  /** Stop a contender at a size once a run passes this many seconds (the 2015 algorithm). */
  capSeconds: number
  /**
   * `--targets`: only what the targets table needs (bench/targets.ts): core one-row dispatch, the
   * end-to-end floor, redux-replica's syncs, hydration and live update, the browser part; at
   * 100,000 and 1,000,000 rows unless `--sizes` says otherwise. No RxDB, no 2015 algorithm.
   */
  targetsOnly: boolean
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  const flags = new Map<string, string>()
  for (const arg of argv) {
    const [name, value] = arg.replace(/^--/, '').split('=')
    flags.set(name as string, value ?? 'true')
  }
  if (flags.has('help')) {
    console.log(`npm run bench -- [--core] [--e2e] [--browser] [--experiments] [--server] [--persistence] [--all] [--only=parts] [--million] [--sizes=10000,100000] [--runs=3] [--cap=60]
  --core          the in-process core benchmark (issue 2)
  --e2e           the end-to-end comparison against the reference server (issue 6)
  --browser       also the sync in headless Chromium into IndexedDB and Redux (issue 13),
                  at the sizes up to 100,000; with no other part named, core and e2e run too
  --only          exactly these parts, comma-separated: --only=browser
  --targets       only what the targets table needs, at 100,000 and 1,000,000 rows, browser
                  included (no RxDB, no 2015 algorithm, no memory figures)
  --server        the server's pull throughput against a bare keyset server (bench/server.ts)
  --persistence   what file persistence costs (bench/persistence.ts)
  --storage       the storage log: bytes per one-row save, hydration, live updates (bench/storageLog.ts)
  --experiments   what fewer saves during a catch-up and pipelined pulls would buy
                  (no part named: --core and --e2e; --all: every part)
  The run ends with the issue's targets: each measured one, its target, met or missed.
  --million       add 1,000,000 rows (minutes; the 2015 algorithm is capped, see --cap)
  --sizes         comma-separated row counts, replacing the defaults
  --runs          fresh processes per figure (median reported), default 3
  --cap           seconds after which a slow contender's run stops and reports its rate so far`)
    process.exit(0)
  }
  const targetsOnly = flags.has('targets')
  const sizes = flags.has('sizes') ? (flags.get('sizes') as string).split(',').map(Number) : targetsOnly ? [100_000, 1_000_000] : [10_000, 100_000]
  if (flags.has('million') && !sizes.includes(1_000_000)) sizes.push(1_000_000)
  const only = flags.get('only')?.split(',')
  const unknown = only?.filter((part) => !PARTS.includes(part as Part))
  if (unknown?.length) throw new Error(`--only: unknown part ${unknown.join(', ')}; parts: ${PARTS.join(', ')}`)
  const parts = new Set<Part>(only ? (only as Part[]) : PARTS.filter((part) => flags.has(part) || flags.has('all')))
  if (!only && targetsOnly) parts.add('browser')
  if (!only && [...parts].every((part) => part === 'browser')) parts.add('core').add('e2e')
  return { sizes, runs: Number(flags.get('runs') ?? 3), parts, capSeconds: Number(flags.get('cap') ?? 60), targetsOnly }
}
