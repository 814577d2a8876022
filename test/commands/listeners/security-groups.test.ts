// The load balancer's security group admits what the listeners serve (issue 17 §3), on the local AWS bench: the EB
// fake makes the Beanstalk-managed group (AWSEBLoadBalancerSecurityGroup) in moto's EC2 and keeps its rules in step
// with the listener settings (test/bench/eb-fake/EB-FAKE.md). Groups are read back with the AWS CLI.
import assert from 'node:assert/strict'
import {execFile, spawn} from 'node:child_process'
import {promisify} from 'node:util'
import {after, before, describe, it} from 'node:test'

import {CreateSecurityGroupCommand, EC2Client, RevokeSecurityGroupIngressCommand} from '@aws-sdk/client-ec2'

import {createScenario, startCliBench, type FullBench} from '../../bench/scenario.ts'
import {envelope, json, jsonError, ROOT, runCli, tempDir} from '../../helpers/cli.ts'
import {createAlbScenario, HTTPS_SETTINGS} from './alb-helpers.ts'

const exec = promisify(execFile)

interface Shown {
  verdict: {ok: boolean; findings: Array<{code: string; severity: string; message: string}>}
  securityGroups: {
    groups: Array<{id: string; name: string; managedByBeanstalk: boolean; openToInternet: string[]}>
    closedPorts: number[]
    listenerPorts: number[]
  }
}
interface Fixed {
  status: string
  securityGroups?: {
    steps: Array<{groupId: string; port: number; when: string}>
    added: Array<{groupId: string; port: number}>
    openedByBeanstalk: number[]
    closedAfter: number[]
    verified: boolean
  }
}

