// Bench for `listeners show` and `listeners fix` against the local AWS bench (moto + EB fake), in one run:
//   1. cold `ebws listeners show --json` vs `aws elb describe-load-balancers` on the same moto endpoint, and vs a bare
//      SDK script that makes one call (the floor of a Node CLI), as ratios of median wall times;
//   2. dependent round trips on the critical path, with 100 ms injected latency on every call;
//   3. `listeners fix --apply-to elb` vs the same changes made by a shell script of `aws elb` commands.
// Run: npm run build && node bench/listeners.ts [runs]
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {benchProcessEnv} from '../test/bench/index.ts'
import {median, timeCommand as time} from './timing.ts'
import {createScenario, LAYOUT_SETTINGS, startFullBench} from '../test/bench/scenario.ts'

const RUNS = Number(process.argv[2] ?? 7)
const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url))

const bench = await startFullBench()
const scratch = mkdtempSync(join(tmpdir(), 'ebws-bench-'))
try {
  const env = {...benchProcessEnv(bench), EBWS_POLL_MS: '25', TMPDIR: scratch}
  const s = await createScenario(bench, {
    certificates: [{kind: 'rsa2048'}],
    settings: (c) => LAYOUT_SETTINGS.websocket(c[0]!.arn),
  })

  // A bare SDK script making one call, as the floor of what a Node CLI can do.
  const bare = join(scratch, 'bare.mjs')
  writeFileSync(
    bare,
    `import {ElasticLoadBalancingClient, DescribeLoadBalancersCommand} from '${fileURLToPath(new URL('../node_modules/@aws-sdk/client-elastic-load-balancing/dist-cjs/index.js', import.meta.url))}'\n` +
      `const c = new ElasticLoadBalancingClient({}); await c.send(new DescribeLoadBalancersCommand({}))\n`,
  )
  // Warm the OS file cache and our compile cache once; every timed run is a new process (cold in the CLI sense).
  await time(process.execPath, [BIN, 'listeners', 'show', '-e', s.environmentName, '--json'], env)
  const ours: number[] = []
  const cli: number[] = []
  const sdk: number[] = []
  for (let i = 0; i < RUNS; i++) {
    ours.push(await time(process.execPath, [BIN, 'listeners', 'show', '-e', s.environmentName, '--json'], env))
    cli.push(await time('aws', ['elb', 'describe-load-balancers', '--output', 'json'], env))
    sdk.push(await time(process.execPath, [bare], env))
  }
  const [o, c, b] = [median(ours), median(cli), median(sdk)]
  console.log(`listeners show --json (cold)          median ${o.toFixed(0)} ms`)
  console.log(`aws elb describe-load-balancers       median ${c.toFixed(0)} ms`)
  console.log(`bare SDK script, one call             median ${b.toFixed(0)} ms`)
  console.log(
    `ratio show / aws CLI                  ${(o / c).toFixed(2)} (target <= 0.35); bare SDK / aws CLI ${(b / c).toFixed(2)}`,
  )
  console.log(`ratio show / bare SDK floor           ${(o / b).toFixed(2)} (goal <= 1.10)`)

  // Critical path with 100 ms on every call: round trips that had to wait for one another.
  bench.calls.clear()
  bench.faults.latency(100)
  await time(process.execPath, [BIN, 'listeners', 'show', '-e', s.environmentName, '--json'], env)
  console.log(
    `show: ${bench.calls.count()} calls, dependent round trips on the critical path: ${bench.calls.criticalPath()}`,
  )

  for (const applyTo of ['elb', 'both']) {
    const f = await createScenario(bench, {certificates: [{kind: 'rsa2048'}], settings: () => LAYOUT_SETTINGS.tcp80()})
    bench.calls.clear()
    const wall = await time(
      process.execPath,
      [
        BIN,
        'listeners',
        'fix',
        '-e',
        f.environmentName,
        '--certificate-arn',
        f.certificates[0]!.arn,
        '--apply-to',
        applyTo,
        '--json',
      ],
      env,
    )
    const polls = bench.calls.count({service: 'elasticbeanstalk', action: 'DescribeEvents'})
    // "After the environment is known": calls that start once DescribeEnvironmentResources has named the load balancer.
    const known = Math.max(...bench.calls.list({action: 'DescribeEnvironmentResources'}).map((c) => c.end))
    console.log(
      `fix --apply-to ${applyTo} (TCP 80 -> websocket): ${bench.calls.count()} calls (${bench.calls.count({mutating: true})} writes), ` +
        `critical path ${bench.calls.criticalPath()} round trips (${bench.calls.criticalPath({startedAfter: known})} after the environment is known) in ${wall.toFixed(0)} ms` +
        (polls > 0 ? `, of which ${polls} wait-for-Ready polls` : ''),
    )
  }
  bench.faults.clear()

  // Same changes: our fix (ELB only) vs a shell script of aws elb commands, from the same start.
  const oursFix: number[] = []
  const script: number[] = []
  for (let i = 0; i < Math.max(3, Math.floor(RUNS / 2)); i++) {
    const a = await createScenario(bench, {certificates: [{kind: 'rsa2048'}], settings: () => LAYOUT_SETTINGS.tcp80()})
    oursFix.push(
      await time(
        process.execPath,
        [
          BIN,
          'listeners',
          'fix',
          '-e',
          a.environmentName,
          '--certificate-arn',
          a.certificates[0]!.arn,
          '--apply-to',
          'elb',
          '--json',
        ],
        env,
      ),
    )
    const b2 = await createScenario(bench, {certificates: [{kind: 'rsa2048'}], settings: () => LAYOUT_SETTINGS.tcp80()})
    const lb = b2.loadBalancerName
    const sh = [
      `aws elb create-load-balancer-policy --load-balancer-name ${lb} --policy-name tls12 --policy-type-name SSLNegotiationPolicyType --policy-attributes AttributeName=Reference-Security-Policy,AttributeValue=ELBSecurityPolicy-TLS-1-2-2017-01`,
      `aws elb create-load-balancer-listeners --load-balancer-name ${lb} --listeners Protocol=SSL,LoadBalancerPort=443,InstanceProtocol=TCP,InstancePort=80,SSLCertificateId=${b2.certificates[0]!.arn}`,
      `aws elb set-load-balancer-policies-of-listener --load-balancer-name ${lb} --load-balancer-port 443 --policy-names tls12`,
      `aws elb delete-load-balancer-listeners --load-balancer-name ${lb} --load-balancer-ports 80`,
      `aws elb create-load-balancer-listeners --load-balancer-name ${lb} --listeners Protocol=HTTP,LoadBalancerPort=80,InstanceProtocol=HTTP,InstancePort=80`,
    ].join(' && ')
    script.push(await time('sh', ['-c', `set -e; ${sh} >/dev/null`], env))
  }
  console.log(`fix --apply-to elb (5 writes + reads)  median ${median(oursFix).toFixed(0)} ms`)
  console.log(`shell script of 5 aws elb commands     median ${median(script).toFixed(0)} ms`)
  console.log(`ratio fix / script                     ${(median(oursFix) / median(script)).toFixed(2)}`)
} finally {
  await bench.stop()
  rmSync(scratch, {recursive: true, force: true})
}
