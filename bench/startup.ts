// Cold-start bench of the entry point, each timed run a new process, on Node 24 (node_modules/.bin/node) and on the
// engines floor (test/install/node22), for `ebws --help` and `ebws listeners show --json` (on the local AWS bench):
//   cache       bin/run.js as shipped: the bundle through bin/load-cli.js with its V8 code cache, warm
//   no-cache    the same with NODE_DISABLE_COMPILE_CACHE=1 (a plain compile of each module)
//   first run   an empty cache folder each run: the run that compiles, then writes the caches at exit (what every
//               run of a fresh CI machine is)
// and prints medians and no-cache/cache. The rule (issue 11, item 6): a cache of our own is kept only while it gives
// >= 1.3x on both commands and both Nodes, and falls back silently when it is unusable.
// History: until issue 11, bin/run.js loaded one CommonJS bundle through vm.Script with a cache made at compile time;
// it measured 1.10-1.46x on Node 24 and 0.59-0.72x on 22.2.0 (no cache there: it relied on
// module.getCompileCacheDir, Node 22.8+), so it was removed for Node's compile cache, which is also made at compile
// time and holds only each module's top level. bin/load-cli.js makes the cache at exit instead, when every function
// the run called is compiled, and finds its folder itself, on any Node.
// Run: npm run build && node bench/startup.ts [runs]
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {benchProcessEnv} from '../test/bench/index.ts'
import {createScenario, LAYOUT_SETTINGS, startFullBench} from '../test/bench/scenario.ts'

const RUNS = Number(process.argv[2] ?? 9)
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BIN = join(ROOT, 'bin', 'run.js')
const NODES = {
  'node 24': join(ROOT, 'node_modules', 'node', 'bin', 'node'),
  'node 22 (floor)': join(ROOT, 'test', 'install', 'node22', 'node_modules', 'node', 'bin', 'node'),
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
// Asynchronous on purpose: the bench's servers (EB fake, fault proxy) run in this process and must keep serving.
function time(cmd: string, args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now()
    const child = spawn(cmd, args, {env, stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0
        ? resolve(performance.now() - t)
        : reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${stderr}`)),
    )
  })
}

const tmp = mkdtempSync(join(tmpdir(), 'ebws-bench-startup-'))
const bench = await startFullBench()
try {
  const s = await createScenario(bench, {
    certificates: [{kind: 'rsa2048'}],
    settings: (c) => LAYOUT_SETTINGS.websocket(c[0]!.arn),
  })
  const commands = {'--help': ['--help'], 'listeners show': ['listeners', 'show', '-e', s.environmentName, '--json']}
  for (const [nodeName, node] of Object.entries(NODES)) {
    for (const [name, args] of Object.entries(commands)) {
      // The cached variant gets a compile-cache folder of its own, warmed by two untimed runs.
      const base = benchProcessEnv(bench)
      const envs: Record<string, () => Record<string, string>> = {
        cache: () => ({...base, NODE_COMPILE_CACHE: join(tmp, `${nodeName}-${name}`)}),
        'no-cache': () => ({...base, NODE_DISABLE_COMPILE_CACHE: '1'}),
        'first run': () => ({...base, NODE_COMPILE_CACHE: mkdtempSync(join(tmp, 'first-'))}),
      }
      const times: Record<string, number[]> = {cache: [], 'no-cache': [], 'first run': []}
      for (const env of Object.values(envs)) for (let i = 0; i < 2; i++) await time(node, [BIN, ...args], env())
      for (let i = 0; i < RUNS; i++)
        for (const [k, env] of Object.entries(envs)) times[k]!.push(await time(node, [BIN, ...args], env()))
      const [c, p, f] = [median(times.cache!), median(times['no-cache']!), median(times['first run']!)]
      console.log(
        `${nodeName.padEnd(16)} ${name.padEnd(15)} cache ${c.toFixed(0).padStart(4)} ms  no-cache ${p.toFixed(0).padStart(4)} ms  first run ${f.toFixed(0).padStart(4)} ms  no-cache/cache ${(p / c).toFixed(2)}`,
      )
    }
  }
} finally {
  await bench.stop()
  rmSync(tmp, {recursive: true, force: true})
}
