import assert from 'node:assert/strict'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

// @ts-expect-error plain ESM helper shared with sample-app/scripts/sync-lib.mjs
import {compileRedirectModule, GENERATED_HEADER} from '../../../sample-app/scripts/compile-redirect.mjs'

const root = join(import.meta.dirname, '..', '..', '..')
const libDir = join(root, 'sample-app', 'lib')
const FIX = 'run `npm run sync-lib -w sample-app` and commit sample-app/lib/'

describe('sample-app/lib is tsc output of src/redirect (one source for the middleware)', () => {
  const compiled = compileRedirectModule(root) as Record<string, string>

  it('has exactly the compiled files', () => {
    const lib = readdirSync(libDir)
      .filter((f) => f.endsWith('.js'))
      .sort()
    assert.deepEqual(lib, Object.keys(compiled).sort(), FIX)
  })
  it('each file equals a fresh compile, byte for byte (after the generated-file header)', () => {
    for (const [name, text] of Object.entries(compiled)) {
      assert.equal(readFileSync(join(libDir, name), 'utf8'), GENERATED_HEADER(name) + text, `${name} is stale: ${FIX}`)
    }
  })
  it('matches what `npm run build` put in dist/ (npm test builds first)', () => {
    const dist = join(root, 'dist', 'src', 'redirect')
    assert.ok(existsSync(dist), 'dist/ missing: run npm run build')
    for (const [name, text] of Object.entries(compiled))
      assert.equal(readFileSync(join(dist, name), 'utf8'), text, `dist/src/redirect/${name}`)
  })
})
