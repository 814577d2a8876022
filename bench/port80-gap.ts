// How long port 80 has no listener while `listeners fix` replaces it, with 0, 2 and 20 throttling answers injected:
//   - on the re-create itself (CreateLoadBalancerListeners after the delete): start SSL 443 -> TCP 80 + TCP 80, so
//     port 80 is the only change;
//   - on another call of the same fix (CreateLoadBalancerPolicy): start from TCP 80 alone, so the fix also creates
//     the TLS policy and port 443.
// The gap is measured at the fault proxy: from the DeleteLoadBalancerListeners request arriving to the response of
// the CreateLoadBalancerListeners that succeeded after it (an upper bound of the time moto had no port 80), next to
// the median round trip of one ELB call in the same run. Goal: <= 1 round trip + 1 s with 2 throttles.
// Run: npm run build && node bench/port80-gap.ts [runs]      BASE_BIN=/path/to/other/bin/run.js compares a build.
import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

import {benchProcessEnv} from '../test/bench/index.ts'
import {createScenario, LAYOUT_SETTINGS, startFullBench, type FullBench} from '../test/bench/scenario.ts'

const RUNS = Number(process.argv[2] ?? 3)
const BINS: Array<[string, string]> = [['this build', fileURLToPath(new URL('../bin/run.js', import.meta.url))]]
if (process.env.BASE_BIN) BINS.push(['BASE_BIN', process.env.BASE_BIN])

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

function run(bin: string, args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {env, stdio: ['ignore', 'ignore', 'ignore']})
    child.on('error', reject)
    child.on('close', (code) => resolve(code ?? -1))
  })
}

interface Sample {
  gapMs: number
  roundTripMs: number
  exit: number
  /** Whether port 80 has a listener at the end, read straight from moto. */
  port80After: boolean
}

async function sample(
  bench: FullBench,
  env: Record<string, string>,
  bin: string,
  on: 'recreate' | 'other',
  throttles: number,
): Promise<Sample> {
  const s = await createScenario(bench, {
    certificates: [{kind: 'rsa2048'}],
    settings: (c) =>
      on === 'recreate'
        ? [...LAYOUT_SETTINGS.websocket(c[0]!.arn), ...LAYOUT_SETTINGS.tcp80()]
        : LAYOUT_SETTINGS.tcp80(),
  })
  bench.calls.clear()
  bench.faults.clear()
  if (throttles > 0) {
    if (on === 'recreate') bench.faults.throttle(throttles, {service: 'elb', action: 'CreateLoadBalancerListeners'})
    else bench.faults.throttle(throttles, {service: 'elb', action: 'CreateLoadBalancerPolicy'})
  }
  const exit = await run(
    bin,
    [
      'listeners',
      'fix',
      '-e',
      s.environmentName,
      '--certificate-arn',
      s.certificates[0]!.arn,
      '--apply-to',
      'elb',
      '--json',
    ],
    env,
  )
  bench.faults.clear()
  const del = bench.calls
    .list({service: 'elb', action: 'DeleteLoadBalancerListeners'})
    .sort((a, b) => a.start - b.start)[0]
  if (!del) throw new Error(`no delete seen (exit ${exit})`)
  // The first successful create after the delete puts port 80 back (the fix's re-create, or the rollback's).
  const back = bench.calls
    .list({service: 'elb', action: 'CreateLoadBalancerListeners'})
    .filter((c) => c.start >= del.start && c.status === 200)
    .sort((a, b) => a.end - b.end)[0]
  const clean = bench.calls.list({service: 'elb'}).filter((c) => !c.injected && c.status === 200)
  const {DescribeLoadBalancersCommand} = await import('@aws-sdk/client-elastic-load-balancing')
  const lb = (await s.elb.send(new DescribeLoadBalancersCommand({LoadBalancerNames: [s.loadBalancerName]})))
    .LoadBalancerDescriptions?.[0]
  const port80After = (lb?.ListenerDescriptions ?? []).some((d) => d.Listener?.LoadBalancerPort === 80)
  return {
    gapMs: back ? back.end - del.start : Number.NaN,
    roundTripMs: median(clean.map((c) => c.end - c.start)),
    exit,
    port80After,
  }
}

const bench = await startFullBench()
try {
  const env = {...benchProcessEnv(bench), EBWS_POLL_MS: '25'}
  console.log(`port-80 gap while listeners fix replaces it (median of ${RUNS} runs; round trip = median ELB call)`)
  for (const [name, bin] of BINS) {
    for (const on of ['recreate', 'other'] as const) {
      for (const throttles of [0, 2, 20]) {
        const samples: Sample[] = []
        for (let i = 0; i < RUNS; i++) samples.push(await sample(bench, env, bin, on, throttles))
        const gap = median(samples.map((x) => x.gapMs))
        const rt = median(samples.map((x) => x.roundTripMs))
        const exits = [...new Set(samples.map((x) => x.exit))].join('/')
        const verdict =
          throttles === 2 ? (gap <= rt + 1000 ? ' (goal met: <= 1 round trip + 1 s)' : ' (goal missed)') : ''
        // No create after the delete: either port 80 was left down, or the run failed before deleting it (the only
        // delete was the rollback's, of the new port 443).
        const down = samples.filter((x) => !x.port80After).length
        const gapText = Number.isNaN(gap)
          ? down > 0
            ? `port 80 LEFT DOWN in ${down} of ${samples.length} runs`
            : 'port 80 never deleted (failed before it, rolled back)'
          : `gap ${gap.toFixed(0).padStart(6)} ms`
        console.log(
          `${name.padEnd(10)} ${String(throttles).padStart(2)} throttles on ${on === 'recreate' ? 'the re-create           ' : 'CreateLoadBalancerPolicy'}: ${gapText}, round trip ${rt.toFixed(1)} ms, exit ${exits}${Number.isNaN(gap) ? '' : verdict}`,
        )
      }
    }
  }
} finally {
  await bench.stop()
}
