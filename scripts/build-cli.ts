// Bundles the CLI with esbuild into dist/cli/, split by command, as CommonJS modules (.cjs):
//   ebws.cjs            oclif's execute() and COMMANDS, a stand-in per command (package.json oclif.commands,
//                       "explicit" strategy) that requires the command when it runs.
//   command-<id>.cjs    one per command (command-listeners-show.cjs), oclif's plugins' commands (help, version, autocomplete) included.
//   help.cjs            the help class (oclif.helpClass); not-found.cjs, the command_not_found hook (oclif.hooks).
//   chunk-*.cjs, …      code shared by several of them: @oclif/core, the AWS SDK clients, src/.
// and dist/sample-app/: the sample app `ebws local up` runs, with its dependencies.
// Why: a cold `ebws listeners show` spent most of its time resolving, reading and compiling ~900 small modules of
// node_modules. The bundle has no module resolution at all, a run reads only the files of its command, and the
// installed package needs no dependencies: what it runs is what the tests ran. bin/run.js loads ebws.cjs through
// bin/load-cli.js, with a V8 code cache made at exit (bench/startup.ts).
// The library (dist/src, with types) is still tsc's output; the tests run this bundle through bin/run.js.
// Run: node scripts/build-cli.ts (part of `npm run build`).
import {copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

import {build, type BuildOptions, type Plugin, transformSync} from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
const outdir = join(root, 'dist', 'cli')

/** oclif command ids from the files under commands/: commands/listeners/show.ts is `listeners:show`. */
function commandFiles(): Array<{id: string; file: string}> {
  return readdirSync(join(root, 'commands'), {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort()
    .map((file) => ({
      id: file
        .replace(/^commands\//, '')
        .replace(/\.ts$/, '')
        .split('/')
        .join(':'),
      file,
    }))
}

const commands = commandFiles()

// oclif's own plugins, bundled too (one copy of @oclif/core, nothing to install or resolve at run time): their
// commands join COMMANDS, the not-found hook is package.json's oclif.hooks entry (src/cli/plugins.ts adapts both to
// the --json envelope; `envelope` is the summary of a command whose --json becomes the envelope). Their packages
// export no command files, so these are file paths next to their entry.
const require = createRequire(import.meta.url)
const pluginFile = (pkg: string, file: string) => join(dirname(require.resolve(pkg)), file)
const pluginCommands: Array<{id: string; file: string; envelope?: string}> = [
  {id: 'help', file: pluginFile('@oclif/plugin-help', 'commands/help.js')},
  {
    id: 'version',
    file: pluginFile('@oclif/plugin-version', 'commands/version.js'),
    envelope: 'Show the versions of ebws and Node.js, and the platform.',
  },
  {id: 'autocomplete', file: pluginFile('@oclif/plugin-autocomplete', 'commands/autocomplete/index.js')},
  {id: 'autocomplete:create', file: pluginFile('@oclif/plugin-autocomplete', 'commands/autocomplete/create.js')},
  {id: 'autocomplete:script', file: pluginFile('@oclif/plugin-autocomplete', 'commands/autocomplete/script.js')},
]

// Every command is an entry of its own (dist/cli/command-<id>.cjs) and esbuild splits the code they share into
// chunks: a run loads oclif, the entry below and the one command's module graph, tree-shaken. (The earlier single
// CommonJS file wrapped every module in a lazy initializer, which defeats tree shaking: importing an SDK client's
// index then built its aggregated client of every operation, ~28 ms for EC2 alone on each `listeners show`.)
// oclif reads a command's flags and help from oclif.manifest.json and touches COMMANDS[id] only to run it, so
// COMMANDS holds a stand-in per command whose run() loads the real class and runs it. `oclif manifest` (npm run
// build) needs the real classes: EBWS_OCLIF_MANIFEST=1 loads them all up front.
const entryFile = (id: string) => `command-${id.split(':').join('-')}`
const pluginCommandModule = (id: string): string => {
  const c = pluginCommands.find((p) => p.id === id)!
  if (!c.envelope) return `export {default} from ${JSON.stringify(c.file)}`
  return [
    `import Base from ${JSON.stringify(c.file)}`,
    `import {withEnvelope} from ${JSON.stringify(join(root, 'src/cli/plugins.ts'))}`,
    `export default withEnvelope(Base, ${JSON.stringify(c.id.split(':').join(' '))}, ${JSON.stringify(c.envelope)})`,
  ].join('\n')
}
const pluginCommandEntries: Plugin = {
  name: 'plugin-command-entries',
  setup(b) {
    b.onResolve({filter: /^ebws-plugin-command:/}, (args) => ({path: args.path, namespace: 'ebws-plugin-command'}))
    b.onLoad({filter: /.*/, namespace: 'ebws-plugin-command'}, (args) => ({
      contents: pluginCommandModule(args.path.slice('ebws-plugin-command:'.length)),
      resolveDir: root,
      loader: 'js',
    }))
  },
}
const commandSource: Record<string, string> = Object.fromEntries([
  ...commands.map((c) => [c.id, `./${c.file}`]),
  ...pluginCommands.map((c) => [c.id, `ebws-plugin-command:${c.id}`]),
])
const entry = [
  `export {execute} from '@oclif/core'`,
  `const load = {`,
  ...Object.entries(commandSource).map(([id, src]) => `  ${JSON.stringify(id)}: () => import(${JSON.stringify(src)}),`),
  `}`,
  `const standIns = {}`,
  `for (const [id, importCommand] of Object.entries(load)) {`,
  `  standIns[id] = {`,
  `    async run(argv, config) {`,
  `      const Real = (await importCommand()).default`,
  `      Real.id = this.id`,
  `      Real.plugin = this.plugin`,
  `      return Real.run(argv, config)`,
  `    },`,
  `  }`,
  `}`,
  // oclif awaits what it reads from the target (Plugin.loadCommandsFromTarget), so for `oclif manifest` COMMANDS is a
  // promise of the real classes: no top-level await, which a CommonJS module cannot have.
  `export const COMMANDS = process.env.EBWS_OCLIF_MANIFEST === '1'`,
  `  ? Promise.all(Object.entries(load).map(async ([id, importCommand]) => [id, (await importCommand()).default])).then(Object.fromEntries)`,
  `  : standIns`,
].join('\n')
// The help class and the not-found hook: entries of their own (package.json oclif.helpClass and oclif.hooks), loaded
// by oclif only for help and for a mistyped command.
const cliEntries = {
  ...Object.fromEntries(Object.entries(commandSource).map(([id, src]) => [entryFile(id), src])),
  help: 'src/cli/help.ts',
  'not-found': 'src/cli/plugins.ts',
}

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

// @oclif/plugin-not-found uses one prompt, confirm, from the @inquirer/prompts barrel; through the barrel the bundle
// would carry every prompt, the editor prompt's iconv-lite and chardet included (~700 KiB of the bundle). Resolved to
// that one prompt's own package (the barrel's confirm is re-exported from it): no source is changed.
const inquirerConfirmOnly: Plugin = {
  name: 'inquirer-confirm-only',
  setup(b) {
    b.onResolve({filter: /^@inquirer\/prompts$/}, (args) => ({
      path: args.resolveDir,
      namespace: 'inquirer-confirm-only',
    }))
    b.onLoad({filter: /.*/, namespace: 'inquirer-confirm-only'}, (args) => ({
      contents: "export {default as confirm} from '@inquirer/confirm'",
      resolveDir: args.path,
      loader: 'js',
    }))
  },
}

// An AWS SDK client's schemas (dist-es/schemas/schemas_0.js: every shape of every operation, 1.35 MB for EC2's ~750)
// survive esbuild's tree shaking almost whole (1.03 MB of EC2's kept for one operation; measured with a metafile),
// and building them is paid on every run that loads the client (~100 ms for EC2; ~3-5 ms for Route 53 or ACM).
// Kept here: the declarations reachable from the operations that src/aws/sdk/<client>.ts re-exports (a command, a
// paginate<Operation>, or the commands a waitUntil<Name> sends), from errorTypeRegistries and from the file's own
// statements; every other export is left declared but empty, and none of them is reachable from what ebws calls.
const SDK_FACADES = join(root, 'src', 'aws', 'sdk')
// S3 is left whole: its client sends commands of its own (CreateSession, for S3 Express) and @aws-sdk/lib-storage
// sends the multipart upload's, neither through src/aws/sdk/s3.ts (and no `listeners` command loads S3).
const SCHEMAS_WHOLE = ['s3.ts']
const usedOperations = new Map<string, string[]>() // package name -> "<Operation>$" schema names
for (const facade of readdirSync(SDK_FACADES).filter((f) => !SCHEMAS_WHOLE.includes(f))) {
  const source = readFileSync(join(SDK_FACADES, facade), 'utf8')
  const pkg = /from '(@aws-sdk\/client-[\w-]+)'/.exec(source)?.[1]
  if (!pkg) throw new Error(`src/aws/sdk/${facade}: no @aws-sdk client re-exported`)
  const names = [...source.matchAll(/^\s+(\w+),$/gm)].map((m) => m[1]!)
  const operations = names.flatMap((name): string[] => {
    const command = /^(\w+)Command$/.exec(name)?.[1]
    if (command) return [command]
    const paginated = /^paginate(\w+)$/.exec(name)?.[1]
    if (paginated) return [paginated]
    const waiter = /^waitUntil(\w+)$/.exec(name)?.[1]
    if (!waiter) return []
    const waiterFile = join(dirname(require.resolve(pkg)), '..', 'dist-es', 'waiters', `waitFor${waiter}.js`)
    return [...readFileSync(waiterFile, 'utf8').matchAll(/new (\w+)Command\(/g)].map((m) => m[1]!)
  })
  usedOperations.set(
    pkg,
    operations.map((o) => `${o}$`),
  )
}
const sdkSchemasUsedOnly: Plugin = {
  name: 'sdk-schemas-used-only',
  setup(b) {
    b.onLoad({filter: /@aws-sdk[\\/]client-[\w-]+[\\/]dist-es[\\/]schemas[\\/]schemas_0\.js$/}, (args) => {
      const pkg = /(@aws-sdk[\\/]client-[\w-]+)[\\/]dist-es/.exec(args.path)![1]!.replace('\\', '/')
      const operations = usedOperations.get(pkg)
      // A client without a facade (none today) keeps its schemas whole.
      if (operations === undefined) return undefined
      // Top-level statements: a line at column 0 starts one, unless it closes the one before.
      const statements: string[] = []
      for (const line of readFileSync(args.path, 'utf8').split('\n')) {
        if (statements.length > 0 && (line === '' || /^[\s\]})]/.test(line)))
          statements[statements.length - 1] += `\n${line}`
        else statements.push(line)
      }
      const declared = new Map<string, number>()
      statements.forEach((st, i) => {
        const name = /^(?:export )?(?:var|const|let) ([\w$]+)/.exec(st)?.[1]
        if (name) declared.set(name, i)
      })
      const roots = statements.flatMap((st, i) => {
        const name = /^(?:export )?(?:var|const|let) ([\w$]+)/.exec(st)?.[1]
        return name === undefined || name === 'errorTypeRegistries' || operations.includes(name) ? [i] : []
      })
      const keep = new Set<number>()
      const todo = [...roots]
      while (todo.length > 0) {
        const i = todo.pop()!
        if (keep.has(i)) continue
        keep.add(i)
        for (const [id] of statements[i]!.matchAll(/[A-Za-z_$][\w$]*/g)) {
          const j = declared.get(id)
          if (j !== undefined && !keep.has(j)) todo.push(j)
        }
      }
      // The package's command modules import every operation's schema (esbuild links them before shaking): a
      // dropped export stays declared, empty.
      const EXPORTED = /^export (?:var|const|let) ([\w$]+)/
      const kept = statements.flatMap((st, i) => {
        if (keep.has(i)) return [st]
        const name = EXPORTED.exec(st)?.[1]
        return name ? [`export var ${name};`] : []
      })
      return {contents: kept.join('\n'), loader: 'js'}
    })
  },
}

// @oclif/core's index checks the Node version against its own package.json's engines on load, requiring semver for
// it (~3 ms of every run): in the bundle that package.json is not there, so the check always fails silently, and
// bin/run.js has checked ebws's own engines floor already. The call is dropped; nothing else in the file changes.
const oclifNoEngineCheck: Plugin = {
  name: 'oclif-no-engine-check',
  setup(b) {
    b.onLoad({filter: /@oclif[\\/]core[\\/]lib[\\/]index\.js$/}, (args) => {
      const source = readFileSync(args.path, 'utf8')
      if (!/^checkNodeVersion\(\);$/m.test(source)) throw new Error(`${args.path}: checkNodeVersion(); not found`)
      return {contents: source.replace(/^checkNodeVersion\(\);$/m, ''), loader: 'js'}
    })
  },
}

// node:http and node:https reached through require(), not as ES modules: Node builds an ES module facade of a
// built-in by reading every export, and node:http's lazy WebSocket/fetch-family getters then load undici (~10 ms of
// every run that makes an AWS call; seen in a --cpu-prof of `listeners show`, from the SDK's `await import('http')`).
// A dynamic import() gets a module with the same names as the built-in's (its plain properties; the lazy getters are
// what is avoided), because esbuild gives an import() of a CommonJS module only `default`.
const httpThroughRequire: Plugin = {
  name: 'http-through-require',
  setup(b) {
    b.onResolve({filter: /^(node:)?https?$/}, (args) => {
      if (args.namespace.startsWith('http-through-require')) return {path: args.path, external: true}
      const path = args.path.replace(/^(node:)?/, 'node:')
      return {path, namespace: args.kind === 'dynamic-import' ? 'http-through-require-named' : 'http-through-require'}
    })
    b.onLoad({filter: /.*/, namespace: 'http-through-require'}, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)})`,
      loader: 'js',
    }))
    b.onLoad({filter: /.*/, namespace: 'http-through-require-named'}, (args) => {
      const names = Object.entries(Object.getOwnPropertyDescriptors(require(args.path) as object))
        .filter(([name, d]) => 'value' in d && name !== 'default' && /^[A-Za-z_$][\w$]*$/.test(name))
        .map(([name]) => name)
      const load = `require(${JSON.stringify(args.path)})`
      return {contents: `const m = ${load}\nexport default m\nexport const {${names.join(', ')}} = m`, loader: 'js'}
    })
  },
}

rmSync(outdir, {recursive: true, force: true})
// Split as ES modules (esbuild splits only those), then each output file turned into a CommonJS module: bin/load-cli.js
// loads them with a V8 code cache made after the first run, which holds the functions that run compiled (Node's own
// compile cache is made before a module runs: it holds only the top level, and every function a run calls was
// compiled again on each run, ~45 ms of a cold ALB `listeners show`; bench/startup.ts).
const cli = await build({
  ...common,
  entryPoints: {ebws: 'ebws-cli-entry', ...cliEntries},
  outdir,
  format: 'esm',
  splitting: true,
  outExtension: {'.js': '.cjs'},
  write: false,
  // One directory for every file: a chunk's relative imports and import.meta.url mean dist/cli/ wherever a module
  // landed (src/package-root.ts walks up from it).
  chunkNames: '[name]-[hash]',
  plugins: [
    {
      name: 'ebws-cli-entry',
      setup(b) {
        b.onResolve({filter: /^ebws-cli-entry$/}, () => ({path: 'ebws-cli-entry', namespace: 'ebws-cli-entry'}))
        b.onLoad({filter: /.*/, namespace: 'ebws-cli-entry'}, () => ({contents: entry, resolveDir: root, loader: 'js'}))
      },
    },
    pluginCommandEntries,
    inquirerConfirmOnly,
    sdkSchemasUsedOnly,
    httpThroughRequire,
    oclifNoEngineCheck,
  ],
  metafile: true,
})
mkdirSync(outdir, {recursive: true})
for (const file of cli.outputFiles) {
  if (!file.path.endsWith('.cjs')) {
    writeFileSync(file.path, file.contents)
    continue
  }
  // esbuild gives a dynamic import() of a CommonJS module only `default` (`const {parse} = await import('yaml')` is
  // undefined): such a module is imported statically, in a module of its own (src/environment/eb-cli-yaml.ts).
  if (/^export default require_\w+\(\);$/m.test(file.text))
    throw new Error(
      `${file.path}: a CommonJS module reached by a dynamic import() (only its default export would be there)`,
    )
  writeFileSync(file.path, toCommonJs(file.text))
}
writeFileSync(join(outdir, 'meta.json'), JSON.stringify(cli.metafile))

/**
 * One output file of the split ES module build as a CommonJS module: its imports of other chunks become require()
 * (a dynamic one a promise of it, as import() would be), import.meta.url this file's URL, strict as a module is.
 * Other import() calls (oclif loading a plugin by URL) stay import().
 */
function toCommonJs(code: string): string {
  const chunkImports = code.replace(
    /\bimport\((["'])(\.\/[\w.-]+\.cjs)\1\)/g,
    'Promise.resolve().then(() => require($1$2$1))',
  )
  const meta = chunkImports.includes('import.meta')
  return transformSync(chunkImports, {
    format: 'cjs',
    platform: 'node',
    target: 'node22',
    define: meta ? {'import.meta.url': '__ebwsModuleUrl'} : {},
    banner: `'use strict';${meta ? " const __ebwsModuleUrl = require('node:url').pathToFileURL(__filename).href;" : ''}`,
    legalComments: 'inline',
    logLevel: 'error',
  }).code
}

// The sample app `ebws local up` runs, with express, helmet and socket.io inlined: an installed ebws has no
// node_modules of the sample app (its dependencies are the workspace's), and one file pins the versions the tests
// ran with. It runs as if it were sample-app/server.js (import.meta.url), so it serves sample-app/public; socket.io
// serves its browser client from ../client-dist next to its code, hence the copy. The deployed app is still
// sample-app/ itself, installed by the platform from its package.json.
const sampleOut = join(root, 'dist', 'sample-app')
rmSync(sampleOut, {recursive: true, force: true})
await build({
  ...common,
  entryPoints: ['sample-app/server.js'],
  outfile: join(sampleOut, 'lib', 'server.cjs'),
  format: 'cjs',
  define: {...common.define, 'import.meta.url': '__sampleAppUrl'},
  banner: {
    js: "const __sampleAppUrl = require('node:url').pathToFileURL(require('node:path').join(__dirname, '..', '..', '..', 'sample-app', 'server.js')).href;",
  },
})
const socketIoClient = join(
  dirname(require.resolve('socket.io', {paths: [join(root, 'sample-app')]})),
  '..',
  'client-dist',
  'socket.io.min.js',
)
mkdirSync(join(sampleOut, 'client-dist'), {recursive: true})
copyFileSync(socketIoClient, join(sampleOut, 'client-dist', 'socket.io.min.js'))