describe('security groups in listeners show and fix (local AWS bench)', () => {
  let bench: FullBench
  let env: Record<string, string>
  let ec2: EC2Client
  before(async () => {
    ;({bench, env} = await startCliBench())
    ec2 = new EC2Client({
      region: bench.region,
      endpoint: bench.direct.moto,
      credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'},
    })
  })
  after(async () => {
    ec2?.destroy()
    await bench?.stop()
  })

  const writes = () => bench.calls.count({mutating: true})
  const ec2Writes = () => bench.calls.count({service: 'ec2', mutating: true})

  /** TCP ports a group admits from 0.0.0.0/0, as the AWS CLI (botocore's parser) reads them from moto. */
  async function openPorts(groupId: string): Promise<number[]> {
    const {stdout} = await exec(
      'aws',
      [
        'ec2',
        'describe-security-groups',
        '--group-ids',
        groupId,
        '--output',
        'json',
        '--endpoint-url',
        bench.direct.moto,
      ],
      {env},
    )
    const g = (JSON.parse(stdout) as {SecurityGroups: Array<{IpPermissions: Array<Record<string, unknown>>}>})
      .SecurityGroups[0]!
    return g.IpPermissions.filter(
      (p) => p.IpProtocol === 'tcp' && (p.IpRanges as Array<{CidrIp: string}>).some((r) => r.CidrIp === '0.0.0.0/0'),
    )
      .map((p) => p.FromPort as number)
      .sort((a, b) => a - b)
  }
  const revoke = (groupId: string, port: number) =>
    ec2.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [{IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{CidrIp: '0.0.0.0/0'}]}],
      }),
    )
  const show = async (name: string) => json<Shown>(await runCli(['listeners', 'show', '-e', name, '--json'], {env}))

  /** An ALB serving HTTPS 443 from its settings, whose Beanstalk-managed group has lost the 443 rule. */
  async function albWithout443() {
    const s = await createAlbScenario(bench, {
      certificates: [{kind: 'rsa2048', domain: 'app.example.com'}],
      settings: (c) => HTTPS_SETTINGS(c[0]!.arn),
    })
    const groupId = (await show(s.environmentName)).securityGroups.groups[0]!.id
    assert.deepEqual(await openPorts(groupId), [80, 443], 'Beanstalk opened both listener ports')
    await revoke(groupId, 443)
    return {s, groupId}
  }

  it('ALB: show says 443 is not allowed; fix opens it on the managed group; a second run makes 0 writes', async () => {
    const {s, groupId} = await albWithout443()
    const r = await runCli(['listeners', 'show', '-e', s.environmentName], {env})
    assert.match(r.stdout, new RegExp(`443 is not allowed by ${groupId} — browsers will time out`))
    assert.match(r.stdout, /Security groups\n/)
    const shown = await show(s.environmentName)
    assert.equal(shown.verdict.ok, false)
    assert.ok(shown.verdict.findings.some((f) => f.code === 'SG_PORT_CLOSED' && f.severity === 'error'))
    assert.deepEqual(shown.securityGroups.closedPorts, [443])
    assert.equal(shown.securityGroups.groups[0]!.managedByBeanstalk, true)

    bench.calls.clear()
    const dry = json<Fixed>(
      await runCli(
        ['listeners', 'fix', '-e', s.environmentName, '--domain', 'app.example.com', '--dry-run', '--json'],
        {env},
      ),
    )
    assert.equal(writes(), 0, 'a dry run writes nothing')
    assert.deepEqual(
      dry.securityGroups?.steps.map((x) => [x.groupId, x.port, x.when]),
      [[groupId, 443, 'before']],
      '443 is already a listener, so Beanstalk will not reopen it: ebws adds the rule',
    )

    const fixed = json<Fixed>(
      await runCli(['listeners', 'fix', '-e', s.environmentName, '--domain', 'app.example.com', '--json'], {env}),
    )
    assert.deepEqual(fixed.securityGroups?.added, [{groupId, port: 443, cidr: '0.0.0.0/0'}])
    assert.equal(fixed.securityGroups?.verified, true)
    assert.deepEqual(fixed.securityGroups?.closedAfter, [])
    assert.deepEqual(await openPorts(groupId), [80, 443])
    assert.deepEqual((await show(s.environmentName)).securityGroups.closedPorts, [])

    bench.calls.clear()
    const again = json<Fixed>(
      await runCli(['listeners', 'fix', '-e', s.environmentName, '--domain', 'app.example.com', '--json'], {env}),
    )
    assert.equal(writes(), 0, 'second run: 0 writes')
    assert.deepEqual(again.securityGroups?.steps, [])
  })

  it("ALB from Beanstalk's default: the option settings make Beanstalk open 443; ebws only reads it back", async () => {
    const s = await createAlbScenario(bench, {certificates: [{kind: 'rsa2048', domain: 'ws.example.com'}]})
    const groupId = (await show(s.environmentName)).securityGroups.groups[0]!.id
    assert.deepEqual(await openPorts(groupId), [80])
    bench.calls.clear()
    const fixed = json<Fixed>(
      await runCli(['listeners', 'fix', '-e', s.environmentName, '--domain', 'ws.example.com', '--json'], {env}),
    )
    assert.equal(ec2Writes(), 0, 'no EC2 write: Beanstalk opened it')
    assert.deepEqual(fixed.securityGroups?.openedByBeanstalk, [443])
    assert.equal(fixed.securityGroups?.verified, true)
    assert.deepEqual(await openPorts(groupId), [80, 443])
  })

  it('CLB: a live-only fix (--apply-to elb) adds 443 to the managed group itself', async () => {
    const s = await createScenario(bench, {certificates: [{kind: 'rsa2048', domain: 'clb.example.com'}]})
    const before = await show(s.environmentName)
    const groupId = before.securityGroups.groups[0]!.id
    assert.equal(before.securityGroups.groups[0]!.managedByBeanstalk, true)
    assert.deepEqual(await openPorts(groupId), [80])
    bench.calls.clear()
    const fixed = json<Fixed>(
      await runCli(
        ['listeners', 'fix', '-e', s.environmentName, '--domain', 'clb.example.com', '--apply-to', 'elb', '--json'],
        {env},
      ),
    )
    assert.equal(fixed.status, 'applied')
    assert.deepEqual(fixed.securityGroups?.added, [{groupId, port: 443, cidr: '0.0.0.0/0'}])
    assert.equal(bench.calls.count({service: 'ec2', action: 'AuthorizeSecurityGroupIngress'}), 1)
    assert.deepEqual(await openPorts(groupId), [80, 443])
    const after = await show(s.environmentName)
    assert.deepEqual(after.securityGroups.closedPorts, [])
    assert.ok(!after.verdict.findings.some((f) => f.code === 'SG_PORT_CLOSED'))
  })

  it('CLB with the option settings (default --apply-to both): Beanstalk opens 443 on its group, read back', async () => {
    const s = await createScenario(bench, {certificates: [{kind: 'rsa2048', domain: 'durable.example.com'}]})
    const groupId = (await show(s.environmentName)).securityGroups.groups[0]!.id
    bench.calls.clear()
    const fixed = json<Fixed>(
      await runCli(['listeners', 'fix', '-e', s.environmentName, '--domain', 'durable.example.com', '--json'], {env}),
    )
    assert.equal(fixed.status, 'applied')
    assert.equal(ec2Writes(), 0)
    assert.deepEqual(fixed.securityGroups?.openedByBeanstalk, [443])
    assert.deepEqual(await openPorts(groupId), [80, 443])
  })

  it('without ec2:DescribeSecurityGroups, show still reports the listeners and says the groups were not checked', async () => {
    const s = await createScenario(bench, {})
    bench.faults.error(1, 'UnauthorizedOperation', {service: 'ec2'}, 403)
    const r = await runCli(['listeners', 'show', '-e', s.environmentName, '--json'], {env})
    bench.faults.clear()
    assert.equal(r.code, 0, r.stderr)
    const shown = json<Shown & {securityGroups: {unreadable?: string}}>(r)
    assert.match(shown.securityGroups.unreadable ?? '', /ec2:DescribeSecurityGroups/)
    assert.ok(shown.verdict.findings.some((f) => f.code === 'SG_UNREADABLE' && f.severity === 'warning'))
  })

  it('a group Beanstalk does not manage: refused without --open-security-group (exit 2, zero writes), opened with it', async () => {
    const own = (
      await ec2.send(
        new CreateSecurityGroupCommand({GroupName: `mine-${process.pid}`, Description: 'my load balancer group'}),
      )
    ).GroupId!
    const s = await createAlbScenario(bench, {
      certificates: [{kind: 'rsa2048', domain: 'own.example.com'}],
      settings: () => [
        ['aws:elbv2:loadbalancer', 'SecurityGroups', own],
        ['aws:elbv2:loadbalancer', 'ManagedSecurityGroup', own],
      ],
    })
    const shown = await show(s.environmentName)
    assert.deepEqual(
      shown.securityGroups.groups.map((g) => [g.id, g.managedByBeanstalk]),
      [[own, false]],
    )
    assert.deepEqual(shown.securityGroups.closedPorts, [80])
    bench.calls.clear()
    const refused = await runCli(
      ['listeners', 'fix', '-e', s.environmentName, '--domain', 'own.example.com', '--json'],
      {
        env,
      },
    )
    assert.equal(refused.code, 2)
    const e = jsonError(refused)
    assert.equal(e.code, 'UNSAFE_CHANGE')
    assert.match(e.message, new RegExp(`${own}, a security group Elastic Beanstalk does not manage`))
    assert.equal(writes(), 0, 'zero writes')
    const fixed = json<Fixed>(
      await runCli(
        ['listeners', 'fix', '-e', s.environmentName, '--domain', 'own.example.com', '--open-security-group', '--json'],
        {env},
      ),
    )
    assert.deepEqual(fixed.securityGroups?.added.map((a) => [a.groupId, a.port]).sort(), [
      [own, 443],
      [own, 80],
    ])
    assert.deepEqual(await openPorts(own), [80, 443])
  })

  it('a signal while ebws adds its rule: the rule is removed again, the listeners are untouched, exit 130', async () => {
    const s = await createScenario(bench, {certificates: [{kind: 'rsa2048', domain: 'sig.example.com'}]})
    const groupId = (await show(s.environmentName)).securityGroups.groups[0]!.id
    const listenersBefore = (await runCli(['listeners', 'show', '-e', s.environmentName, '--json'], {env})).stdout
    // A slow AuthorizeSecurityGroupIngress: the signal lands while it is on the wire.
    bench.faults.latency(600, {service: 'ec2', mutating: true})
    const childTmp = tempDir('ebws-sg-signal-')
    try {
      const r = await new Promise<{code: number; stdout: string; stderr: string}>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            `${ROOT}/bin/run.js`,
            'listeners',
            'fix',
            '-e',
            s.environmentName,
            '--domain',
            'sig.example.com',
            '--apply-to',
            'elb',
            '--json',
          ],
          {env: {...env, NO_COLOR: '1', TMPDIR: childTmp}, stdio: ['ignore', 'pipe', 'pipe']},
        )
        let stdout = ''
        let stderr = ''
        let armed = false
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString()
          if (!armed && /Security group plan:/.test(stderr)) {
            armed = true
            setTimeout(() => child.kill('SIGTERM'), 250)
          }
        })
        child.on('error', reject)
        child.on('close', (code) => resolve({code: code ?? -1, stdout, stderr}))
      })
      assert.equal(r.code, 130, r.stdout + r.stderr)
      assert.equal(envelope(r).error?.code, 'INTERRUPTED')
      assert.match(r.stderr, /stopping at the next safe point/)
    } finally {
      bench.faults.clear()
    }
    assert.deepEqual(await openPorts(groupId), [80], 'the rule ebws added is gone')
    const after = JSON.parse(
      (await runCli(['listeners', 'show', '-e', s.environmentName, '--json'], {env})).stdout,
    ) as {
      result: {loadBalancer: {listeners: unknown}}
    }
    assert.deepEqual(
      after.result.loadBalancer.listeners,
      (JSON.parse(listenersBefore) as {result: {loadBalancer: {listeners: unknown}}}).result.loadBalancer.listeners,
    )
  })

  it('a failure injected at each write puts the groups and listeners back as they were', async () => {
    // 1. The rule itself fails: nothing else was written.
    const first = await albWithout443()
    bench.faults.failNthMutating(1, 'UnauthorizedOperation', {service: 'ec2'})
    const r1 = await runCli(
      ['listeners', 'fix', '-e', first.s.environmentName, '--domain', 'app.example.com', '--json'],
      {
        env,
      },
    )
    // EC2's own error document, through the fault proxy, parsed by the SDK: access denied names the IAM action.
    assert.equal(r1.code, 4, r1.stdout)
    assert.equal(jsonError(r1).code, 'AWS_ACCESS_DENIED')
    assert.match(jsonError(r1).message, /ec2:AuthorizeSecurityGroupIngress/)
    assert.deepEqual(await openPorts(first.groupId), [80])

    // 2. The rule goes in, then the listener change fails: the rule ebws added is removed again, and only it.
    const second = await albWithout443()
    bench.faults.clear()
    bench.faults.failNthMutating(1, 'InternalFailure', {service: 'elbv2'})
    const r2 = await runCli(
      ['listeners', 'fix', '-e', second.s.environmentName, '--domain', 'app.example.com', '--json'],
      {env},
    )
    assert.notEqual(r2.code, 0)
    assert.equal(bench.calls.count({service: 'ec2', action: 'AuthorizeSecurityGroupIngress'}) >= 1, true)
    assert.equal(bench.calls.count({service: 'ec2', action: 'RevokeSecurityGroupIngress'}) >= 1, true)
    assert.deepEqual(await openPorts(second.groupId), [80], 'back to the original rules')
    bench.faults.clear()
  })
})
