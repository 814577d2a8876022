import {existsSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

/**
 * The installed package's root (where package.json, .platform/ and sample-app/ live). Found by walking up from this
 * module rather than by a fixed depth, because this code runs from src/ (tests), dist/src/ (the library) and
 * dist/cli/ (the bundled CLI).
 */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)))

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, '.platform'))) return dir
    if (dirname(dir) === dir) return resolve(from, '..')
  }
}

/** True in the esbuild bundle of the CLI (scripts/build-cli.ts defines it); undefined when running tsc output or source. */
declare const EBWS_CLI_BUNDLE: boolean | undefined
export const IN_CLI_BUNDLE = typeof EBWS_CLI_BUNDLE !== 'undefined' && EBWS_CLI_BUNDLE
