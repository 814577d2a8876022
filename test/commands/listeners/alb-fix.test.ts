import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {CreateRuleCommand, DescribeListenersCommand} from '@aws-sdk/client-elastic-load-balancing-v2'

import {startCliBench, type FullBench} from '../../bench/scenario.ts'
import {json, jsonError, runCli} from '../../helpers/cli.ts'
import {createAlbScenario, deployFiles, HTTPS_SETTINGS, readBack} from './alb-helpers.ts'

interface Fix {
  status: string
  loadBalancerType: string
  sslPolicy: string
  certificate: {arn: string}
  steps: Array<{id: string; command: string}>
  optionSettingsToUpdate: Array<{namespace: string; optionName: string; value?: string}>
  backupFile?: string
  ebextensionsFiles?: string[]
  warnings: string[]
}

const REDIRECT = {
  Protocol: 'HTTPS',
  Port: '443',
  Host: '#{host}',
  Path: '/#{path}',
  Query: '#{query}',
  StatusCode: 'HTTP_301',
}

describe('ebws listeners fix on ALB environments (local AWS bench)', () => {
  let bench: FullBench
  let env: Record<string, string>
  const dirs: string[] = []
  before(async () => {
    ;({bench, env} = await startCliBench())
  })
  after(async () => {
    for (const d of dirs) rmSync(d, {recursive: true, force: true})
    await bench?.stop()
  })
  const writes = () => bench.calls.count({mutating: true})
  const backup = () => {
    const d = mkdtempSync(join(tmpdir(), 'ebws-alb-fix-'))
    dirs.push(d)
    return join(d, 'backup.json')
  }
  const settingsOf = (name: string) => bench.eb.environment(name).options

  it('plans first (dry run: zero writes), applies durably, and a second run makes 0 writes', async () => {
    const s = await createAlbScenario(bench, {certificates: [{kind: 'ec256', domain: 'app.example.com'}]})
    bench.calls.clear()
    const dry = json<Fix>(
      await runCli(
        ['listeners', 'fix', '-e', s.environmentName, '--domain', 'app.example.com', '--dry-run', '--json'],
        {env},
      ),
    )
    assert.equal(dry.status, 'dry-run')
    assert.equal(writes(), 0)
    assert.equal(dry.sslPolicy, 'ELBSecurityPolicy-TLS13-1-2-2021-06')
    assert.equal(dry.certificate.arn, s.certificates[0]!.arn, 'an EC certificate is valid on an ALB')
    assert.deepEqual(
      dry.steps.map((x) => x.id),
      ['create-443', 'redirect-80'],
    )
    assert.match(dry.steps[0]!.command, /^aws elbv2 create-listener .*--ssl-policy ELBSecurityPolicy-TLS13-1-2-2021-06/)

    const file = backup()
    const r = await runCli(
      [
        'listeners',
        'fix',
        '-e',
        s.environmentName,
        '--domain',
        'app.example.com',
        '--stickiness',
        '--backup-file',
        file,
        '--json',
      ],
      {env},
    )
    assert.equal(r.code, 0, r.stderr)
    const applied = json<Fix>(r)
    assert.equal(applied.status, 'applied')
    assert.equal(statSync(file).mode & 0o777, 0o600)
    const lb = await readBack(s.elbv2, s.loadBalancerArn)
    const [l80, l443] = lb.listeners
    assert.deepEqual(
      [l443!.port, l443!.protocol, l443!.sslPolicy, l443!.certificate],
      [443, 'HTTPS', 'ELBSecurityPolicy-TLS13-1-2-2021-06', s.certificates[0]!.arn],
    )
    assert.equal(l443!.actions?.[0]?.TargetGroupArn, lb.targetGroups[0]!.arn)
    assert.deepEqual(l80!.actions?.[0]?.RedirectConfig, REDIRECT)
    assert.equal(lb.targetGroups[0]!.attributes['stickiness.enabled'], 'true')
    const opts = settingsOf(s.environmentName)
    assert.equal(opts['aws:elbv2:listener:443']?.SSLCertificateArns, s.certificates[0]!.arn)
    assert.equal(opts['aws:elasticbeanstalk:environment:process:default']?.StickinessEnabled, 'true')

    bench.calls.clear()
    const again = json<Fix>(
      await runCli(
        ['listeners', 'fix', '-e', s.environmentName, '--domain', 'app.example.com', '--stickiness', '--json'],
        {env},
      ),
    )
    assert.equal(again.status, 'already-in-shape')
    assert.equal(writes(), 0)
  })

  it('--redirect app leaves port 80 forwarding', async () => {
    const s = await createAlbScenario(bench, {certificates: [{kind: 'rsa2048', domain: 'app.example.com'}]})
    const r = await runCli(
      [
        'listeners',
        'fix',
        '-e',
        s.environmentName,
        '--domain',
        'app.example.com',
        '--redirect',
        'app',
        '--backup-file',
        backup(),
        '--json',
      ],
      {env},
    )
    assert.equal(r.code, 0, r.stderr)
    const lb = await readBack(s.elbv2, s.loadBalancerArn)
    assert.equal(lb.listeners[0]!.actions?.[0]?.Type, 'forward')
    assert.equal(lb.listeners[1]!.protocol, 'HTTPS')
  })

  it('--emit-ebextensions writes the settings and the Resources override; deployed, the redirect survives updates', async () => {
    const s = await createAlbScenario(bench, {certificates: [{kind: 'rsa2048', domain: 'app.example.com'}]})
    const dir = mkdtempSync(join(tmpdir(), 'ebws-alb-emit-'))
    dirs.push(dir)
    bench.calls.clear()
    const out = json<Fix>(
      await runCli(
        [
          'listeners',
          'fix',
          '-e',
          s.environmentName,
          '--domain',
          'app.example.com',
          '--emit-ebextensions',
          join(dir, '.ebextensions'),
          '--json',
        ],
        {env},
      ),
    )
    assert.equal(out.status, 'emitted')
    assert.equal(writes(), 0)
    assert.deepEqual(
      out.ebextensionsFiles!.map((f) => f.slice(dir.length + 1)),
      ['.ebextensions/ebws-alb-listeners.config', '.ebextensions/ebws-alb-redirect.config'],
    )
    const files: Record<string, string> = {'package.json': '{"name":"app"}', 'app.js': '\n'}
    for (const f of out.ebextensionsFiles!) files[f.slice(dir.length + 1)] = readFileSync(f, 'utf8')
    // What `eb deploy` does with the bundle: the fake applies option_settings and merges Resources.
    await deployFiles(bench, s, files)
    const eb = await import('@aws-sdk/client-elastic-beanstalk')
    const client = new eb.ElasticBeanstalkClient({
      region: bench.region,
      endpoint: bench.direct.eb,
      credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'},
    })
    await client.send(
      new eb.UpdateEnvironmentCommand({
        EnvironmentName: s.environmentName,
        OptionSettings: HTTPS_SETTINGS(s.certificates[0]!.arn).map(([Namespace, OptionName, Value]) => ({
          Namespace,
          OptionName,
          Value,
        })),
      }),
    )
    client.destroy()
    await bench.eb.waitForStatus(s.environmentName, 'Updating', 2000).catch(() => undefined)
    await bench.eb.waitForStatus(s.environmentName, 'Ready', 10_000)
    const lb = await readBack(s.elbv2, s.loadBalancerArn)
    assert.deepEqual(
      lb.listeners[0]!.actions?.[0]?.RedirectConfig,
      REDIRECT,
      'the override keeps the redirect across an update',
    )
    const shown = json<{verdict: {findings: Array<{code: string; message: string}>; drift: unknown[]}}>(
      await runCli(['listeners', 'show', '-e', s.environmentName, '--json'], {env}),
    )
    assert.ok(
      shown.verdict.findings.some(
        (f) => f.message === "port 80 redirects to HTTPS, kept by the bundle's .ebextensions Resources override",
      ),
    )
    assert.deepEqual(shown.verdict.drift, [])
  })

  it('listeners restore puts an ALB snapshot back: option settings, then the live listeners', async () => {
    const s = await createAlbScenario(bench, {certificates: [{kind: 'rsa2048', domain: 'app.example.com'}]})
    const before = await readBack(s.elbv2, s.loadBalancerArn)
    const file = backup()
    assert.equal(
      (
        await runCli(
          [
            'listeners',
            'fix',
            '-e',
            s.environmentName,
            '--domain',
            'app.example.com',
            '--stickiness',
            '--backup-file',
            file,
            '--json',
          ],
          {env},
        )
      ).code,
      0,
    )
    bench.calls.clear()
    const dry = json<{steps: Array<{id: string}>}>(
      await runCli(['listeners', 'restore', '--from', file, '--dry-run', '--json'], {env}),
    )
    assert.deepEqual(dry.steps.map((x) => x.id)[0], 'settings')
    assert.equal(writes(), 0)
    const r = await runCli(['listeners', 'restore', '--from', file, '--json'], {env})
    assert.equal(r.code, 0, r.stderr)
    const after = await readBack(s.elbv2, s.loadBalancerArn)
    assert.deepEqual(
      after.listeners.map((l) => [l.port, l.protocol, l.actions?.[0]?.Type]),
      before.listeners.map((l) => [l.port, l.protocol, l.actions?.[0]?.Type]),
    )
    assert.equal(after.targetGroups[0]!.attributes['stickiness.enabled'], 'false')
    assert.equal(settingsOf(s.environmentName)['aws:elbv2:listener:443']?.Protocol, undefined)
  })

  it('a failed step restores the load balancer and the option settings', async () => {
    const s = await createAlbScenario(bench, {certificates: [{kind: 'rsa2048', domain: 'app.example.com'}]})
    const before = await readBack(s.elbv2, s.loadBalancerArn)
    bench.faults.failNthMutating(1, 'InternalFailure', {service: 'elbv2', action: 'ModifyListener'})
    const r = await runCli(
      ['listeners', 'fix', '-e', s.environmentName, '--domain', 'app.example.com', '--backup-file', backup(), '--json'],
      {env},
    )
    bench.faults.clear()
    assert.equal(r.code, 1, r.stdout)
    assert.equal(jsonError(r).code, 'CHANGE_FAILED')
    await bench.eb.waitForStatus(s.environmentName, 'Ready', 10_000)
    const after = await readBack(s.elbv2, s.loadBalancerArn)
    assert.deepEqual(
      after.listeners.map((l) => [l.port, l.protocol, l.actions?.[0]?.Type]),
      before.listeners.map((l) => [l.port, l.protocol, l.actions?.[0]?.Type]),
    )
    assert.equal(settingsOf(s.environmentName)['aws:elbv2:listener:443']?.Protocol, undefined)
  })

  describe('bad input: a clear message, exit 2, zero writes', () => {
    const refuse = async (args: string[], pattern: RegExp, code?: string) => {
      bench.calls.clear()
      const r = await runCli([...args, '--json'], {env})
      assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`)
      const e = jsonError(r)
      assert.match(e.message, pattern)
      if (code) assert.equal(e.code, code)
      assert.equal(writes(), 0)
    }

    it('a shared ALB, naming the other environments', async () => {
      const lb = await bench.eb.createSharedLoadBalancer(`fix-shared-${process.pid}`)
      const a = await createAlbScenario(bench, {
        sharedLoadBalancerArn: lb.arn,
        certificates: [{kind: 'rsa2048', domain: 'app.example.com'}],
      })
      const b = await createAlbScenario(bench, {sharedLoadBalancerArn: lb.arn})
      await refuse(
        ['listeners', 'fix', '-e', a.environmentName, '--domain', 'app.example.com'],
        new RegExp(`shared Application Load Balancer .*also used by ${b.environmentName}`),
        'UNSAFE_CHANGE',
      )
    })
    it('an NLB, with the recommended path', async () => {
      const s = await createAlbScenario(bench, {
        type: 'network',
        certificates: [{kind: 'rsa2048', domain: 'app.example.com'}],
      })
      bench.calls.clear()
      const r = await runCli(['listeners', 'fix', '-e', s.environmentName, '--domain', 'app.example.com'], {env})
      assert.equal(r.code, 2)
      assert.match(r.stderr, /uses a Network Load Balancer/)
      assert.match(r.stderr, /Recommended: run Socket.io behind an Application Load Balancer/)
      assert.equal(writes(), 0)
    })
    it('a certificate from another region', async () => {
      const s = await createAlbScenario(bench, {
        certificates: [{kind: 'rsa2048', domain: 'app.example.com', region: 'eu-west-1'}],
      })
      await refuse(
        ['listeners', 'fix', '-e', s.environmentName, '--certificate-arn', s.certificates[0]!.arn],
        /it is in eu-west-1, but the load balancer is in us-east-1/,
        'CERT_NOT_FOUND',
      )
    })
    it('an ALB with no port-80 listener', async () => {
      const s = await createAlbScenario(bench, {
        certificates: [{kind: 'rsa2048', domain: 'app.example.com'}],
        settings: (c) => [...HTTPS_SETTINGS(c[0]!.arn), ['aws:elbv2:listener:default', 'ListenerEnabled', 'false']],
      })
      await refuse(
        ['listeners', 'fix', '-e', s.environmentName, '--domain', 'app.example.com'],
        /has no listener on port 80/,
        'UNSAFE_CHANGE',
      )
    })
    it('custom listener rules on port 80', async () => {
      const s = await createAlbScenario(bench, {
        certificates: [{kind: 'rsa2048', domain: 'app.example.com'}],
        live: async (elbv2, arn) => {
          const l80 = (await elbv2.send(new DescribeListenersCommand({LoadBalancerArn: arn}))).Listeners!.find(
            (l) => l.Port === 80,
          )!
          await elbv2.send(
            new CreateRuleCommand({
              ListenerArn: l80.ListenerArn,
              Priority: 7,
              Conditions: [{Field: 'path-pattern', Values: ['/legacy/*']}],
              Actions: [{Type: 'fixed-response', FixedResponseConfig: {StatusCode: '410'}}],
            }),
          )
        },
      })
      await refuse(
        ['listeners', 'fix', '-e', s.environmentName, '--domain', 'app.example.com'],
        /Port 80 has 1 custom listener rule \(priorities 7\)/,
        'UNSAFE_CHANGE',
      )
    })
    it('an unknown SSL policy', async () => {
      const s = await createAlbScenario(bench, {certificates: [{kind: 'rsa2048', domain: 'app.example.com'}]})
      await refuse(
        [
          'listeners',
          'fix',
          '-e',
          s.environmentName,
          '--domain',
          'app.example.com',
          '--tls-policy',
          'ELBSecurityPolicy-Nope',
        ],
        /"ELBSecurityPolicy-Nope" is not an ELBv2 security policy/,
        'TLS_POLICY_UNKNOWN',
      )
    })
    it('an expired certificate, and a domain no certificate covers', async () => {
      const s = await createAlbScenario(bench, {certificates: [{kind: 'expired', domain: 'old.example.com'}]})
      await refuse(
        ['listeners', 'fix', '-e', s.environmentName, '--certificate-arn', s.certificates[0]!.arn],
        /cannot be used: (its status is EXPIRED|it expired)/,
        'CERT_NOT_FOUND',
      )
      await refuse(
        ['listeners', 'fix', '-e', s.environmentName, '--domain', 'nothing.example.org'],
        /no ACM certificate in us-east-1 covers nothing.example.org/,
        'CERT_NOT_FOUND',
      )
    })
  })

  it('leaves no snapshot behind in the test temp dirs it did not create', () => {
    for (const d of dirs) assert.ok(existsSync(d))
  })
})
