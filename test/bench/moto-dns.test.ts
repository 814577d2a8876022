// Patches 16 and 17 of moto_launcher.py (each fails without its patch). 16: a DNS-validated ACM certificate stays PENDING_VALIDATION until its validation CNAME
// records are in a public Route 53 hosted zone, and each (account, name) has its own record. Shown against moto as
// shipped (--no-patch: issued on a timer, one record for every name) and the patched launcher.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'

import {ACMClient, DescribeCertificateCommand, RequestCertificateCommand} from '@aws-sdk/client-acm'
import {
  CreateLoadBalancerCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingClient,
} from '@aws-sdk/client-elastic-load-balancing'
import {ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, Route53Client} from '@aws-sdk/client-route-53'

import {startMoto, type Moto} from './moto.ts'

const creds = {accessKeyId: 'testing', secretAccessKey: 'testing'}
const region = 'us-east-1'

let patched: Moto
let shipped: Moto
before(async () => {
  // Shipped moto issues after MOTO_ACM_VALIDATION_WAIT seconds: 0 makes the gap show at once.
  ;[patched, shipped] = await Promise.all([
    startMoto({patched: true, env: {MOTO_ACM_VALIDATION_WAIT: '0'}}),
    startMoto({patched: false, env: {MOTO_ACM_VALIDATION_WAIT: '0'}}),
  ])
})
after(() => Promise.all([patched?.stop(), shipped?.stop()]))

const clients = (m: Moto) => ({
  acm: new ACMClient({region, endpoint: m.url, credentials: creds, maxAttempts: 1}),
  r53: new Route53Client({region, endpoint: m.url, credentials: creds, maxAttempts: 1}),
})

async function request(acm: ACMClient, domain: string, sans: string[] = []) {
  const {CertificateArn} = await acm.send(
    new RequestCertificateCommand({
      DomainName: domain,
      SubjectAlternativeNames: sans.length ? [domain, ...sans] : undefined,
      ValidationMethod: 'DNS',
    }),
  )
  return CertificateArn!
}

async function describeCert(acm: ACMClient, arn: string) {
  await new Promise((r) => setTimeout(r, 1100)) // past moto's whole-second wait check
  return (await acm.send(new DescribeCertificateCommand({CertificateArn: arn}))).Certificate!
}

describe('patch 16: ACM DNS validation follows Route 53', () => {
  test('shipped moto issues without any DNS record and gives every name the same record', async () => {
    const {acm} = clients(shipped)
    const a = await describeCert(acm, await request(acm, 'one.example.com'))
    const b = await describeCert(acm, await request(acm, 'two.example.net'))
    assert.equal(a.Status, 'ISSUED')
    assert.equal(
      a.DomainValidationOptions![0]!.ResourceRecord!.Value,
      b.DomainValidationOptions![0]!.ResourceRecord!.Value,
    )
  })

  test('patched: pending until every validation record is in a public zone, then issued', async () => {
    const {acm, r53} = clients(patched)
    const arn = await request(acm, 'shop.example.org', ['*.shop.example.org', 'www.example.org'])
    const pending = await describeCert(acm, arn)
    assert.equal(pending.Status, 'PENDING_VALIDATION')
    const records = pending.DomainValidationOptions!.map((o) => o.ResourceRecord!)
    assert.equal(records.length, 3)
    assert.equal(new Set(records.map((r) => r.Name)).size, 2, "the wildcard shares its base name's record")
    assert.ok(records.every((r) => r.Name!.endsWith('.example.org.') && r.Value!.endsWith('.acm-validations.aws.')))
    for (const o of pending.DomainValidationOptions!) assert.equal(o.ValidationStatus, 'PENDING_VALIDATION')

    const {HostedZone} = await r53.send(
      new CreateHostedZoneCommand({Name: 'example.org', CallerReference: `t-${Date.now()}`}),
    )
    const [first, ...rest] = [...new Map(records.map((r) => [r.Name, r])).values()]
    const upsert = (r: {Name?: string; Value?: string}) =>
      r53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: HostedZone!.Id,
          ChangeBatch: {
            Changes: [
              {
                Action: 'UPSERT',
                ResourceRecordSet: {Name: r.Name, Type: 'CNAME', TTL: 300, ResourceRecords: [{Value: r.Value}]},
              },
            ],
          },
        }),
      )
    await upsert(first!)
    assert.equal((await describeCert(acm, arn)).Status, 'PENDING_VALIDATION', 'one record of two is not enough')
    for (const r of rest) await upsert({Name: r.Name, Value: 'wrong.acm-validations.aws.'})
    assert.equal((await describeCert(acm, arn)).Status, 'PENDING_VALIDATION', 'a wrong value does not validate')
    for (const r of rest) await upsert(r)
    const issued = await describeCert(acm, arn)
    assert.equal(issued.Status, 'ISSUED')
    for (const o of issued.DomainValidationOptions!) assert.equal(o.ValidationStatus, 'SUCCESS')
  })

  test('patched: the record is per name and account, so a second certificate for the name reuses it', async () => {
    const {acm} = clients(patched)
    const a = await describeCert(acm, await request(acm, 'api.example.io'))
    const b = await describeCert(acm, await request(acm, 'api.example.io'))
    const c = await describeCert(acm, await request(acm, 'other.example.io'))
    assert.deepEqual(a.DomainValidationOptions![0]!.ResourceRecord, b.DomainValidationOptions![0]!.ResourceRecord)
    assert.notEqual(
      a.DomainValidationOptions![0]!.ResourceRecord!.Value,
      c.DomainValidationOptions![0]!.ResourceRecord!.Value,
    )
  })
})

describe('patch 17: a Classic Load Balancer has its CanonicalHostedZoneNameID', () => {
  const zoneIdOf = async (m: Moto) => {
    const elb = new ElasticLoadBalancingClient({region, endpoint: m.url, credentials: creds, maxAttempts: 1})
    const name = `zone-${Date.now()}`
    await elb.send(
      new CreateLoadBalancerCommand({
        LoadBalancerName: name,
        Listeners: [{Protocol: 'HTTP', LoadBalancerPort: 80, InstancePort: 80}],
        AvailabilityZones: ['us-east-1a'],
      }),
    )
    const lb = (await elb.send(new DescribeLoadBalancersCommand({LoadBalancerNames: [name]})))
      .LoadBalancerDescriptions![0]!
    elb.destroy()
    return lb.CanonicalHostedZoneNameID
  }
  test("shipped moto leaves it out; patched gives the region's ELB zone (us-east-1: Z35SXDOTRQ7X7K)", async () => {
    assert.equal(await zoneIdOf(shipped), undefined)
    assert.equal(await zoneIdOf(patched), 'Z35SXDOTRQ7X7K')
  })
})
