// `ebws listeners fix|restore` on a shared Application Load Balancer with two environments (local AWS bench): only
// this environment's rules change; a change to the shared listeners needs --change-shared-listeners.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {promisify} from 'node:util'

import {ElasticBeanstalkClient, UpdateEnvironmentCommand} from '@aws-sdk/client-elastic-beanstalk'
import {DescribeListenerCertificatesCommand, DescribeListenersCommand} from '@aws-sdk/client-elastic-load-balancing-v2'

import {startCliBench, type FullBench} from '../../bench/scenario.ts'
import {json, jsonError, runCli} from '../../helpers/cli.ts'
import {createAlbScenario, directElbv2, readBack, REDIRECT_ACTION} from './alb-helpers.ts'
import {createCertificate} from '../../bench/certificates.ts'

const exec = promisify(execFile)

interface Fix {
  status: string
  steps: Array<{id: string; description: string; command: string}>
  warnings: string[]
  backupFile?: string
  shared?: {
    otherEnvironments: string[]
    hosts: string[]
    loadBalancerChanges: string[]
    affectedEnvironments: string[]
    needsChangeSharedListeners: boolean
  }
}

let n = 0

describe('ebws listeners fix on a shared ALB (local AWS bench)', () => {
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
    const d = mkdtempSync(join(tmpdir(), 'ebws-alb-shared-'))
    dirs.push(d)
    return join(d, 'backup.json')
  }

  /** A shared ALB (the owner's port 80, and HTTPS 443 with app.example.com's certificate unless `no443`) and two environments. */
  async function pair(o: {no443?: boolean} = {}) {
    const cert = await createCertificate({
      endpoint: bench.direct.moto,
      region: bench.region,
      kind: 'rsa2048',
      domain: 'app.example.com',
    })
    const lb = await bench.eb.createSharedLoadBalancer(`shared-${process.pid}-${++n}`, {
      listeners: [
        {port: 80, protocol: 'HTTP'},
        ...(o.no443 ? [] : [{port: 443, protocol: 'HTTPS' as const, certificateArn: cert.arn}]),
      ],
    })
    const a = await createAlbScenario(bench, {sharedLoadBalancerArn: lb.arn, environment: `sh-a-${process.pid}-${n}`})
    const b = await createAlbScenario(bench, {sharedLoadBalancerArn: lb.arn, environment: `sh-b-${process.pid}-${n}`})
    return {
      lb,
      a,
      b,
      cert,
      cnameA: bench.eb.environment(a.environmentName).cname,
      cnameB: bench.eb.environment(b.environmentName).cname,
    }
  }

  /** The rules as the AWS CLI (an independent parser) reads them back from moto. */
  async function cliRules(listenerArn: string) {
    const {stdout} = await exec(
      'aws',
      [
        'elbv2',
        'describe-rules',
        '--listener-arn',
        listenerArn,
        '--output',
        'json',
        '--endpoint-url',
        bench.direct.moto,
      ],
      {env},
    )
    return (
      JSON.parse(stdout) as {
        Rules: Array<{
          Priority: string
          IsDefault: boolean
          Conditions: Array<{Field: string; Values?: string[]; HostHeaderConfig?: {Values: string[]}}>
          Actions: Array<{Type: string; TargetGroupArn?: string; RedirectConfig?: unknown}>
        }>
      }
    ).Rules.filter((r) => !r.IsDefault).map((r) => ({
      priority: r.Priority,
      hosts: r.Conditions.flatMap((c) =>
        c.Field === 'host-header' ? (c.Values ?? c.HostHeaderConfig?.Values ?? []) : [],
      ).sort(),
      action: r.Actions[0]!.Type,
      target: r.Actions[0]!.TargetGroupArn ?? r.Actions[0]!.RedirectConfig,
    }))
  }
  const snapshotOf = (arn: string) => readBack(directElbv2(bench), arn)

  it("changes only this environment's rules (read back with the AWS CLI), and a second run makes 0 writes", async () => {
    const {lb, a, b, cnameA, cnameB} = await pair()
    const before = await snapshotOf(lb.arn)
    const [l80, l443] = (await readBack(a.elbv2, lb.arn)).listeners
    const arnOf = async (port: number) =>
      (await a.elbv2.send(new DescribeListenersCommand({LoadBalancerArn: lb.arn}))).Listeners!.find(
        (l) => l.Port === port,
      )!.ListenerArn!
    const [arn80, arn443] = [await arnOf(80), await arnOf(443)]
    assert.ok(l80 && l443)
    bench.calls.clear()
    const dry = json<Fix>(
      await runCli(
        ['listeners', 'fix', '-e', a.environmentName, '--domain', 'app.example.com', '--dry-run', '--json'],
        {env},
      ),
    )
    assert.equal(dry.status, 'dry-run')
    assert.equal(writes(), 0)
    assert.deepEqual(dry.shared, {
      otherEnvironments: [b.environmentName],
      hosts: ['app.example.com', cnameA].sort(),
      loadBalancerChanges: [],
      affectedEnvironments: [],
      needsChangeSharedListeners: false,
    })
    assert.match(
      dry.steps.find((s) => s.id === 'rule-443')!.command,
      /^aws elbv2 create-rule .*--listener-arn \S+ --priority 1 /,
    )

    const file = backup()
    const r = await runCli(
      [
        'listeners',
        'fix',
        '-e',
        a.environmentName,
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
    assert.ok(applied.warnings.some((w) => /environment updates leave them alone/.test(w)))

    const tgA = (await readBack(a.elbv2, lb.arn)).targetGroups.find(
      (t) => t.name?.endsWith('-default') && before.targetGroups.some((x) => x.arn === t.arn),
    )
    assert.ok(tgA)
    const rules443 = await cliRules(arn443)
    assert.equal(rules443.length, 1)
    assert.deepEqual(rules443[0]!.hosts, ['app.example.com', cnameA].sort())
    assert.equal(rules443[0]!.action, 'forward')
    const rules80 = await cliRules(arn80)
    assert.deepEqual(
      rules80.map((x) => [x.hosts, x.action]),
      [
        [[cnameA], 'redirect'],
        [[cnameB], 'forward'],
        [['app.example.com'], 'redirect'],
      ],
      "a's rule redirects, a redirect rule for its domain is added last, b's rule is untouched",
    )
    assert.deepEqual(rules80[0]!.target, REDIRECT_ACTION.RedirectConfig)
    const afterFix = await snapshotOf(lb.arn)
    assert.deepEqual(
      afterFix.listeners.map((l) => [l.port, l.protocol, l.certificate, l.sslPolicy, l.actions]),
      before.listeners.map((l) => [l.port, l.protocol, l.certificate, l.sslPolicy, l.actions]),
      'the shared listeners are untouched',
    )
    const ownTg = afterFix.targetGroups.filter((t) => t.attributes['stickiness.enabled'] === 'true')
    assert.equal(ownTg.length, 1, 'stickiness on its own default process only')
    assert.equal(
      bench.eb.environment(a.environmentName).options['aws:elasticbeanstalk:environment:process:default']
        ?.StickinessEnabled,
      'true',
    )

    bench.calls.clear()
    const again = json<Fix>(
      await runCli(
        ['listeners', 'fix', '-e', a.environmentName, '--domain', 'app.example.com', '--stickiness', '--json'],
        {env},
      ),
    )
    assert.equal(again.status, 'already-in-shape')
    assert.equal(writes(), 0)

    // An environment update of a: Beanstalk does not rebuild a shared ALB's rules; b's are untouched too.
    const eb = new ElasticBeanstalkClient({
      region: bench.region,
      endpoint: bench.direct.eb,
      credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'},
    })
    await eb.send(
      new UpdateEnvironmentCommand({
        EnvironmentName: a.environmentName,
        OptionSettings: [
          {
            Namespace: 'aws:elasticbeanstalk:environment:process:default',
            OptionName: 'HealthCheckPath',
            Value: '/health',
          },
        ],
      }),
    )
    eb.destroy()
    await bench.eb.waitForStatus(a.environmentName, 'Updating', 2000).catch(() => undefined)
    await bench.eb.waitForStatus(a.environmentName, 'Ready', 10_000)
    assert.deepEqual(await cliRules(arn80), rules80)
    assert.deepEqual(await cliRules(arn443), rules443)

    // show keeps showing this environment's rules (now the redirects) and who shares the load balancer.
    const shown = json<{
      shared: boolean
      otherEnvironments: string[]
      loadBalancer: {listeners: Array<{port: number; rules: Array<{conditions: string; action: string}>}>}
    }>(await runCli(['listeners', 'show', '-e', a.environmentName, '--json'], {env}))
    assert.deepEqual(shown.otherEnvironments, [b.environmentName])
    const shown80 = shown.loadBalancer.listeners.find((l) => l.port === 80)!.rules
    assert.deepEqual(
      shown80.map((x) => x.action.split(' ')[0]),
      ['redirect', 'redirect'],
      "port 80 shows a's two redirect rules, not b's",
    )

    // listeners restore puts it back: a's rules as they were, the added ones gone, b's untouched.
    const restored = await runCli(['listeners', 'restore', '--from', file, '--json'], {env})
    assert.equal(restored.code, 0, restored.stderr)
    assert.deepEqual(
      (await cliRules(arn80)).map((x) => [x.hosts, x.action]),
      [
        [[cnameA], 'forward'],
        [[cnameB], 'forward'],
      ],
    )
    assert.deepEqual(await cliRules(arn443), [])
    const afterRestore = await snapshotOf(lb.arn)
    assert.ok(afterRestore.targetGroups.every((t) => t.attributes['stickiness.enabled'] === 'false'))
  })

  it('refuses a change to the shared listeners: exit 2, zero writes, naming the other environment', async () => {
    const {a, b} = await pair({no443: true})
    bench.calls.clear()
    const r = await runCli(['listeners', 'fix', '-e', a.environmentName, '--domain', 'app.example.com', '--json'], {
      env,
    })
    assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`)
    const e = jsonError(r)
    assert.equal(e.code, 'UNSAFE_CHANGE')
    assert.match(
      e.message,
      new RegExp(`shared Application Load Balancer \\(\\S+, also used by ${b.environmentName}\\)`),
    )
    assert.match(e.message, /add an HTTPS listener on 443/)
    assert.match(e.hint ?? '', /--change-shared-listeners/)
    assert.equal(writes(), 0)
    const shown = await runCli(['listeners', 'show', '-e', a.environmentName], {env})
    assert.match(shown.stdout, new RegExp(`Shared with: ${b.environmentName}`))
    assert.match(shown.stdout, /no HTTPS listener on 443/)
    assert.match(shown.stdout, new RegExp(`Fix it: ebws listeners fix -e ${a.environmentName} `))
    // An explicit SSL policy is a listener change too.
    const {a: a2} = await pair()
    bench.calls.clear()
    const p = await runCli(
      [
        'listeners',
        'fix',
        '-e',
        a2.environmentName,
        '--domain',
        'app.example.com',
        '--tls-policy',
        'ELBSecurityPolicy-TLS13-1-2-Res-2021-06',
        '--json',
      ],
      {env},
    )
    assert.equal(p.code, 2, p.stdout)
    assert.match(jsonError(p).message, /set listener 443's SSL policy/)
    assert.equal(writes(), 0)
  })

  it("--change-shared-listeners adds HTTPS 443 with this environment's rule, and says which environments it affects", async () => {
    const {lb, a, b, cnameA, cert} = await pair({no443: true})
    const r = await runCli(
      [
        'listeners',
        'fix',
        '-e',
        a.environmentName,
        '--domain',
        'app.example.com',
        '--change-shared-listeners',
        '--backup-file',
        backup(),
        '--json',
      ],
      {env},
    )
    assert.equal(r.code, 0, r.stderr)
    const out = json<Fix>(r)
    assert.deepEqual(out.shared?.affectedEnvironments, [b.environmentName])
    assert.match(out.shared!.loadBalancerChanges[0]!, /^add an HTTPS listener on 443/)
    assert.ok(out.warnings.some((w) => w.includes(`affect ${b.environmentName}`)))
    const lbNow = await readBack(a.elbv2, lb.arn)
    const l443 = lbNow.listeners.find((l) => l.port === 443)!
    assert.deepEqual([l443.protocol, l443.certificate, l443.actions?.[0]?.Type], ['HTTPS', cert.arn, 'fixed-response'])
    assert.deepEqual(
      l443.rules.map((x) => (x.Conditions?.[0]?.Values ?? x.Conditions?.[0]?.HostHeaderConfig?.Values)?.slice().sort()),
      [['app.example.com', cnameA].sort()],
    )
  })

  it("--change-shared-listeners adds the domain's certificate to the shared 443 listener by SNI; restore removes it", async () => {
    const {lb, a} = await pair()
    const other = await createCertificate({
      endpoint: bench.direct.moto,
      region: bench.region,
      kind: 'ec256',
      domain: 'chat.example.org',
    })
    bench.calls.clear()
    const refused = await runCli(
      ['listeners', 'fix', '-e', a.environmentName, '--domain', 'chat.example.org', '--json'],
      {
        env,
      },
    )
    assert.equal(refused.code, 2, refused.stdout)
    assert.match(
      jsonError(refused).message,
      /add certificate \S+ to listener 443 \(SNI; its default certificate stays\)/,
    )
    assert.equal(writes(), 0)
    const file = backup()
    const r = await runCli(
      [
        'listeners',
        'fix',
        '-e',
        a.environmentName,
        '--domain',
        'chat.example.org',
        '--change-shared-listeners',
        '--backup-file',
        file,
        '--json',
      ],
      {env},
    )
    assert.equal(r.code, 0, r.stderr)
    const l443 = (await a.elbv2.send(new DescribeListenersCommand({LoadBalancerArn: lb.arn}))).Listeners!.find(
      (l) => l.Port === 443,
    )!
    const certs = async () =>
      (
        (await a.elbv2.send(new DescribeListenerCertificatesCommand({ListenerArn: l443.ListenerArn}))).Certificates ??
        []
      )
        .filter((c) => !c.IsDefault)
        .map((c) => c.CertificateArn)
    assert.deepEqual(await certs(), [other.arn])
    assert.equal(
      (await a.elbv2.send(new DescribeListenersCommand({LoadBalancerArn: lb.arn}))).Listeners!.find(
        (l) => l.Port === 443,
      )!.Certificates?.[0]?.CertificateArn,
      l443.Certificates?.[0]?.CertificateArn,
      'the default certificate stays',
    )
    bench.calls.clear()
    const again = json<Fix>(
      await runCli(['listeners', 'fix', '-e', a.environmentName, '--domain', 'chat.example.org', '--json'], {env}),
    )
    assert.equal(again.status, 'already-in-shape', 'the SNI certificate is used without the flag now')
    assert.equal(writes(), 0)
    assert.equal((await runCli(['listeners', 'restore', '--from', file, '--json'], {env})).code, 0)
    assert.deepEqual(await certs(), [])
  })

  it('--emit-ebextensions writes only the process settings and says the rule changes need the live change', async () => {
    const {a} = await pair()
    const dir = mkdtempSync(join(tmpdir(), 'ebws-alb-shared-emit-'))
    dirs.push(dir)
    bench.calls.clear()
    const out = json<Fix & {ebextensionsFiles: string[]}>(
      await runCli(
        [
          'listeners',
          'fix',
          '-e',
          a.environmentName,
          '--domain',
          'app.example.com',
          '--stickiness',
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
      out.ebextensionsFiles.map((f) => f.slice(dir.length + 1)),
      ['.ebextensions/ebws-alb-listeners.config'],
    )
    const text = readFileSync(out.ebextensionsFiles[0]!, 'utf8')
    assert.match(text, /aws:elasticbeanstalk:environment:process:default:\n {4}StickinessEnabled: "true"/)
    assert.doesNotMatch(text, /aws:elbv2:/, 'a shared ALB takes no listener or load-balancer settings')
    assert.ok(out.warnings.some((w) => /^Not written: this environment's rule changes/.test(w)))
  })

  it('a fault injected at each write rolls back to the snapshot', async () => {
    const {lb, a} = await pair()
    const ls = (await a.elbv2.send(new DescribeListenersCommand({LoadBalancerArn: lb.arn}))).Listeners!
    const rulesNow = async () => Promise.all(ls.map((l) => cliRules(l.ListenerArn!)))
    const before = await rulesNow()
    // The fix makes three ELBv2 writes (a rule on 443, a's port-80 rule, a redirect rule for the domain).
    for (const k of [1, 2, 3]) {
      bench.faults.failNthMutating(k, 'InternalFailure', {service: 'elbv2'})
      const r = await runCli(
        [
          'listeners',
          'fix',
          '-e',
          a.environmentName,
          '--domain',
          'app.example.com',
          '--backup-file',
          backup(),
          '--json',
        ],
        {env},
      )
      bench.faults.clear()
      assert.equal(r.code, 1, `write ${k}: ${r.stdout}`)
      assert.equal(jsonError(r).code, 'CHANGE_FAILED')
      assert.deepEqual(await rulesNow(), before, `write ${k} failed: the rules are as they were`)
    }
  })
})
