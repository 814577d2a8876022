import {execFileSync} from 'node:child_process'
import {chmod, mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

/** Creates a temp tree from {path: content}; a string ending in '/' makes an empty folder. */
export async function makeTree(files: Record<string, string | {content: string; mode: number}>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'ebws-bundle-test-'))
  for (const [path, spec] of Object.entries(files)) {
    const abs = join(root, path)
    if (path.endsWith('/')) {
      await mkdir(abs, {recursive: true})
      continue
    }
    await mkdir(dirname(abs), {recursive: true})
    const {content, mode} = typeof spec === 'string' ? {content: spec, mode: 0o644} : spec
    await writeFile(abs, content)
    await chmod(abs, mode)
  }
  return root
}

/** Removes a test tree and the `${dir}.zip` written beside it, if any. */
export const cleanup = async (dir: string) => {
  await rm(dir, {recursive: true, force: true})
  await rm(`${dir}.zip`, {force: true})
}

/** Info-ZIP's zipinfo, as an independent reader: [permissions, name] for each entry. */
export function zipinfo(zip: string): Array<{perms: string; name: string; method: string}> {
  const out = execFileSync('zipinfo', ['-l', zip], {encoding: 'utf8'})
  return out
    .split('\n')
    .filter((l) => /^[-dl]r/.test(l))
    .map((l) => {
      const cols = l.trim().split(/\s+/)
      return {perms: cols[0]!, method: cols[6]!, name: cols.slice(9).join(' ')}
    })
}

export function unzipTest(zip: string): string {
  return execFileSync('unzip', ['-tq', zip], {encoding: 'utf8'})
}

export const MINIMAL_APP = {
  'package.json': '{"name":"app","scripts":{"start":"node index.js"}}',
  'index.js': 'console.log(1)\n',
}
