import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {SecurityGroup} from '../../../src/ec2/security-groups.ts'
import type {Exposure} from '../../../src/security-groups/model.ts'
import {isOpen, judgeExposure, planIngress} from '../../../src/security-groups/model.ts'

const ENV = 'e-abc123'
const tcp = (from: number, to = from, cidr = '0.0.0.0/0') => ({
  protocol: 'tcp',
  fromPort: from,
  toPort: to,
  cidrs: [cidr],
  ipv6Cidrs: [],
  sourceGroups: [],
})
const managed = (ingress: SecurityGroup['ingress']): SecurityGroup => ({
  id: 'sg-managed',
  name: 'awseb-e-abc123-stack-AWSEBLoadBalancerSecurityGroup-X',
  tags: {'elasticbeanstalk:environment-id': ENV, 'aws:cloudformation:logical-id': 'AWSEBLoadBalancerSecurityGroup'},
  ingress,
})
const own = (ingress: SecurityGroup['ingress']): SecurityGroup => ({id: 'sg-own', name: 'mine', tags: {}, ingress})
const exposure = (groups: SecurityGroup[], listenerPorts = [80, 443], extra: Partial<Exposure> = {}): Exposure => ({
  environmentId: ENV,
  loadBalancerType: 'application',
  scheme: 'internet-facing',
  listenerPorts,
  groups,
  ...extra,
})

describe('security groups: the judge', () => {
  it('names the closed listener port, the groups, and what a browser sees', () => {
    const r = judgeExposure(exposure([managed([tcp(80)])]))
    assert.deepEqual(r.closedPorts, [443])
    assert.equal(r.findings.length, 1)
    assert.equal(r.findings[0]!.severity, 'error')
    assert.match(r.findings[0]!.message, /^443 is not allowed by sg-managed — browsers will time out/)
    assert.deepEqual(r.groups, [
      {id: 'sg-managed', name: managed([]).name, managedByBeanstalk: true, openToInternet: ['80']},
    ])
  })

  it('counts ranges, all-traffic rules and any of several groups; not a rule from a narrower CIDR', () => {
    assert.ok(isOpen([own([tcp(400, 500)])], 443))
    assert.ok(isOpen([own([{protocol: '-1', cidrs: ['0.0.0.0/0'], ipv6Cidrs: [], sourceGroups: []}])], 443))
    assert.ok(isOpen([managed([tcp(80)]), own([tcp(443)])], 443))
    assert.ok(!isOpen([own([tcp(443, 443, '10.0.0.0/8')])], 443))
    assert.ok(
      !isOpen(
        [own([{protocol: 'udp', fromPort: 443, toPort: 443, cidrs: ['0.0.0.0/0'], ipv6Cidrs: [], sourceGroups: []}])],
        443,
      ),
    )
  })

  it('an NLB without a group, an EC2-Classic CLB, and an internal load balancer are not judged on ports', () => {
    const nlb = judgeExposure(exposure([], [80], {loadBalancerType: 'network'}))
    assert.deepEqual([nlb.closedPorts, nlb.findings.map((f) => [f.code, f.severity])], [[], [['SG_NONE', 'info']]])
    assert.match(nlb.findings[0]!.message, /instances' security group/)
    const classic = judgeExposure(exposure([], [80], {loadBalancerType: 'classic'}))
    assert.match(classic.findings[0]!.message, /EC2-Classic/)
    const internal = judgeExposure(exposure([managed([])], [80], {scheme: 'internal'}))
    assert.deepEqual([internal.closedPorts, internal.findings[0]!.code], [[], 'SG_INTERNAL'])
  })
})

describe('security groups: the planner', () => {
  it('a new listener port on the managed group, with option settings written: left to Beanstalk', () => {
    const p = planIngress(exposure([managed([tcp(80)])], [80]), [80, 443], {writesSettings: true, openUnmanaged: false})
    assert.deepEqual(p.steps, [
      {groupId: 'sg-managed', port: 443, cidr: '0.0.0.0/0', when: 'beanstalk', managedByBeanstalk: true},
    ])
    assert.deepEqual(p.refused, [])
  })

  it('a live-only change, or a port that is already a listener: ebws adds the rule before the listeners change', () => {
    const live = planIngress(exposure([managed([tcp(80)])], [80]), [80, 443], {
      writesSettings: false,
      openUnmanaged: false,
    })
    assert.deepEqual(
      live.steps.map((s) => [s.port, s.when]),
      [[443, 'before']],
    )
    const lost = planIngress(exposure([managed([tcp(80)])], [80, 443]), [80, 443], {
      writesSettings: true,
      openUnmanaged: false,
    })
    assert.deepEqual(
      lost.steps.map((s) => [s.port, s.when]),
      [[443, 'before']],
    )
  })

  it('a group Beanstalk does not manage: refused without the flag, planned on it with the flag', () => {
    const e = exposure([own([])], [80])
    const refused = planIngress(e, [80, 443], {writesSettings: true, openUnmanaged: false})
    assert.deepEqual(refused.steps, [])
    assert.deepEqual(refused.refused, [
      {port: 80, groupId: 'sg-own'},
      {port: 443, groupId: 'sg-own'},
    ])
    const allowed = planIngress(e, [80, 443], {writesSettings: true, openUnmanaged: true})
    assert.deepEqual(
      allowed.steps.map((s) => [s.groupId, s.port, s.when, s.managedByBeanstalk]),
      [
        ['sg-own', 80, 'before', false],
        ['sg-own', 443, 'before', false],
      ],
    )
  })

  it('idempotent: nothing to do when every port is open; nothing on an NLB without a group', () => {
    assert.deepEqual(
      planIngress(exposure([managed([tcp(80), tcp(443)])]), [80, 443], {writesSettings: true, openUnmanaged: false})
        .steps,
      [],
    )
    const nlb = planIngress(exposure([], [80], {loadBalancerType: 'network'}), [80, 443], {
      writesSettings: true,
      openUnmanaged: false,
    })
    assert.deepEqual([nlb.steps, nlb.refused], [[], []])
  })
})
