#!/usr/bin/env node
import {closeSync, fstatSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync} from 'node:fs'
import * as nodeModule from 'node:module'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {getHeapCodeStatistics} from 'node:v8'
import {constants as vmConstants, Script} from 'node:vm'

const major = Number(process.versions.node.split('.')[0])
if (major < 22) {
  process.stderr.write(`ebws needs Node.js 22 or newer; this is ${process.version}. Install a current LTS from https://nodejs.org.\n`)
  process.exit(2)
}

// Node's compile cache (Node >= 22.1) for anything loaded outside the bundle; also where our code cache lives.
nodeModule.enableCompileCache?.()

/**
 * Loads the CLI bundle (dist/cli/ebws.cjs, built by scripts/build-cli.ts) with a V8 code cache taken when the
 * process exits, so it holds every function this run compiled. Node's compile cache is taken before a module runs
 * and so holds little of a bundle, whose code sits in functions compiled on first call. The cache is keyed by the
 * bundle's size and mtime (V8 itself checks only the source length) and by Node's version. It is rewritten when
 * missing or rejected, and when this run compiled much code the cache lacked (a cache taken by `ebws --version`
 * holds little of `ebws deploy`); the rewrite keeps what the cache had, so it grows toward the commands in use.
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off, as it does Node's.
 */
function loadBundle(file) {
  // ASCII by construction (scripts/build-cli.ts), so latin1 is exact and skips UTF-8 decoding.
  const source = readFileSync(file, 'latin1')
  const cacheDir = nodeModule.getCompileCacheDir?.()
  const {size, mtimeMs} = statSync(file)
  const cacheFile = cacheDir && join(cacheDir, `ebws-${process.version}-${size}-${Math.trunc(mtimeMs)}.v8cache`)
  const cachedData = cacheFile ? readOwnCache(cacheFile) : undefined
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
    // oclif import()s ES module plugins and hooks; ebws has none (its bundle turns every other import() into
    // require()), but if one is ever loaded it should work (Node then prints an ExperimentalWarning).
    importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  })
  const require = nodeModule.createRequire(file)
  const mod = new nodeModule.Module(file)
  mod.filename = file
  // oclif require()s this same file for its COMMANDS and the help class: it must get this instance, not a second one.
  require.cache[file] = mod
  script.runInThisContext()(mod.exports, require, mod, file, dirname(file))
  mod.loaded = true
  if (!cacheFile) return mod.exports
  const stale = cachedData === undefined || script.cachedDataRejected
  // Bytecode compiled from here on: ~180 KiB for `listeners show` with its own cache, ~700 KiB without one.
  const bytecodeAtLoad = getHeapCodeStatistics().bytecode_and_metadata_size
  process.once('exit', () => {
    if (!stale && getHeapCodeStatistics().bytecode_and_metadata_size - bytecodeAtLoad < 400 * 1024) return
    const tmp = `${cacheFile}.${process.pid}.tmp`
    try {
      writeFileSync(tmp, script.createCachedData(), {mode: 0o600})
      renameSync(tmp, cacheFile) // atomic: concurrent runs never read a half-written cache
    } catch {
      try {
        unlinkSync(tmp)
      } catch {
        // nothing was written
      }
    }
  })
  return mod.exports
}

/**
 * The cache file's bytes, if this user owns it and nobody else can write it: V8 runs what a code cache holds, and the
 * cache directory is under the shared temp dir by default. Checked on the open descriptor, so the file cannot be
 * swapped between the check and the read. (Windows has no uid; its temp dir is per user.)
 */
function readOwnCache(path) {
  let fd
  try {
    fd = openSync(path, 'r')
    const st = fstatSync(fd)
    if (process.getuid && (st.uid !== process.getuid() || (st.mode & 0o022) !== 0)) return undefined
    return readFileSync(fd)
  } catch {
    return undefined
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

const {execute} = loadBundle(fileURLToPath(new URL('../dist/cli/ebws.cjs', import.meta.url)))
// Not awaited: on an error oclif calls process.exit() from inside execute(), and exiting while this module's
// top-level await is still pending makes Node print "Warning: Detected unsettled top-level await" after our message.
// execute() handles its own errors, so the promise never rejects.
void execute({dir: import.meta.url})
