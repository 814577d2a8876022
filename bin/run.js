#!/usr/bin/env node
import * as nodeModule from 'node:module'

const major = Number(process.versions.node.split('.')[0])
if (major < 22) {
  process.stderr.write(`ebws needs Node.js 22 or newer; this is ${process.version}. Install a current LTS from https://nodejs.org.\n`)
  process.exit(2)
}

// Cache compiled modules on disk: cuts the CLI's cold start noticeably (Node >= 22.1).
nodeModule.enableCompileCache?.()

// dist/cli is the esbuild bundle of the commands (scripts/build-cli.ts).
const {execute} = await import('../dist/cli/main.js')
await execute({dir: import.meta.url})
