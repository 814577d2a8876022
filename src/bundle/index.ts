/**
 * The application source bundle for `ebws deploy`: list (collect.ts), check (validate.ts), write (write.ts), or
 * check a prebuilt archive (archive.ts). buildBundle runs the whole pipeline for a directory.
 */
import {collectBundleFiles} from './collect.ts'
import type {CollectOptions, CollectResult} from './collect.ts'
import {bundleError, sourceOf, validateBundle} from './validate.ts'
import type {ValidateOptions, ValidationReport} from './validate.ts'
import {writeBundle} from './write.ts'
import {findSecrets, secretError} from './secrets.ts'
import {collectIfGrown} from './gc.ts'
import {readFile, rm} from 'node:fs/promises'
import {resolve} from 'node:path'
import {inspectArchive} from './archive.ts'
import type {SymlinkPolicy} from './collect.ts'
import {MAX_BUNDLE_BYTES, sha256File} from './write.ts'
import type {ExtraEntriesHook} from './extra-entries.ts'
import {withExtraEntries} from './extra-entries.ts'
import type {WriteOptions, WriteResult} from './write.ts'

export {collectBundleFiles, isIgnored} from './collect.ts'
export type {ExtraEntriesHook, ExtraEntry} from './extra-entries.ts'
export type {BundleFile, CollectOptions, CollectResult, SymlinkPolicy} from './collect.ts'
export {assertValid, bundleError, validateBundle, validateConfig, validateEntries} from './validate.ts'
export type {BundleEntry, BundleIssue, ValidateOptions, ValidationReport} from './validate.ts'
export {DEFAULT_LEVEL, DEFAULT_MEMORY_BUDGET, entryMode, isHookPath, MAX_BUNDLE_BYTES, writeBundle} from './write.ts'
export type {WriteOptions, WriteResult, WrittenEntry} from './write.ts'
export {findSecrets, isEbwsLocal, looksLikePrivateKey, secretByName, secretError} from './secrets.ts'
export type {SecretFinding} from './secrets.ts'
export {checkHooks, checkLayout, inspectArchive, linkLandsInside} from './archive.ts'
export type {ArchiveEntry, ArchiveInspection, ArchiveOptions} from './archive.ts'
export {isKnownNamespace, NAMESPACES, PARAMETERISED_NAMESPACES, CONFIG_KEYS} from './namespaces.ts'

export interface BuildResult extends WriteResult {
  listing: CollectResult
  /** Listing warnings (links) and validation warnings. */
  report: ValidationReport
  /** Notices for what was left out by rule (`.ebws-local/`). */
  notices: string[]
}

export interface SecretOptions {
  /** Bundle paths (or folders) allowed through the secret check: --allow-secret. */
  allowSecret?: readonly string[] | undefined
}

/**
 * Lists `dir`, refuses secrets and links out of the app, validates, writes the zip to `outFile`, then checks the
 * size and the content (PEM private keys). Throws bad input (exit 2) with every error at once, and then leaves no
 * zip behind; on success the warnings are in `report` and the notices in `notices` for the CLI to print.
 */
export async function buildBundle(
  dir: string,
  outFile: string,
  options: CollectOptions &
    WriteOptions &
    ValidateOptions &
    SecretOptions & {extraEntries?: ExtraEntriesHook | undefined} = {},
): Promise<BuildResult> {
  const listing = await collectBundleFiles(dir, options)
  const readText = (path: string) => readFile(sourceOf(listing.files, path), 'utf8')
  const secrets = await findSecrets(listing.files, readText, options)
  if (secrets.length > 0) throw secretError(secrets, `Bundling ${listing.root}`)
  const before = await validateBundle(listing.files, options)
  if (before.errors.length > 0) throw bundleError(before)
  collectIfGrown()
  // Files ebws adds (extra-entries.ts), decided now that the app's own files passed every check.
  const extra = options.extraEntries ? await options.extraEntries(listing.files, readText) : []
  const written = await writeBundle(withExtraEntries(listing.files, extra), outFile, options)
  const keys = await findSecrets([], readText, {...options, privateKeyFiles: written.privateKeyFiles})
  if (keys.length > 0) {
    await rm(written.path, {force: true})
    throw secretError(keys, `Bundling ${listing.root}`)
  }
  const after = await validateBundle(listing.files, {...options, sizeBytes: written.sizeBytes})
  if (after.errors.length > 0) {
    await rm(written.path, {force: true})
    throw bundleError(after)
  }
  const linkWarnings = listing.warnings.map((message) => ({code: 'symlink' as const, message}))
  const notices = listing.leftOut.map(
    (p) => `${p}/ left out: ebws's local state (TLS private key), never part of an app`,
  )
  return {...written, listing, notices, report: {errors: [], warnings: [...linkWarnings, ...after.warnings]}}
}

