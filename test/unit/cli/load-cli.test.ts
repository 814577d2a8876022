// bin/load-cli.js: the CLI bundle's CommonJS modules loaded with a V8 code cache made at exit. Each case runs in a
// child process, since the caches are written when a process exits.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {crc32} from 'node:zlib'
import {describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'

import {tempDir} from '../../helpers/cli.ts'

const LOADER = fileURLToPath(new URL('../../../bin/load-cli.js', import.meta.url))
const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url))

/** A bundle-shaped folder: an entry that requires one chunk statically and imports another as dynamic chunks do. */
function fixture(value = 'first'): string {
  const dir = join(tempDir('ebws-load-cli-'), 'cli')
  mkdirSync(dir)
  writeFileSync(join(dir, 'command-listeners-show.cjs'), '')
  writeFileSync(
    join(dir, 'chunk-a.cjs'),
    `exports.value = ${JSON.stringify(value)}; exports.loads = (globalThis.loads ?? 0) + 1; globalThis.loads = exports.loads`,
  )
  writeFileSync(
    join(dir, 'entry.cjs'),
    [
      `const a = require('./chunk-a.cjs')`,
      `exports.run = async () => {`,
      `  const b = await Promise.resolve().then(() => require('./chunk-b.cjs'))`,
      // The same module through Node's own require(), as oclif loads its help class by path.
      `  const again = require(require('node:path').join(__dirname, 'chunk-a.cjs'))`,
      `  return {value: a.value, b: b.b, loads: a.loads, same: again === a, dirname: __dirname}`,
      `}`,
    ].join('\n'),
  )
  writeFileSync(join(dir, 'chunk-b.cjs'), `exports.b = 'dynamic'`)
  return dir
}

/**
 * Runs `loadCli(dir, 'entry.cjs')` in a child process and returns what entry's run() resolved to. Without a
 * cacheDir, caching is off (NODE_DISABLE_COMPILE_CACHE), so nothing reaches the system's temp dir.
 */
function run(dir: string, cacheDir: string | undefined, argv = ['listeners', 'show', '-e', 'x']) {
  const options = cacheDir === undefined ? {argv} : {argv, cacheDir}
  const script = [
    `import {loadCli} from ${JSON.stringify(LOADER)}`,
    `const out = await loadCli(${JSON.stringify(dir)}, 'entry.cjs', ${JSON.stringify(options)}).run()`,
    `process.stdout.write(JSON.stringify(out))`,
  ].join('\n')
  const env = cacheDir === undefined ? {...process.env, NODE_DISABLE_COMPILE_CACHE: '1'} : process.env
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {encoding: 'utf8', env})
  assert.equal(r.status, 0, r.stderr)
  return JSON.parse(r.stdout) as {value: string; b: string; loads: number; same: boolean; dirname: string}
}

const files = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : [])
/** Where the caches of the bundle in dir go, for a command key. */
const folderOf = (cache: string, dir: string, key: string) => join(cache, crc32(dir).toString(16), key)

