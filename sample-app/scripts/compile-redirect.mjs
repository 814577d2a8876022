// Compiles src/redirect/*.ts with the repository's tsconfig.json options (exactly what `npm run build` emits into
// dist/src/redirect/), in memory. Shared by sync-lib.mjs and the test that checks lib/ is current.
import {basename, join} from 'node:path'

import ts from 'typescript'

export const GENERATED_HEADER = (name) =>
  `// GENERATED from src/redirect/${name.replace(/\.js$/, '.ts')} by tsc. Do not edit: run \`npm run sync-lib -w sample-app\`.\n`

/** @returns {Record<string, string>} file name (e.g. "index.js") -> JavaScript text */
export function compileRedirectModule(repoRoot) {
  const configPath = join(repoRoot, 'tsconfig.json')
  const {config, error} = ts.readConfigFile(configPath, ts.sys.readFile)
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'))
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, repoRoot)
  const roots = parsed.fileNames.filter((f) => f.includes('/src/redirect/'))
  const options = {...parsed.options, declaration: false, noEmit: false}
  const program = ts.createProgram(roots, options)
  const diagnostics = ts.getPreEmitDiagnostics(program)
  if (diagnostics.length > 0)
    throw new Error(
      ts.formatDiagnostics(diagnostics, {
        getCanonicalFileName: (f) => f,
        getCurrentDirectory: () => repoRoot,
        getNewLine: () => '\n',
      }),
    )
  const out = {}
  program.emit(undefined, (fileName, text) => {
    if (fileName.endsWith('.js') && fileName.includes('/src/redirect/')) out[basename(fileName)] = text
  })
  return out
}
