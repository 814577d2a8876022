import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {zoneFor} from '../../../src/dns/names.ts'
import {planLink} from '../../../src/dns/plan.ts'

const alias = {
  kind: 'alias' as const,
  dnsName: 'My-LB-1.us-east-1.elb.amazonaws.com',
  hostedZoneId: 'Z35SXDOTRQ7X7K',
  ipv4: true,
  ipv6: false,
  why: '',
}
const aliasRecord = {
  name: 'app.example.com',
  type: 'A',
  values: [],
  alias: {dnsName: 'my-lb-1.us-east-1.elb.amazonaws.com', hostedZoneId: 'Z35SXDOTRQ7X7K', evaluateTargetHealth: true},
}

describe('zoneFor', () => {
  it('takes the longest public suffix, never a private zone or a mere string suffix', () => {
    const zones = [
      {id: 'A', name: 'example.com', privateZone: false},
      {id: 'B', name: 'app.example.com', privateZone: false},
      {id: 'P', name: 'api.example.com', privateZone: true},
      {id: 'X', name: 'ample.com', privateZone: false},
    ]
    assert.equal(zoneFor('www.app.example.com', zones)?.id, 'B')
    assert.equal(zoneFor('api.example.com', zones)?.id, 'A')
    assert.equal(zoneFor('Example.COM.', zones)?.id, 'A')
    assert.equal(zoneFor('example.org', zones), undefined)
  })
})

describe('planLink', () => {
  it('nothing there: create the alias A', () => {
    const p = planLink('app.example.com', alias, [])
    assert.deepEqual(
      p.changes.map((c) => `${c.action} ${c.record.type}`),
      ['CREATE A'],
    )
    assert.deepEqual(p.conflicts, [])
  })
  it('already right (names compare without case): no change', () => {
    assert.deepEqual(planLink('app.example.com', alias, [aliasRecord]).changes, [])
  })
  it('an A elsewhere is a conflict, replaced by UPSERT; a CNAME there is deleted first', () => {
    const other = {name: 'app.example.com', type: 'A', ttl: 60, values: ['192.0.2.10']}
    const cname = {name: 'app.example.com', type: 'CNAME', ttl: 60, values: ['old.example.net']}
    assert.deepEqual(
      planLink('app.example.com', alias, [other]).conflicts.map((c) => `${c.type} ${c.action} ${c.old}`),
      ['A update 192.0.2.10'],
    )
    const p = planLink('app.example.com', alias, [cname])
    assert.deepEqual(
      p.changes.map((c) => `${c.action} ${c.record.type}`),
      ['DELETE CNAME', 'CREATE A'],
    )
  })
  it('a CNAME target replaces A/AAAA at the name, leaves other types to the caller', () => {
    const p = planLink('www.example.com', {kind: 'cname', value: 'env.us-east-1.elasticbeanstalk.com', why: ''}, [
      {name: 'www.example.com', type: 'A', ttl: 60, values: ['192.0.2.1']},
      {name: 'www.example.com', type: 'TXT', ttl: 60, values: ['"v=spf1"']},
    ])
    assert.deepEqual(
      p.changes.map((c) => `${c.action} ${c.record.type} ${c.record.values.join()}`),
      ['DELETE A 192.0.2.1', 'CREATE CNAME env.us-east-1.elasticbeanstalk.com.'],
    )
  })
  it('an IPv6-capable target also gets AAAA; an IPv4-only one deletes a stale AAAA', () => {
    assert.deepEqual(
      planLink('app.example.com', {...alias, ipv6: true}, []).changes.map((c) => c.record.type),
      ['A', 'AAAA'],
    )
    const stale = {name: 'app.example.com', type: 'AAAA', values: [], alias: aliasRecord.alias}
    assert.deepEqual(
      planLink('app.example.com', alias, [aliasRecord, stale]).changes.map((c) => `${c.action} ${c.record.type}`),
      ['DELETE AAAA'],
    )
  })
  it('a record that already points at this environment (its LB without dualstack., its CNAME) is ours: no conflict', () => {
    const dual = {...alias, dnsName: 'dualstack.my-lb-1.us-east-1.elb.amazonaws.com', ipv6: true}
    // The LB became dualstack: the plain alias A is updated, the AAAA created, neither needs --replace.
    const p = planLink('app.example.com', dual, [aliasRecord])
    assert.deepEqual(
      p.changes.map((c) => `${c.action} ${c.record.type}`),
      ['UPSERT A', 'CREATE AAAA'],
    )
    assert.deepEqual(p.conflicts, [])
    // A CNAME to the environment's own CNAME, replaced by the alias: ours too.
    const envCname = {
      name: 'app.example.com',
      type: 'CNAME',
      ttl: 60,
      values: ['my-env.eba-x.us-east-1.elasticbeanstalk.com.'],
    }
    assert.deepEqual(
      planLink('app.example.com', alias, [envCname], ['my-env.eba-x.us-east-1.elasticbeanstalk.com']).conflicts,
      [],
    )
    assert.equal(planLink('app.example.com', alias, [envCname]).conflicts.length, 1)
  })
  it('an IPv6-only (dualstack-without-public-ipv4) target: AAAA only, and a stale A goes', () => {
    const v6 = {...alias, dnsName: 'dualstack.my-lb-1.us-east-1.elb.amazonaws.com', ipv4: false, ipv6: true}
    assert.deepEqual(
      planLink('app.example.com', v6, [aliasRecord]).changes.map((c) => `${c.action} ${c.record.type}`),
      ['DELETE A', 'CREATE AAAA'],
    )
  })
})
