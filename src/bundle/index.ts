/**
 * The application source bundle for `ebws deploy`: list (collect.ts), check (validate.ts), write (write.ts), or
 * check a prebuilt archive (archive.ts). buildBundle runs the whole pipeline for a directory.
 */
import {collectBundleFiles} from './collect.ts'
import type {CollectOptions, CollectResult} from './collect.ts'
import {bundleError, validateBundle} from './validate.ts'
import type {ValidateOptions, ValidationReport} from './validate.ts'
import {writeBundle} from './write.ts'
import type {WriteOptions, WriteResult} from './write.ts'

export {collectBundleFiles, isIgnored} from './collect.ts'
export type {BundleFile, CollectOptions, CollectResult, SymlinkPolicy} from './collect.ts'
export {assertValid, bundleError, validateBundle, validateConfig, validateEntries} from './validate.ts'
export type {BundleEntry, BundleIssue, ValidateOptions, ValidationReport} from './validate.ts'
export {DEFAULT_LEVEL, entryMode, isHookPath, MAX_BUNDLE_BYTES, writeBundle} from './write.ts'
export type {WriteOptions, WriteResult} from './write.ts'
export {checkLayout, inspectArchive} from './archive.ts'
export type {ArchiveEntry, ArchiveInspection} from './archive.ts'
export {isKnownNamespace, NAMESPACES, PARAMETERISED_NAMESPACES, CONFIG_KEYS} from './namespaces.ts'

export interface BuildResult extends WriteResult {
  listing: CollectResult
  /** Listing warnings (links), validation warnings, and content findings (private keys). */
  report: ValidationReport
}

/**
 * Lists `dir`, validates it, writes the zip to `outFile`, then checks the size. Throws bad input (exit 2) with every
 * error at once; on success the warnings are in `report` for the CLI to print.
 */
export async function buildBundle(
  dir: string,
  outFile: string,
  options: CollectOptions & WriteOptions & Omit<ValidateOptions, 'sizeBytes' | 'privateKeyFiles'> = {},
): Promise<BuildResult> {
  const listing = await collectBundleFiles(dir, options)
  const before = await validateBundle(listing.files, options)
  if (before.errors.length > 0) throw bundleError(before)
  const written = await writeBundle(listing.files, outFile, options)
  const after = await validateBundle(listing.files, {...options, sizeBytes: written.sizeBytes, privateKeyFiles: written.privateKeyFiles})
  if (after.errors.length > 0) throw bundleError(after)
  const linkWarnings = listing.warnings.map((message) => ({code: 'symlink' as const, message}))
  return {...written, listing, report: {errors: [], warnings: [...linkWarnings, ...after.warnings]}}
}
