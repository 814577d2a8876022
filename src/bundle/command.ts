/**
 * `ebws bundle`: prepareBundle into --output, and the listing CI reads (path, size, mode).
 */
import {resolve} from 'node:path'
import {prepareBundle} from './index.ts'
import type {PrepareInput} from './index.ts'

export interface BundleCommandResult {
  path: string
  sizeBytes: number
  /** sha256 of the zip file. */
  sha256: string
  /** The content hash `ebws deploy` stores in the version's description. */
  contentHash: string
  entryCount: number
  entries: Array<{path: string; kind: 'file' | 'symlink' | 'directory'; size: number; mode: string}>
  notices: string[]
  warnings: string[]
}

/** The permission bits as 4 octal digits (`0644`, `0755`, `0777` for links). */
const octal = (mode: number | undefined): string => ((mode ?? 0o644) & 0o7777).toString(8).padStart(4, '0')

export async function writeAppBundle(
  input: Omit<PrepareInput, 'archive'> & {output: string},
): Promise<BundleCommandResult> {
  const out = resolve(input.output)
  const b = await prepareBundle({...input, archive: undefined}, out)
  return {
    path: b.file,
    sizeBytes: b.sizeBytes,
    sha256: b.sha256,
    contentHash: b.contentHash,
    entryCount: b.entries.length,
    entries: b.entries.map((e) => ({path: e.path, kind: e.kind, size: e.size, mode: octal(e.mode)})),
    notices: b.notices,
    warnings: b.warnings,
  }
}

export function formatBundleResult(r: BundleCommandResult): string {
  const width = Math.max(4, ...r.entries.map((e) => String(e.size).length))
  const lines = r.entries.map(
    (e) =>
      `${e.mode} ${String(e.size).padStart(width)}  ${e.path}${e.kind === 'directory' ? '/' : e.kind === 'symlink' ? ' (symlink)' : ''}`,
  )
  lines.push(`${r.path}: ${r.entryCount} entries, ${r.sizeBytes} bytes, sha256 ${r.sha256}`)
  return lines.join('\n')
}
