import assert from 'node:assert/strict'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {
  CreateLoadBalancerListenersCommand,
  DeleteLoadBalancerListenersCommand,
} from '@aws-sdk/client-elastic-load-balancing'
import {ElasticBeanstalkClient, UpdateEnvironmentCommand} from '@aws-sdk/client-elastic-beanstalk'

import {createScenario, LAYOUT_SETTINGS, startCliBench, type FullBench} from '../../bench/scenario.ts'
import {json, jsonError, runCli, tempDir} from '../../helpers/cli.ts'

interface Report {
  region: string
  environment: {environmentName: string; applicationName: string}
  loadBalancer: {
    name: string
    listeners: Array<{
      loadBalancerPort: number
      protocol: string
      instanceProtocol: string
      instancePort: number
      sslPolicy?: string
      sslCertificateId?: string
    }>
    idleTimeoutSeconds?: number
  }
  certificates: Array<{
    arn: string
    domainName?: string
    subjectAlternativeNames: string[]
    status?: string
    keyAlgorithm?: string
    notAfter?: string
  }>
  verdict: {
    layout: string
    ok: boolean
    findings: Array<{code: string; message: string}>
    drift: Array<{subject: string; configured: string; live: string}>
  }
}

describe('ebws listeners show (against the local AWS bench)', () => {
  let bench: FullBench
  let env: Record<string, string>
  before(async () => {
    ;({bench, env} = await startCliBench())
  })
  after(async () => bench?.stop())

  it('reports a healthy websocket layout, with the certificate read from ACM', async () => {
    const s = await createScenario(bench, {
      certificates: [{kind: 'rsa2048', domain: 'app.example.com', sans: ['www.example.com']}],
      settings: (c) => LAYOUT_SETTINGS.websocket(c[0]!.arn),
    })
    const r = await runCli(['listeners', 'show', '-e', s.environmentName, '--json'], {env})
    assert.equal(r.code, 0, r.stderr)
    const report = json<Report>(r)
    assert.equal(report.verdict.layout, 'websocket')
    assert.equal(report.verdict.ok, true)
    assert.deepEqual(report.verdict.drift, [])
    const l443 = report.loadBalancer.listeners.find((l) => l.loadBalancerPort === 443)!
    assert.deepEqual(
      [l443.protocol, l443.instanceProtocol, l443.instancePort, l443.sslPolicy],
      ['SSL', 'TCP', 80, 'ELBSecurityPolicy-TLS-1-2-2017-01'],
    )
    const cert = report.certificates[0]!
    assert.equal(cert.arn, s.certificates[0]!.arn)
    assert.equal(cert.domainName, 'app.example.com')
    assert.deepEqual([...cert.subjectAlternativeNames].sort(), ['app.example.com', 'www.example.com'])
    assert.deepEqual([cert.status, cert.keyAlgorithm], ['ISSUED', 'RSA_2048'])

    const human = await runCli(['listeners', 'show', '-e', s.environmentName], {env})
    assert.equal(human.code, 0)
    assert.match(human.stdout, /SSL 443\s+TCP 80\s+certificate\//)
    assert.match(human.stdout, /Layout: websocket/)
  })

  it("explains what is wrong with Beanstalk's default listeners", async () => {
    const s = await createScenario(bench)
    const report = json<Report>(await runCli(['listeners', 'show', '-e', s.environmentName, '--json'], {env}))
    assert.equal(report.verdict.layout, 'none')
    assert.equal(report.verdict.ok, false)
    assert.ok(report.verdict.findings.some((f) => f.message === 'no listener on 443: https:// clients cannot connect'))
    const human = await runCli(['listeners', 'show', '-e', s.environmentName], {env})
    assert.match(human.stdout, /Fix it: listeners fix needs an ACM certificate, and no listener has a certificate/)
  })

  it('says why a TCP port 80 breaks the redirect, and flags an HTTPS 443 listener for long-polling', async () => {
    const tcp = await createScenario(bench, {settings: () => LAYOUT_SETTINGS.tcp80()})
    const r1 = json<Report>(await runCli(['listeners', 'show', '-e', tcp.environmentName, '--json'], {env}))
    assert.ok(r1.verdict.findings.some((f) => f.code === 'http-port-is-tcp'))
    const https = await createScenario(bench, {
      certificates: [{kind: 'rsa2048'}],
      settings: (c) => LAYOUT_SETTINGS.http(c[0]!.arn),
    })
    const r2 = json<Report>(await runCli(['listeners', 'show', '-e', https.environmentName, '--json'], {env}))
    assert.equal(r2.verdict.layout, 'http')
    assert.ok(r2.verdict.findings.some((f) => /Socket.io will fall back to long-polling/.test(f.message)))
  })

  it('names an out-of-band edit as drift, and sees the next environment update revert it', async () => {
    const s = await createScenario(bench, {
      certificates: [{kind: 'rsa2048'}],
      settings: (c) => LAYOUT_SETTINGS.websocket(c[0]!.arn),
      // Someone "fixes" port 80 by hand on the CLB: TCP instead of HTTP.
      live: async (elb, name) => {
        await elb.send(new DeleteLoadBalancerListenersCommand({LoadBalancerName: name, LoadBalancerPorts: [80]}))
        await elb.send(
          new CreateLoadBalancerListenersCommand({
            LoadBalancerName: name,
            Listeners: [{Protocol: 'TCP', LoadBalancerPort: 80, InstanceProtocol: 'TCP', InstancePort: 80}],
          }),
        )
      },
    })
    const before = json<Report>(await runCli(['listeners', 'show', '-e', s.environmentName, '--json'], {env}))
    const drift80 = before.verdict.drift.find((d) => d.subject === 'listener 80')
    assert.deepEqual(drift80 && [drift80.configured, drift80.live], ['HTTP 80 -> HTTP 80', 'TCP 80 -> TCP 80'])

    // Any environment update re-applies the option settings (here: an unrelated environment property).
    const eb = new ElasticBeanstalkClient({
      region: bench.region,
      endpoint: bench.direct.eb!,
      credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'},
    })
    await eb.send(
      new UpdateEnvironmentCommand({
        EnvironmentName: s.environmentName,
        OptionSettings: [{Namespace: 'aws:elasticbeanstalk:application:environment', OptionName: 'FOO', Value: 'bar'}],
      }),
    )
    await bench.eb.waitForStatus(s.environmentName, 'Ready')
    const afterUpdate = json<Report>(await runCli(['listeners', 'show', '-e', s.environmentName, '--json'], {env}))
    assert.deepEqual(afterUpdate.verdict.drift, [])
    assert.equal(afterUpdate.loadBalancer.listeners.find((l) => l.loadBalancerPort === 80)!.protocol, 'HTTP')
  })

  it('reads the environment from .elasticbeanstalk/config.yml when no flag is given', async () => {
    const s = await createScenario(bench)
    const dir = tempDir('ebws-eb-project-')
    mkdirSync(join(dir, '.elasticbeanstalk'))
    writeFileSync(
      join(dir, '.elasticbeanstalk', 'config.yml'),
      `branch-defaults:\n  default:\n    environment: ${s.environmentName}\nglobal:\n  application_name: ${s.applicationName}\n  default_region: ${bench.region}\n`,
    )
    const {AWS_REGION: _r, AWS_DEFAULT_REGION: _d, ...noRegion} = env
    const report = json<Report>(await runCli(['listeners', 'show', '--json'], {env: noRegion, cwd: dir}))
    assert.equal(report.environment.environmentName, s.environmentName)
    assert.equal(report.region, bench.region)
  })

  describe('bad input: a clear message and a non-zero exit', () => {
    const expectError = async (
      args: string[],
      e: Record<string, string>,
      code: number,
      pattern: RegExp,
      cwd?: string,
    ) => {
      const r = await runCli([...args, '--json'], {env: e, cwd})
      assert.equal(r.code, code, `${r.stdout}\n${r.stderr}`)
      assert.match(jsonError(r).message, pattern)
      assert.doesNotMatch(r.stderr + r.stdout, /\n\s+at .*\(.*:\d+:\d+\)/, 'no stack trace without --debug')
    }

    it('unknown environment: lists the ones that exist', async () => {
      const s = await createScenario(bench)
      const r = await runCli(['listeners', 'show', '-e', 'nope'], {env})
      assert.equal(r.code, 2)
      assert.match(r.stderr, /No Elastic Beanstalk environment named "nope" in us-east-1/)
      assert.match(r.stderr, new RegExp(s.environmentName))
    })
    it('ALB and NLB environments are read through their own adapters (test/commands/listeners/alb-show.test.ts)', async () => {
      const alb = await createScenario(bench, {loadBalancerType: 'application'})
      assert.equal(
        json<{loadBalancerType: string}>(
          await runCli(['listeners', 'show', '-e', alb.environmentName, '--json'], {env}),
        ).loadBalancerType,
        'application',
      )
      const nlb = await createScenario(bench, {loadBalancerType: 'network'})
      assert.equal(
        json<{loadBalancerType: string}>(
          await runCli(['listeners', 'show', '-e', nlb.environmentName, '--json'], {env}),
        ).loadBalancerType,
        'network',
      )
    })
    it('single-instance environment: no load balancer', async () => {
      const single = await createScenario(bench, {environmentType: 'SingleInstance'})
      await expectError(
        ['listeners', 'show', '-e', single.environmentName],
        env,
        2,
        /has no load balancer \(a single-instance environment\)/,
      )
    })
    it('no region', async () => {
      const {AWS_REGION: _r, AWS_DEFAULT_REGION: _d, ...noRegion} = env
      await expectError(
        ['listeners', 'show', '-e', 'no-such-env'],
        noRegion,
        4,
        /No AWS region is configured/,
        tempDir('ebws-noregion-'),
      )
    })
    it('not a region', async () => {
      await expectError(
        ['listeners', 'show', '-e', 'no-such-env', '--region', 'moon-1'],
        env,
        4,
        /"moon-1" is not an AWS region code/,
      )
    })
    it('no credentials', async () => {
      const {AWS_ACCESS_KEY_ID: _a, AWS_SECRET_ACCESS_KEY: _s, ...noCreds} = env
      await expectError(['listeners', 'show', '-e', 'no-such-env'], noCreds, 4, /No AWS credentials were found/)
    })
    it('unreachable endpoint', async () => {
      await expectError(
        ['listeners', 'show', '-e', 'no-such-env'],
        {...env, AWS_ENDPOINT_URL_ELASTIC_BEANSTALK: 'http://127.0.0.1:9'},
        4,
        /Could not reach the endpoint http:\/\/127.0.0.1:9 for elasticbeanstalk:DescribeEnvironments/,
      )
    })
    it('access denied names the action', async () => {
      const s = await createScenario(bench)
      bench.faults.error(5, 'AccessDenied', {service: 'elb', action: 'DescribeLoadBalancerAttributes'}, 403)
      try {
        await expectError(
          ['listeners', 'show', '-e', s.environmentName],
          env,
          4,
          /AWS denied elasticloadbalancing:DescribeLoadBalancerAttributes/,
        )
      } finally {
        bench.faults.clear()
      }
    })
    it('malformed .elasticbeanstalk/config.yml', async () => {
      const dir = tempDir('ebws-badcfg-')
      mkdirSync(join(dir, '.elasticbeanstalk'))
      writeFileSync(join(dir, '.elasticbeanstalk', 'config.yml'), 'branch-defaults: [oops\n')
      await expectError(['listeners', 'show'], env, 2, /Could not parse .*config\.yml/, dir)
    })
  })
})
