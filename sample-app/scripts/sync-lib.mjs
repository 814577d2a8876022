#!/usr/bin/env node
// Copies tsc's output for ../src/redirect/ into lib/, so the app deploys to Beanstalk as is (no build step, no
// unpublished dependency) while the middleware keeps one source. test/unit/redirect/sample-lib.test.ts fails when
// lib/ differs from a fresh compile. Run from the repository root: npm run sync-lib -w sample-app
import {mkdirSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {compileRedirectModule, GENERATED_HEADER} from './compile-redirect.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const libDir = resolve(here, '..', 'lib')
const files = compileRedirectModule(resolve(here, '..', '..'))
mkdirSync(libDir, {recursive: true})
for (const name of readdirSync(libDir)) if (name.endsWith('.js')) rmSync(join(libDir, name))
for (const [name, text] of Object.entries(files)) writeFileSync(join(libDir, name), GENERATED_HEADER(name) + text)
console.log(`sample-app/lib: wrote ${Object.keys(files).sort().join(', ')}`)
