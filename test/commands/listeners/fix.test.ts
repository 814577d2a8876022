import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {after, before, describe, it} from 'node:test'

import {parse} from 'yaml'

import {
  createScenario,
  LAYOUT_SETTINGS,
  startCliBench,
  type FullBench,
  type Scenario,
  type ScenarioSpec,
} from '../../bench/scenario.ts'
import {json, jsonError, plainError, runCli, tempDir} from '../../helpers/cli.ts'

const exec = promisify(execFile)

interface CliListener {
  Protocol: string
  LoadBalancerPort: number
  InstanceProtocol: string
  InstancePort: number
  SSLCertificateId?: string
}
interface FixJson {
  status: string
  elbSteps: Array<{description: string}>
  optionSettingsToUpdate: Array<{namespace: string; optionName: string; value: string}>
  certificate: {arn: string; reason: string}
  warnings: string[]
  backupFile?: string
  verdictAfter?: {layout: string; ok: boolean}
}

describe('ebws listeners fix (against the local AWS bench)', () => {
  let bench: FullBench
  let env: Record<string, string>
  before(async () => {
    ;({bench, env} = await startCliBench())
  })
  after(async () => bench?.stop())

  /** The listeners as the AWS CLI (an independent parser) reads them back from moto. */
  async function cliListeners(s: Scenario): Promise<string[]> {
    const {stdout} = await exec(
      'aws',
      [
        'elb',
        'describe-load-balancers',
        '--load-balancer-names',
        s.loadBalancerName,
        '--output',
        'json',
        '--endpoint-url',
        bench.direct.moto,
      ],
      {env},
    )
    const lbs = JSON.parse(stdout) as {
      LoadBalancerDescriptions: Array<{ListenerDescriptions: Array<{Listener: CliListener}>}>
    }
    return lbs.LoadBalancerDescriptions[0]!.ListenerDescriptions.map(
      ({Listener: l}) =>
        `${l.Protocol} ${l.LoadBalancerPort} -> ${l.InstanceProtocol} ${l.InstancePort}${l.SSLCertificateId ? ' cert' : ''}`,
    ).sort()
  }

  const fix = (s: Scenario, ...args: string[]) =>
    runCli(['listeners', 'fix', '-e', s.environmentName, '--json', ...args], {env})
  const mutating = () => bench.calls.count({mutating: true})

  const STARTS: Record<string, (certArn: () => string) => Pick<ScenarioSpec, 'settings'>> = {
    'the Beanstalk default': () => ({}),
    'TCP 80, no 443': () => ({settings: () => LAYOUT_SETTINGS.tcp80()}),
    'HTTPS everything': () => ({settings: (c) => LAYOUT_SETTINGS.http(c[0]!.arn)}),
    'already websocket': () => ({settings: (c) => LAYOUT_SETTINGS.websocket(c[0]!.arn)}),
    'extra ports': () => ({settings: () => LAYOUT_SETTINGS.extraPorts()}),
  }
  const EXPECTED: Record<string, string[]> = {
    websocket: ['HTTP 80 -> HTTP 80', 'SSL 443 -> TCP 80 cert'],
    http: ['HTTP 80 -> HTTP 80', 'HTTPS 443 -> HTTP 80 cert'],
    proxy: ['SSL 443 -> TCP 80 cert', 'TCP 80 -> TCP 80'],
  }

  for (const mode of ['websocket', 'http', 'proxy'] as const) {
    for (const [name, start] of Object.entries(STARTS)) {
      it(`--mode ${mode} from ${name}: applied, durable, verified with the AWS CLI; a second run makes zero writes`, async () => {
        const s = await createScenario(bench, {
          certificates: [{kind: 'rsa2048', domain: 'app.example.com'}],
          ...start(() => ''),
        })
        const r = await fix(s, '--mode', mode, '--domain', 'app.example.com')
        assert.equal(r.code, 0, r.stdout + r.stderr)
        const out = json<FixJson>(r)
        assert.equal(out.status, name === 'already websocket' && mode === 'websocket' ? 'already-in-shape' : 'applied')
        const listeners = await cliListeners(s)
        for (const l of EXPECTED[mode]!) assert.ok(listeners.includes(l), `${l} in ${listeners.join(', ')}`)
        if (name === 'extra ports') assert.ok(listeners.includes('HTTP 8080 -> HTTP 8080'), 'other ports left alone')

        // Durable: an environment update re-applies the option settings, and the layout survives it.
        bench.calls.clear()
        const again = await fix(s, '--mode', mode, '--domain', 'app.example.com')
        assert.equal(again.code, 0, again.stderr)
        assert.equal(json<FixJson>(again).status, 'already-in-shape')
        assert.equal(mutating(), 0, `second run wrote: ${bench.calls.actions({mutating: true}).join(', ')}`)
        const show = json<{verdict: {layout: string; drift: unknown[]}}>(
          await runCli(['listeners', 'show', '-e', s.environmentName, '--json'], {env}),
        )
        assert.equal(show.verdict.layout, mode)
        assert.deepEqual(show.verdict.drift, [])
      })
    }
  }

  it('--dry-run prints the plan and the aws CLI commands, and writes nothing', async () => {
    const s = await createScenario(bench, {certificates: [{kind: 'rsa2048'}], settings: () => LAYOUT_SETTINGS.tcp80()})
    bench.calls.clear()
    const r = await runCli(
      ['listeners', 'fix', '-e', s.environmentName, '--certificate-arn', s.certificates[0]!.arn, '--dry-run'],
      {env},
    )
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /Plan \(dry run, nothing changed\):/)
    assert.match(r.stdout, /create listener SSL 443 -> TCP 80/)
    assert.match(r.stdout, /aws elb --region us-east-1 create-load-balancer-listeners --load-balancer-name /)
    assert.equal(mutating(), 0)
    assert.deepEqual(await cliListeners(s), ['TCP 80 -> TCP 80'])
  })

  it('picks the certificate that expires last among those covering the domain, and says why', async () => {
    const s = await createScenario(bench, {
      certificates: [
        {kind: 'rsa2048', domain: 'shop.pick.test', validDays: 100},
        {kind: 'wildcard', domain: '*.pick.test', validDays: 300},
        {kind: 'ec256', domain: 'shop.pick.test', validDays: 900},
        {kind: 'rsa2048', domain: 'pick.test', validDays: 999},
        // A wildcard covers one level, not its apex: this one (no SANs) does not cover shop.pick.test.
        {kind: 'wildcard', domain: '*.shop.pick.test', sans: [], validDays: 999},
      ],
    })
    const out = json<FixJson>(await fix(s, '--domain', 'shop.pick.test', '--dry-run'))
    assert.equal(out.certificate.arn, s.certificates[1]!.arn)
    assert.match(out.certificate.reason, /2 certificates qualify, this one expires last/)
  })

  describe('bad input: a clear error, exit 2, zero writes', () => {
    let s: Scenario
    let certs: Record<string, string>
    before(async () => {
      s = await createScenario(bench, {
        certificates: [
          {kind: 'rsa2048', domain: 'app.example.com'},
          {kind: 'ec256', domain: 'app.example.com'},
          {kind: 'rsa4096', domain: 'app.example.com'},
          {kind: 'rsa2048', domain: 'app.example.com', region: 'eu-west-1'},
          {kind: 'expired', domain: 'app.example.com'},
        ],
      })
      const [ok, ec, rsa4096, otherRegion, expired] = s.certificates.map((c) => c.arn)
      certs = {ok: ok!, ec: ec!, rsa4096: rsa4096!, otherRegion: otherRegion!, expired: expired!}
    })

    const cases: Array<[string, () => string[], RegExp]> = [
      ['unknown mode', () => ['--mode', 'fast'], /Expected --mode=fast to be one of: websocket, http, proxy/],
      [
        'conflicting flags',
        () => ['--emit-ebextensions', tempDir('x-'), '--dry-run'],
        /cannot also be provided when using/,
      ],
      ['port out of range', () => ['--https-port', '70000'], /Expected an integer less than or equal to 65535/],
      [
        'HTTPS and HTTP on the same port',
        () => ['--https-port', '80', '--certificate-arn', certs.ok!],
        /HTTPS and HTTP cannot share a load balancer port/,
      ],
      ['malformed certificate ARN', () => ['--certificate-arn', 'arn:aws:acm:nope'], /is not a certificate ARN/],
      [
        'certificate not found',
        () => [
          '--certificate-arn',
          'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000',
        ],
        /not found in ACM/,
      ],
      [
        'certificate in another region',
        () => ['--certificate-arn', certs.otherRegion!],
        /it is in eu-west-1, but the load balancer is in us-east-1/,
      ],
      ['expired certificate', () => ['--certificate-arn', certs.expired!], /(not ISSUED|expired)/],
      [
        'EC certificate',
        () => ['--certificate-arn', certs.ec!],
        /ECDSA .* Classic Load Balancers accept RSA keys only/,
      ],
      [
        'RSA-4096 certificate',
        () => ['--certificate-arn', certs.rsa4096!],
        /RSA 4096; Classic Load Balancers accept RSA keys of up to 2048 bits/,
      ],
      [
        'certificate not covering --domain',
        () => ['--certificate-arn', certs.ok!, '--domain', 'shop.example.net'],
        /does not cover shop.example.net/,
      ],
      [
        'no certificate covers the domain',
        () => ['--domain', 'nothing.example.net'],
        /no ACM certificate in us-east-1 covers nothing.example.net/,
      ],
      ['no certificate at all', () => [], /no certificate given and the load balancer has none to reuse/],
      [
        'stickiness outside http mode',
        () => ['--stickiness', '--certificate-arn', certs.ok!],
        /--stickiness applies to --mode http only/,
      ],
    ]
    for (const [name, args, pattern] of cases) {
      it(name, async () => {
        bench.calls.clear()
        const r = await runCli(['listeners', 'fix', '-e', s.environmentName, ...args()], {env})
        assert.equal(r.code, 2, r.stdout + r.stderr)
        assert.match(plainError(r.stderr), pattern)
        assert.equal(mutating(), 0)
      })
    }

    it('environment not Ready: --no-wait fails at once, the default waits', async () => {
      const busy = await createScenario(bench, {status: 'Updating', certificates: [{kind: 'rsa2048'}]})
      bench.calls.clear()
      const r = await runCli(
        ['listeners', 'fix', '-e', busy.environmentName, '--certificate-arn', busy.certificates[0]!.arn, '--no-wait'],
        {env},
      )
      assert.equal(r.code, 2)
      assert.match(plainError(r.stderr), /is Updating, not Ready/)
      assert.equal(mutating(), 0)
      const running = runCli(
        ['listeners', 'fix', '-e', busy.environmentName, '--certificate-arn', busy.certificates[0]!.arn, '--json'],
        {env},
      )
      // Once the CLI is polling (it reads events only while waiting), the update "finishes".
      const since = Date.now()
      while (!bench.eb.calls().some((c) => c.action === 'DescribeEvents' && c.at.getTime() >= since))
        await new Promise((r) => setTimeout(r, 25))
      bench.eb.setEnvironment(busy.environmentName, {status: 'Ready'})
      const waited = await running
      assert.equal(waited.code, 0, waited.stderr)
      assert.match(waited.stderr, /Waiting for .* to be Ready \(now Updating\)/)
    })

    it('NLB environment (ALB fixes: test/commands/listeners/alb-fix.test.ts)', async () => {
      const nlb = await createScenario(bench, {loadBalancerType: 'network'})
      bench.calls.clear()
      const r = await runCli(['listeners', 'fix', '-e', nlb.environmentName, '--certificate-arn', certs.ok!], {env})
      assert.equal(r.code, 2)
      assert.match(r.stderr, /Network Load Balancer/)
      assert.equal(mutating(), 0)
    })

    it('an instance port that a secure listener already uses', async () => {
      const taken = await createScenario(bench, {
        certificates: [{kind: 'rsa2048'}],
        settings: (c) => [
          ['aws:elb:listener:8443', 'ListenerProtocol', 'SSL'],
          ['aws:elb:listener:8443', 'InstancePort', '80'],
          ['aws:elb:listener:8443', 'InstanceProtocol', 'SSL'],
          ['aws:elb:listener:8443', 'SSLCertificateId', c[0]!.arn],
          ['aws:elb:listener', 'ListenerEnabled', 'false'],
        ],
      })
      bench.calls.clear()
      const r = await runCli(
        ['listeners', 'fix', '-e', taken.environmentName, '--certificate-arn', taken.certificates[0]!.arn],
        {env},
      )
      assert.equal(r.code, 2, r.stderr)
      assert.match(plainError(r.stderr), /already forwards to instance port 80 over SSL/)
      assert.equal(mutating(), 0)
    })
  })

  describe('never half-changed', () => {
    async function tcp80Scenario() {
      return createScenario(bench, {certificates: [{kind: 'rsa2048'}], settings: () => LAYOUT_SETTINGS.tcp80()})
    }

    it('a failure at every mutating ELB step leaves the CLB as it was (read back with the AWS CLI)', async () => {
      // A clean run counts the load balancer writes of this fix.
      const probe = await tcp80Scenario()
      bench.calls.clear()
      const clean = await fix(
        probe,
        '--certificate-arn',
        probe.certificates[0]!.arn,
        '--apply-to',
        'elb',
        '--idle-timeout',
        '120',
      )
      assert.equal(clean.code, 0, clean.stderr)
      const writes = bench.calls.count({service: 'elb', mutating: true})
      assert.ok(writes >= 5, `expected several writes, saw ${writes}`)

      for (let n = 1; n <= writes; n++) {
        const s = await tcp80Scenario()
        const original = await cliListeners(s)
        bench.faults.clear()
        bench.faults.failNthMutating(n, 'ValidationError', {service: 'elb'})
        const r = await fix(
          s,
          '--certificate-arn',
          s.certificates[0]!.arn,
          '--apply-to',
          'elb',
          '--idle-timeout',
          '120',
        )
        bench.faults.clear()
        assert.equal(r.code, 1, `step ${n}: ${r.stdout}${r.stderr}`)
        const err = jsonError(r)
        assert.match(err.message, /was restored to its previous state/)
        assert.equal(err.code, 'CHANGE_FAILED')
        assert.equal(err.details?.restored, true)
        assert.deepEqual(await cliListeners(s), original, `step ${n}`)
        const show = json<{loadBalancer: {idleTimeoutSeconds: number; backendPolicies: unknown[]}}>(
          await runCli(['listeners', 'show', '-e', s.environmentName, '--json'], {env}),
        )
        assert.equal(show.loadBalancer.idleTimeoutSeconds, 60, `step ${n}: idle timeout restored`)
      }
    })

    it('when the rollback fails too: exit 5, the snapshot file and the exact restore commands', async () => {
      // From Beanstalk's default the fix creates a policy and listener 443, then attaches the policy (write 3).
      const s = await createScenario(bench, {certificates: [{kind: 'rsa2048'}]})
      const backup = join(tempDir('ebws-backup-'), 'snap.json')
      bench.faults.failNthMutating(3, 'ValidationError', {service: 'elb'})
      // ...and the restore cannot delete the new listener.
      bench.faults.error(20, 'ValidationError', {service: 'elb', action: 'DeleteLoadBalancerListeners'})
      const r = await fix(s, '--certificate-arn', s.certificates[0]!.arn, '--apply-to', 'elb', '--backup-file', backup)
      bench.faults.clear()
      assert.equal(r.code, 5, r.stdout + r.stderr)
      const err = jsonError(r)
      assert.equal(err.code, 'ROLLBACK_FAILED')
      assert.equal(err.details?.backupFile, backup)
      assert.ok(
        (err.details?.restoreCommands as string[]).some((c) =>
          c.startsWith(
            `aws elb --region us-east-1 delete-load-balancer-listeners --load-balancer-name ${s.loadBalancerName} --load-balancer-ports 443`,
          ),
        ),
        err.message,
      )
      assert.equal(JSON.parse(readFileSync(backup, 'utf8')).loadBalancerName, s.loadBalancerName)
      assert.deepEqual(
        await cliListeners(s),
        ['HTTP 80 -> HTTP 80', 'SSL 443 -> TCP 80 cert'],
        'half-changed, as reported',
      )
      // The saved snapshot puts it back.
      const restored = await runCli(['listeners', 'restore', '--from', backup, '--json'], {env})
      assert.equal(restored.code, 0, restored.stderr)
      assert.deepEqual(await cliListeners(s), ['HTTP 80 -> HTTP 80'])
    })

    it('survives throttling (adaptive retries)', async () => {
      const s = await tcp80Scenario()
      bench.faults.throttle(4, {service: 'elb'})
      bench.faults.throttle(2, {service: 'elasticbeanstalk'})
      const r = await fix(s, '--certificate-arn', s.certificates[0]!.arn)
      bench.faults.clear()
      assert.equal(r.code, 0, r.stderr)
      assert.equal(json<FixJson>(r).status, 'applied')
      assert.ok(
        bench.calls.all.filter((c) => c.injected === 'throttle').length >= 6,
        'the throttling was really injected',
      )
    })
  })

  it('--apply-to elb warns about drift, and listeners show names it', async () => {
    const s = await createScenario(bench, {certificates: [{kind: 'rsa2048'}]})
    const out = json<FixJson>(await fix(s, '--certificate-arn', s.certificates[0]!.arn, '--apply-to', 'elb'))
    assert.equal(out.status, 'applied')
    assert.ok(out.warnings.some((w) => /the next environment update will undo this change \(drift\)/.test(w)))
    const show = json<{verdict: {drift: Array<{subject: string}>}}>(
      await runCli(['listeners', 'show', '-e', s.environmentName, '--json'], {env}),
    )
    assert.ok(show.verdict.drift.some((d) => d.subject === 'listener 443'))
  })

  it('--emit-ebextensions writes the same settings as a config file and changes nothing', async () => {
    const s = await createScenario(bench, {certificates: [{kind: 'rsa2048'}]})
    const dir = tempDir('ebws-ebext-')
    bench.calls.clear()
    const out = json<
      FixJson & {
        ebextensionsFile: string
        optionSettings: Array<{namespace: string; optionName: string; value: string}>
      }
    >(await fix(s, '--certificate-arn', s.certificates[0]!.arn, '--emit-ebextensions', dir))
    assert.equal(out.status, 'emitted')
    assert.equal(mutating(), 0)
    const doc = parse(readFileSync(out.ebextensionsFile, 'utf8')) as {
      option_settings: Record<string, Record<string, unknown>>
    }
    for (const setting of out.optionSettings)
      assert.equal(String(doc.option_settings[setting.namespace]![setting.optionName]), setting.value)
    assert.equal(doc.option_settings['aws:elb:listener:443']!.ListenerProtocol, 'SSL')
  })
})
