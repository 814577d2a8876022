/**
 * What the version label says about git. ebws bundles the working tree (filtered by the ignore rules), not the
 * committed tree as `eb deploy` does, so the label names HEAD only when the bundled files are HEAD's: when a
 * bundled file is modified, staged, untracked, or a tracked file of the app folder was deleted, the label and the
 * description say `<sha>-dirty`. Files that git shows as changed but the bundle leaves out (ignored by .ebignore,
 * `.ebws-local/`) do not make it dirty: they were not deployed.
 */
import {execFile} from 'node:child_process'
import {promisify} from 'node:util'

const execFileP = promisify(execFile)

export interface GitState {
  /** Short sha of HEAD. */
  sha: string
  /** The bundled content differs from HEAD. */
  dirty: boolean
  /** Bundle paths that differ (at most 20, for the message). */
  changed: string[]
}

/** The label part: `3f9c2ab` or `3f9c2ab-dirty`. */
export const gitRef = (g: GitState): string => (g.dirty ? `${g.sha}-dirty` : g.sha)

const git = async (dir: string, args: string[]): Promise<string> =>
  (await execFileP('git', args, {cwd: dir, timeout: 10_000, maxBuffer: 64 << 20})).stdout

/**
 * HEAD and whether the bundle differs from it, or undefined outside a git work tree (or without git, or before the
 * first commit). `bundled` are the zip's paths relative to `dir`; undefined skips the comparison (an archive).
 */
export async function gitState(dir: string, bundled?: ReadonlySet<string>): Promise<GitState | undefined> {
  let sha: string
  let prefix: string
  try {
    sha = (await git(dir, ['rev-parse', '--short=7', 'HEAD'])).trim()
    prefix = (await git(dir, ['rev-parse', '--show-prefix'])).trim()
  } catch {
    return undefined
  }
  if (!/^[0-9a-f]{7,40}$/.test(sha)) return undefined
  if (!bundled) return {sha, dirty: false, changed: []}
  // -z: NUL-separated, paths relative to the repository root and unquoted; renames carry the old path after.
  const out = await git(dir, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', '.'])
  const changed: string[] = []
  const fields = out.split('\0')
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!
    if (f.length < 4) continue
    const xy = f.slice(0, 2)
    const path = f.slice(3)
    if (xy[0] === 'R' || xy[0] === 'C') i++ // the source path follows
    if (!path.startsWith(prefix)) continue
    const rel = path.slice(prefix.length)
    const deleted = xy.includes('D')
    if (deleted || bundled.has(rel)) changed.push(rel)
  }
  return {sha, dirty: changed.length > 0, changed: changed.sort().slice(0, 20)}
}
