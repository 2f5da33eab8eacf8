/** Command-line flags of `npm run bench -- ...`. */
export type Part = 'core' | 'e2e' | 'server' | 'persistence' | 'storage' | 'experiments'
const PARTS: readonly Part[] = ['core', 'e2e', 'server', 'persistence', 'storage', 'experiments']

export interface BenchArgs {
  /** Row counts to measure. Default 10,000 and 100,000; `--million` adds 1,000,000. */
  sizes: number[]
  /** Fresh processes per figure (the median is reported). Default 3. */
  runs: number
  /**
   * Which parts to run: `core` (in-process, issue 2), `e2e` (server on loopback, issue 6); and,
   * only when asked (they add minutes): `server` (bench/server.ts, the server's own pull
   * throughput), `persistence` (bench/persistence.ts, what durability costs), `storage`
   * (bench/storageLog.ts, what a save writes, hydration, live updates) and `experiments`.
   */
  parts: Set<Part>
  /** Stop a contender at a size once a run passes this many seconds (the 2015 algorithm). */
  capSeconds: number
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  const flags = new Map<string, string>()
  for (const arg of argv) {
    const [name, value] = arg.replace(/^--/, '').split('=')
    flags.set(name as string, value ?? 'true')
  }
  if (flags.has('help')) {
    console.log(`npm run bench -- [--core] [--e2e] [--experiments] [--server] [--persistence] [--all] [--million] [--sizes=10000,100000] [--runs=3] [--cap=60]
  --core          the in-process core benchmark (issue 2)
  --e2e           the end-to-end comparison against the reference server (issue 6)
  --server        the server's pull throughput against a bare keyset server (bench/server.ts)
  --persistence   what file persistence costs (bench/persistence.ts)
  --storage       the storage log: bytes per one-row save, hydration, live updates (bench/storageLog.ts)
  --experiments   what fewer saves during a catch-up and pipelined pulls would buy
                  (no part named: --core and --e2e; --all: every part)
  --million       add 1,000,000 rows (minutes; the 2015 algorithm is capped, see --cap)
  --sizes         comma-separated row counts, replacing the defaults
  --runs          fresh processes per figure (median reported), default 3
  --cap           seconds after which a slow contender's run stops and reports its rate so far`)
    process.exit(0)
  }
  const sizes = flags.has('sizes') ? (flags.get('sizes') as string).split(',').map(Number) : [10_000, 100_000]
  if (flags.has('million') && !sizes.includes(1_000_000)) sizes.push(1_000_000)
  const parts = new Set<Part>(PARTS.filter((part) => flags.has(part) || flags.has('all')))
  if (parts.size === 0) parts.add('core').add('e2e')
  return { sizes, runs: Number(flags.get('runs') ?? 3), parts, capSeconds: Number(flags.get('cap') ?? 60) }
}