export interface PrepareInput extends SecretOptions {
  /** The app folder (default '.'), or a prebuilt zip. */
  dir?: string | undefined
  archive?: string | undefined
  includeNodeModules?: boolean | undefined
  symlinks?: SymlinkPolicy | undefined
  allowLinkOutside?: readonly string[] | undefined
  maxBytes?: number | undefined
  /** A folder bundle only: files ebws adds (extra-entries.ts). */
  extraEntries?: ExtraEntriesHook | undefined
}

export interface PreparedBundle {
  /** The zip to upload: `outFile` for a folder, the archive itself for --archive. */
  file: string
  sizeBytes: number
  /** For a folder: WriteResult.contentHash; for an archive: the sha256 of the file. */
  contentHash: string
  sha256: string
  kind: 'directory' | 'archive'
  /** Every entry of the zip, in zip order (mode: full Unix mode, undefined for an archive made without one). */
  entries: Array<{path: string; kind: 'file' | 'symlink' | 'directory'; size: number; mode: number | undefined}>
  warnings: string[]
  /** What was left out by rule, said once (`.ebws-local/`). */
  notices: string[]
}

/**
 * The one way `ebws bundle` and `ebws deploy` get the zip they write or upload: a folder is bundled into `outFile`,
 * an archive is checked in place. Secrets, links out of the app and invalid content are refused (exit 2).
 */
export async function prepareBundle(input: PrepareInput, outFile: string): Promise<PreparedBundle> {
  const maxBytes = input.maxBytes ?? MAX_BUNDLE_BYTES
  if (input.archive) {
    const inspection = await inspectArchive(input.archive, {
      maxBytes,
      allowSecret: input.allowSecret,
      allowLinkOutside: input.allowLinkOutside,
    })
    if (inspection.secrets.length > 0) throw secretError(inspection.secrets, `The archive ${input.archive}`)
    if (inspection.errors.length > 0) throw bundleError(inspection)
    const sha256 = await sha256File(input.archive)
    return {
      file: resolve(input.archive),
      sizeBytes: inspection.sizeBytes,
      contentHash: sha256,
      sha256,
      kind: 'archive',
      entries: inspection.entries.map((e) => ({path: e.path, kind: e.kind, size: e.size, mode: e.mode})),
      warnings: inspection.warnings.map((w) => w.message),
      notices: [],
    }
  }
  const built = await buildBundle(input.dir ?? '.', outFile, {
    includeNodeModules: input.includeNodeModules ?? false,
    symlinks: input.symlinks ?? 'follow',
    allowSecret: input.allowSecret,
    allowLinkOutside: input.allowLinkOutside,
    maxBytes,
    extraEntries: input.extraEntries,
  })
  return {
    file: built.path,
    sizeBytes: built.sizeBytes,
    contentHash: built.contentHash,
    sha256: built.sha256,
    kind: 'directory',
    entries: built.written, // {path, kind, size, mode} and compressedSize: no second object per entry
    warnings: [
      ...built.report.warnings.map((w) => w.message),
      ...built.madeExecutable.map(
        (p) => `${p} is a platform hook but not executable in the source: made executable in the zip`,
      ),
    ],
    notices: built.notices,
  }
}
