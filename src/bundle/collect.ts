/**
 * Lists what goes into the source bundle: a directory walk with the EB CLI's ignore rules applied.
 *
 * Ignore rules (https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/eb-cli3-configuration.html#eb-cli3-ebignore):
 * - `.ebignore` at the root, when present, is the only ignore file: `.gitignore` files are not read, and nested
 *   `.ebignore` files are not read either (the EB CLI reads only the root one).
 * - Otherwise `.gitignore` files apply with git's semantics, nested ones included (each relative to its folder,
 *   deeper files overriding shallower ones). The EB CLI would `git archive` the last commit in a git repository;
 *   we bundle the working tree, and honouring every .gitignore gives what `git status` considers part of the app.
 *   `.gitignore` rules never drop `.ebextensions/` or `.platform/`: those are Beanstalk's, not git's, business.
 * - Always left out, whatever the rules: `.git` and `.elasticbeanstalk` (at any depth), `.ebws-local` (ebws's own
 *   state folder, with a notice; secrets.ts), and the root `node_modules` folder unless `includeNodeModules` (the
 *   Node.js platform runs `npm install` from the root package.json). Deeper `node_modules` folders are left to the
 *   ignore rules, like any other folder.
 * - A symlink that resolves outside the app folder is refused (SECRET_IN_BUNDLE) unless its path is in
 *   `allowLinkOutside`: following it would copy whatever it points to (/etc/passwd, ~/.ssh) into the zip.
 * - As in git, nothing inside an excluded folder can be re-included, so excluded folders are never walked.
 *
 * Only readdir is used (its entry types are enough): the mode and size of each file come later from the fstat of
 * the open file, so a 20,000-file tree costs no extra stat calls. Symlinks are the exception: they are resolved here.
 */
import {readFile, readlink, realpath, stat} from 'node:fs/promises'
import {readdirSync} from 'node:fs'
import type {Dirent} from 'node:fs'
import {dirname, isAbsolute, join, relative, resolve, sep} from 'node:path'
import ignore from 'ignore'
import type {Ignore} from 'ignore'
import {badInput} from '../cli/errors.ts'
import {collectIfGrown} from './gc.ts'
import {isAllowed, isEbwsLocal, normaliseAllowed} from './secrets.ts'

export type SymlinkPolicy = 'follow' | 'store'

export interface CollectOptions {
  /** Bundle node_modules folders too (default false: the platform installs dependencies). */
  includeNodeModules?: boolean
  /** 'follow' (default) bundles what a link points to; 'store' bundles the link itself. */
  symlinks?: SymlinkPolicy
  /** Bundle paths of symlinks that may point outside the app folder (followed: their target is copied in). */
  allowLinkOutside?: readonly string[]
  /** Bundle paths let through the secret check (--allow-secret); here only `.ebws-local/` paths matter. */
  allowSecret?: readonly string[]
}

export interface BundleFile {
  /** Path inside the zip: relative, '/'-separated, no trailing '/' (only empty folders are listed as directories). */
  path: string
  kind: 'file' | 'symlink' | 'directory'
  /** Absolute path to read on disk (for a followed symlink: the link, which the read follows). */
  readonly source: string
  /** For kind 'symlink': the link text, stored as the entry's content. */
  linkTarget?: string
}

export interface CollectResult {
  root: string
  files: BundleFile[]
  /** Which ignore file drove the selection. */
  ignoreFile: '.ebignore' | '.gitignore' | 'none'
  warnings: string[]
  /** Folders left out by rule that the user should hear about (`.ebws-local`). */
  leftOut: string[]
}

/**
 * A listed entry. Its source is always the root joined with its path (a followed link is read through the link),
 * so it is made when read rather than held: 20,000 absolute paths were ~2 MiB of heap, and path.join's garbage.
 */
class Listed implements BundleFile {
  readonly path: string
  readonly kind: BundleFile['kind']
  readonly linkTarget?: string
  private readonly root: string

  constructor(root: string, path: string, kind: BundleFile['kind'], linkTarget?: string) {
    this.root = root
    this.path = path
    this.kind = kind
    if (linkTarget !== undefined) this.linkTarget = linkTarget
  }

  get source(): string {
    return this.root + (sep === '/' ? this.path : this.path.replaceAll('/', sep))
  }
}

const ALWAYS_EXCLUDED = new Set(['.git', '.elasticbeanstalk'])
const BEANSTALK_DIRS = ['.ebextensions', '.platform']

interface Layer {
  /** The folder the rules are relative to: '' for the root, else 'a/b/'. */
  base: string
  ig: Ignore
  /** Tests since its result cache was last dropped. */
  tests: number
}

