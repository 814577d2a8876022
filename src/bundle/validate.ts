/**
 * Checks a bundle before upload, the same way for a directory listing and for a prebuilt archive: the checks see
 * entry paths and read text through a callback, so they are pure apart from that callback.
 */
import {readFile} from 'node:fs/promises'
import {parseDocument, isMap, isSeq, isScalar} from 'yaml'
import type {Node as YamlNode} from 'yaml'
import {badInput} from '../cli/errors.ts'
import type {EbwsError} from '../cli/errors.ts'
import type {BundleFile} from './collect.ts'
import {closestNamespace, CONFIG_KEYS, isKnownNamespace} from './namespaces.ts'
import {MAX_BUNDLE_BYTES} from './write.ts'

export interface BundleIssue {
  code:
    | 'config-syntax'
    | 'config-key'
    | 'config-namespace'
    | 'config-shape'
    | 'config-not-read'
    | 'no-entry-point'
    | 'too-large'
    | 'archive-layout'
    | 'hook-mode'
    | 'symlink'
  /** The bundle path the issue is about, if any. */
  path?: string
  message: string
}

export interface ValidationReport {
  errors: BundleIssue[]
  warnings: BundleIssue[]
}

export interface ValidateOptions {
  /** Require package.json or a Procfile at the root, as the Node.js platform does (default true). */
  nodePlatform?: boolean
  /** Size of the written zip, once known. */
  sizeBytes?: number
  maxBytes?: number
}

export interface BundleEntry {
  path: string
  kind: 'file' | 'symlink' | 'directory'
}

/** A config file is any *.config directly in an .ebextensions folder; Beanstalk reads no other extension. */
const CONFIG_RE = /(^|\/)\.ebextensions\/[^/]+\.config$/
const MISNAMED_CONFIG_RE = /(^|\/)\.ebextensions\/[^/]+\.(ya?ml|json|conf|cfg)$/

