// Loads the CLI bundle: dist/cli/*.cjs, CommonJS modules (scripts/build-cli.ts), each compiled with a V8 code cache
// that is made when the first run of a command exits. Made then, the cache holds every function that run compiled,
// not only a module's top level, which is all a cache made at compile time (Node's compile cache) can hold; with it a
// cold `ebws listeners show` no longer compiles each function it calls again (bench/startup.ts measures the gain).
// Falls back silently: no cache folder, an unreadable or rejected cache, or a failed write all mean a plain compile.
import {existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire, Module} from 'node:module'
import {tmpdir} from 'node:os'
import {dirname, isAbsolute, join, sep} from 'node:path'
import {constants as vmConstants, Script} from 'node:vm'
import {crc32} from 'node:zlib'

/**
 * The folder of ebws's code caches, or undefined when caching is off. It follows Node's compile cache settings:
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off, NODE_COMPILE_CACHE moves it, and by default it sits in Node's default
 * folder, the system temp dir's node-compile-cache. A V8 version has caches of its own: another one rejects them.
 */
export function codeCacheDir(env = process.env) {
  if (env.NODE_DISABLE_COMPILE_CACHE) return undefined
  const base = env.NODE_COMPILE_CACHE || join(tmpdir(), 'node-compile-cache')
  return join(base, `ebws-${process.versions.v8}-${process.arch}`)
}

/**
 * Which run a cache is for: the command named by the leading words of argv (`listeners show`), when it has a module
 * of its own in the bundle, otherwise `ebws` (help, version, a mistyped command). Each command keeps caches of its
 * own: a module shared by several commands (oclif, the SDK's core) holds the functions that command calls.
 */
export function commandKey(dir, argv) {
  const words = []
  for (const arg of argv) {
    if (arg.startsWith('-') || !/^[\w-]+$/.test(arg) || words.length === 3) break
    words.push(arg)
  }
  for (let n = words.length; n > 0; n--) {
    const key = words.slice(0, n).join('-')
    if (existsSync(join(dir, `command-${key}.cjs`))) return key
  }
  return 'ebws'
}

/**
 * Loads `entry` (a file of dir) and the modules of dir it requires, each cached under cacheDir/<dir>/<command key>/
 * (<dir> a CRC-32 of its path: two installs of ebws, of other versions, keep caches of their own), and
 * returns its exports. A module of dir is loaded once, whoever asks: it is in require.cache, which Node's own
 * require() (oclif loading its help class by path) reads too.
 */
export function loadCli(dir, entry, {argv = process.argv.slice(2), cacheDir = codeCacheDir()} = {}) {
  const cacheFolder =
    cacheDir === undefined ? undefined : join(cacheDir, crc32(dir).toString(16), commandKey(dir, argv))
  const toWrite = []
  // (A chunk's requires of its siblings are plain "./name.cjs": joined by hand, path.join's normalising is ~1 ms
  // of a run's few hundred requires.)
  const ownFile = (id) => {
    if (id.startsWith('./') && id.endsWith('.cjs') && !id.includes('/', 2)) return dir + sep + id.slice(2)
    if (isAbsolute(id) && dirname(id) === dir && id.endsWith('.cjs')) return id
    return undefined
  }
  // Every module is in dir, so one require() serves them all: their siblings through load(), the rest (Node's
  // built-in modules; oclif's own lookups) through Node's.
  const nodeRequire = createRequire(join(dir, entry))
  const require = Object.assign(
    (id) => {
      const own = ownFile(id)
      return own === undefined ? nodeRequire(id) : load(own)
    },
    {cache: Module._cache, resolve: nodeRequire.resolve},
  )

  function load(filename) {
    const loaded = Module._cache[filename]
    if (loaded) return loaded.exports
    const source = readFileSync(filename, 'utf8')
    const cacheFile = cacheFolder === undefined ? undefined : join(cacheFolder, filename.slice(dir.length + 1))
    const sum = cacheFile === undefined ? 0 : crc32(source)
    const cachedData = cacheFile === undefined ? undefined : readCache(cacheFile, sum)
    // The same wrapper as Node's CommonJS loader, so a module sees exports, require, module, __filename, __dirname.
    const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
      filename,
      cachedData,
      importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    })
    if (cacheFile !== undefined && (cachedData === undefined || script.cachedDataRejected))
      toWrite.push({script, cacheFile, sum})
    const module = new Module(filename)
    module.filename = filename
    module.paths = Module._nodeModulePaths(dirname(filename))
    Module._cache[filename] = module
    try {
      script.runInThisContext().call(module.exports, module.exports, require, module, filename, dirname(filename))
    } catch (error) {
      delete Module._cache[filename]
      throw error
    }
    module.loaded = true
    return module.exports
  }

  if (cacheFolder !== undefined) process.once('exit', () => writeCaches(toWrite))
  return load(join(dir, entry))
}

/** The code cache of a file whose source has this CRC-32, or undefined (none, unreadable, or of other source). */
function readCache(cacheFile, sum) {
  try {
    const data = readFileSync(cacheFile)
    // V8 checks its version, flags and the source's length; the CRC-32 in front checks the source itself.
    return data.length > 4 && data.readUInt32LE(0) === sum ? data.subarray(4) : undefined
  } catch {
    return undefined
  }
}

/** At exit, when the functions this run called are compiled: each missing cache, written whole or not at all. */
function writeCaches(toWrite) {
  for (const {script, cacheFile, sum} of toWrite) {
    const partial = `${cacheFile}.${process.pid}.tmp`
    try {
      const header = Buffer.alloc(4)
      header.writeUInt32LE(sum, 0)
      mkdirSync(dirname(cacheFile), {recursive: true})
      writeFileSync(partial, Buffer.concat([header, script.createCachedData()]))
      renameSync(partial, cacheFile)
    } catch {
      // A cache is only an optimisation: the next run compiles again. (Nor may cleaning up fail the exit.)
      try {
        rmSync(partial, {force: true})
      } catch {
        // nothing more to do
      }
    }
  }
}