/**
 * node-ignore keeps the result of every path it tested, for the life of the rules: on the 20,000-file text tree
 * of bench/bundle.ts ~10 MiB held until the walk ended (and garbage collections that freed nothing). The walk
 * never tests a path below an excluded folder, so only a folder's parents are worth keeping: the cache is dropped
 * every CACHE_TESTS tests (through its _initCache, which add() calls too; where it is missing the cache stays).
 */
const CACHE_TESTS = 2048
const dropCache = (ig: Ignore) => (ig as unknown as {_initCache?: () => void})._initCache?.()

/** git semantics across nested ignore files: the deepest file with a matching rule decides. */
export function isIgnored(layers: readonly Layer[], path: string, isDir: boolean): boolean {
  let ignored = false
  const p = isDir ? path + '/' : path
  for (const layer of layers) {
    if (!p.startsWith(layer.base)) continue
    if (++layer.tests >= CACHE_TESTS) {
      layer.tests = 0
      dropCache(layer.ig)
    }
    const r = layer.ig.test(p.slice(layer.base.length))
    if (r.ignored) ignored = true
    else if (r.unignored) ignored = false
  }
  return ignored
}

const inBeanstalkDir = (path: string): boolean => BEANSTALK_DIRS.some((d) => path === d || path.startsWith(d + '/'))

const isUnder = (child: string, parent: string): boolean => child === parent || child.startsWith(parent + sep)

const errCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException).code

