// Bundles the CLI with esbuild into dist/cli/: one entry per command (oclif loads only the command it runs, through
// oclif.manifest.json), shared code in chunks, AWS SDK clients in chunks of their own that load on first use.
// Why: a cold `ebws listeners show` spent most of its time resolving, reading and compiling ~900 small modules of
// node_modules; one file per concern starts ~20% faster (bench/listeners.ts). The library (dist/src, with types)
// is still tsc's output; tests run the bundle through bin/run.js.
// Run: node scripts/build-cli.ts (part of `npm run build`).
import {readdirSync, rmSync, writeFileSync} from 'node:fs'
import {builtinModules} from 'node:module'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

import {build, type Plugin} from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
const outdir = join(root, 'dist', 'cli')

const entryPoints: Record<string, string> = {
  main: 'src/cli/main.ts',
  help: 'src/cli/help.ts',
  // Started with new Worker() by src/bundle/write.ts, which looks for it here when bundled.
  'deflate-worker': 'src/bundle/deflate-worker.ts',
}
for (const entry of readdirSync(join(root, 'commands'), {recursive: true, withFileTypes: true})) {
  if (!entry.isFile() || !entry.name.endsWith('.ts')) continue
  const file = relative(root, join(entry.parentPath, entry.name))
  entryPoints[file.replace(/\.ts$/, '')] = file
}

// Node built-ins through require(), never through ESM import: importing node:http from ESM builds a facade that reads
// every export, and one of http's lazy exports loads undici (~10 ms on every run of the CLI).
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]))
const builtinsThroughRequire: Plugin = {
  name: 'builtins-through-require',
  setup(b) {
    b.onResolve({filter: /^(node:)?[a-z_/]+$/}, (args) => (builtins.has(args.path) ? {path: args.path, namespace: 'builtin'} : undefined))
    b.onLoad({filter: /.*/, namespace: 'builtin'}, (args) => ({contents: `module.exports = __ebwsRequire(${JSON.stringify(args.path)})`, loader: 'js'}))
  },
}

rmSync(outdir, {recursive: true, force: true})
const result = await build({
  absWorkingDir: root,
  entryPoints,
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  // The AWS SDK's and Smithy's ESM builds ("module"): real named exports across chunks, and tree shaking.
  mainFields: ['module', 'main'],
  chunkNames: 'chunks/[name]-[hash]',
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'linked',
  // oclif loads TypeScript only to run a plugin's .ts sources in development; never needed from the bundle.
  external: ['typescript', 'ts-node', 'tsx'],
  define: {EBWS_CLI_BUNDLE: 'true'},
  // CommonJS dependencies (oclif, yaml, ...) call require() for Node built-ins.
  // (__ebwsRequire is a name esbuild does not treat as require(), so the built-ins plugin's modules are not re-bundled.)
  banner: {js: "import {createRequire as __ebwsCreateRequire} from 'node:module';const __ebwsRequire=__ebwsCreateRequire(import.meta.url),require=__ebwsRequire;"},
  plugins: [builtinsThroughRequire],
  metafile: true,
  logLevel: 'warning',
})
writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile))
