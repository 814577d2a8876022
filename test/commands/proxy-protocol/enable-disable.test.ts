import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {
  createScenario,
  LAYOUT_SETTINGS,
  startCliBench,
  type FullBench,
  type Scenario,
  type Setting,
} from '../../bench/scenario.ts'
import {json, jsonError, plainError, runCli} from '../../helpers/cli.ts'
import {BACKEND_AUTH, deployBundle, readBack, settingsOf, TCP_LAYOUT} from './helpers.ts'

interface ChangeJson {
  action: string
  status: string
  elbSteps: Array<{description: string; command: string}>
  optionSettingsToUpdate: Array<{namespace: string; optionName: string; value: string}>
  optionSettingsToRemove: Array<{namespace: string; optionName: string}>
  appCheck?: {ok: boolean; reason: string; file?: string}
  warnings: string[]
  backupFile?: string
  portAfter: {instancePort: number; enabled: boolean; configured: boolean; safe: boolean; otherPolicies: string[]}
}

const PROXY_ON = 'ProxyProtocolPolicyType ProxyProtocol=true'
const NS = 'aws:elb:policies:ebws-proxy-protocol'

describe('ebws proxy-protocol enable|disable (against the local AWS bench)', () => {
  let bench: FullBench
  let env: Record<string, string>
  before(async () => {
    ;({bench, env} = await startCliBench())
  })
  after(async () => bench?.stop())

  const cli = (verb: string, s: Scenario, ...args: string[]) =>
    runCli(['proxy-protocol', verb, '-e', s.environmentName, '--json', ...args], {env})
  const mutating = () => bench.calls.count({mutating: true})
  async function scenario(
    settings: (cert: string) => Setting[],
    bundle: 'proxy-nginx' | 'default-nginx' | 'no-nginx' | 'none' = 'proxy-nginx',
  ): Promise<Scenario> {
    const s = await createScenario(bench, {certificates: [{kind: 'rsa2048'}], settings: (c) => settings(c[0]!.arn)})
    if (bundle !== 'none') await deployBundle(bench, s, bundle)
    return s
  }
  /** A second run of the same command: already in shape, zero writes. */
  async function assertIdempotent(verb: string, s: Scenario, ...args: string[]) {
    bench.calls.clear()
    const again = await cli(verb, s, ...args)
    assert.equal(again.code, 0, again.stdout + again.stderr)
    assert.equal(json<ChangeJson>(again).status, 'already-in-shape')
    assert.equal(mutating(), 0, `second run wrote: ${bench.calls.actions({mutating: true}).join(', ')}`)
  }
  /** An environment update (here: a deploy of the same version) re-applies the option settings: the change must survive it. */
  async function environmentUpdate(s: Scenario) {
    const r = await runCli(['listeners', 'show', '-e', s.environmentName, '--json'], {env})
    const label = json<{environment: {versionLabel: string}}>(r).environment.versionLabel
    bench.eb.setEnvironment(s.environmentName, {status: 'Ready'})
    const {UpdateEnvironmentCommand, ElasticBeanstalkClient} = await import('@aws-sdk/client-elastic-beanstalk')
    const eb = new ElasticBeanstalkClient({
      region: bench.region,
      endpoint: bench.direct.eb!,
      credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'},
    })
    await eb.send(new UpdateEnvironmentCommand({EnvironmentName: s.environmentName, VersionLabel: label}))
    await bench.eb.waitForStatus(s.environmentName, 'Ready')
  }

  it('TCP layout: enable creates our policy, attaches it, writes the settings; it survives an environment update; second run zero writes', async () => {
    const s = await scenario(TCP_LAYOUT)
    const r = await cli('enable', s)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const out = json<ChangeJson>(r)
    assert.equal(out.status, 'applied')
    assert.equal(out.appCheck?.ok, true)
    assert.equal(out.appCheck?.file, '.platform/nginx/nginx.conf')
    assert.deepEqual(out.portAfter, {...out.portAfter, enabled: true, configured: true, safe: true})
    const lb = await readBack(bench, env, s)
    assert.deepEqual(lb.backend[80], ['ebws-proxy-protocol'])
    assert.equal(lb.policies['ebws-proxy-protocol'], PROXY_ON)
    assert.deepEqual(await settingsOf(bench, env, s, NS), {ProxyProtocol: 'true', InstancePorts: '80'})
    await assertIdempotent('enable', s)

    await environmentUpdate(s)
    assert.deepEqual(
      (await readBack(bench, env, s)).backend[80],
      ['ebws-proxy-protocol'],
      'kept by the environment update',
    )
    const show = json<{verdict: {layout: string; drift: unknown[]}}>(
      await runCli(['listeners', 'show', '-e', s.environmentName, '--json'], {env}),
    )
    assert.equal(show.verdict.layout, 'proxy')
    assert.deepEqual(show.verdict.drift, [])
  })

  it('other backend policies on the port: enable and disable keep them; disable deletes our policy; both idempotent', async () => {
    const s = await scenario((c) => [...TCP_LAYOUT(c), ...BACKEND_AUTH])
    assert.deepEqual((await readBack(bench, env, s)).backend[80], ['ws-auth'])
    const on = await cli('enable', s)
    assert.equal(on.code, 0, on.stderr)
    assert.deepEqual((await readBack(bench, env, s)).backend[80], ['ebws-proxy-protocol', 'ws-auth'])
    await assertIdempotent('enable', s)

    const off = await cli('disable', s)
    assert.equal(off.code, 0, off.stdout + off.stderr)
    const out = json<ChangeJson>(off)
    assert.equal(out.status, 'applied')
    assert.deepEqual(
      out.elbSteps.map((x) => x.description),
      ['set the backend policies of instance port 80 to ws-auth', 'delete policy ebws-proxy-protocol'],
    )
    assert.deepEqual(out.optionSettingsToRemove.map((o) => o.optionName).sort(), ['InstancePorts', 'ProxyProtocol'])
    const lb = await readBack(bench, env, s)
    assert.deepEqual(lb.backend[80], ['ws-auth'])
    assert.equal(lb.policies['ebws-proxy-protocol'], undefined, 'our policy deleted once unused')
    assert.ok(lb.policies['ws-auth'] && lb.policies['ws-key'], 'other policies untouched')
    assert.deepEqual(await settingsOf(bench, env, s, NS), {})
    await assertIdempotent('disable', s)
    await environmentUpdate(s)
    assert.deepEqual((await readBack(bench, env, s)).backend[80], ['ws-auth'], 'still off after an environment update')
  })

  it('already enabled by a policy of its own (option settings): enable is a no-op; disable turns that policy off durably', async () => {
    const s = await scenario((c) => [
      ...TCP_LAYOUT(c),
      ['aws:elb:policies:theirs', 'ProxyProtocol', 'true'],
      ['aws:elb:policies:theirs', 'InstancePorts', '80'],
    ])
    await assertIdempotent('enable', s)
    const off = await cli('disable', s)
    assert.equal(off.code, 0, off.stderr)
    const out = json<ChangeJson>(off)
    assert.deepEqual(out.optionSettingsToUpdate, [
      {namespace: 'aws:elb:policies:theirs', optionName: 'ProxyProtocol', value: 'false'},
    ])
    const lb = await readBack(bench, env, s)
    assert.ok(
      !(lb.backend[80] ?? []).some((n) => lb.policies[n] === PROXY_ON),
      `no Proxy Protocol policy on 80: ${JSON.stringify(lb)}`,
    )
    await assertIdempotent('disable', s)
    // Enabling again after that: ours, alongside their (now false) policy.
    const on = await cli('enable', s)
    assert.equal(on.code, 0, on.stderr)
    assert.ok((await readBack(bench, env, s)).backend[80]!.includes('ebws-proxy-protocol'))
    await assertIdempotent('enable', s)
  })

  it('after `listeners fix --mode websocket` left ebws-proxy-protocol as ProxyProtocol=false: enable replaces it', async () => {
    const s = await scenario((c) => [...TCP_LAYOUT(c), [NS, 'ProxyProtocol', 'false'], [NS, 'InstancePorts', '80']])
    assert.equal(
      (await readBack(bench, env, s)).policies['ebws-proxy-protocol'],
      'ProxyProtocolPolicyType ProxyProtocol=false',
    )
    const r = await cli('enable', s)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const lb = await readBack(bench, env, s)
    assert.equal(lb.policies['ebws-proxy-protocol'], PROXY_ON)
    assert.deepEqual(lb.backend[80], ['ebws-proxy-protocol'])
    await assertIdempotent('enable', s)
  })

  it('an HTTP health check on the port: refused with zero writes; --health-check tcp switches it first, durably', async () => {
    const s = await scenario((c) => [
      ...TCP_LAYOUT(c),
      ['aws:elasticbeanstalk:application', 'Application Healthcheck URL', '/health'],
    ])
    assert.equal((await readBack(bench, env, s)).healthCheck, 'HTTP:80/health')
    bench.calls.clear()
    const refused = await cli('enable', s)
    assert.equal(refused.code, 2, refused.stdout)
    const err = jsonError(refused)
    assert.match(err.message, /health check HTTP:80\/health is HTTP on instance port 80/)
    assert.match(err.hint ?? '', /--health-check tcp/)
    assert.equal(mutating(), 0)

    const r = await cli('enable', s, '--health-check', 'tcp')
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const out = json<ChangeJson>(r)
    // The health check changes before the policy is attached.
    const order = out.elbSteps.map((x) => x.description)
    assert.ok(
      order.findIndex((d) => d.startsWith('change the health check')) <
        order.findIndex((d) => d.startsWith('set the backend policies')),
      order.join(' | '),
    )
    const lb = await readBack(bench, env, s)
    assert.equal(lb.healthCheck, 'TCP:80')
    assert.deepEqual(lb.backend[80], ['ebws-proxy-protocol'])
    assert.deepEqual(await settingsOf(bench, env, s, 'aws:elasticbeanstalk:application'), {
      'Application Healthcheck URL': 'TCP:80',
    })
    await assertIdempotent('enable', s, '--health-check', 'tcp')
    await environmentUpdate(s)
    assert.equal((await readBack(bench, env, s)).healthCheck, 'TCP:80')
  })

  it('a health check on another port (the shipped HTTP:81/healthz) is fine', async () => {
    const s = await scenario((c) => [
      ...TCP_LAYOUT(c),
      ['aws:elasticbeanstalk:application', 'Application Healthcheck URL', 'HTTP:81/healthz'],
    ])
    const r = await cli('enable', s)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.equal((await readBack(bench, env, s)).healthCheck, 'HTTP:81/healthz')
  })

  it('--dry-run prints the plan and the aws CLI commands, and writes nothing', async () => {
    const s = await scenario(TCP_LAYOUT)
    bench.calls.clear()
    const r = await runCli(['proxy-protocol', 'enable', '-e', s.environmentName, '--dry-run'], {env})
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /Plan \(dry run, nothing changed\):/)
    assert.match(
      r.stdout,
      /aws elb --region us-east-1 create-load-balancer-policy --load-balancer-name \S+ --policy-name ebws-proxy-protocol --policy-type-name ProxyProtocolPolicyType --policy-attributes AttributeName=ProxyProtocol,AttributeValue=true/,
    )
    assert.match(
      r.stdout,
      /set-load-balancer-policies-for-backend-server --load-balancer-name \S+ --instance-port 80 --policy-names ebws-proxy-protocol/,
    )
    assert.match(r.stdout, /aws:elb:policies:ebws-proxy-protocol ProxyProtocol = true/)
    assert.equal(mutating(), 0)
    assert.deepEqual((await readBack(bench, env, s)).backend, {})
  })

  it('--apply-to elb: the live CLB only, with a drift warning that status repeats', async () => {
    const s = await scenario(TCP_LAYOUT)
    const out = json<ChangeJson>(await cli('enable', s, '--apply-to', 'elb'))
    assert.equal(out.status, 'applied')
    assert.ok(
      out.warnings.some((w) => /next environment update will undo this change \(drift\)/.test(w)),
      out.warnings.join('\n'),
    )
    assert.deepEqual(await settingsOf(bench, env, s, NS), {})
    assert.deepEqual((await readBack(bench, env, s)).backend[80], ['ebws-proxy-protocol'])
    const st = json<{ports: Array<{instancePort: number; enabled: boolean; configured: boolean}>}>(
      await runCli(['proxy-protocol', 'status', '-e', s.environmentName, '--json'], {env}),
    )
    assert.deepEqual(
      st.ports.map((p) => [p.instancePort, p.enabled, p.configured]),
      [[80, true, false]],
    )
  })

  it('--apply-to environment: Beanstalk applies it from the option settings', async () => {
    const s = await scenario(TCP_LAYOUT)
    bench.calls.clear()
    const out = json<ChangeJson>(await cli('enable', s, '--apply-to', 'environment'))
    assert.equal(out.status, 'applied')
    assert.equal(bench.calls.count({service: 'elb', mutating: true}), 0, 'no direct ELB writes')
    assert.equal((await readBack(bench, env, s)).policies['ebws-proxy-protocol'], PROXY_ON)
    assert.deepEqual((await readBack(bench, env, s)).backend[80], ['ebws-proxy-protocol'])
  })

  describe('refused before any write (exit 2, zero writes)', () => {
    const cases: Array<
      [string, (cert: string) => Setting[], 'proxy-nginx' | 'default-nginx' | 'no-nginx' | 'none', string[], RegExp]
    > = [
      [
        'an HTTP listener on the port (the Beanstalk default)',
        () => [],
        'proxy-nginx',
        [],
        /Listener HTTP 80 -> HTTP 80 forwards to instance port 80 as HTTP/,
      ],
      [
        'HTTPS 443 -> HTTP 80 (the http layout)',
        (c) => LAYOUT_SETTINGS.http(c),
        'proxy-nginx',
        [],
        /Listener HTTPS 443 -> HTTP 80 forwards to instance port 80 as HTTPS/,
      ],
      ['no app version deployed', TCP_LAYOUT, 'none', [], /no application version is deployed/],
      [
        'a bundle with the default nginx config only',
        TCP_LAYOUT,
        'default-nginx',
        [],
        /has no nginx config listening on 80 with proxy_protocol \(looked in .platform\/nginx\/conf.d\/ebws.conf/,
      ],
      [
        'a bundle without .platform',
        TCP_LAYOUT,
        'no-nginx',
        [],
        /has no nginx config listening on 80 with proxy_protocol/,
      ],
      [
        '--health-check on disable',
        TCP_LAYOUT,
        'proxy-nginx',
        ['disable-with-health-check'],
        /--health-check applies to enable only|Nonexistent flag/,
      ],
    ]
    for (const [name, settings, bundle, extra, pattern] of cases) {
      it(name, async () => {
        const s = await scenario(settings, bundle)
        const before = await readBack(bench, env, s)
        bench.calls.clear()
        const args =
          extra[0] === 'disable-with-health-check'
            ? ['proxy-protocol', 'disable', '-e', s.environmentName, '--health-check', 'tcp']
            : ['proxy-protocol', 'enable', '-e', s.environmentName]
        const r = await runCli(args, {env})
        assert.equal(r.code, 2, r.stdout + r.stderr)
        assert.match(plainError(r.stderr), pattern)
        assert.equal(mutating(), 0)
        assert.deepEqual(await readBack(bench, env, s), before)
      })
    }

    it('the HTTP listener refusal suggests `listeners fix --mode proxy` or another instance port', async () => {
      const s = await scenario(() => [])
      const err = jsonError(await cli('enable', s))
      assert.equal(err.exitCode, 2)
      assert.equal(err.code, 'UNSAFE_CHANGE')
      assert.deepEqual(
        (err.details?.blockers as Array<{code: string}>).map((b) => b.code),
        ['http-listener'],
      )
      assert.match(err.hint ?? '', /listeners fix with --mode proxy/)
      assert.ok(err.hint?.includes('another instance port'))
    })

    it('an HTTP listener in the option settings (live CLB changed out of band) is refused too, unless --apply-to elb', async () => {
      const s = await scenario(() => [], 'proxy-nginx')
      // Live: TCP 80 -> TCP 80; settings still say HTTP 80 -> HTTP 80.
      const {DeleteLoadBalancerListenersCommand, CreateLoadBalancerListenersCommand} =
        await import('@aws-sdk/client-elastic-load-balancing')
      await s.elb.send(
        new DeleteLoadBalancerListenersCommand({LoadBalancerName: s.loadBalancerName, LoadBalancerPorts: [80]}),
      )
      await s.elb.send(
        new CreateLoadBalancerListenersCommand({
          LoadBalancerName: s.loadBalancerName,
          Listeners: [{Protocol: 'TCP', LoadBalancerPort: 80, InstanceProtocol: 'TCP', InstancePort: 80}],
        }),
      )
      bench.calls.clear()
      const r = await cli('enable', s)
      assert.equal(r.code, 2, r.stdout)
      assert.match(
        jsonError(r).message,
        /option settings \(aws:elb:listener:80\) make listener HTTP 80 -> HTTP 80 HTTP/,
      )
      assert.equal(mutating(), 0)
      const elbOnly = await cli('enable', s, '--apply-to', 'elb')
      assert.equal(elbOnly.code, 0, elbOnly.stdout)
    })

    it('--skip-app-check enables without a bundle, with a warning', async () => {
      const s = await scenario(TCP_LAYOUT, 'none')
      const r = await cli('enable', s, '--skip-app-check')
      assert.equal(r.code, 0, r.stdout + r.stderr)
      assert.ok(json<ChangeJson>(r).warnings.some((w) => /--skip-app-check/.test(w)))
    })

    const flagCases: Array<[string, string[], RegExp]> = [
      [
        'unknown --apply-to',
        ['--apply-to', 'everything'],
        /Expected --apply-to=everything to be one of: elb, environment, both/,
      ],
      ['port out of range', ['--instance-port', '0'], /Expected an integer greater than or equal to 1/],
      ['unknown --health-check', ['--health-check', 'http'], /Expected --health-check=http to be one of: tcp/],
    ]
    for (const [name, args, pattern] of flagCases) {
      it(name, async () => {
        const s = await scenario(TCP_LAYOUT, 'none')
        bench.calls.clear()
        const r = await runCli(['proxy-protocol', 'enable', '-e', s.environmentName, ...args], {env})
        assert.equal(r.code, 2, r.stdout + r.stderr)
        assert.match(plainError(r.stderr), pattern)
        assert.equal(bench.calls.count(), 0)
      })
    }

    it('environment not Ready, with --no-wait', async () => {
      const s = await scenario(TCP_LAYOUT)
      bench.eb.setEnvironment(s.environmentName, {status: 'Updating'})
      bench.calls.clear()
      const r = await cli('enable', s, '--no-wait')
      assert.equal(r.code, 2, r.stdout)
      assert.match(jsonError(r).message, /is Updating, not Ready/)
      assert.equal(mutating(), 0)
    })
  })

  describe('never half-changed: a failure at each write leaves the original state (read back with the AWS CLI)', () => {
    const HTTP_CHECK = (c: string): Setting[] => [
      ...TCP_LAYOUT(c),
      ...BACKEND_AUTH,
      ['aws:elasticbeanstalk:application', 'Application Healthcheck URL', '/health'],
    ]

    async function eachWrite(verb: 'enable' | 'disable', setup: () => Promise<Scenario>, args: string[]) {
      const probe = await setup()
      bench.calls.clear()
      const clean = await cli(verb, probe, ...args)
      assert.equal(clean.code, 0, clean.stdout + clean.stderr)
      const elbWrites = bench.calls.count({service: 'elb', mutating: true})
      assert.ok(elbWrites >= 2, `expected several ELB writes, saw ${elbWrites}`)
      const faults: Array<[string, () => void]> = []
      for (let n = 1; n <= elbWrites; n++)
        faults.push([`ELB write ${n}`, () => bench.faults.failNthMutating(n, 'ValidationError', {service: 'elb'})])
      faults.push([
        'UpdateEnvironment',
        () =>
          bench.faults.error(1, 'InvalidParameterValue', {service: 'elasticbeanstalk', action: 'UpdateEnvironment'}),
      ])
      for (const [what, inject] of faults) {
        const s = await setup()
        const original = await readBack(bench, env, s)
        const settings = await settingsOf(bench, env, s, NS)
        bench.faults.clear()
        inject()
        const r = await cli(verb, s, ...args)
        bench.faults.clear()
        assert.equal(r.code, 1, `${verb}, ${what}: ${r.stdout}${r.stderr}`)
        const err = jsonError(r)
        assert.match(err.message, /was restored to its previous state/, what)
        assert.equal(err.code, 'CHANGE_FAILED')
        assert.equal(err.details?.restored, true)
        assert.deepEqual(await readBack(bench, env, s), original, `${verb}, ${what}`)
        assert.deepEqual(await settingsOf(bench, env, s, NS), settings, `${verb}, ${what}: settings unchanged`)
      }
    }

    it('enable --health-check tcp (health check, policy, backend policies, then UpdateEnvironment)', async () => {
      await eachWrite('enable', () => scenario(HTTP_CHECK), ['--health-check', 'tcp'])
    })

    it('disable (backend policies, delete policy, then UpdateEnvironment)', async () => {
      await eachWrite(
        'disable',
        async () => {
          const s = await scenario((c) => [...TCP_LAYOUT(c), ...BACKEND_AUTH])
          const on = await cli('enable', s)
          assert.equal(on.code, 0, on.stderr)
          return s
        },
        [],
      )
    })
  })
})