describe('bin/load-cli.js', () => {
  it('loads the entry and the modules it requires once each, shared with Node’s require()', () => {
    const dir = fixture()
    assert.deepEqual(run(dir, undefined), {value: 'first', b: 'dynamic', loads: 1, same: true, dirname: dir})
  })

  it('writes a cache per module of the run under the command’s folder at exit, and reuses it untouched', () => {
    const dir = fixture()
    const cache = tempDir('ebws-load-cli-cache-')
    run(dir, cache)
    const folder = folderOf(cache, dir, 'listeners-show')
    assert.deepEqual(files(folder), ['chunk-a.cjs', 'chunk-b.cjs', 'entry.cjs'])
    const before = files(folder).map((f) => statSync(join(folder, f)).mtimeMs)
    assert.deepEqual(run(dir, cache), {value: 'first', b: 'dynamic', loads: 1, same: true, dirname: dir})
    assert.deepEqual(
      files(folder).map((f) => statSync(join(folder, f)).mtimeMs),
      before,
      'a cache V8 accepted is not written again',
    )
    // Help, version or a mistyped command: the shared folder.
    run(dir, cache, ['--help'])
    assert.deepEqual(files(folderOf(cache, dir, 'ebws')), ['chunk-a.cjs', 'chunk-b.cjs', 'entry.cjs'])
    // Another install (another folder) of the same files: caches of its own, the first one's left as they are.
    const other = fixture()
    run(other, cache)
    assert.deepEqual(files(folderOf(cache, other, 'listeners-show')), ['chunk-a.cjs', 'chunk-b.cjs', 'entry.cjs'])
    assert.deepEqual(
      files(folder).map((f) => statSync(join(folder, f)).mtimeMs),
      before,
    )
  })

  it('never runs a cache made for other source of the same length (V8 checks only the length)', () => {
    const dir = fixture('aaaa')
    const cache = tempDir('ebws-load-cli-cache-')
    assert.equal(run(dir, cache).value, 'aaaa')
    const cacheFile = join(folderOf(cache, dir, 'listeners-show'), 'chunk-a.cjs')
    const stale = readFileSync(cacheFile)
    const source = readFileSync(join(dir, 'chunk-a.cjs'), 'utf8')
    writeFileSync(join(dir, 'chunk-a.cjs'), source.replace('aaaa', 'bbbb'))
    assert.equal(run(dir, cache).value, 'bbbb')
    assert.notDeepEqual(readFileSync(cacheFile), stale, 'the cache is made again for the new source')
  })

  it('falls back to a plain compile on a corrupt cache, an unwritable folder, or caching turned off', () => {
    const dir = fixture()
    const cache = tempDir('ebws-load-cli-cache-')
    run(dir, cache)
    const cacheFile = join(folderOf(cache, dir, 'listeners-show'), 'entry.cjs')
    const good = readFileSync(cacheFile)
    // The right source checksum in front of bytes V8 rejects.
    writeFileSync(cacheFile, Buffer.concat([good.subarray(0, 4), Buffer.alloc(good.length - 4, 7)]))
    assert.equal(run(dir, cache).value, 'first')
    assert.deepEqual(readFileSync(cacheFile).subarray(0, 4), good.subarray(0, 4))
    assert.notDeepEqual(
      readFileSync(cacheFile).subarray(4),
      Buffer.alloc(good.length - 4, 7),
      'rewritten after V8 rejected it',
    )
    // A file where the folder should be: nothing can be written, the run is the same.
    const blocked = join(tempDir('ebws-load-cli-cache-'), 'file')
    writeFileSync(blocked, '')
    assert.equal(run(dir, blocked).value, 'first')
    assert.equal(readFileSync(blocked, 'utf8'), '')
  })

  it('follows Node’s compile cache settings: NODE_COMPILE_CACHE moves it, NODE_DISABLE_COMPILE_CACHE turns it off', async () => {
    const {codeCacheDir, commandKey} = (await import(LOADER)) as {
      codeCacheDir: (env: Record<string, string>) => string | undefined
      commandKey: (dir: string, argv: string[]) => string
    }
    assert.equal(codeCacheDir({NODE_DISABLE_COMPILE_CACHE: '1', NODE_COMPILE_CACHE: '/c'}), undefined)
    assert.equal(codeCacheDir({NODE_COMPILE_CACHE: '/c'}), join('/c', `ebws-${process.versions.v8}-${process.arch}`))
    const dir = fixture()
    assert.equal(commandKey(dir, ['listeners', 'show', '-e', 'x']), 'listeners-show')
    assert.equal(commandKey(dir, ['listeners', 'show', 'extra']), 'listeners-show')
    assert.equal(commandKey(dir, ['listeners', '--help']), 'ebws')
    assert.equal(commandKey(dir, ['../../etc', 'passwd']), 'ebws')
    assert.equal(commandKey(dir, []), 'ebws')
  })

  it('the CLI as shipped: the first `ebws version` writes its caches, the next reads them and prints the same', () => {
    const cache = tempDir('ebws-load-cli-node-cache-')
    const env: NodeJS.ProcessEnv = {...process.env, NODE_COMPILE_CACHE: cache, NO_COLOR: '1'}
    delete env.NODE_DISABLE_COMPILE_CACHE
    const first = spawnSync(process.execPath, [BIN, 'version', '--json'], {encoding: 'utf8', env})
    assert.equal(first.status, 0, first.stderr)
    const dist = fileURLToPath(new URL('../../../dist/cli', import.meta.url))
    const folder = folderOf(join(cache, `ebws-${process.versions.v8}-${process.arch}`), dist, 'version')
    const written = files(folder)
    assert.ok(written.includes('ebws.cjs') && written.includes('command-version.cjs'), written.join(' '))
    const mtimes = written.map((f) => statSync(join(folder, f)).mtimeMs)
    const second = spawnSync(process.execPath, [BIN, 'version', '--json'], {encoding: 'utf8', env})
    assert.equal(second.status, 0, second.stderr)
    assert.equal(second.stdout, first.stdout)
    assert.deepEqual(
      files(folder).map((f) => statSync(join(folder, f)).mtimeMs),
      mtimes,
    )
  })
})
