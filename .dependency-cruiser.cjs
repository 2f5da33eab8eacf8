/**
 * The dependency rule (docs/architecture.md): each folder of src/ imports only the folders before
 * it in LAYERS; `server` imports `core` only; nothing imports the entry points. `npm test` runs this
 * through `npm run lint:deps`, so an upward import or a cycle between folders fails the suite.
 */
const LAYERS = ['core', 'transport', 'store', 'runtime', 'state', 'engines', 'redux', 'react']
const ENTRIES = '^src/(index|protocol)[.]ts$'

const upward = LAYERS.map((layer, i) => ({
  name: `layer-${layer}`,
  comment: `src/${layer} may import only ${LAYERS.slice(0, i).join(', ') || 'itself'} (and packages).`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: `^src/(?!(${LAYERS.slice(0, i + 1).join('|')})/)` },
}))

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'server-imports-core-only',
      comment: 'The reference server shares only the protocol (src/core) with the client.',
      severity: 'error',
      from: { path: '^src/server/' },
      to: { path: '^src/(?!(core|server)/)' },
    },
    {
      name: 'no-entry-imports',
      comment: 'The entry points re-export the layers; no module imports them back.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: ENTRIES },
    },
    {
      name: 'no-folder-cycle',
      comment: 'Folders form a chain: no folder depends on a folder that depends on it.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-runtime-cycle',
      comment: 'Modules load in one order. (A type-only import back, e.g. a helper naming its owner\'s interface, is allowed.)',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js'] },
  },
}
