/**
 * Bundle benchmark: our bundler vs `zip -qr` on the same generated 20,000-file Node app.
 *
 *   node bench/bundle.ts [--runs N] [--files N] [--level N] [--concurrency N] [--keep]
 *
 * The tree also holds a node_modules folder, which our bundler leaves out; zip is given exactly the included
 * top-level entries, so both archive the same files. Runs alternate (ours, zip, zip, ours, ...) so that a noisy
 * neighbour hurts both alike; the ratio is of medians. Target from the issue: ours ≤ 0.66 × zip.
 */
import {execFile} from 'node:child_process'
import {mkdtemp, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs, promisify} from 'node:util'
import {collectBundleFiles} from '../src/bundle/collect.ts'
import {DEFAULT_LEVEL, writeBundle} from '../src/bundle/write.ts'
import {generateTree} from './bundle-tree.ts'

const run = promisify(execFile)
const TARGET = 0.66

const {values} = parseArgs({
  options: {
    runs: {type: 'string', default: '5'},
    files: {type: 'string', default: '20000'},
    level: {type: 'string'},
    concurrency: {type: 'string'},
    keep: {type: 'boolean', default: false},
  },
})
const runs = Number(values.runs)
const level = values.level === undefined ? DEFAULT_LEVEL : Number(values.level)
const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency)

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const work = await mkdtemp(join(tmpdir(), 'ebws-bench-bundle-'))
try {
  const app = join(work, 'app')
  process.stdout.write(`generating ${values.files} files in ${app} ... `)
  const tree = await generateTree(app, Number(values.files))
  console.log(`${(tree.includedBytes / 1e6).toFixed(1)} MB bundled, ${tree.excludedFiles} node_modules files left out`)

  const ours = async (i: number) => {
    const out = join(work, `ours-${i}.zip`)
    const t = performance.now()
    const listing = await collectBundleFiles(app)
    const r = await writeBundle(listing.files, out, {level, concurrency})
    const ms = performance.now() - t
    if (listing.files.length !== tree.includedFiles) throw new Error(`bundled ${listing.files.length} files, expected ${tree.includedFiles}`)
    await rm(out)
    return {ms, size: r.sizeBytes, sha: r.sha256}
  }
  const zip = async (i: number) => {
    const out = join(work, `zip-${i}.zip`)
    const t = performance.now()
    await run('zip', ['-qr', out, ...tree.included], {cwd: app})
    const ms = performance.now() - t
    const size = (await stat(out)).size
    await rm(out)
    return {ms, size}
  }

  const oursMs: number[] = []
  const zipMs: number[] = []
  const shas = new Set<string>()
  let oursSize = 0
  let zipSize = 0
  await zip(-1) // warm the page cache for both
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? ['ours', 'zip'] : ['zip', 'ours']
    for (const which of order) {
      if (which === 'ours') {
        const r = await ours(i)
        oursMs.push(r.ms)
        oursSize = r.size
        shas.add(r.sha)
      } else {
        const r = await zip(i)
        zipMs.push(r.ms)
        zipSize = r.size
      }
    }
    console.log(`run ${i + 1}/${runs}: ours ${oursMs.at(-1)!.toFixed(0)} ms, zip -qr ${zipMs.at(-1)!.toFixed(0)} ms`)
  }
  const ratio = median(oursMs) / median(zipMs)
  console.log('')
  console.log(`ours     median ${median(oursMs).toFixed(0)} ms  (${(oursSize / 1e6).toFixed(1)} MB, level ${level})`)
  console.log(`zip -qr  median ${median(zipMs).toFixed(0)} ms  (${(zipSize / 1e6).toFixed(1)} MB)`)
  console.log(`ratio    ${ratio.toFixed(2)}  (target ≤ ${TARGET}: ${ratio <= TARGET ? 'met' : 'NOT met'})`)
  console.log(`deterministic: ${shas.size === 1 ? 'yes, every run gave the same sha256' : `NO, ${shas.size} different zips`}`)
} finally {
  if (!values.keep) await rm(work, {recursive: true, force: true})
}
