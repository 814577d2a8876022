import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {createScenario, LAYOUT_SETTINGS, startCliBench, type FullBench} from '../../bench/scenario.ts'
import {json, runCli} from '../../helpers/cli.ts'
import {BACKEND_AUTH, deployBundle, TCP_LAYOUT} from './helpers.ts'

interface StatusJson {
  ports: Array<{
    instancePort: number
    enabled: boolean
    configured: boolean
    safe: boolean
    listeners: string[]
    healthCheck?: string
    otherPolicies: string[]
    proxyPolicies: string[]
    problems: string[]
  }>
  appCheck?: {ok: boolean; reason: string}
}

describe('ebws proxy-protocol status (against the local AWS bench)', () => {
  let bench: FullBench
  let env: Record<string, string>
  before(async () => {
    ;({bench, env} = await startCliBench())
  })
  after(async () => bench?.stop())

  const status = async (name: string, ...args: string[]) => {
    bench.calls.clear()
    const r = await runCli(['proxy-protocol', 'status', '-e', name, '--json', ...args], {env})
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.equal(bench.calls.count({mutating: true}), 0, 'status is read-only')
    return json<StatusJson>(r)
  }

  it('the Beanstalk default: off, fed by HTTP 80, not safe to enable; no version deployed', async () => {
    const s = await createScenario(bench)
    const out = await status(s.environmentName)
    assert.deepEqual(
      out.ports.map((p) => [p.instancePort, p.enabled, p.configured, p.safe, p.listeners]),
      [[80, false, false, false, ['HTTP 80 -> HTTP 80']]],
    )
    assert.match(out.ports[0]!.problems[0]!, /HTTP 80 -> HTTP 80 forwards to instance port 80 as HTTP/)
    assert.equal(out.appCheck?.ok, false)
    assert.match(out.appCheck!.reason, /no application version is deployed/)
  })

  it('TCP layout with Proxy Protocol on (settings) and another backend policy: on, durable, safe; the deployed nginx config found', async () => {
    const s = await createScenario(bench, {
      certificates: [{kind: 'rsa2048'}],
      settings: (c) => [
        ...TCP_LAYOUT(c[0]!.arn),
        ...BACKEND_AUTH,
        ['aws:elb:policies:pp', 'ProxyProtocol', 'true'],
        ['aws:elb:policies:pp', 'InstancePorts', '80'],
      ],
    })
    await deployBundle(bench, s, 'proxy-nginx')
    const out = await status(s.environmentName)
    const p = out.ports[0]!
    assert.deepEqual([p.instancePort, p.enabled, p.configured, p.safe], [80, true, true, true])
    assert.deepEqual(p.proxyPolicies, ['pp'])
    assert.deepEqual(p.otherPolicies, ['ws-auth'])
    assert.deepEqual(p.listeners.sort(), ['SSL 443 -> TCP 80', 'TCP 80 -> TCP 80'])
    assert.equal(p.healthCheck, 'TCP:80')
    assert.equal(out.appCheck?.ok, true)
  })

  it('Proxy Protocol on beside an HTTP listener and an HTTP health check: unsafe, and says why', async () => {
    const s = await createScenario(bench, {
      certificates: [{kind: 'rsa2048'}],
      settings: (c) => [
        ...LAYOUT_SETTINGS.websocket(c[0]!.arn),
        ['aws:elb:policies:pp', 'ProxyProtocol', 'true'],
        ['aws:elb:policies:pp', 'InstancePorts', '80'],
        ['aws:elasticbeanstalk:application', 'Application Healthcheck URL', '/'],
      ],
    })
    const out = await status(s.environmentName, '--skip-app-check')
    const p = out.ports[0]!
    assert.equal(p.enabled, true)
    assert.equal(p.safe, false)
    assert.equal(p.healthCheck, 'HTTP:80/')
    assert.ok(p.problems.some((x) => /HTTP 80 -> HTTP 80 forwards/.test(x)))
    assert.ok(p.problems.some((x) => /health check HTTP:80\/ is HTTP/.test(x)))
    assert.equal(out.appCheck, undefined)
    const text = await runCli(['proxy-protocol', 'status', '-e', s.environmentName, '--skip-app-check'], {env})
    assert.match(text.stdout, /80\s+on\s+.*NO/)
  })

  it('several instance ports, and --instance-port for one', async () => {
    const s = await createScenario(bench, {
      certificates: [{kind: 'rsa2048'}],
      settings: (c) => [...TCP_LAYOUT(c[0]!.arn), ...LAYOUT_SETTINGS.extraPorts()],
    })
    const all = await status(s.environmentName, '--skip-app-check')
    assert.deepEqual(
      all.ports.map((p) => [p.instancePort, p.safe]),
      [
        [80, true],
        [8080, false],
      ],
    )
    const one = await status(s.environmentName, '--skip-app-check', '--instance-port', '8080')
    assert.deepEqual(
      one.ports.map((p) => p.listeners),
      [['HTTP 8080 -> HTTP 8080']],
    )
  })

  for (const verb of ['enable', 'disable', 'status']) {
    it(`${verb} --help has a summary, examples and the exit codes`, async () => {
      const r = await runCli(['proxy-protocol', verb, '--help'], {env})
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stdout, /EXAMPLES/)
      assert.match(r.stdout, /EXIT CODES/)
      assert.match(r.stdout, new RegExp(`ebws proxy-protocol ${verb} -e my-env`))
    })
  }
})
