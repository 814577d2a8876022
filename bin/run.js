#!/usr/bin/env node
// The ebws command: loads the CLI bundle (dist/cli/ebws.cjs, built by scripts/build-cli.ts) and runs oclif.
import {createRequire} from 'node:module'
import {fileURLToPath} from 'node:url'

// package.json engines: zlib.crc32 (bundles and deploys) is Node 22.2+.
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 2)) {
  process.stderr.write(
    `ebws needs Node.js 22.2 or newer; this is ${process.version}. Install a current LTS from https://nodejs.org.\n`,
  )
  process.exit(2)
}

// `bundle` and `deploy` list and zip a whole app tree: tens of thousands of objects that live, and the young
// generation V8 grows for them (to 3 × 16 MiB) stays resident. 1 MiB semi-spaces that do not grow: on the
// 20,000-file tree of bench/bundle.ts, ~40 MiB less peak RSS for no measurable CPU. Set before any allocation that
// matters; V8 reads both flags when it sizes the young generation.
// (node:v8 is loaded only then: ~2 ms of every other command's start.)
if (process.argv[2] === 'bundle' || process.argv[2] === 'deploy') {
  const v8 = createRequire(import.meta.url)('node:v8')
  v8.setFlagsFromString('--max-semi-space-size=1')
  v8.setFlagsFromString('--semi-space-growth-factor=1')
}

// Imported after the check above, since an older Node cannot link it (zlib.crc32). Not awaited: on an error oclif
// calls process.exit() from inside execute(), and exiting while this module's top-level await is still pending makes
// Node print "Warning: Detected unsettled top-level await" after our message. execute() handles its own errors.
void import('./load-cli.js').then(({loadCli}) =>
  loadCli(fileURLToPath(new URL('../dist/cli', import.meta.url)), 'ebws.cjs').execute({dir: import.meta.url}),
)
