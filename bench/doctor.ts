// How long a full `ebws doctor` run takes on the local emulation (all checks but the idle probe, concurrently), and
// the same checks one after another in the same run: the ratio is what running them concurrently buys. Measured on
// the CLB websocket layout, the ALB and the NLB (`ebws local up --lb application|network`), in-process and from a
// cold CLI process.
// Run: node bench/doctor.ts (after npm run build for the CLI figure).
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {spawnSync} from 'node:child_process'

import {runDoctor} from '../src/doctor/runner.ts'
import {targetFromLocal} from '../src/doctor/target.ts'
import {hstsCheck} from '../src/doctor/checks/hsts.ts'
import {mixedContentCheck} from '../src/doctor/checks/mixed-content.ts'
import {proxyProtocolCheck} from '../src/doctor/checks/proxy-protocol.ts'
import {redirectCheck} from '../src/doctor/checks/redirect.ts'
import {socketioPollingCheck, socketioWebsocketCheck} from '../src/doctor/checks/socketio.ts'
import {stickinessCheck} from '../src/doctor/checks/stickiness.ts'
import {tlsCheck} from '../src/doctor/checks/tls.ts'
import {dnsCheck} from '../src/doctor/checks/dns.ts'
import type {ProbeContext} from '../src/doctor/types.ts'
import type {LoadBalancerType} from '../src/local/haproxy.ts'
import {localDown, localUp} from '../src/local/run.ts'
import {appAndNginxPorts, freePorts} from '../test/e2e/helpers.ts'
import {median} from './timing.ts'

const ROUNDS = 7
const LAYOUTS: {name: string; lb: LoadBalancerType}[] = [
  {name: 'CLB websocket layout', lb: 'classic'},
  {name: 'ALB (--lb application)', lb: 'application'},
  {name: 'NLB (--lb network)', lb: 'network'},
]

async function measure(name: string, lb: LoadBalancerType): Promise<void> {
  const [https, http] = (await freePorts(2)) as [number, number]
  const [app, nginxPort] = (await appAndNginxPorts(1)) as [number, number]
  const stateDir = mkdtempSync(join(tmpdir(), 'ebws-bench-doctor-'))
  try {
    await localUp({
      mode: 'websocket',
      loadBalancer: lb,
      httpsPort: https,
      httpPort: http,
      app: 'sample',
      appPort: app,
      nginx: false,
      nginxPort,
      idleTimeoutSeconds: 60,
      allowedHosts: ['localhost'],
      stateDir,
    })
    const target = targetFromLocal(stateDir, {sessions: 5})
    await runDoctor(target) // warm-up (JIT, the app's first requests)

    const concurrent: number[] = []
    const sequential: number[] = []
    for (let i = 0; i < ROUNDS; i++) {
      let t0 = performance.now()
      const result = await runDoctor(target)
      concurrent.push(performance.now() - t0)
      if (result.checks.some((c) => c.status === 'fail'))
        throw new Error(`unexpected failure: ${JSON.stringify(result.checks)}`)

      t0 = performance.now()
      await dnsCheck(target, 4000)
      const memo = new Map<string, Promise<unknown>>()
      const ctx: ProbeContext = {
        target,
        stepTimeoutMs: 4000,
        once: <T>(k: string, run: () => Promise<T>) => (memo.get(k) ?? memo.set(k, run()).get(k)) as Promise<T>,
      }
      for (const c of [
        redirectCheck,
        tlsCheck,
        hstsCheck,
        socketioPollingCheck,
        socketioWebsocketCheck,
        stickinessCheck,
        mixedContentCheck,
        proxyProtocolCheck,
      ])
        await c(ctx)
      sequential.push(performance.now() - t0)
    }
    const cli: number[] = []
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now()
      const r = spawnSync(
        process.execPath,
        ['bin/run.js', 'doctor', '--local', '--state-dir', stateDir, '--sessions', '5', '--json'],
        {encoding: 'utf8'},
      )
      cli.push(performance.now() - t0)
      if (r.status !== 0) throw new Error(`doctor exited ${r.status}: ${r.stdout}${r.stderr}`)
    }
    const c = median(concurrent)
    const s = median(sequential)
    console.log(`doctor, full run on the local emulation, ${name}, --sessions 5, median of ${ROUNDS}:`)
    console.log(`  concurrent (runDoctor)   ${c.toFixed(0)} ms`)
    console.log(`  one check after another  ${s.toFixed(0)} ms   (concurrent/sequential = ${(c / s).toFixed(2)})`)
    console.log(`  CLI, cold process        ${median(cli).toFixed(0)} ms   (budget 2000 ms)`)
  } finally {
    await localDown(stateDir)
    rmSync(stateDir, {recursive: true, force: true})
  }
}

for (const {name, lb} of LAYOUTS) await measure(name, lb)
