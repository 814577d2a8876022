// `listeners show` lists the Route 53 records that point at the environment, for every load balancer type, read
// beside the load balancer so the dependent round trips do not grow (issue 17 §2).
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  Route53Client,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53'

import type {FullBench} from '../../bench/scenario.ts'
import {createScenario, startCliBench} from '../../bench/scenario.ts'
import {json, runCli} from '../../helpers/cli.ts'
import {createAlbScenario} from '../listeners/alb-helpers.ts'

interface ShowJson {
  environment: {cname?: string; endpointUrl?: string}
  dnsRecords: {
    records: Array<{zone: string; name: string; type: string; target: string}>
    zonesSearched: number
    publicZones: number
    truncated: boolean
    error?: string
  }
}

const creds = {accessKeyId: 'testing', secretAccessKey: 'testing'}

describe('listeners show: the Route 53 records that point at the environment', () => {
  let bench: FullBench
  let env: Record<string, string>
  let r53: Route53Client
  let apex: string
  let zoneId: string
  before(async () => {
    ;({bench, env} = await startCliBench())
    r53 = new Route53Client({region: bench.region, endpoint: bench.direct.moto, credentials: creds})
  })
  after(async () => {
    r53?.destroy()
    await bench?.stop()
  })

  const put = (record: ResourceRecordSet) =>
    r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {Changes: [{Action: 'UPSERT', ResourceRecordSet: record}]},
      }),
    )
  const show = (name: string) => runCli(['listeners', 'show', '-e', name, '--json'], {env})
  const showText = (name: string) => runCli(['listeners', 'show', '-e', name], {env})

  it('no zone in the account: says so, and costs one ListHostedZones call', async () => {
    const s = await createScenario(bench)
    bench.calls.clear()
    const r = await show(s.environmentName)
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(json<ShowJson>(r).dnsRecords, {records: [], zonesSearched: 0, publicZones: 0, truncated: false})
    assert.deepEqual(bench.calls.actions({service: 'route53'}), ['ListHostedZones'])
    assert.match((await showText(s.environmentName)).stdout, /DNS: no Route 53 record points at this environment/)
  })

  it('a CLB and an ALB environment: alias records (with or without dualstack.) and CNAMEs to the env or LB name, not others', async () => {
    apex = `show-${Date.now()}.test`
    const z = await r53.send(new CreateHostedZoneCommand({Name: apex, CallerReference: apex}))
    zoneId = z.HostedZone!.Id!.replace('/hostedzone/', '')
    // A private zone is never searched: it answers no browser.
    await r53.send(
      new CreateHostedZoneCommand({
        Name: `private.${apex}`,
        CallerReference: `p-${apex}`,
        VPC: {VPCRegion: 'us-east-1', VPCId: 'vpc-12345678'},
        HostedZoneConfig: {PrivateZone: true},
      }),
    )
    const clb = await createScenario(bench)
    const alb = await createAlbScenario(bench)
    for (const [name, e] of [
      [`clb.${apex}`, clb.environmentName],
      [`alb.${apex}`, alb.environmentName],
    ] as const) {
      const r = await runCli(['dns', 'link', '-e', e, '--domain', name, '--json'], {env})
      assert.equal(r.code, 0, r.stdout + r.stderr)
    }
    const albJson = json<ShowJson>(await show(alb.environmentName))
    const clbJson = json<ShowJson>(await show(clb.environmentName))
    // Written by hand: a CNAME to the ALB environment's CNAME, an alias with the dualstack. prefix, one elsewhere.
    await put({Name: `www.${apex}`, Type: 'CNAME', TTL: 60, ResourceRecords: [{Value: albJson.environment.cname!}]})
    await put({
      Name: `v6.${apex}`,
      Type: 'AAAA',
      AliasTarget: {
        DNSName: `dualstack.${albJson.environment.endpointUrl}`,
        HostedZoneId: 'Z35SXDOTRQ7X7K',
        EvaluateTargetHealth: false,
      },
    })
    await put({Name: `other.${apex}`, Type: 'CNAME', TTL: 60, ResourceRecords: [{Value: 'elsewhere.example.net'}]})

    bench.calls.clear()
    const r = await show(alb.environmentName)
    assert.equal(r.code, 0, r.stderr)
    const d = json<ShowJson>(r).dnsRecords
    assert.deepEqual(d.records.map((x) => `${x.name} ${x.type}`).sort(), [
      `alb.${apex} A`,
      `v6.${apex} AAAA`,
      `www.${apex} CNAME`,
    ])
    assert.ok(d.records.every((x) => x.zone === apex))
    assert.equal(d.publicZones, d.zonesSearched)
    assert.equal(d.truncated, false)
    // One ListHostedZones, one ListResourceRecordSets per public zone; nothing else from Route 53.
    assert.equal(bench.calls.count({service: 'route53', action: 'ListHostedZones'}), 1)
    assert.equal(bench.calls.count({service: 'route53', action: 'ListResourceRecordSets'}), d.publicZones)
    assert.equal(bench.calls.count({service: 'route53'}), 1 + d.publicZones)

    const c = json<ShowJson>(await show(clb.environmentName)).dnsRecords
    assert.deepEqual(
      c.records.map((x) => `${x.name} ${x.type}`),
      [`clb.${apex} A`],
    )
    assert.equal(clbJson.dnsRecords.records.length, 1)
    const text = (await showText(alb.environmentName)).stdout
    assert.match(
      text,
      /DNS: 3 Route 53 record\(s\) point at this environment \(\d+ public Route 53 zone\(s\) searched\)/,
    )
    assert.match(text, new RegExp(`www\\.${apex.replace(/\./g, '\\.')}\\s+CNAME`))
  })

  it('the dependent round trips do not grow: Route 53 rides along round trips 1 and 2', async () => {
    const name = `rt-${Date.now()}.test`
    await r53.send(new CreateHostedZoneCommand({Name: name, CallerReference: name}))
    const clb = await createScenario(bench)
    const alb = await createAlbScenario(bench)
    bench.faults.latency(60)
    try {
      for (const [s, most] of [
        [clb.environmentName, 2],
        [alb.environmentName, 3],
      ] as const) {
        bench.calls.clear()
        assert.equal((await show(s)).code, 0)
        const all = bench.calls.criticalPath()
        assert.ok(bench.calls.count({service: 'route53', action: 'ListResourceRecordSets'}) >= 1)
        assert.ok(all <= most, `${s}: ${all} dependent round trips (at most ${most})`)
        // Route 53's own chain is 2: ListHostedZones, then the zones' records at once.
        assert.equal(bench.calls.criticalPath({service: 'route53'}), 2)
      }
    } finally {
      bench.faults.clear()
    }
  })

  it('Route 53 refused (no permission): show still answers, and says why the DNS part is missing', async () => {
    const s = await createScenario(bench)
    bench.faults.error(1, 'AccessDenied', {service: 'route53', action: 'ListHostedZones'}, 403)
    try {
      const r = await show(s.environmentName)
      assert.equal(r.code, 0, r.stdout + r.stderr)
      const d = json<ShowJson>(r).dnsRecords
      assert.deepEqual(d.records, [])
      assert.match(d.error ?? '', /ListHostedZones/)
    } finally {
      bench.faults.clear()
    }
  })
  it('many zones: at most 20 public zones are searched, all at once, and the output says more exist', async () => {
    for (let i = 0; i < 21; i++) {
      const name = `many${i}-${Date.now()}.test`
      await r53.send(new CreateHostedZoneCommand({Name: name, CallerReference: name}))
    }
    const s = await createScenario(bench)
    bench.calls.clear()
    const r = await show(s.environmentName)
    assert.equal(r.code, 0, r.stderr)
    const d = json<ShowJson>(r).dnsRecords
    assert.equal(d.zonesSearched, 20)
    assert.ok(d.publicZones > 20)
    assert.equal(d.truncated, true)
    assert.equal(bench.calls.count({service: 'route53', action: 'ListResourceRecordSets'}), 20)
    assert.match(
      (await showText(s.environmentName)).stdout,
      /20 public Route 53 zone\(s\) searched, more exist \(ebws reads at most 20 zones/,
    )
  })
})
