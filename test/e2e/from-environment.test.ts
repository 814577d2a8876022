import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {
  ModifyTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2'

import {createScenario, LAYOUT_SETTINGS, startCliBench, type FullBench} from '../bench/scenario.ts'
import {createAlbScenario} from '../commands/listeners/alb-helpers.ts'
import {json, runCli, tempDir} from '../helpers/cli.ts'
import {freePorts, get} from './helpers.ts'

interface UpJson {
  listeners: Array<{protocol: string; loadBalancerPort: number; instanceProtocol: string; instancePort: number}>
  proxyProtocolInstancePorts: number[]
  urls: {https: string; http: string}
  mode: string
  loadBalancer?: string
  stickiness?: {cookie: string} | null
}

describe("ebws local up --from-environment: a real environment's listeners emulated with real HAProxy", () => {
  let bench: FullBench
  let env: Record<string, string>
  before(async () => {
    ;({bench, env} = await startCliBench())
  })
  after(async () => bench?.stop())

  it('copies the listeners and the idle timeout, and the copy behaves like that layout', async () => {
    const s = await createScenario(bench, {
      certificates: [{kind: 'rsa2048'}],
      settings: (c) => [
        ...LAYOUT_SETTINGS.websocket(c[0]!.arn),
        ['aws:elb:policies', 'ConnectionSettingIdleTimeout', '120'],
      ],
    })
    const stateDir = tempDir('ebws-local-copy-')
    const [https, http, app] = (await freePorts(3)) as [number, number, number]
    bench.calls.clear()
    const up = await runCli(
      [
        'local',
        'up',
        '-e',
        s.environmentName,
        '--state-dir',
        stateDir,
        '--local-https-port',
        String(https),
        '--local-http-port',
        String(http),
        '--app-port',
        String(app),
        '--json',
      ],
      {env},
    )
    try {
      assert.equal(up.code, 0, up.stdout + up.stderr)
      assert.equal(bench.calls.count({mutating: true}), 0, 'read-only on AWS')
      const state = json<UpJson>(up)
      assert.deepEqual(
        state.listeners
          .map((l) => `${l.protocol} ${l.loadBalancerPort} -> ${l.instanceProtocol} ${l.instancePort}`)
          .sort(),
        ['HTTP 80 -> HTTP 80', 'SSL 443 -> TCP 80'],
      )
      assert.match(
        readFileSync(join(stateDir, 'haproxy.cfg'), 'utf8'),
        /timeout client 120s/,
        "the environment's idle timeout",
      )
      const redirect = await get(`http://localhost:${http}/chat?x=1`)
      assert.equal(redirect.status, 301)
      assert.equal(redirect.headers.location, `https://localhost:${https}/chat?x=1`)
      const page = await get(`https://localhost:${https}/`)
      assert.equal(page.status, 200)
    } finally {
      await runCli(['local', 'down', '--state-dir', stateDir], {env})
    }
  })

  /** `local up -e NAME --json` on free ports; returns the result, the state dir and the ports, and stops it after. */
  async function upFrom(
    name: string,
    body: (state: UpJson, dir: string, https: number, http: number) => Promise<void>,
  ) {
    const stateDir = tempDir('ebws-local-copy-')
    const [https, http, app] = (await freePorts(3)) as [number, number, number]
    bench.calls.clear()
    const up = await runCli(
      [
        'local',
        'up',
        '-e',
        name,
        '--state-dir',
        stateDir,
        '--local-https-port',
        String(https),
        '--local-http-port',
        String(http),
        '--app-port',
        String(app),
        '--json',
      ],
      {env},
    )
    try {
      assert.equal(up.code, 0, up.stdout + up.stderr)
      assert.equal(bench.calls.count({mutating: true}), 0, 'read-only on AWS')
      assert.equal(bench.calls.count({service: 'acm'}) + bench.calls.count({service: 's3'}), 0, 'no ACM or S3 call')
      await body(json<UpJson>(up), stateDir, https, http)
    } finally {
      await runCli(['local', 'down', '--state-dir', stateDir], {env})
    }
  }

  it('an ALB environment: emulated as an ALB (no --lb given), with its stickiness and idle timeout', async () => {
    const s = await createAlbScenario(bench, {
      settings: () => [
        ['aws:elasticbeanstalk:environment:process:default', 'StickinessEnabled', 'true'],
        ['aws:elbv2:loadbalancer', 'IdleTimeout', '150'],
      ],
    })
    await upFrom(s.environmentName, async (state, stateDir, https, http) => {
      assert.equal(state.loadBalancer, 'application', 'the detected type, not classic')
      assert.equal(state.stickiness?.cookie, 'AWSALB', "the default process's stickiness")
      assert.match(readFileSync(join(stateDir, 'haproxy.cfg'), 'utf8'), /timeout client 150s/)
      const redirect = await get(`http://localhost:${http}/chat?x=1`)
      assert.equal(redirect.status, 301, 'port 80 answers the redirect itself, as an ALB does')
      assert.equal((await get(`https://localhost:${https}/`)).status, 200)
    })
  })

  it('an NLB environment with proxy_protocol_v2: emulated as an NLB sending PROXY v2', async () => {
    const s = await createAlbScenario(bench, {type: 'network'})
    const tgs = await s.elbv2.send(new DescribeTargetGroupsCommand({LoadBalancerArn: s.loadBalancerArn}))
    for (const t of tgs.TargetGroups ?? [])
      await s.elbv2.send(
        new ModifyTargetGroupAttributesCommand({
          TargetGroupArn: t.TargetGroupArn,
          Attributes: [{Key: 'proxy_protocol_v2.enabled', Value: 'true'}],
        }),
      )
    await upFrom(s.environmentName, async (state, _dir, https) => {
      assert.equal(state.loadBalancer, 'network')
      assert.equal(state.mode, 'proxy', 'PROXY v2, as the target group says')
      assert.equal(state.stickiness ?? null, null)
      assert.equal((await get(`https://localhost:${https}/`)).status, 200)
    })
  })

  it('rejects --mode with --from-environment, and an unknown environment, before starting anything', async () => {
    const both = await runCli(['local', 'up', '-e', 'x', '--mode', 'http'], {env})
    assert.equal(both.code, 2)
    const unknown = await runCli(['local', 'up', '-e', 'nope', '--state-dir', tempDir('ebws-local-none-')], {env})
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /No Elastic Beanstalk environment named "nope"/)
  })
})
