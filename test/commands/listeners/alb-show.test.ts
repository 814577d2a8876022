import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {
  AddListenerCertificatesCommand,
  CreateRuleCommand,
  DescribeListenersCommand,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2'

import {startCliBench, type FullBench} from '../../bench/scenario.ts'
import {json, jsonError, runCli} from '../../helpers/cli.ts'
import {createAlbScenario, HTTPS_SETTINGS, REDIRECT_ACTION} from './alb-helpers.ts'

interface Report {
  loadBalancerType: string
  shared: boolean
  otherEnvironments: string[]
  loadBalancer: {
    idleTimeoutSeconds?: number
    listeners: Array<{
      port: number
      protocol: string
      sslPolicy?: string
      certificateArn?: string
      sniCertificateArns: string[]
      defaultAction: string
      rules: Array<{priority: string; conditions: string; action: string}>
    }>
    targetGroups: Array<{
      name: string
      process?: string
      port?: number
      protocol?: string
      healthCheck: {path?: string; matcher?: string}
      stickiness: {enabled: boolean}
      deregistrationDelaySeconds?: number
      proxyProtocolV2?: boolean
    }>
  }
  certificates: Array<{arn: string; domainName?: string; keyAlgorithm?: string}>
  optionSettings: Array<{namespace: string; optionName: string; value?: string}>
  verdict: {
    ok: boolean
    layout: string
    findings: Array<{code: string; message: string}>
    drift: Array<{subject: string; configured: string; live: string}>
  }
}

describe('ebws listeners show on ALB and NLB environments (local AWS bench)', () => {
  let bench: FullBench
  let env: Record<string, string>
  before(async () => {
    ;({bench, env} = await startCliBench())
  })
  after(async () => bench?.stop())

  it("Beanstalk's default ALB: listeners, target group per process, settings, and what is wrong", async () => {
    const s = await createAlbScenario(bench, {
      settings: () => [['aws:elasticbeanstalk:environment:process:default', 'HealthCheckPath', '/health']],
    })
    const r = json<Report>(await runCli(['listeners', 'show', '-e', s.environmentName, '--json'], {env}))
    assert.equal(r.loadBalancerType, 'application')
    assert.deepEqual(
      r.loadBalancer.listeners.map((l) => [l.protocol, l.port]),
      [['HTTP', 80]],
    )
    assert.match(r.loadBalancer.listeners[0]!.defaultAction, /^forward to awseb-.*-default \(process default\)$/)
    const tg = r.loadBalancer.targetGroups[0]!
    assert.deepEqual(
      [
        tg.process,
        tg.protocol,
        tg.port,
        tg.healthCheck.path,
        tg.healthCheck.matcher,
        tg.stickiness.enabled,
        tg.deregistrationDelaySeconds,
      ],
      ['default', 'HTTP', 80, '/health', '200', false, 20],
    )
    assert.equal(r.loadBalancer.idleTimeoutSeconds, 60)
    assert.ok(
      r.optionSettings.some(
        (o) => o.namespace === 'aws:elbv2:listener:default' && o.optionName === 'Protocol' && o.value === 'HTTP',
      ),
    )
    const messages = r.verdict.findings.map((f) => f.message)
    assert.ok(messages.includes('no HTTPS listener on 443: https:// clients cannot connect'))
    assert.ok(
      messages.includes(
        'port 80 forwards to the app instead of redirecting: the app must redirect using X-Forwarded-Proto',
      ),
    )
    assert.ok(
      messages.includes(
        "2+ instances (MaxSize 4) and no stickiness: Socket.io long-polling fails with 'Session ID unknown'",
      ),
    )
    const human = await runCli(['listeners', 'show', '-e', s.environmentName], {env})
    assert.equal(human.code, 0, human.stderr)
    assert.match(human.stdout, /Application Load Balancer awseb-/)
    assert.match(human.stdout, /Fix it: ebws listeners fix -e /)
  })

  it('HTTPS with an EC certificate and an extra SNI certificate, a live-only redirect, and custom rules', async () => {
    const s = await createAlbScenario(bench, {
      certificates: [
        {kind: 'ec256', domain: 'app.example.com'},
        {kind: 'rsa2048', domain: 'other.example.com'},
      ],
      settings: (c) => [
        ...HTTPS_SETTINGS(c[0]!.arn),
        ['aws:autoscaling:asg', 'MaxSize', '1'],
        ['aws:elbv2:loadbalancer', 'IdleTimeout', '30'],
      ],
      live: async (elbv2, arn, c) => {
        const ls = (await elbv2.send(new DescribeListenersCommand({LoadBalancerArn: arn}))).Listeners!
        const l80 = ls.find((l) => l.Port === 80)!
        const l443 = ls.find((l) => l.Port === 443)!
        await elbv2.send(new ModifyListenerCommand({ListenerArn: l80.ListenerArn, DefaultActions: [REDIRECT_ACTION]}))
        await elbv2.send(
          new AddListenerCertificatesCommand({
            ListenerArn: l443.ListenerArn,
            Certificates: [{CertificateArn: c[1]!.arn}],
          }),
        )
        await elbv2.send(
          new CreateRuleCommand({
            ListenerArn: l443.ListenerArn,
            Priority: 10,
            Conditions: [{Field: 'path-pattern', Values: ['/admin/*']}],
            Actions: [{Type: 'fixed-response', FixedResponseConfig: {StatusCode: '403'}}],
          }),
        )
      },
    })
    const r = json<Report>(await runCli(['listeners', 'show', '-e', s.environmentName, '--json'], {env}))
    const l443 = r.loadBalancer.listeners.find((l) => l.port === 443)!
    assert.deepEqual(
      [l443.protocol, l443.sslPolicy, l443.certificateArn, l443.sniCertificateArns],
      ['HTTPS', 'ELBSecurityPolicy-TLS13-1-2-2021-06', s.certificates[0]!.arn, [s.certificates[1]!.arn]],
    )
    assert.deepEqual(l443.rules, [{priority: '10', conditions: 'path-pattern /admin/*', action: 'fixed response 403'}])
    assert.equal(
      r.loadBalancer.listeners.find((l) => l.port === 80)!.defaultAction,
      'redirect 301 to https://#{host}:443/#{path}?#{query}',
    )
    assert.deepEqual(r.certificates.map((c) => [c.domainName, c.keyAlgorithm]).sort(), [
      ['app.example.com', 'EC_prime256v1'],
      ['other.example.com', 'RSA_2048'],
    ])
    assert.equal(r.verdict.layout, 'https+redirect')
    assert.ok(
      r.verdict.findings.some(
        (f) =>
          f.message ===
          'the port-80 redirect exists only on the load balancer: the next environment update replaces it (no .ebextensions override in the deployed bundle); ebws deploy adds it to the next bundle (or write it yourself with listeners fix --emit-ebextensions)',
      ),
    )
    assert.ok(r.verdict.findings.some((f) => f.code === 'idle-timeout-low'))
    assert.deepEqual(
      r.verdict.drift.map((d) => d.subject),
      ['listener 80 default action'],
    )
  })

  it("a shared ALB: this environment's rules and the environments sharing it", async () => {
    const lb = await bench.eb.createSharedLoadBalancer(`shared-${process.pid}`)
    const a = await createAlbScenario(bench, {sharedLoadBalancerArn: lb.arn, environment: `shared-a-${process.pid}`})
    const b = await createAlbScenario(bench, {sharedLoadBalancerArn: lb.arn, environment: `shared-b-${process.pid}`})
    const r = json<Report>(await runCli(['listeners', 'show', '-e', a.environmentName, '--json'], {env}))
    assert.equal(r.shared, true)
    assert.deepEqual(r.otherEnvironments, [b.environmentName])
    const l80 = r.loadBalancer.listeners.find((l) => l.port === 80)!
    assert.equal(l80.defaultAction, 'fixed response 404')
    assert.equal(l80.rules.length, 1, "only this environment's rule")
    assert.match(l80.rules[0]!.conditions, /^host-header /)
    assert.deepEqual(
      r.loadBalancer.targetGroups.map((t) => t.process),
      ['default'],
    )
    const human = await runCli(['listeners', 'show', '-e', a.environmentName], {env})
    assert.match(human.stdout, new RegExp(`Shared with: ${b.environmentName}`))
  })

  it('an NLB: TCP listeners, target group protocol, Proxy Protocol v2, and what it means for the app', async () => {
    const s = await createAlbScenario(bench, {
      type: 'network',
      settings: () => [
        ['aws:elbv2:listener:443', 'Protocol', 'TCP'],
        ['aws:elbv2:listener:443', 'DefaultProcess', 'default'],
      ],
    })
    const r = json<Report>(await runCli(['listeners', 'show', '-e', s.environmentName, '--json'], {env}))
    assert.equal(r.loadBalancerType, 'network')
    assert.deepEqual(
      r.loadBalancer.listeners.map((l) => [l.protocol, l.port]),
      [
        ['TCP', 80],
        ['TCP', 443],
      ],
    )
    assert.deepEqual(
      [r.loadBalancer.targetGroups[0]!.protocol, r.loadBalancer.targetGroups[0]!.proxyProtocolV2 ?? false],
      ['TCP', false],
    )
    assert.equal(r.verdict.layout, 'tcp-passthrough')
    assert.ok(
      r.verdict.findings.some((f) =>
        /an NLB adds no X-Forwarded-Proto: the app tells HTTP from HTTPS only by port or by Proxy Protocol v2/.test(
          f.message,
        ),
      ),
    )
  })

  it('a single-instance environment keeps its clear error', async () => {
    const name = `single-${process.pid}`
    await bench.eb.createEnvironment({
      name,
      application: 'alb-app',
      environmentType: 'SingleInstance',
      loadBalancerType: 'application',
    })
    const r = await runCli(['listeners', 'show', '-e', name, '--json'], {env})
    assert.equal(r.code, 2)
    assert.match(jsonError(r).message, /has no load balancer \(a single-instance environment\)/)
  })
})
