import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {startCliBench, type FullBench} from '../../bench/scenario.ts'
import {json, jsonError, runCli} from '../../helpers/cli.ts'
import {createAlbScenario, deployFiles, readBack} from './alb-helpers.ts'

interface Status {
  loadBalancerName: string
  ports: Array<{instancePort: number; enabled: boolean; listeners: string[]}>
}
interface Change {
  status: string
  elbSteps: Array<{command: string}>
  warnings: string[]
  portAfter: {enabled: boolean}
}

const PROXY_NGINX = `events {}
http {
  server {
    listen 80 proxy_protocol;
    location / { proxy_pass http://127.0.0.1:8080; }
  }
}
`

describe('proxy-protocol on an NLB environment: the target group attribute proxy_protocol_v2.enabled', () => {
  let bench: FullBench
  let env: Record<string, string>
  const dir = mkdtempSync(join(tmpdir(), 'ebws-nlb-'))
  before(async () => {
    ;({bench, env} = await startCliBench())
  })
  after(async () => {
    rmSync(dir, {recursive: true, force: true})
    await bench?.stop()
  })

  it('status, enable (dry run first, zero writes), verify, idempotent, disable', async () => {
    const s = await createAlbScenario(bench, {
      type: 'network',
      settings: () => [['aws:elbv2:listener:443', 'Protocol', 'TCP']],
    })
    const st = json<Status>(
      await runCli(['proxy-protocol', 'status', '-e', s.environmentName, '--skip-app-check', '--json'], {env}),
    )
    assert.deepEqual(
      st.ports.map((p) => [p.instancePort, p.enabled]),
      [[80, false]],
    )
    assert.deepEqual(st.ports[0]!.listeners, ['TCP 80 -> TCP 80', 'TCP 443 -> TCP 80'])

    // The app must read the PROXY header before the NLB sends it: without the nginx config, enable refuses.
    bench.calls.clear()
    const refused = await runCli(['proxy-protocol', 'enable', '-e', s.environmentName, '--json'], {env})
    assert.equal(refused.code, 2)
    assert.match(jsonError(refused).message, /not ready for Proxy Protocol/)
    assert.equal(bench.calls.count({mutating: true}), 0)

    await deployFiles(bench, s, {
      'package.json': '{"name":"app"}',
      'app.js': '\n',
      '.platform/nginx/nginx.conf': PROXY_NGINX,
    })
    bench.calls.clear()
    const dry = json<Change>(
      await runCli(['proxy-protocol', 'enable', '-e', s.environmentName, '--dry-run', '--json'], {env}),
    )
    assert.equal(dry.status, 'dry-run')
    assert.match(
      dry.elbSteps[0]!.command,
      /^aws elbv2 modify-target-group-attributes .*Key=proxy_protocol_v2.enabled,Value=true$/,
    )
    assert.equal(bench.calls.count({mutating: true}), 0)

    const on = json<Change>(
      await runCli(
        ['proxy-protocol', 'enable', '-e', s.environmentName, '--backup-file', join(dir, 'b1.json'), '--json'],
        {env},
      ),
    )
    assert.equal(on.status, 'applied')
    assert.equal(on.portAfter.enabled, true)
    assert.equal(
      (await readBack(s.elbv2, s.loadBalancerArn)).targetGroups[0]!.attributes['proxy_protocol_v2.enabled'],
      'true',
    )
    bench.calls.clear()
    assert.equal(
      json<Change>(await runCli(['proxy-protocol', 'enable', '-e', s.environmentName, '--json'], {env})).status,
      'already-in-shape',
    )
    assert.equal(bench.calls.count({mutating: true}), 0)

    const shown = json<{
      loadBalancer: {targetGroups: Array<{proxyProtocolV2?: boolean}>}
      verdict: {findings: Array<{code: string}>}
    }>(await runCli(['listeners', 'show', '-e', s.environmentName, '--json'], {env}))
    assert.equal(shown.loadBalancer.targetGroups[0]!.proxyProtocolV2, true)
    assert.ok(shown.verdict.findings.some((f) => f.code === 'proxy-v2-on'))

    const off = json<Change>(
      await runCli(
        ['proxy-protocol', 'disable', '-e', s.environmentName, '--backup-file', join(dir, 'b2.json'), '--json'],
        {env},
      ),
    )
    assert.equal(off.portAfter.enabled, false)
    assert.equal(
      (await readBack(s.elbv2, s.loadBalancerArn)).targetGroups[0]!.attributes['proxy_protocol_v2.enabled'],
      'false',
    )
  })

  it('an instance port no target group serves: a clear message, exit 2', async () => {
    const s = await createAlbScenario(bench, {type: 'network'})
    const r = await runCli(
      ['proxy-protocol', 'enable', '-e', s.environmentName, '--instance-port', '8080', '--skip-app-check', '--json'],
      {env},
    )
    assert.equal(r.code, 2)
    assert.match(jsonError(r).message, /No target group of environment .* serves instance port 8080/)
  })
})
