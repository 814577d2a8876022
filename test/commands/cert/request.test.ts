import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {ACMClient, ListCertificatesCommand} from '@aws-sdk/client-acm'
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53'

import type {FullBench} from '../../bench/scenario.ts'
import {startCliBench} from '../../bench/scenario.ts'
import {envelope, json, jsonError, runCli} from '../../helpers/cli.ts'

interface CertJson {
  status: string
  certificateArn: string | null
  reused: boolean
  names: string[]
  writes: number
  records: Array<{name: string; value: string | null; action: string; domains: string[]; zone: {name: string} | null}>
}

const creds = {accessKeyId: 'testing', secretAccessKey: 'testing'}

describe('ebws cert request (against the local AWS bench: moto ACM + Route 53, DNS validation patched to follow Route 53)', () => {
  let bench: FullBench
  let env: Record<string, string>
  let acm: ACMClient
  let r53: Route53Client
  let n = 0
  before(async () => {
    ;({bench, env} = await startCliBench())
    acm = new ACMClient({region: bench.region, endpoint: bench.direct.moto, credentials: creds})
    r53 = new Route53Client({region: bench.region, endpoint: bench.direct.moto, credentials: creds})
  })
  after(async () => {
    acm?.destroy()
    r53?.destroy()
    await bench?.stop()
  })

  /** A fresh apex with its own public hosted zone, so tests never share names. */
  const zone = async () => {
    const apex = `site${++n}-${Date.now()}.test`
    const {HostedZone} = await r53.send(new CreateHostedZoneCommand({Name: apex, CallerReference: apex}))
    return {apex, zoneId: HostedZone!.Id!.replace('/hostedzone/', '')}
  }
  const cert = (...args: string[]) => runCli(['cert', 'request', '--json', '--timeout', '20s', ...args], {env})
  const certArns = async () =>
    ((await acm.send(new ListCertificatesCommand({}))).CertificateSummaryList ?? [])
      .map((c) => c.CertificateArn!)
      .sort()
  const cnames = async (zoneId: string) =>
    ((await r53.send(new ListResourceRecordSetsCommand({HostedZoneId: zoneId}))).ResourceRecordSets ?? [])
      .filter((r) => r.Type === 'CNAME')
      .map((r) => `${r.Name} ${r.ResourceRecords?.[0]?.Value}`)
      .sort()
  const writes = () => bench.calls.count({mutating: true})

  it('a zone in Route 53: requests, writes the validation records, waits for ISSUED; a second run reuses it with zero writes', async () => {
    const {apex, zoneId} = await zone()
    bench.calls.clear()
    const r = await cert('--domain', apex, '--san', `www.${apex}`, '--san', `*.${apex}`)
    assert.equal(r.code, 0, r.stderr)
    const out = json<CertJson>(r)
    assert.equal(out.status, 'issued')
    assert.equal(out.reused, false)
    assert.deepEqual(out.names, [apex, `www.${apex}`, `*.${apex}`])
    assert.equal(out.records.length, 2, 'the wildcard shares the apex record')
    assert.ok(out.records.every((x) => x.action === 'created' && x.zone?.name === apex))
    assert.deepEqual(
      bench.calls.actions({mutating: true}),
      ['RequestCertificate', 'ChangeResourceRecordSets'],
      'one request, one change batch',
    )
    assert.deepEqual(
      await cnames(zoneId),
      out.records.map((x) => `${x.name}. ${x.value}.`).sort(),
      'read back from Route 53 (values with the trailing dot ACM gives)',
    )
    assert.match(r.stderr, /Waiting for ACM to validate/)

    bench.calls.clear()
    const again = json<CertJson>(await cert('--domain', apex, '--san', `*.${apex}`, '--san', `www.${apex}`))
    assert.equal(again.certificateArn, out.certificateArn)
    assert.equal(again.reused, true)
    assert.equal(again.writes, 0)
    assert.equal(writes(), 0)
  })

  it('a zone elsewhere: prints the records to create there, exit 6 CERT_PENDING; the next run picks the certificate up', async () => {
    const apex = `elsewhere${++n}-${Date.now()}.test`
    const r = await cert('--domain', `app.${apex}`)
    assert.equal(r.code, 6, r.stderr)
    const doc = envelope<CertJson>(r)
    assert.equal(doc.error?.code, 'CERT_PENDING')
    const pending = doc.result!
    assert.equal(pending.status, 'pending-validation')
    const [record] = pending.records
    assert.equal(record?.action, 'manual')
    assert.match(
      doc.error!.hint!,
      new RegExp(`${record!.name.replace(/\./g, '\\.')}\\.  CNAME  ${record!.value!.replace(/\./g, '\\.')}\\.`),
    )

    const human = await runCli(['cert', 'request', '--domain', `app.${apex}`, '--no-wait'], {env})
    assert.equal(human.code, 6)
    assert.ok(
      human.stderr.split('\n').includes(`      ${record!.name}.  CNAME  ${record!.value}.`),
      'the record on a line of its own, unwrapped',
    )

    // The DNS moves to Route 53: the pending certificate is reused, not requested again.
    const {HostedZone} = await r53.send(new CreateHostedZoneCommand({Name: apex, CallerReference: apex}))
    bench.calls.clear()
    const done = json<CertJson>(await cert('--domain', `app.${apex}`))
    assert.equal(done.status, 'issued')
    assert.equal(done.certificateArn, pending.certificateArn)
    assert.equal(done.reused, true)
    assert.equal(bench.calls.count({action: 'RequestCertificate'}), 0)
    assert.deepEqual(await cnames(HostedZone!.Id!), [`${record!.name}. ${record!.value}.`])
  })

  it('--no-wait returns pending-validation with the records written; --dry-run writes nothing', async () => {
    const {apex} = await zone()
    bench.calls.clear()
    const dry = json<CertJson>(await cert('--domain', apex, '--dry-run'))
    assert.equal(dry.status, 'dry-run')
    assert.equal(dry.records[0]?.action, 'planned')
    assert.equal(writes(), 0)
    const r = await cert('--domain', `api.${apex}`, '--no-wait')
    assert.equal(r.code, 0, r.stderr)
    assert.ok(['pending-validation', 'issued'].includes(json<CertJson>(r).status))
  })

  describe('bad input: exit 2 (or 4 for the region), no call at all', () => {
    for (const [what, args, code, pattern] of [
      [
        'a wildcard deeper than one level',
        ['--domain', '*.*.example.test', '--region', 'us-east-1'],
        2,
        /wildcard covers one level only/,
      ],
      ['a wildcard inside a name', ['--domain', 'a.*.example.test', '--region', 'us-east-1'], 2, /wildcard/],
      ['not a domain name', ['--domain', 'localhost', '--region', 'us-east-1'], 2, /not a fully qualified domain name/],
      [
        'eleven names',
        [
          '--domain',
          'a.example.test',
          ...Array.from({length: 10}, (_, i) => ['--san', `s${i}.example.test`]).flat(),
          '--region',
          'us-east-1',
        ],
        2,
        /at most 10/,
      ],
    ] as const) {
      it(what, async () => {
        bench.calls.clear()
        const r = await cert(...args)
        assert.equal(r.code, code, r.stdout)
        assert.match(jsonError(r).message, pattern)
        assert.equal(bench.calls.count(), 0)
      })
    }
    it('no region: REGION_MISSING, exit 4', async () => {
      const {AWS_REGION: _r, AWS_DEFAULT_REGION: _d, ...noRegion} = env
      const r = await runCli(['cert', 'request', '--domain', 'a.example.test', '--json'], {env: noRegion, cwd: '/'})
      assert.equal(r.code, 4)
      assert.equal(jsonError(r).code, 'REGION_MISSING')
    })
  })

  describe('never half-done: a failure at each write leaves the original state', () => {
    for (const nth of [1, 2]) {
      it(`write ${nth} fails`, async () => {
        const {apex, zoneId} = await zone()
        const certsBefore = await certArns()
        bench.faults.failNthMutating(nth, 'InternalFailure')
        const r = await cert('--domain', apex)
        bench.faults.clear()
        assert.equal(r.code, 1, r.stdout)
        assert.deepEqual(await certArns(), certsBefore, 'the certificate requested by this run was deleted')
        assert.deepEqual(await cnames(zoneId), [], 'no record left behind')
      })
    }
    it('a record at the validation name with another value: refused (exit 2), the requested certificate deleted', async () => {
      const {apex, zoneId} = await zone()
      const target = `y.${apex}`
      // ACM's validation record is per name and account, so an earlier certificate shows where it goes.
      const earlier = json<CertJson>(await cert('--domain', target, '--no-wait'))
      const {DeleteCertificateCommand} = await import('@aws-sdk/client-acm')
      await acm.send(new DeleteCertificateCommand({CertificateArn: earlier.certificateArn!}))
      await r53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: {
            Changes: [
              {
                Action: 'UPSERT',
                ResourceRecordSet: {
                  Name: earlier.records[0]!.name,
                  Type: 'CNAME',
                  TTL: 60,
                  ResourceRecords: [{Value: 'someone-else.acm-validations.aws'}],
                },
              },
            ],
          },
        }),
      )
      const before = await certArns()
      const r = await cert('--domain', target)
      assert.equal(r.code, 2, r.stdout)
      const err = jsonError(r)
      assert.equal(err.code, 'UNSAFE_CHANGE')
      assert.match(err.message, /already holds a CNAME to someone-else\.acm-validations\.aws/)
      assert.deepEqual(await certArns(), before, 'the certificate this run requested was deleted')
      assert.deepEqual(
        await cnames(zoneId),
        [`${earlier.records[0]!.name}. someone-else.acm-validations.aws`],
        'the other record untouched',
      )
    })
  })
})
