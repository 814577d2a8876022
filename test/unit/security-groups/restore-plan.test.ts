// `listeners restore`'s security-group planner (pure): only the rules ebws added, still there exactly as it added
// them, are removed; and the snapshot's record is checked before anything is read or written.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {AuthorizedRule, SecurityGroup} from '../../../src/ec2/security-groups.ts'
import {authorizedRule, ingressCliCommand} from '../../../src/ec2/security-groups.ts'
import {planRevokes} from '../../../src/security-groups/model.ts'
import {securityGroupsRecordOf} from '../../../src/security-groups/restore.ts'

const ours = (port: number, groupId = 'sg-0abc'): AuthorizedRule => authorizedRule({groupId, port, cidr: '0.0.0.0/0'})
const group = (id: string, ingress: SecurityGroup['ingress']): SecurityGroup => ({id, name: id, tags: {}, ingress})
const tcp = (port: number, cidr: string, description?: string, to = port) => ({
  protocol: 'tcp',
  fromPort: port,
  toPort: to,
  cidrs: [cidr],
  cidrDescriptions: description ? {[cidr]: description} : {},
  ipv6Cidrs: [],
  sourceGroups: [],
})

describe('restore: which security-group rules to remove', () => {
  it('records what fix authorizes: TCP, one port, the CIDR and the description ebws sets', () => {
    assert.deepEqual(ours(443), {
      groupId: 'sg-0abc',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      cidrIp: '0.0.0.0/0',
      description: 'ebws: load balancer listener 443',
    })
  })

  it('removes a rule that is there as ebws added it, and nothing someone else added beside it', () => {
    const g = group('sg-0abc', [
      tcp(80, '0.0.0.0/0'),
      tcp(443, '0.0.0.0/0', 'ebws: load balancer listener 443'),
      tcp(443, '10.0.0.0/8', 'office'),
      tcp(8443, '0.0.0.0/0'),
      tcp(443, '0.0.0.0/0', undefined, 444),
    ])
    assert.deepEqual(planRevokes([ours(443)], [g]), {remove: [ours(443)], gone: [], changed: []})
  })

  it('a rule gone (revoked since, or its group deleted) plans nothing: a second restore makes no write', () => {
    const plan = planRevokes([ours(443), ours(80, 'sg-0def')], [group('sg-0abc', [tcp(80, '0.0.0.0/0')])])
    assert.deepEqual(plan, {remove: [], gone: [ours(443), ours(80, 'sg-0def')], changed: []})
  })

  it("the same port and CIDR with another description is someone else's rule: kept, and said", () => {
    const plan = planRevokes([ours(443)], [group('sg-0abc', [tcp(443, '0.0.0.0/0', 'web (ops)')])])
    assert.deepEqual(plan, {remove: [], gone: [], changed: [ours(443)]})
    assert.deepEqual(planRevokes([ours(443)], [group('sg-0abc', [tcp(443, '0.0.0.0/0')])]).changed, [ours(443)])
  })

  it('a rule recorded twice is revoked once', () => {
    const g = group('sg-0abc', [tcp(443, '0.0.0.0/0', 'ebws: load balancer listener 443')])
    assert.deepEqual(planRevokes([ours(443), ours(443)], [g]).remove, [ours(443)])
  })

  it('the commands: revoke by protocol, port and CIDR; authorize again with the description', () => {
    assert.equal(
      ingressCliCommand('revoke', ours(443), 'eu-west-1'),
      'aws ec2 revoke-security-group-ingress --region eu-west-1 --group-id sg-0abc --protocol tcp --port 443 --cidr 0.0.0.0/0',
    )
    assert.equal(
      ingressCliCommand('authorize', ours(443), 'eu-west-1'),
      `aws ec2 authorize-security-group-ingress --region eu-west-1 --group-id sg-0abc --ip-permissions 'IpProtocol=tcp,FromPort=443,ToPort=443,IpRanges=[{CidrIp=0.0.0.0/0,Description="ebws: load balancer listener 443"}]'`,
    )
  })
})

describe("restore: the snapshot's security-group record", () => {
  it('absent (an older ebws, or proxy-protocol) is undefined; present is returned as it is', () => {
    assert.equal(securityGroupsRecordOf({}, 'f.json'), undefined)
    assert.deepEqual(securityGroupsRecordOf({securityGroups: {added: [ours(443)]}}, 'f.json'), {added: [ours(443)]})
    assert.deepEqual(securityGroupsRecordOf({securityGroups: {added: []}}, 'f.json'), {added: []})
  })

  it('malformed is SNAPSHOT_INVALID (exit 2), naming the file', () => {
    for (const bad of [
      null,
      {},
      {added: 'x'},
      {added: [{...ours(443), ipProtocol: '-1'}]},
      {added: [{...ours(443), fromPort: 444}]},
      {added: [{...ours(443), groupId: 'default'}]},
      {added: [{...ours(443), cidrIp: 'anywhere'}]},
      {added: [{...ours(443), description: undefined}]},
    ]) {
      assert.throws(
        () => securityGroupsRecordOf({securityGroups: bad}, 'f.json'),
        (e: {code?: string; exitCode?: number; message: string}) =>
          e.code === 'SNAPSHOT_INVALID' && e.exitCode === 2 && e.message.startsWith('f.json:'),
        JSON.stringify(bad),
      )
    }
  })
})
