// Every input is checked before the first write (issue 12.3), and each command makes only the calls it needs
// (issue 16.3): both against the local AWS bench, counting the calls the fault proxy saw.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {createScenario, LAYOUT_SETTINGS, startCliBench, type FullBench, type Scenario} from '../../bench/scenario.ts'
import {jsonError, runCli} from '../../helpers/cli.ts'
import {TCP_LAYOUT} from '../proxy-protocol/helpers.ts'
import {createAlbScenario, HTTPS_SETTINGS} from './alb-helpers.ts'

describe('checks before the first write, and no unneeded call', () => {
  let bench: FullBench
  let env: Record<string, string>
  let dir: string
  before(async () => {
    ;({bench, env} = await startCliBench())
    dir = mkdtempSync(join(tmpdir(), 'ebws-checks-'))
  })
  after(async () => {
    rmSync(dir, {recursive: true, force: true})
    await bench?.stop()
  })

  const run = (...args: string[]) => runCli([...args, '--json'], {env})
  const writes = () => bench.calls.count({mutating: true})

  describe('bad input: exit 2 (or 4 for the region) and no write', () => {
    let s: Scenario
    before(async () => {
      s = await createScenario(bench, {certificates: [{kind: 'rsa2048'}], settings: () => LAYOUT_SETTINGS.tcp80()})
    })

    it('an IAM server certificate ARN is refused with a clear message, before any call', async () => {
      bench.calls.clear()
      const r = await run(
        'listeners',
        'fix',
        '-e',
        s.environmentName,
        '--certificate-arn',
        'arn:aws:iam::123456789012:server-certificate/nope',
      )
      assert.equal(r.code, 2, r.stdout)
      const err = jsonError(r)
      assert.equal(err.code, 'CERT_NOT_FOUND')
      assert.match(err.message, /IAM server certificate; ebws takes ACM certificates only/)
      assert.equal(bench.calls.count(), 0)
    })

    it('--idle-timeout 4000 on a Classic Load Balancer (its API allows 1-3600): exit 2, zero writes', async () => {
      bench.calls.clear()
      const r = await run(
        'listeners',
        'fix',
        '-e',
        s.environmentName,
        '--certificate-arn',
        s.certificates[0]!.arn,
        '--idle-timeout',
        '4000',
      )
      assert.equal(r.code, 2, r.stdout + r.stderr)
      assert.equal(jsonError(r).code, 'BAD_FLAG')
      assert.match(jsonError(r).message, /above a Classic Load Balancer's 3600 s maximum/)
      assert.equal(writes(), 0)
    })

    it('--tls-policy that the load balancer does not know: TLS_POLICY_UNKNOWN, zero writes', async () => {
      bench.calls.clear()
      const r = await run(
        'listeners',
        'fix',
        '-e',
        s.environmentName,
        '--certificate-arn',
        s.certificates[0]!.arn,
        '--tls-policy',
        'ELBSecurityPolicy-Bogus',
      )
      assert.equal(r.code, 2, r.stdout + r.stderr)
      assert.equal(jsonError(r).code, 'TLS_POLICY_UNKNOWN')
      assert.equal(writes(), 0)
      // A real predefined policy passes the same check.
      const ok = await run(
        'listeners',
        'fix',
        '-e',
        s.environmentName,
        '--certificate-arn',
        s.certificates[0]!.arn,
        '--tls-policy',
        'ELBSecurityPolicy-TLS-1-1-2017-01',
        '--dry-run',
      )
      assert.equal(ok.code, 0, ok.stdout + ok.stderr)
    })

    for (const [what, args] of [
      [
        '--idle-timeout 4001 (no load balancer allows it: ALB 1-4000, CLB 1-3600)',
        ['listeners', 'fix', '-e', 'ws-env-x', '--idle-timeout', '4001'],
      ],
      ['an environment name of 3 characters (the API takes 4-40)', ['listeners', 'show', '-e', 'abc']],
      ['an environment name of 41 characters', ['listeners', 'show', '-e', 'a'.repeat(41)]],
      ['--https-port 70000', ['listeners', 'fix', '-e', 'ws-env-x', '--https-port', '70000']],
    ] as const) {
      it(`${what}: exit 2 with zero calls`, async () => {
        bench.calls.clear()
        const r = await run(...args)
        assert.equal(r.code, 2, r.stdout + r.stderr)
        assert.equal(jsonError(r).code, 'BAD_FLAG')
        assert.equal(bench.calls.count(), 0)
      })
    }

    it('--region us-east-99: REGION_UNKNOWN (exit 4) before any call', async () => {
      bench.calls.clear()
      const r = await run('listeners', 'show', '-e', s.environmentName, '--region', 'us-east-99')
      assert.equal(r.code, 4, r.stdout + r.stderr)
      const err = jsonError(r)
      assert.equal(err.code, 'REGION_UNKNOWN')
      assert.match(err.message, /"us-east-99" is not an AWS region/)
      assert.equal(bench.calls.count(), 0)
    })

    it('proxy-protocol enable on an instance port no listener forwards to: refused, zero writes', async () => {
      const p = await createScenario(bench, {certificates: [{kind: 'rsa2048'}], settings: (c) => TCP_LAYOUT(c[0]!.arn)})
      bench.calls.clear()
      const r = await run(
        'proxy-protocol',
        'enable',
        '-e',
        p.environmentName,
        '--instance-port',
        '8080',
        '--skip-app-check',
      )
      assert.equal(r.code, 2, r.stdout + r.stderr)
      const err = jsonError(r)
      assert.equal(err.code, 'UNSAFE_CHANGE')
      assert.match(err.message, /No listener forwards to instance port 8080 \(the listeners forward to 80\)/)
      assert.equal(writes(), 0)
    })

    it('listeners restore --from a missing file or a folder: exit 2, the path named', async () => {
      for (const [path, said] of [
        [join(dir, 'missing.json'), /No snapshot file at .*missing\.json/],
        [dir, /is a folder, not a snapshot file/],
      ] as const) {
        bench.calls.clear()
        const r = await run('listeners', 'restore', '--from', path)
        assert.equal(r.code, 2, r.stdout)
        const err = jsonError(r)
        assert.equal(err.code, 'FILE_NOT_FOUND')
        assert.ok(err.message.includes(path), err.message)
        assert.match(err.message, said)
        assert.equal(bench.calls.count(), 0)
      }
    })
  })

  describe('the calls each command makes (a new unneeded call fails here)', () => {
    const ENV_READS = ['DescribeEnvironments', 'DescribeEnvironmentResources', 'DescribeConfigurationSettings']
    const CLB_READS = ['DescribeLoadBalancers', 'DescribeLoadBalancerPolicies', 'DescribeLoadBalancerAttributes']
    // show lists the Route 53 records that point at the environment (issue 17 §2): one ListHostedZones, plus one
    // ListResourceRecordSets per public zone (this bench has none), read beside the load balancer.
    const DNS_READS = ['ListHostedZones']
    // The security groups (src/security-groups, issue 17 §3): DescribeSecurityGroups on the environment's tag, in
    // round trip 2 (a group Beanstalk did not make costs one DescribeSecurityGroups by id after). show takes the
    // load balancer's groups and listener ports from the adapter's own DescribeLoadBalancers (issue 13 §7), and so does
    // fix (issue 16 §3).
    const SG_SHOW_READS = ['DescribeSecurityGroups']
    // An ALB/NLB: the listeners, the load balancer's attributes and target groups (round trip 2), each listener's
    // rules, each HTTPS/TLS listener's certificates and each target group's attributes (round trip 3). The
    // security-groups read adds DescribeLoadBalancers (groups, scheme: the adapter's reads do not name them) and takes
    // the listener ports from the adapter's DescribeListeners.
    const ELBV2_READS = ['DescribeListeners', 'DescribeLoadBalancerAttributes', 'DescribeTargetGroups']
    const sorted = (xs: string[]) => [...xs].sort()
    const actions = () => sorted(bench.calls.actions())

    it('listeners show: no ACM call without a certificate; one DescribeCertificate per certificate shown', async () => {
      const plain = await createScenario(bench, {})
      bench.calls.clear()
      assert.equal((await run('listeners', 'show', '-e', plain.environmentName)).code, 0)
      assert.deepEqual(actions(), sorted([...ENV_READS, ...CLB_READS, ...SG_SHOW_READS, ...DNS_READS]))
      // Beside the load balancer's reads, not after them: no dependent round trip more.
      const [groups] = bench.calls.list({service: 'ec2'})
      assert.ok(groups!.start < Math.max(...bench.calls.list({service: 'elb'}).map((c) => c.end)))

      const ws = await createScenario(bench, {
        certificates: [{kind: 'rsa2048'}],
        settings: (c) => LAYOUT_SETTINGS.websocket(c[0]!.arn),
      })
      bench.calls.clear()
      assert.equal((await run('listeners', 'show', '-e', ws.environmentName)).code, 0)
      assert.deepEqual(
        actions(),
        sorted([...ENV_READS, ...CLB_READS, ...SG_SHOW_READS, ...DNS_READS, 'DescribeCertificate']),
      )
      assert.equal(bench.calls.count({service: 'acm', action: 'ListCertificates'}), 0)
    })

    it('listeners show on an ALB: each read once, the load balancer described once (for its groups)', async () => {
      const plain = await createAlbScenario(bench, {})
      bench.calls.clear()
      assert.equal((await run('listeners', 'show', '-e', plain.environmentName)).code, 0)
      // Beanstalk's default ALB: one HTTP listener on 80, one target group.
      assert.deepEqual(
        actions(),
        sorted([
          ...ENV_READS,
          ...ELBV2_READS,
          'DescribeRules',
          'DescribeTargetGroupAttributes',
          'DescribeLoadBalancers',
          ...SG_SHOW_READS,
          ...DNS_READS,
        ]),
      )

      const https = await createAlbScenario(bench, {
        certificates: [{kind: 'rsa2048', domain: 'app.example.com'}],
        settings: (c) => HTTPS_SETTINGS(c[0]!.arn),
      })
      bench.calls.clear()
      // With latency on every call, calls made side by side overlap: the critical path counts dependent round trips.
      bench.faults.latency(100)
      try {
        assert.equal((await run('listeners', 'show', '-e', https.environmentName)).code, 0)
      } finally {
        bench.faults.clear()
      }
      // Listeners on 80 and 443: DescribeRules for each, DescribeListenerCertificates for 443, its certificate.
      assert.deepEqual(
        actions(),
        sorted([
          ...ENV_READS,
          ...ELBV2_READS,
          'DescribeRules',
          'DescribeRules',
          'DescribeListenerCertificates',
          'DescribeTargetGroupAttributes',
          'DescribeCertificate',
          'DescribeLoadBalancers',
          ...SG_SHOW_READS,
          ...DNS_READS,
        ]),
      )
      // The environment (with Route 53's zones), the load balancer (with the settings and groups), then its rules,
      // certificates and target group attributes (issue 13 §7: show <= 3).
      assert.equal(bench.calls.criticalPath(), 3)
    })

    it('listeners show on an NLB: the same reads as an ALB, no certificate without a TLS listener', async () => {
      const nlb = await createAlbScenario(bench, {type: 'network'})
      bench.calls.clear()
      assert.equal((await run('listeners', 'show', '-e', nlb.environmentName)).code, 0)
      const listeners = bench.calls.count({action: 'DescribeRules'})
      assert.ok(listeners >= 1)
      assert.deepEqual(
        actions(),
        sorted([
          ...ENV_READS,
          ...ELBV2_READS,
          ...Array<string>(listeners).fill('DescribeRules'),
          'DescribeTargetGroupAttributes',
          'DescribeLoadBalancers',
          ...SG_SHOW_READS,
          ...DNS_READS,
        ]),
      )
    })

    it('proxy-protocol status: no ACM call at all', async () => {
      const p = await createScenario(bench, {certificates: [{kind: 'rsa2048'}], settings: (c) => TCP_LAYOUT(c[0]!.arn)})
      bench.calls.clear()
      const r = await run('proxy-protocol', 'status', '-e', p.environmentName, '--skip-app-check')
      assert.equal(r.code, 0, r.stderr)
      assert.deepEqual(actions(), sorted([...ENV_READS, ...CLB_READS]))
    })

    it('listeners fix: ListCertificates only for --domain; DescribeCertificate for --certificate-arn or the current certificate', async () => {
      const cases: Array<[string, (s: Scenario) => string[], string[]]> = [
        ['--domain', () => ['--domain', 'app.example.com'], ['ListCertificates']],
        ['--certificate-arn', (s) => ['--certificate-arn', s.certificates[0]!.arn], ['DescribeCertificate']],
        ['the current certificate', () => [], ['DescribeCertificate']],
      ]
      for (const [name, flags, acm] of cases) {
        const s = await createScenario(bench, {
          certificates: [{kind: 'rsa2048', domain: 'app.example.com'}],
          settings: (c) => LAYOUT_SETTINGS.websocket(c[0]!.arn),
        })
        bench.calls.clear()
        const r = await run('listeners', 'fix', '-e', s.environmentName, ...flags(s), '--dry-run')
        assert.equal(r.code, 0, `${name}: ${r.stdout}${r.stderr}`)
        assert.deepEqual(sorted(bench.calls.actions({service: 'acm'})), acm, name)
        // Reads: the environment, the CLB (whose description the security groups read takes), the security groups,
        // the settings validation; nothing else.
        assert.deepEqual(sorted(bench.calls.actions({service: 'elb'})), sorted(CLB_READS), name)
        assert.deepEqual(bench.calls.actions({service: 'ec2'}), ['DescribeSecurityGroups'], name)
        // (ValidateConfigurationSettings only when there are option settings to write.)
        assert.deepEqual(
          sorted(
            bench.calls.actions({service: 'elasticbeanstalk'}).filter((a) => a !== 'ValidateConfigurationSettings'),
          ),
          sorted(ENV_READS),
          name,
        )
        assert.ok(bench.calls.count({action: 'ValidateConfigurationSettings'}) <= 1, name)
      }
    })

    // issue 16 §3: fix's security-groups read takes the load balancer's description from the adapter's own reads
    // (FixIntent.onDescribed), as show does, beside them: each load balancer is described once, and the listeners
    // read once, with no round trip more.
    const fixCalls = async (environmentName: string, args: string[]) => {
      bench.calls.clear()
      bench.faults.latency(100)
      try {
        const r = await run('listeners', 'fix', '-e', environmentName, ...args)
        assert.equal(r.code, 0, r.stdout + r.stderr)
      } finally {
        bench.faults.clear()
      }
      // The wait for the environment's update polls DescribeEnvironments + DescribeEvents, one round trip each
      // poll, until the fake has finished it: how many polls that takes is timing, not a call ebws could drop.
      const polls = bench.calls.count({action: 'DescribeEvents'})
      return {actions: actions(), path: bench.calls.criticalPath(), polls}
    }
    const pollCalls = (polls: number) =>
      Array.from({length: polls}, () => ['DescribeEnvironments', 'DescribeEvents']).flat()

    it('listeners fix on a CLB: the load balancer described once (dry run and applied)', async () => {
      const s = await createScenario(bench, {
        certificates: [{kind: 'rsa2048', domain: 'app.example.com'}],
        settings: () => LAYOUT_SETTINGS.tcp80(),
      })
      const cert = ['--certificate-arn', s.certificates[0]!.arn]
      // The environment, the CLB (its DescribeLoadBalancers handed to the groups read, beside which
      // DescribeSecurityGroups goes), the certificate and the settings validation. (Before: a second
      // DescribeLoadBalancers, and 4 round trips.)
      const SETTINGS_CHECK = ['DescribeCertificate', 'ValidateConfigurationSettings']
      const dry = await fixCalls(s.environmentName, [...cert, '--dry-run'])
      assert.deepEqual(dry.actions, sorted([...ENV_READS, ...CLB_READS, 'DescribeSecurityGroups', ...SETTINGS_CHECK]))
      assert.equal(dry.path, 3)
      // Applied (--no-wait: no read-back of the groups): the same reads, the writes, the CLB read back once, the
      // environment's update and its events. (Before: 3 DescribeLoadBalancers, 10 round trips.)
      const applied = await fixCalls(s.environmentName, [...cert, '--no-wait', '--backup-file', join(dir, 'clb.json')])
      assert.deepEqual(
        applied.actions,
        sorted([
          ...ENV_READS,
          ...CLB_READS,
          'DescribeSecurityGroups',
          ...SETTINGS_CHECK,
          ...['CreateLoadBalancerListeners', 'CreateLoadBalancerListeners', 'CreateLoadBalancerPolicy'],
          ...['DeleteLoadBalancerListeners', 'SetLoadBalancerPoliciesOfListener'],
          'UpdateEnvironment',
          ...pollCalls(applied.polls),
          ...CLB_READS,
        ]),
      )
      assert.ok(applied.polls >= 1)
      assert.equal(applied.path, 8 + applied.polls)
    })

    it('listeners fix on an ALB: the load balancer described once, its listeners read once (dry run and applied)', async () => {
      const s = await createAlbScenario(bench, {certificates: [{kind: 'rsa2048', domain: 'app.example.com'}]})
      const dry = await fixCalls(s.environmentName, ['--domain', 'app.example.com', '--dry-run'])
      const applied = await fixCalls(s.environmentName, [
        '--domain',
        'app.example.com',
        '--no-wait',
        '--backup-file',
        join(dir, 'alb.json'),
      ])
      // The environment, the ALB's reads (their DescribeListeners' ports handed to the groups read, which describes
      // the load balancer for its groups beside DescribeSecurityGroups), ACM, the SSL policy and the settings
      // validation. (Before: a second DescribeListeners, and 6 round trips.)
      const ALB_FIX_READS = [
        ...ENV_READS,
        ...ELBV2_READS,
        'DescribeRules',
        'DescribeTargetGroupAttributes',
        'DescribeLoadBalancers',
        'DescribeSecurityGroups',
        'ListCertificates',
        'DescribeSSLPolicies',
        'ValidateConfigurationSettings',
      ]
      assert.deepEqual(dry.actions, sorted(ALB_FIX_READS))
      assert.equal(dry.path, 5)
      // Applied (--no-wait): the same reads, the settings update, the listener change, and the ALB read back twice
      // by the adapter (after the update, and to verify). (Before: 4 DescribeListeners, 11 round trips.)
      assert.deepEqual(
        applied.actions,
        sorted([
          ...ALB_FIX_READS,
          ...['UpdateEnvironment', ...pollCalls(applied.polls), 'ModifyListener'],
          ...['DescribeListeners', 'DescribeLoadBalancerAttributes', 'DescribeTargetGroupAttributes'],
          ...['DescribeListeners', 'DescribeLoadBalancerAttributes', 'DescribeTargetGroupAttributes'],
        ]),
      )
      assert.ok(applied.polls >= 1)
      assert.equal(applied.path, 9 + applied.polls)
    })
  })
})