export async function collectBundleFiles(dir = '.', options: CollectOptions = {}): Promise<CollectResult> {
  const root = resolve(dir)
  let rootReal: string
  try {
    rootReal = await realpath(root)
    if (!(await stat(rootReal)).isDirectory()) throw badInput('FILE_NOT_FOUND', `${root} is not a directory`)
  } catch (err) {
    if (errCode(err) === 'ENOENT') throw badInput('FILE_NOT_FOUND', `App directory ${root} does not exist`)
    throw err
  }
  const symlinks = options.symlinks ?? 'follow'
  const rootSep = root.endsWith(sep) ? root : root + sep
  const files: BundleFile[] = []
  const warnings: string[] = []
  const errors: string[] = []
  const outside: string[] = []
  const leftOut: string[] = []
  const allowLinkOutside = (options.allowLinkOutside ?? []).map(normaliseAllowed)
  const allowSecret = (options.allowSecret ?? []).map(normaliseAllowed)

  let ignoreFile: CollectResult['ignoreFile'] = 'none'
  const rootLayers: Layer[] = []
  const ebignore = await readFile(join(root, '.ebignore'), 'utf8').catch((err: unknown) => {
    if (errCode(err) === 'ENOENT') return undefined
    throw err
  })
  if (ebignore !== undefined) {
    ignoreFile = '.ebignore'
    rootLayers.push({base: '', ig: ignore().add(ebignore), tests: 0})
  }

  const excludedDir = (name: string, path: string): boolean => {
    if (ALWAYS_EXCLUDED.has(name)) return true
    if (name === 'node_modules' && path === 'node_modules') return !options.includeNodeModules
    if (
      name === '.ebws-local' &&
      isEbwsLocal(path) &&
      !allowSecret.some((a) => isAllowed(a, [path]) || isAllowed(path, [a]))
    ) {
      leftOut.push(path)
      return true
    }
    return false
  }

  const ignored = (layers: readonly Layer[], path: string, isDir: boolean): boolean =>
    !(ignoreFile !== '.ebignore' && inBeanstalkDir(path)) && isIgnored(layers, path, isDir)

  /**
   * @param abs    the folder as reached through the tree (may go through followed links), ending with sep
   * @param prefix its zip path plus '/', or '' at the root
   * @param realAncestors real paths of this folder and every folder above it: a link to one of them is a loop
   */
  async function walk(abs: string, prefix: string, inherited: readonly Layer[], realAncestors: readonly string[]) {
    // Sub-folders are walked once this folder's entries are dropped: walked from inside the loop, every folder's
    // entries were held until the whole walk ended.
    const {count, subdirs} = await scan(abs, prefix, inherited, realAncestors)
    for (const next of subdirs) await next()
    return count
  }

  /** Lists one folder: its files, and the walks of its sub-folders to run. */
  async function scan(abs: string, prefix: string, inherited: readonly Layer[], realAncestors: readonly string[]) {
    // Sync: a folder's listing takes microseconds from the page cache, and the async call spread a 20,000-file tree
    // over the thread pool's malloc arenas and promises: +52 against +36 MiB of RSS, 230 against 160 ms of CPU.
    collectIfGrown()
    const entries: Dirent[] = readdirSync(abs, {withFileTypes: true})
    let layers = inherited
    if (ebignore === undefined && entries.some((e) => e.name === '.gitignore' && e.isFile())) {
      const rules = await readFile(join(abs, '.gitignore'), 'utf8')
      if (ignoreFile === 'none') ignoreFile = '.gitignore'
      layers = [...layers, {base: prefix, ig: ignore().add(rules), tests: 0}]
    }
    const here = realAncestors[realAncestors.length - 1]!
    const subdirs: Array<() => Promise<void>> = []
    for (const e of entries) {
      const path = prefix + e.name
      const source = abs + e.name
      if (e.isDirectory()) {
        if (excludedDir(e.name, path) || ignored(layers, path, true)) continue
        const real = join(here, e.name)
        subdirs.push(() => walkDir(source, path, layers, [...realAncestors, real]))
      } else if (e.isFile()) {
        if (ALWAYS_EXCLUDED.has(e.name) || ignored(layers, path, false)) continue
        files.push(new Listed(rootSep, path, 'file'))
      } else if (e.isSymbolicLink()) {
        if (symlinks === 'store') {
          // git stores links as files, so ignore rules match them as files.
          if (ALWAYS_EXCLUDED.has(e.name) || ignored(layers, path, false)) continue
          const target = await readlink(source)
          const lands = resolve(dirname(join(here, e.name)), target)
          if (isAbsolute(target) || !isUnder(lands, rootReal)) {
            warnings.push(`${path} is a symlink to ${target}, outside the app: it will dangle on the instance`)
          }
          files.push(new Listed(rootSep, path, 'symlink', target))
          continue
        }
        let real: string
        let isDir: boolean
        try {
          real = await realpath(source)
          isDir = (await stat(real)).isDirectory()
        } catch (err) {
          const code = errCode(err)
          if (code === 'ELOOP') errors.push(`${path} is a symlink loop`)
          else if (code === 'ENOENT')
            errors.push(`${path} is a broken symlink (its target ${await readlink(source)} does not exist)`)
          else throw err
          continue
        }
        if (isDir ? excludedDir(e.name, path) || ignored(layers, path, true) : ignored(layers, path, false)) continue
        if (!isUnder(real, rootReal)) {
          if (!isAllowed(path, allowLinkOutside)) {
            outside.push(`${path}: a symlink to ${real}, outside the app folder`)
            continue
          }
          warnings.push(
            `${path} links outside the app (${real}); the bundle includes a copy of what it points to (--allow-link-outside)`,
          )
        }
        if (isDir) {
          if (realAncestors.includes(real)) {
            errors.push(
              `${path} is a symlink loop: it points to ${relative(rootReal, real) || '.'}, a folder that contains it`,
            )
            continue
          }
          subdirs.push(() => walkDir(source, path, layers, [...realAncestors, real]))
        } else {
          files.push(new Listed(rootSep, path, 'file'))
        }
      } else {
        warnings.push(`${path} is not a regular file, folder or symlink (socket, FIFO or device): left out`)
      }
    }
    return {count: entries.length, subdirs}
  }

  /**
   * Walks a sub-folder. A folder empty on disk is kept as a directory entry (apps write to folders like uploads/);
   * one emptied by the ignore rules is not, as in git.
   */
  async function walkDir(abs: string, path: string, layers: readonly Layer[], realAncestors: readonly string[]) {
    if ((await walk(abs + sep, path + '/', layers, realAncestors)) === 0)
      files.push(new Listed(rootSep, path, 'directory'))
  }

  await walk(rootSep, '', rootLayers, [rootReal])
  if (outside.length > 0) {
    throw badInput(
      'SECRET_IN_BUNDLE',
      `Cannot bundle ${root}: following these links would copy files from outside the app into the zip; nothing was written or uploaded:\n  ${outside.sort().join('\n  ')}`,
      [
        'Copy what the app needs into its folder, bundle the links as links with --symlinks=store, or follow one on purpose with --allow-link-outside PATH.',
      ],
      {paths: outside.map((o) => o.slice(0, o.indexOf(': a symlink')))},
    )
  }
  if (errors.length > 0) {
    throw badInput('BUNDLE_INVALID', `Cannot bundle ${root}:\n  ${errors.sort().join('\n  ')}`, [
      'Remove or fix the links, add them to .ebignore, or bundle links as links with --symlinks=store',
    ])
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return {root, files, ignoreFile, warnings: warnings.sort(), leftOut: leftOut.sort()}
}
