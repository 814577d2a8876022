/**
 * Files ebws adds to a folder bundle that are not in the folder (today: the ALB port-80 redirect override, see
 * src/lb/application/bundle-override.ts). The caller decides through a hook that buildBundle calls once the app's
 * own files are listed, checked for secrets and validated, and before the zip is written, so adding a file costs
 * no second bundling pass. The app's own file of the same path always wins: an extra entry never replaces it.
 */
import type {BundleFile} from './collect.ts'

export interface ExtraEntry {
  /** Path inside the zip ('/'-separated, relative). */
  path: string
  /** The file on disk holding its content (the caller writes it, e.g. into its work folder). */
  source: string
}

/** Called with the listed files and a reader of their text; returns the entries to add (none: leave the bundle). */
export type ExtraEntriesHook = (
  files: readonly BundleFile[],
  readText: (path: string) => Promise<string>,
) => Promise<readonly ExtraEntry[]>

/** The listing with the extra entries merged in path order (the order writeBundle keeps, so the zip stays sorted). */
export function withExtraEntries(files: readonly BundleFile[], extra: readonly ExtraEntry[]): BundleFile[] {
  const taken = new Set(files.map((f) => f.path))
  const added: BundleFile[] = extra
    .filter((e) => !taken.has(e.path))
    .map((e) => ({path: e.path, kind: 'file' as const, source: e.source}))
  if (added.length === 0) return [...files]
  return [...files, ...added].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}