/** Validates one .ebextensions config file's text. */
export function validateConfig(path: string, text: string): ValidationReport {
  const errors: BundleIssue[] = []
  const warnings: BundleIssue[] = []
  const doc = parseDocument(text)
  for (const e of doc.errors) {
    const at = e.linePos?.[0] ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : ''
    if (e.code === 'DUPLICATE_KEY') {
      warnings.push({
        code: 'config-syntax',
        path,
        message: `${path}: duplicate key${at}: only the last one takes effect`,
      })
    } else {
      errors.push({
        code: 'config-syntax',
        path,
        message: `${path} is not valid YAML or JSON${at}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
      })
    }
  }
  if (errors.length > 0) return {errors, warnings}
  const root = doc.contents
  if (root === null || (isScalar(root) && root.value === null)) {
    warnings.push({code: 'config-shape', path, message: `${path} is empty`})
    return {errors, warnings}
  }
  if (!isMap(root)) {
    errors.push({
      code: 'config-shape',
      path,
      message: `${path} must be a mapping of keys (option_settings, files, commands, ...)`,
    })
    return {errors, warnings}
  }
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
    if (!CONFIG_KEYS.has(key)) {
      errors.push({
        code: 'config-key',
        path,
        message: `${path}: unknown top-level key "${key}" (Beanstalk ignores the whole file); expected one of ${[...CONFIG_KEYS].join(', ')}`,
      })
    } else if (key === 'option_settings') {
      checkOptionSettings(path, pair.value as YamlNode | null, errors)
    }
  }
  return {errors, warnings}
}

/**
 * Both documented syntaxes (ebextensions-optionsettings.html): a list of {namespace, option_name, value}
 * (namespace defaults to aws:elasticbeanstalk:application:environment) or a map of namespace → {option: value}.
 */
function checkOptionSettings(path: string, node: YamlNode | null, errors: BundleIssue[]) {
  const checkNamespace = (ns: string) => {
    if (isKnownNamespace(ns)) return
    const near = closestNamespace(ns)
    errors.push({
      code: 'config-namespace',
      path,
      message: `${path}: unknown option_settings namespace "${ns}"${near ? ` (did you mean "${near}"?)` : ''}`,
    })
  }
  if (isMap(node)) {
    for (const pair of node.items) {
      const ns = isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
      checkNamespace(ns)
      if (!isMap(pair.value)) {
        errors.push({
          code: 'config-shape',
          path,
          message: `${path}: option_settings "${ns}" must map option names to values`,
        })
      }
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      if (!isMap(item)) {
        errors.push({
          code: 'config-shape',
          path,
          message: `${path}: option_settings item ${i + 1} must have option_name and value`,
        })
        return
      }
      const ns = item.get('namespace')
      if (ns !== undefined) checkNamespace(String(ns))
      if (item.get('option_name') === undefined) {
        errors.push({code: 'config-shape', path, message: `${path}: option_settings item ${i + 1} has no option_name`})
      }
    })
  } else if (node !== null && !(isScalar(node) && node.value === null)) {
    errors.push({code: 'config-shape', path, message: `${path}: option_settings must be a list or a mapping`})
  }
}

/** All checks, given the entries and a way to read a file's text. */
export async function validateEntries(
  entries: readonly BundleEntry[],
  readText: (path: string) => Promise<string>,
  options: ValidateOptions = {},
): Promise<ValidationReport> {
  const errors: BundleIssue[] = []
  const warnings: BundleIssue[] = []

  // The Node.js platform needs one of these to know how to start the app:
  // https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/nodejs-platform-procfile.html
  if ((options.nodePlatform ?? true) && !entries.some((e) => e.path === 'package.json' || e.path === 'Procfile')) {
    errors.push({
      code: 'no-entry-point',
      message:
        'Neither package.json nor Procfile is at the root of the bundle: the Node.js platform cannot start the app',
    })
  }

  const configs = entries.filter((e) => e.kind !== 'directory' && CONFIG_RE.test(e.path))
  const reports = await Promise.all(configs.map(async (e) => validateConfig(e.path, await readText(e.path))))
  for (const r of reports) {
    errors.push(...r.errors)
    warnings.push(...r.warnings)
  }

  // Secrets and key material are checked apart (secrets.ts): they are refused, not warned about.
  for (const e of entries) {
    if (e.kind === 'directory') continue
    if (MISNAMED_CONFIG_RE.test(e.path)) {
      warnings.push({
        code: 'config-not-read',
        path: e.path,
        message: `${e.path} is not read by Beanstalk: config files must end in .config`,
      })
    }
  }

  const maxBytes = options.maxBytes ?? MAX_BUNDLE_BYTES
  if (options.sizeBytes !== undefined && options.sizeBytes > maxBytes) {
    errors.push({
      code: 'too-large',
      message: `The bundle is ${(options.sizeBytes / 1024 / 1024).toFixed(1)} MB, over the ${(maxBytes / 1024 / 1024).toFixed(0)} MB limit for source bundles`,
    })
  }
  return {errors, warnings}
}

/** Where a listed file is read from: a scan, not a map of 20,000 paths, for the few files read (configs, .npmrc). */
export function sourceOf(files: readonly BundleFile[], path: string): string {
  const f = files.find((e) => e.path === path)
  if (!f) throw new Error(`${path} is not in the listing`)
  return f.source
}

/** Checks a listing from collectBundleFiles, reading config files from disk. */
export function validateBundle(files: readonly BundleFile[], options: ValidateOptions = {}): Promise<ValidationReport> {
  return validateEntries(files, (path) => readFile(sourceOf(files, path), 'utf8'), options)
}

/** Throws one bad-input error listing every error of the report. */
export function assertValid(report: ValidationReport): void {
  if (report.errors.length === 0) return
  throw bundleError(report)
}

export function bundleError(report: ValidationReport): EbwsError {
  return badInput(
    'BUNDLE_INVALID',
    `The source bundle is not valid:\n  ${report.errors.map((e) => e.message).join('\n  ')}`,
    ['Fix the files listed above, or leave them out with .ebignore'],
    {errors: report.errors, warnings: report.warnings},
  )
}
