/**
 * Bundle benchmark, timed as a user meets it: the whole `ebws bundle` process (node bin/run.js, oclif start
 * included) against `zip -qr` on exactly the same included files, on trees shaped like real apps (bundle-tree.ts):
 *
 *   text   a Node app with a build output, ~20,000 JS/JSON/CSS/map files
 *   mixed  an app with images, fonts and already-compressed files
 *   big    one large file (--big-mib, default 1024), for the memory bound
 *
 * For each: median wall time and median peak RSS (GNU time's %M) of each contender, runs alternated (ours, zip,
 * zip, ours, ...) so a noisy neighbour hurts both alike; the in-process figure (collect + write, no process start);
 * and whether every run wrote the same bytes.
 * `--before DIR` adds a checkout of ebws built earlier (npm run build in DIR): its `ebws bundle` as a contender too,
 * alternated with the others, for before/after figures from one run.
 *
 *   node bench/bundle.ts [--runs N] [--files N] [--big-mib N] [--trees text,mixed,big] [--before DIR] [--keep]
 *
 * Goals (issue 16): on the text tree, ours ≤ 0.5 × zip -qr wall time and ≤ 100 MiB peak RSS; with a 1 GiB file,
 * peak RSS within the memory budget above the process's own baseline.
 */
import {execFile} from 'node:child_process'
import {mkdtemp, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs, promisify} from 'node:util'
import {collectBundleFiles} from '../src/bundle/collect.ts'
import {DEFAULT_MEMORY_BUDGET, writeBundle} from '../src/bundle/write.ts'
import type {GeneratedTree} from './bundle-tree.ts'
import {generateBigFileTree, generateMixedTree, generateTextTree} from './bundle-tree.ts'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const MiB = 1024 * 1024

const {values} = parseArgs({
  options: {
    runs: {type: 'string', default: '5'},
    files: {type: 'string', default: '20000'},
    'big-mib': {type: 'string', default: '1024'},
    trees: {type: 'string', default: 'text,mixed,big'},
    before: {type: 'string'},
    keep: {type: 'boolean', default: false},
  },
})
const runs = Number(values.runs)
const trees = values.trees!.split(',')

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

interface Measured {
  ms: number
  /** user + system CPU time: steadier than wall time on a shared machine. */
  cpuMs: number
  rssMiB: number
}

/** Runs a command under GNU time: wall time measured here, peak RSS (KiB) from time's %M. */
async function measure(cmd: string, args: string[], cwd: string): Promise<Measured> {
  const t = performance.now()
  const {stderr} = await run('/usr/bin/time', ['-f', 'EBWS_TIME=%M %U %S', cmd, ...args], {cwd, maxBuffer: 64 * MiB})
  const ms = performance.now() - t
  const [kib, user, sys] = /EBWS_TIME=(\S+) (\S+) (\S+)/.exec(stderr)!.slice(1).map(Number) as [number, number, number]
  return {ms, cpuMs: (user + sys) * 1000, rssMiB: kib / 1024}
}

interface Contender {
  name: string
  go: (out: string) => Promise<Measured>
}

