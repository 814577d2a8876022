// Bench for `listeners show` and `listeners fix` on an Application Load Balancer environment (moto ELBv2 + EB fake),
// in one run:
//   1. cold `ebws listeners show --json` vs `aws elbv2 describe-listeners` on the same endpoint, as a ratio of
//      median wall times;
//   2. dependent round trips on the critical path, with 100 ms injected latency on every call (show, and fix from
//      two starting points: Beanstalk's default ALB, and an ALB whose HTTPS settings are in place but whose port 80
//      still forwards).
// Run: npm run build && node bench/listeners-alb.ts [runs]
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {benchProcessEnv} from '../test/bench/index.ts'
import {median, timeCommand as time} from './timing.ts'
import {startFullBench} from '../test/bench/scenario.ts'
import {createAlbScenario, HTTPS_SETTINGS} from '../test/commands/listeners/alb-helpers.ts'

const RUNS = Number(process.argv[2] ?? 7)
const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url))

const bench = await startFullBench()
// The CLI's temp files (fix's default snapshot file) go here, removed at the end.
const scratch = mkdtempSync(join(tmpdir(), 'ebws-bench-alb-'))
try {
  const env = {...benchProcessEnv(bench), EBWS_POLL_MS: '25', TMPDIR: scratch}
  const s = await createAlbScenario(bench, {
    certificates: [{kind: 'rsa2048', domain: 'app.example.com'}],
    settings: (c) => HTTPS_SETTINGS(c[0]!.arn),
  })
  // Warm the OS file cache and our compile cache once; every timed run is a new process (cold in the CLI sense).
  await time(process.execPath, [BIN, 'listeners', 'show', '-e', s.environmentName, '--json'], env)
  const ours: number[] = []
  const cli: number[] = []
  for (let i = 0; i < RUNS; i++) {
    ours.push(await time(process.execPath, [BIN, 'listeners', 'show', '-e', s.environmentName, '--json'], env))
    cli.push(
      await time(
        'aws',
        ['elbv2', 'describe-listeners', '--load-balancer-arn', s.loadBalancerArn, '--output', 'json'],
        env,
      ),
    )
  }
  const [o, c] = [median(ours), median(cli)]
  console.log(`listeners show --json on an ALB (cold)  median ${o.toFixed(0)} ms`)
  console.log(`aws elbv2 describe-listeners            median ${c.toFixed(0)} ms`)
  console.log(`ratio show / aws CLI                    ${(o / c).toFixed(2)} (target <= 0.35)`)

  bench.calls.clear()
  bench.faults.latency(100)
  await time(process.execPath, [BIN, 'listeners', 'show', '-e', s.environmentName, '--json'], env)
  console.log(
    `show: ${bench.calls.count()} calls, dependent round trips on the critical path: ${bench.calls.criticalPath()} (target <= 3)`,
  )

  const starts = {
    "Beanstalk's default ALB (settings + redirect)": () =>
      createAlbScenario(bench, {certificates: [{kind: 'rsa2048', domain: 'app.example.com'}]}),
    'HTTPS settings in place, port 80 forwards (redirect only)': () =>
      createAlbScenario(bench, {
        certificates: [{kind: 'rsa2048', domain: 'app.example.com'}],
        settings: (c) => [
          ...HTTPS_SETTINGS(c[0]!.arn),
          ['aws:elbv2:listener:443', 'DefaultProcess', 'default'],
          ['aws:elbv2:listener:443', 'ListenerEnabled', 'true'],
        ],
      }),
  }
  for (const [what, create] of Object.entries(starts)) {
    bench.faults.clear()
    const f = await create()
    bench.faults.latency(100)
    bench.calls.clear()
    const wall = await time(
      process.execPath,
      [BIN, 'listeners', 'fix', '-e', f.environmentName, '--domain', 'app.example.com', '--json'],
      env,
    )
    const polls = bench.calls.count({service: 'elasticbeanstalk', action: 'DescribeEvents'})
    const known = Math.max(...bench.calls.list({action: 'DescribeEnvironmentResources'}).map((x) => x.end))
    console.log(
      `fix from ${what}: ${bench.calls.count()} calls (${bench.calls.count({mutating: true})} writes: ${bench.calls.actions({mutating: true}).join(', ')}), ` +
        `critical path ${bench.calls.criticalPath()} round trips (${bench.calls.criticalPath({startedAfter: known})} after the environment is known) in ${wall.toFixed(0)} ms` +
        (polls > 0 ? `, of which ${polls} wait-for-Ready polls` : ''),
    )
  }
  bench.faults.clear()
} finally {
  await bench.stop()
  rmSync(scratch, {recursive: true, force: true})
}
