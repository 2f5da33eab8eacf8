import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'src/index.ts', protocol: 'src/protocol.ts', react: 'src/react/index.ts', server: 'src/server/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // import.meta.url in the CJS build: src/server/drivers.ts resolves the optional drivers from it.
  shims: true,
  external: ['lokijs', 'redux', '@reduxjs/toolkit', 'react', 'react-redux', 'better-sqlite3', 'pg'],
})
