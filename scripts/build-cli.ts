// Bundles the CLI with esbuild into dist/cli/:
//   ebws.cjs           oclif, every command, the help class and the AWS SDK clients in one CommonJS file. oclif finds
//                      the commands in its COMMANDS export (package.json oclif.commands, "explicit" strategy); commands
//                      and SDK clients are wrapped as lazy modules, so a run evaluates only what it uses.
//   deflate-worker.js  the worker thread of src/bundle/write.ts (a file of its own: new Worker() needs a path).
// Why: a cold `ebws listeners show` spent most of its time resolving, reading and compiling ~900 small modules of
// node_modules. One file has no module resolution at all, and bin/run.js can keep a V8 code cache of it that
// includes the functions compiled while running (Node's own compile cache keeps only what is compiled up front).
// The library (dist/src, with types) is still tsc's output; the tests run this bundle through bin/run.js.
// Run: node scripts/build-cli.ts (part of `npm run build`).
import {readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {builtinModules} from 'node:module'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

import {build, type BuildOptions, type Plugin} from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
const outdir = join(root, 'dist', 'cli')

/** oclif command ids from the files under commands/: commands/listeners/show.ts is `listeners:show`. */
function commandFiles(): Array<{id: string; file: string}> {
  return readdirSync(join(root, 'commands'), {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort()
    .map((file) => ({id: file.replace(/^commands\//, '').replace(/\.ts$/, '').split('/').join(':'), file}))
}

const commands = commandFiles()
// The bundle's entry. Commands are getters that require() their module on first access: esbuild then wraps each
// command's module graph in a lazy initializer, so running one command evaluates that command's code only (oclif
// reads a command's flags and help from oclif.manifest.json, and touches COMMANDS[id] only to run it).
const entry = [
  `const COMMANDS = {}`,
  ...commands.map((c) => `Object.defineProperty(COMMANDS, ${JSON.stringify(c.id)}, {enumerable: true, get: () => require('./${c.file}').default})`),
  `module.exports = {`,
  `  execute: require('@oclif/core').execute,`,
  `  COMMANDS,`,
  `  get EbwsHelp() { return require('./src/cli/help.ts').default },`,
  `}`,
].join('\n')

const common: BuildOptions = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node22',
  // The AWS SDK's and Smithy's ESM builds ("module"): tree-shaken, smaller than their CommonJS builds.
  mainFields: ['module', 'main'],
  // oclif loads TypeScript only to run a plugin's .ts sources in development; never needed from the bundle.
  external: ['typescript', 'ts-node', 'tsx'],
  define: {EBWS_CLI_BUNDLE: 'true'},
  minifySyntax: true,
  legalComments: 'linked',
  logLevel: 'warning',
}

// `await import('node:http')` (AWS SDK) would stay a real import() in CommonJS output, which code run through
// vm.Script (bin/run.js) cannot do. Served as a small CommonJS module instead, esbuild turns it into require().
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]))
const dynamicBuiltinsThroughRequire: Plugin = {
  name: 'dynamic-builtins-through-require',
  setup(b) {
    b.onResolve({filter: /^(node:)?[a-z_/0-9]+$/}, (args) =>
      args.kind === 'dynamic-import' && builtins.has(args.path) ? {path: args.path, namespace: 'builtin'} : undefined,
    )
    b.onLoad({filter: /.*/, namespace: 'builtin'}, (args) => ({contents: `module.exports = require(${JSON.stringify(args.path)})`, loader: 'js'}))
  },
}

// oclif sorts the manifest's command ids with localeCompare when it loads a plugin, on every run: the first
// localeCompare initializes ICU's collator, ~7 ms of a ~160 ms `listeners show`. Command ids are ASCII, for which
// code-unit order is the order we want listed anyway. The build fails if oclif's code changes, so this is never
// silently lost or misapplied.
const OCLIF_SORT = '.sort((a, b) => a.id.localeCompare(b.id))'
const oclifSortWithoutIcu: Plugin = {
  name: 'oclif-sort-without-icu',
  setup(b) {
    b.onLoad({filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/}, (args) => {
      const source = readFileSync(args.path, 'utf8')
      if (!source.includes(OCLIF_SORT)) throw new Error(`${args.path}: oclif changed; review the oclif-sort-without-icu patch in scripts/build-cli.ts`)
      return {contents: source.replace(OCLIF_SORT, '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))'), loader: 'js'}
    })
  },
}

rmSync(outdir, {recursive: true, force: true})
const cli = await build({
  ...common,
  stdin: {contents: entry, resolveDir: root, sourcefile: 'ebws-cli-entry.cjs', loader: 'js'},
  outfile: join(outdir, 'ebws.cjs'),
  format: 'cjs',
  // ESM sources read import.meta.url (e.g. src/package-root.ts); in CommonJS it is this file's URL.
  define: {...common.define, 'import.meta.url': '__ebwsImportMetaUrl'},
  plugins: [dynamicBuiltinsThroughRequire, oclifSortWithoutIcu],
  banner: {js: "const __ebwsImportMetaUrl = require('node:url').pathToFileURL(__filename).href;"},
  metafile: true,
})
await build({...common, entryPoints: {'deflate-worker': 'src/bundle/deflate-worker.ts'}, outdir, format: 'esm'})
writeFileSync(join(outdir, 'meta.json'), JSON.stringify(cli.metafile))

// bin/run.js reads the bundle as latin1 (no UTF-8 decoding: ~40% faster for this size), which is only right for
// ASCII. esbuild escapes non-ASCII in strings and identifiers but leaves a few raw characters in regular expression
// literals (e.g. \u009b in ansi-regex); an escape means the same there.
const bundlePath = join(outdir, 'ebws.cjs')
// Per UTF-16 unit (no u flag): a surrogate pair as two \u escapes reads the same in strings and in regexes.
const ascii = readFileSync(bundlePath, 'utf8').replace(/[\u0080-\uffff]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`)
writeFileSync(bundlePath, ascii)
