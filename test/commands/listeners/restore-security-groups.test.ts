// `listeners restore` removes the security-group rules `listeners fix` added, and only those (the snapshot records
// each exactly as fix authorized it): on the local AWS bench, through the CLI, with the groups read back with the
// AWS CLI straight from moto.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {after, before, describe, it} from 'node:test'

import {AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, EC2Client} from '@aws-sdk/client-ec2'

import {createScenario, startCliBench, type FullBench} from '../../bench/scenario.ts'
import {json, jsonError, runCli, tempDir} from '../../helpers/cli.ts'
import {readBack} from '../proxy-protocol/helpers.ts'
import {createAlbScenario} from './alb-helpers.ts'

const exec = promisify(execFile)

interface Rule {
  groupId: string
  ipProtocol: string
  fromPort: number
  toPort: number
  cidrIp: string
  description: string
}
interface Restored {
  dryRun: boolean
  steps: Array<{id: string; description: string; command: string}>
  securityGroupRulesToRemove: Rule[]
  leftAlone: string[]
}

describe('listeners restore removes the security group rules fix added (local AWS bench)', () => {
  let bench: FullBench
  let env: Record<string, string>
  let ec2: EC2Client
  let dir: string
  before(async () => {
    ;({bench, env} = await startCliBench())
    ec2 = new EC2Client({
      region: bench.region,
      endpoint: bench.direct.moto,
      credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'},
    })
    dir = tempDir('ebws-restore-sg-')
  })
  after(async () => {
    ec2?.destroy()
    rmSync(dir, {recursive: true, force: true})
    await bench?.stop()
  })

  const writes = () => bench.calls.count({mutating: true})

  /** Every inbound rule of a group, one line per CIDR, as the AWS CLI (botocore) reads them from moto. */
  async function rules(groupId: string): Promise<string[]> {
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
    const g = (
      JSON.parse(stdout) as {
        SecurityGroups: Array<{
          IpPermissions: Array<{
            IpProtocol: string
            FromPort?: number
            ToPort?: number
            IpRanges: Array<{CidrIp: string; Description?: string}>
          }>
        }>
      }
    ).SecurityGroups[0]!
    return g.IpPermissions.flatMap((p) =>
      p.IpRanges.map(
        (r) => `${p.IpProtocol} ${p.FromPort}-${p.ToPort} ${r.CidrIp}${r.Description ? ` "${r.Description}"` : ''}`,
      ),
    ).sort()
  }
  /** Someone else removes TCP 443 from 0.0.0.0/0, with the AWS CLI (not through ebws, not through the proxy). */
  async function revokeHttpsWithAwsCli(groupId: string): Promise<void> {
    await exec(
      'aws',
      [
        'ec2',
        'revoke-security-group-ingress',
        '--group-id',
        groupId,
        '--protocol',
        'tcp',
        '--port',
        '443',
        '--cidr',
        '0.0.0.0/0',
        '--endpoint-url',
        bench.direct.moto,
      ],
      {env},
    )
  }
  const groupOf = async (name: string) =>
    json<{securityGroups: {groups: Array<{id: string}>}}>(
      await runCli(['listeners', 'show', '-e', name, '--json'], {env}),
    ).securityGroups.groups[0]!.id
  const restore = (file: string, ...flags: string[]) =>
    runCli(['listeners', 'restore', '--from', file, '--json', ...flags], {env})

  /** A CLB fixed live-only (--apply-to elb): ebws adds TCP 443 from 0.0.0.0/0 to the managed group itself. */
  async function fixedClb(domain: string) {
    const s = await createScenario(bench, {certificates: [{kind: 'rsa2048', domain}]})
    const groupId = await groupOf(s.environmentName)
    const before = await readBack(bench, env, s)
    const rulesBefore = await rules(groupId)
    const backup = join(dir, `${s.environmentName}.json`)
    const fixed = await runCli(
      [
        'listeners',
        'fix',
        '-e',
        s.environmentName,
        '--domain',
        domain,
        '--apply-to',
        'elb',
        '--backup-file',
        backup,
        '--json',
      ],
      {env},
    )
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr)
    return {s, groupId, before, rulesBefore, backup}
  }

  it('CLB: the snapshot records the rule exactly; restore removes it and only it; a second restore makes 0 writes', async () => {
    const {s, groupId, before, rulesBefore, backup} = await fixedClb('clb-sg.example.com')
    assert.deepEqual(rulesBefore, ['tcp 80-80 0.0.0.0/0'])
    const ours: Rule = {
      groupId,
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      cidrIp: '0.0.0.0/0',
      description: 'ebws: load balancer listener 443',
    }
    const snapshot = JSON.parse(readFileSync(backup, 'utf8')) as {securityGroups?: {added: Rule[]}}
    assert.deepEqual(snapshot.securityGroups, {added: [ours]}, 'recorded before the first listener write')
    assert.deepEqual(await rules(groupId), ['tcp 443-443 0.0.0.0/0 "ebws: load balancer listener 443"', ...rulesBefore])

    // Someone else adds rules after the fix: another port, and 443 from another CIDR. Both must survive.
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [
          {IpProtocol: 'tcp', FromPort: 8443, ToPort: 8443, IpRanges: [{CidrIp: '0.0.0.0/0'}]},
          {IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{CidrIp: '10.0.0.0/8', Description: 'office'}]},
        ],
      }),
    )

    bench.calls.clear()
    const dry = await restore(backup, '--dry-run')
    assert.equal(dry.code, 0, dry.stdout + dry.stderr)
    assert.equal(writes(), 0, 'a dry run writes nothing')
    const plan = json<Restored>(dry)
    assert.deepEqual(plan.securityGroupRulesToRemove, [ours])
    assert.equal(plan.steps[0]!.id, 'security-group-1', 'the revoke is planned first')
    assert.equal(
      plan.steps[0]!.command,
      `aws ec2 revoke-security-group-ingress --region us-east-1 --group-id ${groupId} --protocol tcp --port 443 --cidr 0.0.0.0/0`,
    )
    assert.ok(plan.steps.length > 1, 'the listener restore is planned after it')
    const text = await runCli(['listeners', 'restore', '--from', backup, '--dry-run'], {env})
    assert.match(
      text.stdout,
      new RegExp(`1\\. remove TCP 443 from 0\\.0\\.0\\.0/0 on ${groupId} \\(added by ebws listeners fix\\)`),
    )

    bench.calls.clear()
    const r = await restore(backup)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.equal(bench.calls.count({service: 'ec2', action: 'RevokeSecurityGroupIngress'}), 1)
    assert.deepEqual(json<Restored>(r).leftAlone, [])
    assert.deepEqual(await rules(groupId), [
      'tcp 443-443 10.0.0.0/8 "office"',
      'tcp 80-80 0.0.0.0/0',
      'tcp 8443-8443 0.0.0.0/0',
    ])
    assert.deepEqual((await readBack(bench, env, s)).listeners, before.listeners, 'the listeners are back too')

    bench.calls.clear()
    const again = await restore(backup)
    assert.equal(again.code, 0, again.stdout + again.stderr)
    assert.equal(writes(), 0, 'second restore: 0 writes')
    assert.deepEqual(json<Restored>(again).securityGroupRulesToRemove, [])
  })

  it('CLB: a rule re-made by someone else after fix (same port and CIDR, their description) is kept', async () => {
    const {groupId, backup} = await fixedClb('remade.example.com')
    await revokeHttpsWithAwsCli(groupId)
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [
          {IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{CidrIp: '0.0.0.0/0', Description: 'web (ops)'}]},
        ],
      }),
    )
    bench.calls.clear()
    const r = await restore(backup)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.equal(bench.calls.count({service: 'ec2', mutating: true}), 0)
    const out = json<Restored>(r)
    assert.deepEqual(out.securityGroupRulesToRemove, [])
    assert.ok(out.leftAlone.some((l) => l.includes(`TCP 443 from 0.0.0.0/0 on ${groupId}`) && /someone else's/.test(l)))
    assert.deepEqual(await rules(groupId), ['tcp 443-443 0.0.0.0/0 "web (ops)"', 'tcp 80-80 0.0.0.0/0'])
  })

  it('listeners already in shape, only the rule missing: fix saves the rule alone, and restore removes just it', async () => {
    const {s, groupId} = await fixedClb('rule-only.example.com')
    await revokeHttpsWithAwsCli(groupId)
    const backup = join(dir, `${s.environmentName}-rule-only.json`)
    const fixed = await runCli(
      [
        'listeners',
        'fix',
        '-e',
        s.environmentName,
        '--domain',
        'rule-only.example.com',
        '--apply-to',
        'elb',
        '--backup-file',
        backup,
        '--json',
      ],
      {env},
    )
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr)
    const out = json<{status: string; securityGroups: {backupFile?: string; added: unknown[]; notes: string[]}}>(fixed)
    assert.equal(out.status, 'already-in-shape', 'the listeners needed no change')
    assert.equal(out.securityGroups.backupFile, backup)
    assert.ok(
      out.securityGroups.notes.includes(`Undo the rules ebws added with: ebws listeners restore --from ${backup}`),
    )
    const snapshot = JSON.parse(readFileSync(backup, 'utf8')) as {kind: string; securityGroups: {added: Rule[]}}
    assert.equal(snapshot.kind, 'ebws-security-groups-snapshot')
    assert.deepEqual(
      snapshot.securityGroups.added.map((r) => [r.groupId, r.fromPort, r.description]),
      [[groupId, 443, 'ebws: load balancer listener 443']],
    )
    const listenersFixed = (await readBack(bench, env, s)).listeners

    bench.calls.clear()
    const dry = await restore(backup, '--dry-run')
    assert.equal(dry.code, 0, dry.stdout + dry.stderr)
    assert.equal(writes(), 0)
    assert.deepEqual(
      json<Restored>(dry).steps.map((x) => x.description),
      [`remove TCP 443 from 0.0.0.0/0 on ${groupId} (added by ebws listeners fix)`],
    )
    const r = await restore(backup)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.equal(writes(), 1, 'one write: the revoke')
    assert.deepEqual(await rules(groupId), ['tcp 80-80 0.0.0.0/0'])
    assert.deepEqual((await readBack(bench, env, s)).listeners, listenersFixed, 'the listeners are not touched')
    bench.calls.clear()
    assert.equal((await restore(backup)).code, 0)
    assert.equal(writes(), 0, 'second restore: 0 writes')
  })

  it('an old snapshot without the security-group section restores as before and says no rule was removed', async () => {
    const {s, groupId, before, backup} = await fixedClb('old-snap.example.com')
    const old = join(dir, 'old-snapshot.json')
    const {securityGroups: _dropped, ...rest} = JSON.parse(readFileSync(backup, 'utf8')) as Record<string, unknown>
    writeFileSync(old, JSON.stringify(rest, null, 2))
    bench.calls.clear()
    const r = await restore(old)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.equal(bench.calls.count({service: 'ec2', mutating: true}), 0)
    const out = json<Restored>(r)
    assert.deepEqual(out.securityGroupRulesToRemove, [])
    assert.ok(
      out.leftAlone.some((l) => /the snapshot does not record any that ebws added/.test(l)),
      JSON.stringify(out.leftAlone),
    )
    assert.deepEqual((await readBack(bench, env, s)).listeners, before.listeners)
    assert.ok(
      (await rules(groupId)).some((l) => l.startsWith('tcp 443-443 0.0.0.0/0')),
      'the rule stays: not recorded',
    )
  })

  it("an NLB's snapshot (proxy-protocol: fix refuses NLBs) changes no group, and restore says nothing about groups", async () => {
    const s = await createAlbScenario(bench, {type: 'network'})
    const backup = join(dir, `${s.environmentName}.json`)
    const on = await runCli(
      ['proxy-protocol', 'enable', '-e', s.environmentName, '--skip-app-check', '--backup-file', backup, '--json'],
      {env},
    )
    assert.equal(on.code, 0, on.stdout + on.stderr)
    bench.calls.clear()
    const r = await restore(backup)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.deepEqual(json<Restored>(r).securityGroupRulesToRemove, [])
    assert.deepEqual(json<Restored>(r).leftAlone, [])
    assert.equal(bench.calls.count({service: 'ec2'}), 0, 'no security group was read')
  })

  it('a malformed security-group section is refused (exit 2) before any write', async () => {
    const {backup} = await fixedClb('bad-snap.example.com')
    const bad = join(dir, 'bad-snapshot.json')
    const snap = JSON.parse(readFileSync(backup, 'utf8')) as Record<string, unknown>
    writeFileSync(bad, JSON.stringify({...snap, securityGroups: {added: [{groupId: 'sg-1', ipProtocol: '-1'}]}}))
    bench.calls.clear()
    const r = await restore(bad)
    assert.equal(r.code, 2, r.stdout + r.stderr)
    assert.equal(jsonError(r).code, 'SNAPSHOT_INVALID')
    assert.equal(writes(), 0)
  })

  it('a failing revoke leaves everything as before, says so, and the retry then restores', async () => {
    const {s, groupId, before, backup} = await fixedClb('fail-revoke.example.com')
    const fixedListeners = (await readBack(bench, env, s)).listeners
    const rulesFixed = await rules(groupId)
    bench.calls.clear()
    bench.faults.failNthMutating(1, 'UnauthorizedOperation', {service: 'ec2'})
    let r
    try {
      r = await restore(backup)
    } finally {
      bench.faults.clear()
    }
    assert.equal(r.code, 4, r.stdout + r.stderr)
    const e = jsonError(r)
    assert.equal(e.code, 'AWS_ACCESS_DENIED')
    assert.match(
      e.message,
      new RegExp(`Removing the security group rule TCP 443 from 0\\.0\\.0\\.0/0 on ${groupId} failed`),
    )
    assert.match(e.message, /ec2:RevokeSecurityGroupIngress/)
    assert.match(e.message, /Nothing was changed/)
    assert.equal(bench.calls.count({service: 'elb', mutating: true}), 0, 'the listeners were not touched')
    assert.equal(bench.calls.count({service: 'elasticbeanstalk', mutating: true}), 0)
    assert.deepEqual(await rules(groupId), rulesFixed)
    assert.deepEqual((await readBack(bench, env, s)).listeners, fixedListeners)

    const retry = await restore(backup)
    assert.equal(retry.code, 0, retry.stdout + retry.stderr)
    assert.deepEqual(await rules(groupId), ['tcp 80-80 0.0.0.0/0'])
    assert.deepEqual((await readBack(bench, env, s)).listeners, before.listeners)
  })

  it('the listener restore failing after the revoke authorizes the rule again, exactly as fix had it', async () => {
    const {groupId, backup} = await fixedClb('fail-after.example.com')
    const rulesFixed = await rules(groupId)
    bench.calls.clear()
    bench.faults.failNthMutating(1, 'ValidationError', {service: 'elb'})
    let r
    try {
      r = await restore(backup)
    } finally {
      bench.faults.clear()
    }
    assert.notEqual(r.code, 0, r.stdout + r.stderr)
    assert.equal(bench.calls.count({service: 'ec2', action: 'RevokeSecurityGroupIngress'}), 1)
    assert.equal(bench.calls.count({service: 'ec2', action: 'AuthorizeSecurityGroupIngress'}), 1)
    assert.match(r.stderr, /putting them back \(1\)/)
    assert.deepEqual(await rules(groupId), rulesFixed, 'the rule is back, with the description a later restore knows')
    const retry = await restore(backup)
    assert.equal(retry.code, 0, retry.stdout + retry.stderr)
    assert.deepEqual(await rules(groupId), ['tcp 80-80 0.0.0.0/0'])
  })

  it('a rule someone removes while the revoke is on the wire is not put back when the restore then fails', async () => {
    const {groupId, backup} = await fixedClb('race.example.com')
    bench.calls.clear()
    // The revoke waits 3 s in the proxy; meanwhile the rule is removed straight on moto. EC2 then answers the revoke
    // in the default VPC with the rule among UnknownIpPermissions (not revoked), so ebws must not authorize it again.
    bench.faults.latency(3000, {service: 'ec2', action: 'RevokeSecurityGroupIngress'})
    bench.faults.failNthMutating(1, 'ValidationError', {service: 'elb'})
    let r
    try {
      const running = restore(backup)
      const read = (service: 'elb' | 'elasticbeanstalk', action: string) => bench.calls.count({service, action}) > 0
      while (!read('elb', 'DescribeLoadBalancers') || !read('elasticbeanstalk', 'DescribeConfigurationSettings'))
        await new Promise((res) => setTimeout(res, 20))
      await new Promise((res) => setTimeout(res, 300))
      await revokeHttpsWithAwsCli(groupId)
      r = await running
    } finally {
      bench.faults.clear()
    }
    assert.notEqual(r.code, 0, r.stdout + r.stderr)
    assert.equal(bench.calls.count({service: 'ec2', action: 'RevokeSecurityGroupIngress'}), 1)
    assert.equal(bench.calls.count({service: 'ec2', action: 'AuthorizeSecurityGroupIngress'}), 0, r.stderr)
    assert.deepEqual(await rules(groupId), ['tcp 80-80 0.0.0.0/0'])
  })

  it("ALB on a group of the user's own (--open-security-group): restore removes the two rules fix added", async () => {
    const own = (
      await ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: `restore-own-${process.pid}`,
          Description: 'my load balancer group',
        }),
      )
    ).GroupId!
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: own,
        IpPermissions: [{IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{CidrIp: '10.0.0.0/8'}]}],
      }),
    )
    const s = await createAlbScenario(bench, {
      certificates: [{kind: 'rsa2048', domain: 'own-restore.example.com'}],
      settings: () => [
        ['aws:elbv2:loadbalancer', 'SecurityGroups', own],
        ['aws:elbv2:loadbalancer', 'ManagedSecurityGroup', own],
      ],
    })
    const backup = join(dir, `${s.environmentName}.json`)
    const fixed = await runCli(
      [
        'listeners',
        'fix',
        '-e',
        s.environmentName,
        '--domain',
        'own-restore.example.com',
        '--open-security-group',
        '--backup-file',
        backup,
        '--json',
      ],
      {env},
    )
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr)
    assert.deepEqual(await rules(own), [
      'tcp 22-22 10.0.0.0/8',
      'tcp 443-443 0.0.0.0/0 "ebws: load balancer listener 443"',
      'tcp 80-80 0.0.0.0/0 "ebws: load balancer listener 80"',
    ])
    const recorded = (JSON.parse(readFileSync(backup, 'utf8')) as {securityGroups: {added: Rule[]}}).securityGroups
    assert.deepEqual(recorded.added.map((a) => [a.groupId, a.fromPort]).sort(), [
      [own, 443],
      [own, 80],
    ])

    // The second revoke fails: the first is authorized again, nothing else was written.
    bench.calls.clear()
    bench.faults.failNthMutating(2, 'InternalFailure', {service: 'ec2'})
    let failed
    try {
      failed = await restore(backup)
    } finally {
      bench.faults.clear()
    }
    assert.notEqual(failed.code, 0)
    assert.match(jsonError(failed).message, /Nothing was changed \(the 1 rule removed before it was put back\)/)
    assert.equal(bench.calls.count({service: 'elasticbeanstalk', mutating: true}), 0)
    assert.equal(bench.calls.count({service: 'elbv2', mutating: true}), 0)
    assert.equal((await rules(own)).length, 3, JSON.stringify(await rules(own)))

    // The revokes succeed, then UpdateEnvironment (putting the option settings back) fails: both are authorized again.
    bench.calls.clear()
    bench.faults.failNthMutating(1, 'InvalidParameterValue', {service: 'elasticbeanstalk'})
    let later
    try {
      later = await restore(backup)
    } finally {
      bench.faults.clear()
    }
    assert.notEqual(later.code, 0, later.stdout + later.stderr)
    assert.equal(bench.calls.count({service: 'ec2', action: 'RevokeSecurityGroupIngress'}), 2)
    assert.equal(bench.calls.count({service: 'ec2', action: 'AuthorizeSecurityGroupIngress'}), 2)
    assert.equal(bench.calls.count({service: 'elbv2', mutating: true}), 0)
    assert.deepEqual(await rules(own), [
      'tcp 22-22 10.0.0.0/8',
      'tcp 443-443 0.0.0.0/0 "ebws: load balancer listener 443"',
      'tcp 80-80 0.0.0.0/0 "ebws: load balancer listener 80"',
    ])

    bench.calls.clear()
    const dry = await restore(backup, '--dry-run')
    assert.equal(writes(), 0)
    assert.equal(json<Restored>(dry).securityGroupRulesToRemove.length, 2)
    const r = await restore(backup)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.deepEqual(await rules(own), ['tcp 22-22 10.0.0.0/8'], 'only the rule that was there before fix is left')
    bench.calls.clear()
    const again = await restore(backup)
    assert.equal(again.code, 0, again.stdout + again.stderr)
    assert.equal(writes(), 0, 'second restore: 0 writes')
  })
})
