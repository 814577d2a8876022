import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53'
import {DescribeLoadBalancersCommand} from '@aws-sdk/client-elastic-load-balancing'
import {
  DescribeLoadBalancersCommand as DescribeV2Command,
  SetIpAddressTypeCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2'

import type {FullBench} from '../../bench/scenario.ts'
import {createScenario, directElb, startCliBench} from '../../bench/scenario.ts'
import {json, jsonError, runCli} from '../../helpers/cli.ts'
import {createAlbScenario} from '../listeners/alb-helpers.ts'

interface LinkJson {
  status: string
  domain: string
  zone: {name: string}
  target: {kind: string; dnsName?: string; hostedZoneId?: string; value?: string; why?: string}
  records: Array<{type: string; action: string; old: string; new: string}>
  writes: number
}

const creds = {accessKeyId: 'testing', secretAccessKey: 'testing'}

describe('ebws dns link (against the local AWS bench: the EB fake, moto ELB + Route 53)', () => {
  let bench: FullBench
  let env: Record<string, string>
  let r53: Route53Client
  let n = 0
  before(async () => {
    ;({bench, env} = await startCliBench())
    r53 = new Route53Client({region: bench.region, endpoint: bench.direct.moto, credentials: creds})
  })
  after(async () => {
    r53?.destroy()
    await bench?.stop()
  })

  const zone = async () => {
    const apex = `link${++n}-${Date.now()}.test`
    const {HostedZone} = await r53.send(new CreateHostedZoneCommand({Name: apex, CallerReference: apex}))
    return {apex, zoneId: HostedZone!.Id!.replace('/hostedzone/', '')}
  }
  const recordsAt = async (zoneId: string, name: string) =>
    ((await r53.send(new ListResourceRecordSetsCommand({HostedZoneId: zoneId}))).ResourceRecordSets ?? [])
      .filter((r) => r.Name === `${name}.` && ['A', 'AAAA', 'CNAME'].includes(r.Type!))
      .map(
        (r) =>
          `${r.Type} ${r.AliasTarget ? `alias ${r.AliasTarget.DNSName?.toLowerCase()} ${r.AliasTarget.HostedZoneId}` : r.ResourceRecords?.map((v) => v.Value).join(',')}`,
      )
      .sort()
  const put = (zoneId: string, record: ResourceRecordSet) =>
    r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {Changes: [{Action: 'UPSERT', ResourceRecordSet: record}]},
      }),
    )
  const link = (envName: string, domain: string, ...args: string[]) =>
    runCli(['dns', 'link', '-e', envName, '--domain', domain, '--json', ...args], {env})
  const clbOf = async (name: string) =>
    (await directElb(bench).send(new DescribeLoadBalancersCommand({LoadBalancerNames: [name]})))
      .LoadBalancerDescriptions![0]!

  it('a CLB environment: an alias A record to the load balancer (its DNS name and canonical zone id); a second run changes nothing', async () => {
    const s = await createScenario(bench)
    const {apex, zoneId} = await zone()
    const lb = await clbOf(s.loadBalancerName)
    const r = await link(s.environmentName, `app.${apex}`)
    assert.equal(r.code, 0, r.stderr)
    const out = json<LinkJson>(r)
    assert.equal(out.status, 'linked')
    assert.equal(out.target.kind, 'alias')
    // DNS names compare without case (RFC 4343); the alias target is written lower case.
    assert.deepEqual(await recordsAt(zoneId, `app.${apex}`), [
      `A alias ${lb.DNSName!.toLowerCase()}. ${lb.CanonicalHostedZoneNameID}`,
    ])
    bench.calls.clear()
    const again = json<LinkJson>(await link(s.environmentName, `app.${apex}`))
    assert.equal(again.status, 'already-linked')
    assert.equal(bench.calls.count({mutating: true}), 0)
  })

  for (const type of ['application', 'network'] as const) {
    it(`an ${type === 'application' ? 'ALB' : 'NLB'} environment: alias A to the load balancer's DNS name and CanonicalHostedZoneId; no AAAA while it is IPv4-only`, async () => {
      const s = await createAlbScenario(bench, {type})
      const {apex, zoneId} = await zone()
      const lb = (await s.elbv2.send(new DescribeV2Command({LoadBalancerArns: [s.loadBalancerArn]}))).LoadBalancers![0]!
      assert.equal(lb.IpAddressType, 'ipv4')
      bench.calls.clear()
      const r = await link(s.environmentName, `app.${apex}`)
      assert.equal(r.code, 0, r.stdout + r.stderr)
      const out = json<LinkJson>(r)
      assert.equal(out.status, 'linked')
      assert.match(out.target.why ?? '', /no AAAA: its IpAddressType is ipv4/)
      // One atomic change batch.
      assert.equal(bench.calls.count({service: 'route53', action: 'ChangeResourceRecordSets'}), 1)
      assert.deepEqual(await recordsAt(zoneId, `app.${apex}`), [
        `A alias ${lb.DNSName!.toLowerCase()}. ${lb.CanonicalHostedZoneId}`,
      ])
      bench.calls.clear()
      assert.equal(json<LinkJson>(await link(s.environmentName, `app.${apex}`)).status, 'already-linked')
      assert.equal(bench.calls.count({mutating: true}), 0)
    })
  }

  it('a dualstack ALB: alias A and AAAA to dualstack.<its DNS name>, the plain A updated without --replace', async () => {
    const s = await createAlbScenario(bench)
    const {apex, zoneId} = await zone()
    const name = `www.${apex}`
    const first = await link(s.environmentName, name)
    assert.equal(first.code, 0, first.stdout + first.stderr)
    await s.elbv2.send(new SetIpAddressTypeCommand({LoadBalancerArn: s.loadBalancerArn, IpAddressType: 'dualstack'}))
    const lb = (await s.elbv2.send(new DescribeV2Command({LoadBalancerArns: [s.loadBalancerArn]}))).LoadBalancers![0]!
    bench.calls.clear()
    const r = await link(s.environmentName, name)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const out = json<LinkJson>(r)
    assert.match(out.target.why ?? '', /AAAA too: its IpAddressType is dualstack/)
    assert.deepEqual(out.records.map((x) => `${x.type} ${x.action}`).sort(), ['A update', 'AAAA create'])
    assert.equal(bench.calls.count({service: 'route53', action: 'ChangeResourceRecordSets'}), 1)
    const target = `alias dualstack.${lb.DNSName!.toLowerCase()}. ${lb.CanonicalHostedZoneId}`
    assert.deepEqual(await recordsAt(zoneId, name), [`A ${target}`, `AAAA ${target}`])
    // Back to IPv4 only: the AAAA goes (it is ours), the A follows the plain name.
    await s.elbv2.send(new SetIpAddressTypeCommand({LoadBalancerArn: s.loadBalancerArn, IpAddressType: 'ipv4'}))
    const back = json<LinkJson>(await link(s.environmentName, name))
    assert.deepEqual(back.records.map((x) => `${x.type} ${x.action}`).sort(), ['A update', 'AAAA delete'])
    assert.deepEqual(await recordsAt(zoneId, name), [
      `A alias ${lb.DNSName!.toLowerCase()}. ${lb.CanonicalHostedZoneId}`,
    ])
  })

  it('works at the zone apex (an alias can be there); --dry-run writes nothing', async () => {
    const s = await createScenario(bench)
    const {apex, zoneId} = await zone()
    bench.calls.clear()
    const dry = json<LinkJson>(await link(s.environmentName, apex, '--dry-run'))
    assert.equal(dry.status, 'dry-run')
    assert.equal(bench.calls.count({mutating: true}), 0)
    assert.deepEqual(await recordsAt(zoneId, apex), [])
    assert.equal(json<LinkJson>(await link(s.environmentName, apex)).status, 'linked')
    assert.equal((await recordsAt(zoneId, apex)).length, 1)
  })

  it('a record that points elsewhere: refused with its old value, zero writes; --replace takes it over', async () => {
    const s = await createScenario(bench)
    const {apex, zoneId} = await zone()
    const name = `www.${apex}`
    await put(zoneId, {Name: name, Type: 'CNAME', TTL: 300, ResourceRecords: [{Value: 'old-host.example.net'}]})
    bench.calls.clear()
    const refused = await link(s.environmentName, name)
    assert.equal(refused.code, 2)
    const err = jsonError(refused)
    assert.equal(err.code, 'UNSAFE_CHANGE')
    assert.match(err.message, /already points somewhere else:\n {2}CNAME old-host\.example\.net \(would be deleted\)/)
    assert.match(err.hint ?? '', /--replace/)
    assert.equal(bench.calls.count({mutating: true}), 0)
    assert.deepEqual(await recordsAt(zoneId, name), ['CNAME old-host.example.net'])

    const replaced = json<LinkJson>(await link(s.environmentName, name, '--replace'))
    assert.equal(replaced.status, 'linked')
    assert.deepEqual(replaced.records.map((x) => `${x.type} ${x.action} ${x.old}`).sort(), [
      'A create ',
      'CNAME delete old-host.example.net',
    ])
    const lb = await clbOf(s.loadBalancerName)
    assert.deepEqual(await recordsAt(zoneId, name), [
      `A alias ${lb.DNSName!.toLowerCase()}. ${lb.CanonicalHostedZoneNameID}`,
    ])
  })

  it('a single-instance environment: a CNAME to its CNAME, and a clear refusal at the apex', async () => {
    const s = await createScenario(bench, {environmentType: 'SingleInstance'})
    const {apex, zoneId} = await zone()
    const out = json<LinkJson>(await link(s.environmentName, `api.${apex}`))
    assert.equal(out.target.kind, 'cname')
    assert.deepEqual(await recordsAt(zoneId, `api.${apex}`), [`CNAME ${out.target.value}.`])
    const apexRun = await link(s.environmentName, apex)
    assert.equal(apexRun.code, 2)
    assert.match(jsonError(apexRun).message, /zone apex, which cannot hold a CNAME/)
  })

  it('a failure at the write leaves the zone as it was (one atomic change batch)', async () => {
    const s = await createScenario(bench)
    const {apex, zoneId} = await zone()
    const name = `www.${apex}`
    await put(zoneId, {Name: name, Type: 'CNAME', TTL: 300, ResourceRecords: [{Value: 'old-host.example.net'}]})
    bench.faults.failNthMutating(1, 'InternalFailure', {service: 'route53'})
    const r = await link(s.environmentName, name, '--replace')
    bench.faults.clear()
    assert.equal(r.code, 1, r.stdout)
    assert.deepEqual(await recordsAt(zoneId, name), ['CNAME old-host.example.net'])
  })

  describe('bad input: exit 2, nothing written', () => {
    it('no Route 53 zone holds the name: says what to create elsewhere', async () => {
      const s = await createScenario(bench)
      const r = await link(s.environmentName, 'app.not-in-route53.test')
      assert.equal(r.code, 2)
      const err = jsonError(r)
      assert.equal(err.code, 'ZONE_NOT_FOUND')
      assert.match(err.hint ?? '', /app\.not-in-route53\.test\. CNAME /)
    })
    it('an unknown environment', async () => {
      const r = await link('no-such-env', 'app.example.test')
      assert.equal(r.code, 2)
      assert.equal(jsonError(r).code, 'ENV_NOT_FOUND')
    })
    it('a wildcard or a malformed name, before any call', async () => {
      bench.calls.clear()
      for (const d of ['*.example.test', 'bad_name..test']) {
        const r = await link('any-env', d)
        assert.equal(r.code, 2, d)
        assert.equal(jsonError(r).code, 'BAD_FLAG')
      }
      assert.equal(bench.calls.count(), 0)
    })
  })
})
