// The CLI as shipped: bin/run.js loading the esbuild bundle (dist/cli/ebws.cjs) with its V8 code cache, oclif
// finding every command and the help class in the bundle. `npm test` builds first.
import assert from 'node:assert/strict'
import {chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {ROOT, runCli} from '../helpers/cli.ts'

const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {version: string; commands: Record<string, unknown>}
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {version: string}
const baseEnv = {PATH: process.env.PATH ?? ''}

describe('ebws CLI (bundled)', () => {
  const cacheRoot = mkdtempSync(join(tmpdir(), 'ebws-code-cache-'))
  after(() => rmSync(cacheRoot, {recursive: true, force: true}))

  it('--version names the package version and the Node version', async () => {
    const r = await runCli(['--version'], {env: baseEnv})
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, new RegExp(`^ebws/${pkg.version.replace(/\./g, '\\.')} \\S+ node-v${process.versions.node.replace(/\./g, '\\.')}`))
  })

  it('the manifest lists exactly the command files, and each runs --help from the bundle with examples and exit codes', async () => {
    const files = readdirSync(join(ROOT, 'commands'), {recursive: true, withFileTypes: true})
      .filter((e) => e.isFile() && e.name.endsWith('.ts'))
      .map((e) => join(e.parentPath, e.name).slice(join(ROOT, 'commands').length + 1).replace(/\.ts$/, '').split(/[\\/]/).join(':'))
      .sort()
    assert.deepEqual(Object.keys(manifest.commands).sort(), files)
    assert.equal(manifest.version, pkg.version)
    for (const id of files) {
      const r = await runCli([...id.split(':'), '--help'], {env: baseEnv})
      assert.equal(r.code, 0, `${id}: ${r.stderr}`)
      assert.match(r.stdout, /USAGE/, id)
      assert.match(r.stdout, /EXAMPLES/, id)
      assert.match(r.stdout, /EXIT CODES\n\s+0\s/, `${id}: the help class from the bundle adds EXIT CODES`)
    }
  })

  it('the bundle is plain ASCII (bin/run.js reads it as latin1)', () => {
    const bytes = readFileSync(join(ROOT, 'dist', 'cli', 'ebws.cjs'))
    assert.equal(bytes.findIndex((b) => b > 0x7f), -1)
  })

  it('keeps a V8 code cache of the bundle: written on the first run, reused unchanged, rewritten when corrupt', async () => {
    const env = {...baseEnv, NODE_COMPILE_CACHE: cacheRoot}
    const first = await runCli(['listeners', 'show', '--help'], {env})
    assert.equal(first.code, 0, first.stderr)
    const caches = readdirSync(cacheRoot, {recursive: true}).map(String).filter((p) => /ebws-.*\.v8cache$/.test(p))
    assert.equal(caches.length, 1, `one cache file: ${caches.join(', ')}`)
    const cacheFile = join(cacheRoot, caches[0]!)
    const written = readFileSync(cacheFile)
    assert.ok(written.length > 100_000, `a real code cache (${written.length} bytes)`)
    const {mtimeMs} = statSync(cacheFile)

    const second = await runCli(['listeners', 'show', '--help'], {env})
    assert.equal(second.code, 0, second.stderr)
    assert.equal(second.stdout, first.stdout)
    assert.equal(statSync(cacheFile).mtimeMs, mtimeMs, 'an accepted cache is not rewritten')

    writeFileSync(cacheFile, 'not a V8 code cache')
    const third = await runCli(['listeners', 'show', '--help'], {env})
    assert.equal(third.code, 0, third.stderr)
    assert.equal(third.stdout, first.stdout)
    assert.ok(readFileSync(cacheFile).length > 100_000, 'V8 rejected the corrupt cache and the run wrote a new one')
    assert.deepEqual(
      readdirSync(cacheRoot, {recursive: true}).map(String).filter((p) => p.endsWith('.tmp')),
      [],
      'no temporary files left behind',
    )
  })

  it('rewrites a cache that lacks much of what a run compiled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ebws-code-cache-grow-'))
    try {
      const env = {...baseEnv, NODE_COMPILE_CACHE: dir}
      assert.equal((await runCli(['--version'], {env})).code, 0)
      const [cache] = readdirSync(dir, {recursive: true}).map(String).filter((p) => p.endsWith('.v8cache'))
      const small = readFileSync(join(dir, cache!)).length
      // A run through the AWS SDK (to an endpoint that refuses, one attempt): far more code than --version.
      const aws = {...env, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_MAX_ATTEMPTS: '1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9'}
      const failed = await runCli(['listeners', 'show', '-e', 'an-env'], {env: aws})
      assert.equal(failed.code, 4, failed.stderr)
      assert.doesNotMatch(failed.stderr, /unsettled top-level await/, 'oclif exits from inside execute(); bin/run.js must not be awaiting it')
      const grown = readFileSync(join(dir, cache!)).length
      assert.ok(grown > small * 1.3, `rewritten with the SDK's code: ${small} -> ${grown} bytes`)
      const {mtimeMs} = statSync(join(dir, cache!))
      assert.equal((await runCli(['listeners', 'show', '-e', 'an-env'], {env: aws})).code, 4)
      assert.equal(statSync(join(dir, cache!)).mtimeMs, mtimeMs, 'the same run again finds what it needs: no rewrite')
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('uses only a cache file this user owns and nobody else can write (V8 runs what it holds)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ebws-code-cache-perm-'))
    try {
      const env = {...baseEnv, NODE_COMPILE_CACHE: dir}
      assert.equal((await runCli(['--version'], {env})).code, 0)
      const [cache] = readdirSync(dir, {recursive: true}).map(String).filter((p) => p.endsWith('.v8cache'))
      const file = join(dir, cache!)
      assert.equal(statSync(file).mode & 0o777, 0o600)
      chmodSync(file, 0o666)
      assert.equal((await runCli(['--version'], {env})).code, 0)
      assert.equal(statSync(file).mode & 0o777, 0o600, 'a world-writable cache was not used: the run wrote its own')
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('NODE_DISABLE_COMPILE_CACHE=1 turns the code cache off', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ebws-no-cache-'))
    try {
      const r = await runCli(['--version'], {env: {...baseEnv, NODE_COMPILE_CACHE: dir, NODE_DISABLE_COMPILE_CACHE: '1'}})
      assert.equal(r.code, 0, r.stderr)
      assert.deepEqual(readdirSync(dir, {recursive: true}), [])
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