async function bench(tree: GeneratedTree, work: string, n: number) {
  const app = tree.root
  const contenders: Contender[] = [
    {
      name: 'ebws bundle',
      go: (out) => measure(process.execPath, [join(ROOT, 'bin/run.js'), 'bundle', app, '--output', out], app),
    },
    {name: 'zip -qr', go: (out) => measure('zip', ['-qr', out, ...tree.included], app)},
  ]
  if (values.before) {
    contenders.push({
      name: 'before: ebws bundle',
      go: (out) => measure(process.execPath, [join(values.before!, 'bin/run.js'), 'bundle', app, '--output', out], app),
    })
  }
  const results = new Map(contenders.map((c) => [c.name, [] as Measured[]]))
  const sizes = new Map<string, number>()
  const shas = new Set<string>()
  await contenders[1]!.go(join(work, 'warm.zip')) // warm the page cache for everyone
  await rm(join(work, 'warm.zip'))
  for (let i = 0; i < n; i++) {
    const order = i % 2 === 0 ? contenders : [...contenders].reverse()
    for (const c of order) {
      const out = join(work, `${c.name.replace(/\W+/g, '-')}-${i}.zip`)
      results.get(c.name)!.push(await c.go(out))
      sizes.set(c.name, (await stat(out)).size)
      if (c.name.endsWith('ebws bundle')) shas.add((await run('sha256sum', [out])).stdout.split(' ')[0]!)
      await rm(out)
    }
    process.stdout.write('.')
  }
  const t = performance.now()
  const inProcess = await writeBundle((await collectBundleFiles(app)).files, join(work, 'in-process.zip'))
  const inProcessMs = performance.now() - t
  await rm(join(work, 'in-process.zip'))

  console.log(
    `\n${tree.kind}: ${tree.includedFiles} files, ${(tree.includedBytes / 1e6).toFixed(1)} MB bundled${tree.excludedFiles ? `, ${tree.excludedFiles} node_modules files left out` : ''}`,
  )
  const zipMs = median(results.get('zip -qr')!.map((m) => m.ms))
  const zipCpu = median(results.get('zip -qr')!.map((m) => m.cpuMs))
  for (const c of contenders) {
    const ms = median(results.get(c.name)!.map((m) => m.ms))
    const cpu = median(results.get(c.name)!.map((m) => m.cpuMs))
    const rss = median(results.get(c.name)!.map((m) => m.rssMiB))
    console.log(
      `  ${c.name.padEnd(20)} wall ${ms.toFixed(0).padStart(6)} ms (${(ms / zipMs).toFixed(2)}x zip)  cpu ${cpu.toFixed(0).padStart(6)} ms (${(cpu / zipCpu).toFixed(2)}x)  peak RSS ${rss.toFixed(0).padStart(4)} MiB  zip ${(sizes.get(c.name)! / 1e6).toFixed(1)} MB`,
    )
  }
  console.log(
    `  in-process (collect + write, no process start): ${inProcessMs.toFixed(0)} ms, peak bytes in flight ${(inProcess.peakBytesInFlight / MiB).toFixed(1)} MiB of the ${DEFAULT_MEMORY_BUDGET / MiB} MiB budget`,
  )
  console.log(
    `  deterministic: ${shas.size === 1 ? `yes, every ebws run${values.before ? ' (before and after)' : ''} wrote the same sha256` : `NO, ${shas.size} different zips`}`,
  )
  return {ours: median(results.get('ebws bundle')!.map((m) => m.rssMiB))}
}

const work = await mkdtemp(join(tmpdir(), 'ebws-bench-bundle-'))
try {
  // The CLI's own peak RSS on a two-file app: what a bundle costs is measured above it.
  const tiny = await generateBigFileTree(join(work, 'tiny'), 0)
  const tinyRss = async (root: string) => {
    const rss: number[] = []
    for (let i = 0; i < 3; i++) {
      const out = join(work, `tiny-${i}.zip`)
      rss.push(
        (await measure(process.execPath, [join(root, 'bin/run.js'), 'bundle', tiny.root, '-o', out], tiny.root)).rssMiB,
      )
    }
    return median(rss)
  }
  const baseline = await tinyRss(ROOT)
  console.log(
    `ebws bundle on a two-file app: peak RSS ${baseline.toFixed(0)} MiB (node + oclif + the bundler, the baseline)${values.before ? `; before: ${(await tinyRss(values.before)).toFixed(0)} MiB` : ''}`,
  )
  for (const kind of trees) {
    const root = join(work, kind)
    process.stdout.write(`generating the ${kind} tree ... `)
    const tree =
      kind === 'text'
        ? await generateTextTree(root, Number(values.files))
        : kind === 'mixed'
          ? await generateMixedTree(root)
          : await generateBigFileTree(root, Number(values['big-mib']))
    const r = await bench(tree, work, kind === 'big' ? Math.min(runs, 3) : runs)
    if (kind === 'big') {
      const over = r.ours - baseline
      console.log(
        `  memory bound: ${over.toFixed(0)} MiB above the baseline, budget ${DEFAULT_MEMORY_BUDGET / MiB} MiB: ${over <= DEFAULT_MEMORY_BUDGET / MiB ? 'within' : 'OVER'}`,
      )
    }
    await rm(root, {recursive: true, force: true})
  }
} finally {
  if (!values.keep) await rm(work, {recursive: true, force: true})
}
