// Cold-start bench: does bin/run.js's V8 code cache still pay for itself? In one run, on Node 24 (node_modules/.bin/
// node) and on the engines floor (test/install/node22), each timed run a new process:
//   cached   bin/run.js as shipped (when it keeps a V8 code cache of the bundle, that cache warm)
//   plain    a plain entry: module.enableCompileCache() + require(dist/cli/ebws.cjs), Node's compile cache warm
// for `ebws --help` and `ebws listeners show --json` (on the local AWS bench). Prints medians and plain/cached:
// the code cache is kept only while that ratio is >= 1.3 for both commands on both Nodes (issue 11, item 6).
// Run: npm run build && node bench/startup.ts [runs]
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {benchProcessEnv} from '../test/bench/index.ts'
import {createScenario, LAYOUT_SETTINGS, startFullBench} from '../test/bench/scenario.ts'

const RUNS = Number(process.argv[2] ?? 9)
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BIN = join(ROOT, 'bin', 'run.js')
const NODES = {'node 24': join(ROOT, 'node_modules', 'node', 'bin', 'node'), 'node 22 (floor)': join(ROOT, 'test', 'install', 'node22', 'node_modules', 'node', 'bin', 'node')}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
// Asynchronous on purpose: the bench's servers (EB fake, fault proxy) run in this process and must keep serving.
function time(cmd: string, args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now()
    const child = spawn(cmd, args, {env, stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - t) : reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${stderr}`))))
  })
}

const tmp = mkdtempSync(join(tmpdir(), 'ebws-bench-startup-'))
const plain = join(tmp, 'plain.mjs')
writeFileSync(
  plain,
  // enableCompileCache() is Node >= 22.8; before that NODE_COMPILE_CACHE (22.1) alone turns the cache on.
  `import * as m from 'node:module'\nm.enableCompileCache?.()\n` +
    `m.createRequire(import.meta.url)(${JSON.stringify(join(ROOT, 'dist', 'cli', 'ebws.cjs'))}).execute({dir: ${JSON.stringify(pathToFileURL(BIN).href)}})\n`,
)
const bench = await startFullBench()
try {
  const s = await createScenario(bench, {certificates: [{kind: 'rsa2048'}], settings: (c) => LAYOUT_SETTINGS.websocket(c[0]!.arn)})
  const commands = {'--help': ['--help'], 'listeners show': ['listeners', 'show', '-e', s.environmentName, '--json']}
  for (const [nodeName, node] of Object.entries(NODES)) {
    for (const [name, args] of Object.entries(commands)) {
      // Each entry gets a compile-cache folder of its own, warmed by two untimed runs (the second sees a full cache).
      const entries = {cached: BIN, plain}
      const envs = Object.fromEntries(Object.keys(entries).map((k) => [k, {...benchProcessEnv(bench), NODE_COMPILE_CACHE: join(tmp, `${nodeName}-${name}-${k}`)}]))
      const times: Record<string, number[]> = {cached: [], plain: []}
      for (const [k, entry] of Object.entries(entries)) for (let i = 0; i < 2; i++) await time(node, [entry, ...args], envs[k]!)
      for (let i = 0; i < RUNS; i++) for (const [k, entry] of Object.entries(entries)) times[k]!.push(await time(node, [entry, ...args], envs[k]!))
      const [c, p] = [median(times.cached!), median(times.plain!)]
      console.log(`${nodeName.padEnd(16)} ${name.padEnd(15)} cached ${c.toFixed(0).padStart(4)} ms  plain ${p.toFixed(0).padStart(4)} ms  plain/cached ${(p / c).toFixed(2)}`)
    }
  }
} finally {
  await bench.stop()
  rmSync(tmp, {recursive: true, force: true})
}
