// Cold-start bench of the entry point, each timed run a new process, on Node 24 (node_modules/.bin/node) and on the
// engines floor (test/install/node22), for `ebws --help` and `ebws listeners show --json` (on the local AWS bench):
//   cache     bin/run.js as shipped: import() of the bundle with Node's compile cache, warm
//   no-cache  the same with NODE_DISABLE_COMPILE_CACHE=1
// and prints medians and no-cache/cache.
// History (issue 11, item 6): bin/run.js used to load the bundle through vm.Script with a V8 code cache of its own,
// kept only if it gave >= 1.3x over a plain require() on both commands and both Nodes. This bench measured it
// (commit "bench/startup.ts: ..."): plain/cached was 1.10-1.15 for --help and 1.43-1.46 for listeners show on
// Node 24, and 0.59 / 0.72 on Node 22.2.0 (slower there: no module.getCompileCacheDir, so never a cache). Removed.
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
      const envs: Record<string, Record<string, string>> = {
        cache: {...base, NODE_COMPILE_CACHE: join(tmp, `${nodeName}-${name}`)},
        'no-cache': {...base, NODE_DISABLE_COMPILE_CACHE: '1'},
      }
      const times: Record<string, number[]> = {cache: [], 'no-cache': []}
      for (const env of Object.values(envs)) for (let i = 0; i < 2; i++) await time(node, [BIN, ...args], env)
      for (let i = 0; i < RUNS; i++)
        for (const [k, env] of Object.entries(envs)) times[k]!.push(await time(node, [BIN, ...args], env))
      const [c, p] = [median(times.cache!), median(times['no-cache']!)]
      console.log(
        `${nodeName.padEnd(16)} ${name.padEnd(15)} cache ${c.toFixed(0).padStart(4)} ms  no-cache ${p.toFixed(0).padStart(4)} ms  no-cache/cache ${(p / c).toFixed(2)}`,
      )
    }
  }
} finally {
  await bench.stop()
  rmSync(tmp, {recursive: true, force: true})
}
