/**
 * Deploy benchmark: Elastic Beanstalk API calls per minute while `ebws deploy` waits on a deployment.
 *
 *   npm run build && node bench/deploy.ts [--seconds 75]
 *
 * Runs the built CLI against the local AWS bench (moto + the EB fake + the fault proxy) with the DEFAULT poll pacing
 * (no EBWS_POLL_MS): the EB fake keeps the deployment stuck in Updating, `--timeout` ends the run, and the fault
 * proxy's call log gives every call's time. Reported: calls per poll, calls in the first 60 s after UpdateEnvironment,
 * the busiest 60-s window of the whole run, and the steady-state rate. Target from the issue: under ~30 calls/min.
 */
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import {benchProcessEnv} from '../test/bench/index.ts'
import {createScenario, startFullBench} from '../test/bench/scenario.ts'
import {runCli} from '../test/helpers/cli.ts'

const TARGET_PER_MINUTE = 30
const {values} = parseArgs({options: {seconds: {type: 'string', default: '75'}}})
const seconds = Number(values.seconds)

const bench = await startFullBench({stepMs: 20})
const dir = mkdtempSync(join(tmpdir(), 'ebws-bench-deploy-'))
try {
  mkdirSync(join(dir, '.ebextensions'))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({name: 'bench-app', scripts: {start: 'node app.js'}}))
  writeFileSync(join(dir, 'app.js'), `console.log(${Date.now()})\n`)
  const s = await createScenario(bench, {})
  bench.eb.scriptNextDeployment({outcome: 'stuck', environment: s.environmentName})
  const env = benchProcessEnv(bench)
  delete env.EBWS_POLL_MS
  bench.calls.clear()
  const started = performance.now()
  const r = await runCli(['deploy', dir, '-e', s.environmentName, '--timeout', `${seconds}s`, '--json'], {
    env,
    timeoutMs: (seconds + 60) * 1000,
  })
  const wall = (performance.now() - started) / 1000
  if (r.code !== 3) throw new Error(`expected exit 3 (timeout), got ${r.code}\n${r.stderr}`)

  const eb = bench.calls.list({service: 'elasticbeanstalk'}).sort((a, b) => a.start - b.start)
  const update = eb.find((c) => c.action === 'UpdateEnvironment')
  if (!update) throw new Error('no UpdateEnvironment call')
  const waiting = eb.filter((c) => c.start > update.end)
  const polls = waiting.filter((c) => c.action === 'DescribeEnvironments').length
  const firstMinute = waiting.filter((c) => c.start - update.end < 60_000).length
  let busiest = 0
  for (const c of eb)
    busiest = Math.max(busiest, eb.filter((d) => d.start >= c.start && d.start < c.start + 60_000).length)
  // Steady state: the calls of the last 30 s of waiting, per minute (the backoff has reached its 15-s ceiling).
  const end = waiting.at(-1)!.start
  const tail = waiting.filter((c) => c.start > end - 30_000)
  const tailPolls = tail.filter((c) => c.action === 'DescribeEnvironments').length
  const byAction = new Map<string, number>()
  for (const c of waiting) byAction.set(c.action, (byAction.get(c.action) ?? 0) + 1)

  console.log(
    `ebws deploy, a deployment stuck in Updating, default pacing (4 s doubling to 15 s), --timeout ${seconds}s`,
  )
  console.log(
    `  run: ${wall.toFixed(1)} s wall, exit ${r.code}; ${eb.length} Elastic Beanstalk calls in all (${bench.calls.count({service: 's3'})} S3)`,
  )
  console.log(
    `  while waiting: ${waiting.length} calls in ${polls} polls = ${(waiting.length / Math.max(1, polls)).toFixed(2)} calls per poll (${[...byAction].map(([a, n]) => `${a} ${n}`).join(', ')})`,
  )
  console.log(`  first 60 s after UpdateEnvironment: ${firstMinute} calls`)
  console.log(
    `  busiest 60-s window of the whole run: ${busiest} calls (target < ${TARGET_PER_MINUTE}) ${busiest < TARGET_PER_MINUTE ? 'OK' : 'OVER'}`,
  )
  console.log(`  steady state: ${tailPolls} polls in the last 30 s → ${((tail.length / 30) * 60).toFixed(1)} calls/min`)
  if (busiest >= TARGET_PER_MINUTE) process.exitCode = 1
} finally {
  rmSync(dir, {recursive: true, force: true})
  await bench.stop()
}
