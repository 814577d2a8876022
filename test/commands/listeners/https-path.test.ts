// `listeners fix --domain D --request-certificate --link-dns` (issue 17 §4) on the local AWS bench: the whole path
// to the end state, read back with the AWS CLI; a zone elsewhere; a record pointing elsewhere; a second run; and a
// failure injected at a write in each step.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {after, before, describe, it} from 'node:test'
import {promisify} from 'node:util'

import {createScenario, startCliBench, type FullBench} from '../../bench/scenario.ts'
import {envelope, json, jsonError, runCli} from '../../helpers/cli.ts'
import {createAlbScenario} from './alb-helpers.ts'

interface PathJson {
  status: string
  domain: string
  steps: {
    certificate: {status: string; certificateArn: string | null; reused: boolean; writes: number} | null
    dns: {status?: string; records?: Array<{type: string; action: string}>; manualRecord?: string} | null
    listeners: {status?: string; plannedAfterCertificate?: string} | null
  }
  verified: {certificateStatus: string | null; dnsRecordPresent: boolean | null; listenersInShape: boolean} | null
  kept: string[]
}

const run = promisify(execFile)

describe('listeners fix --request-certificate --link-dns: from a domain name to HTTPS in one command', () => {
  let bench: FullBench
  let env: Record<string, string>
  let n = 0
  before(async () => {
    ;({bench, env} = await startCliBench())
  })
  after(async () => {
    await bench?.stop()
  })

  /** The AWS CLI straight at moto (no fault proxy): how a person would check the end state. */
  const aws = async <T>(...args: string[]): Promise<T> => {
    const {stdout} = await run(
      'aws',
      [...args, '--endpoint-url', bench.direct.moto, '--region', bench.region, '--output', 'json'],
      {env: {...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_PAGER: ''}},
    )
    return (stdout.trim() ? JSON.parse(stdout) : {}) as T
  }
  const zone = async () => {
    const apex = `path${++n}-${Date.now()}.test`
    const out = await aws<{HostedZone: {Id: string}}>(
      'route53',
      'create-hosted-zone',
      '--name',
      apex,
      '--caller-reference',
      apex,
    )
    return {apex, zoneId: out.HostedZone.Id.replace('/hostedzone/', '')}
  }
  const records = async (zoneId: string, name: string) =>
    (
      await aws<{ResourceRecordSets: Array<{Name: string; Type: string; AliasTarget?: {DNSName: string}}>}>(
        'route53',
        'list-resource-record-sets',
        '--hosted-zone-id',
        zoneId,
      )
    ).ResourceRecordSets.filter((r) => r.Name === `${name}.` && ['A', 'AAAA', 'CNAME'].includes(r.Type)).map((r) =>
      `${r.Type} ${r.AliasTarget ? `alias ${r.AliasTarget.DNSName.toLowerCase()}` : ''}`.trim(),
    )
  const certificateArns = async () =>
    (
      await aws<{CertificateSummaryList: Array<{CertificateArn: string}>}>('acm', 'list-certificates')
    ).CertificateSummaryList.map((c) => c.CertificateArn).sort()
  const certificateStatus = async (arn: string) =>
    (await aws<{Certificate: {Status: string}}>('acm', 'describe-certificate', '--certificate-arn', arn)).Certificate
      .Status
  const albListeners = async (arn: string) =>
    (
      await aws<{
        Listeners: Array<{
          Port: number
          Protocol: string
          Certificates?: Array<{CertificateArn: string}>
          DefaultActions: Array<{Type: string}>
        }>
      }>('elbv2', 'describe-listeners', '--load-balancer-arn', arn)
    ).Listeners.map(
      (l) => `${l.Port} ${l.Protocol} ${l.DefaultActions[0]?.Type} ${l.Certificates?.[0]?.CertificateArn ?? '-'}`,
    ).sort()
  const clbListeners = async (name: string) =>
    (
      await aws<{
        LoadBalancerDescriptions: Array<{
          ListenerDescriptions: Array<{
            Listener: {LoadBalancerPort: number; Protocol: string; SSLCertificateId?: string}
          }>
        }>
      }>('elb', 'describe-load-balancers', '--load-balancer-names', name)
    ).LoadBalancerDescriptions[0]!.ListenerDescriptions.map(
      (d) => `${d.Listener.LoadBalancerPort} ${d.Listener.Protocol} ${d.Listener.SSLCertificateId ?? '-'}`,
    ).sort()
  const oneCommand = (envName: string, domain: string, ...args: string[]) =>
    runCli(
      [
        'listeners',
        'fix',
        '-e',
        envName,
        '--domain',
        domain,
        '--request-certificate',
        '--link-dns',
        '--timeout',
        '90s',
        '--json',
        ...args,
      ],
      {env},
    )
  const writes = () => bench.calls.count({mutating: true})

  it('an ALB environment, zone in Route 53: --dry-run plans every step with zero writes; then the whole path, verified; a second run writes nothing', async () => {
    const s = await createAlbScenario(bench)
    const {apex, zoneId} = await zone()
    const domain = `app.${apex}`
    bench.calls.clear()
    const dry = await oneCommand(s.environmentName, domain, '--dry-run')
    assert.equal(dry.code, 0, dry.stdout + dry.stderr)
    const plan = json<PathJson>(dry)
    assert.equal(plan.status, 'dry-run')
    assert.equal(plan.steps.certificate?.status, 'dry-run')
    assert.equal(plan.steps.dns?.status, 'dry-run')
    assert.match(plan.steps.listeners?.plannedAfterCertificate ?? '', /planned once the certificate/)
    assert.equal(writes(), 0)

    const r = await oneCommand(s.environmentName, domain)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const out = json<PathJson>(r)
    assert.equal(out.status, 'applied')
    assert.deepEqual(out.verified, {certificateStatus: 'ISSUED', dnsRecordPresent: true, listenersInShape: true})
    const arn = out.steps.certificate!.certificateArn!
    // Read back with the AWS CLI: the certificate, the record, the listeners.
    assert.equal(await certificateStatus(arn), 'ISSUED')
    const lb = (
      await aws<{LoadBalancers: Array<{DNSName: string}>}>(
        'elbv2',
        'describe-load-balancers',
        '--load-balancer-arns',
        s.loadBalancerArn,
      )
    ).LoadBalancers[0]!
    assert.deepEqual(await records(zoneId, domain), [`A alias ${lb.DNSName.toLowerCase()}.`])
    assert.deepEqual(await albListeners(s.loadBalancerArn), [`443 HTTPS forward ${arn}`, '80 HTTP redirect -'])

    bench.calls.clear()
    const again = await oneCommand(s.environmentName, domain)
    assert.equal(again.code, 0, again.stdout + again.stderr)
    const second = json<PathJson>(again)
    assert.equal(second.status, 'already-in-shape')
    assert.equal(second.steps.certificate?.reused, true)
    assert.equal(second.steps.dns?.status, 'already-linked')
    assert.equal(second.steps.listeners?.status, 'already-in-shape')
    assert.equal(writes(), 0, bench.calls.actions({mutating: true}).join(', '))

    // People see each step under its number, and the verified end state.
    const text = await runCli(
      ['listeners', 'fix', '-e', s.environmentName, '--domain', domain, '--request-certificate', '--link-dns'],
      {env},
    )
    assert.equal(text.code, 0, text.stderr)
    assert.match(
      text.stdout,
      /1\. Certificate\n[\s\S]*2\. DNS\n[\s\S]*3\. Listeners\n[\s\S]*Verified: certificate ISSUED; DNS record present; listeners right\./,
    )
  })

  it('a CLB environment, zone in Route 53: the whole path, read back with the AWS CLI', async () => {
    const s = await createScenario(bench)
    const {apex, zoneId} = await zone()
    const domain = `www.${apex}`
    const r = await oneCommand(s.environmentName, domain)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const out = json<PathJson>(r)
    assert.equal(out.status, 'applied')
    const arn = out.steps.certificate!.certificateArn!
    assert.equal(await certificateStatus(arn), 'ISSUED')
    assert.equal((await records(zoneId, domain)).length, 1)
    assert.match((await records(zoneId, domain))[0]!, /^A alias /)
    assert.ok(
      (await clbListeners(s.loadBalancerName)).includes(`443 SSL ${arn}`),
      String(await clbListeners(s.loadBalancerName)),
    )
    bench.calls.clear()
    assert.equal((await oneCommand(s.environmentName, domain)).code, 0)
    assert.equal(writes(), 0, bench.calls.actions({mutating: true}).join(', '))
  })

  it('--link-dns alone (a certificate already in ACM): DNS, then the listeners with the certificate --domain finds; no certificate requested', async () => {
    const {apex, zoneId} = await zone()
    const domain = `api.${apex}`
    const s = await createScenario(bench, {certificates: [{kind: 'rsa2048', domain}]})
    bench.calls.clear()
    const r = await runCli(['listeners', 'fix', '-e', s.environmentName, '--domain', domain, '--link-dns', '--json'], {
      env,
    })
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const out = json<PathJson>(r)
    assert.equal(out.status, 'applied')
    assert.equal(out.steps.certificate, null)
    assert.equal(out.steps.dns?.status, 'linked')
    assert.equal(out.verified?.certificateStatus, null)
    assert.equal(bench.calls.count({service: 'acm', mutating: true}), 0)
    assert.match((await records(zoneId, domain))[0] ?? '', /^A alias /)
    assert.ok((await clbListeners(s.loadBalancerName)).includes(`443 SSL ${s.certificates[0]!.arn}`))
  })

  it('the zone is elsewhere: the certificate is left pending, exit 6 CERT_PENDING with the records to create, listeners and DNS untouched', async () => {
    const s = await createAlbScenario(bench)
    const domain = `app.elsewhere-${Date.now()}.test`
    const before = await albListeners(s.loadBalancerArn)
    bench.calls.clear()
    const r = await oneCommand(s.environmentName, domain)
    assert.equal(r.code, 6, r.stdout + r.stderr)
    const e = envelope<PathJson>(r)
    assert.equal(e.error?.code, 'CERT_PENDING')
    assert.match(e.error!.message, /Stopped before the DNS record and the listeners/)
    assert.match(e.error!.hint ?? '', /CNAME/)
    assert.match(e.error!.hint ?? '', new RegExp(`${domain.replace(/\./g, '\\.')}\\.  CNAME  `))
    assert.match(e.error!.hint ?? '', /run the same command again/)
    assert.equal(e.result?.status, 'pending-validation')
    assert.match(e.result?.steps.dns?.manualRecord ?? '', new RegExp(`^${domain.replace(/\./g, '\\.')}\\.  CNAME  `))
    assert.deepEqual(bench.calls.actions({mutating: true}), ['RequestCertificate'])
    assert.deepEqual(await albListeners(s.loadBalancerArn), before)
    // A second run reuses the pending certificate instead of requesting another.
    bench.calls.clear()
    const again = await oneCommand(s.environmentName, domain)
    assert.equal(again.code, 6)
    assert.equal(envelope<PathJson>(again).result?.steps.certificate?.reused, true)
    assert.equal(writes(), 0)
  })

  it('a record that points elsewhere: refused before any write (exit 2, zero writes anywhere)', async () => {
    const s = await createAlbScenario(bench)
    const {apex, zoneId} = await zone()
    const domain = `app.${apex}`
    await aws(
      'route53',
      'change-resource-record-sets',
      '--hosted-zone-id',
      zoneId,
      '--change-batch',
      JSON.stringify({
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: {Name: domain, Type: 'CNAME', TTL: 300, ResourceRecords: [{Value: 'old.example.net'}]},
          },
        ],
      }),
    )
    const certsBefore = await certificateArns()
    bench.calls.clear()
    for (const extra of [[], ['--dry-run']]) {
      const r = await oneCommand(s.environmentName, domain, ...extra)
      assert.equal(r.code, 2, r.stdout + r.stderr)
      const err = jsonError(r)
      assert.equal(err.code, 'UNSAFE_CHANGE')
      assert.match(err.message, /CNAME old\.example\.net/)
      assert.match(err.hint ?? '', /ebws dns link -e .* --replace/)
    }
    assert.equal(writes(), 0)
    assert.deepEqual(await certificateArns(), certsBefore)
    assert.deepEqual(await records(zoneId, domain), ['CNAME'])
    // The hint's command, run as printed, takes the name over; then the whole path goes through.
    const hint = jsonError(await oneCommand(s.environmentName, domain)).hint ?? ''
    const suggested = /`(ebws dns link [^`]+)`/.exec(hint)![1]!
    const taken = await runCli(suggested.split(' ').slice(1), {env})
    assert.equal(taken.code, 0, taken.stdout + taken.stderr)
    const done = await oneCommand(s.environmentName, domain)
    assert.equal(done.code, 0, done.stdout + done.stderr)
    assert.equal(json<PathJson>(done).status, 'applied')
    assert.match((await records(zoneId, domain))[0] ?? '', /^A alias /)
  })

  it('an NLB environment: refused by the listener step before the certificate is requested (exit 2, zero writes)', async () => {
    const s = await createAlbScenario(bench, {type: 'network'})
    const {apex} = await zone()
    bench.calls.clear()
    const r = await oneCommand(s.environmentName, `app.${apex}`)
    assert.equal(r.code, 2, r.stdout + r.stderr)
    assert.equal(jsonError(r).code, 'LB_TYPE_UNSUPPORTED')
    assert.equal(writes(), 0)
  })

  describe('a failure injected at a write in each step', () => {
    it('step 1 (the validation records): the certificate it requested is deleted, nothing else is touched', async () => {
      const s = await createAlbScenario(bench)
      const {apex, zoneId} = await zone()
      const certsBefore = await certificateArns()
      const listenersBefore = await albListeners(s.loadBalancerArn)
      bench.faults.failNthMutating(1, 'InvalidInput', {service: 'route53'})
      const r = await oneCommand(s.environmentName, `app.${apex}`)
      bench.faults.clear()
      assert.equal(r.code, 1, r.stdout + r.stderr)
      assert.deepEqual(await certificateArns(), certsBefore)
      assert.deepEqual(await records(zoneId, `app.${apex}`), [])
      assert.deepEqual(await albListeners(s.loadBalancerArn), listenersBefore)
      assert.deepEqual(envelope<PathJson>(r).result?.kept, [])
    })

    it('step 2 (the DNS change batch): the issued certificate is kept and said, no record, listeners untouched', async () => {
      const s = await createAlbScenario(bench)
      const {apex, zoneId} = await zone()
      const listenersBefore = await albListeners(s.loadBalancerArn)
      // Route 53's first write is the validation batch (step 1), its second the alias batch (step 2).
      bench.faults.failNthMutating(2, 'InvalidInput', {service: 'route53'})
      const r = await oneCommand(s.environmentName, `app.${apex}`)
      bench.faults.clear()
      assert.equal(r.code, 1, r.stdout + r.stderr)
      const e = envelope<PathJson>(r)
      const arn = e.result!.steps.certificate!.certificateArn!
      assert.equal(await certificateStatus(arn), 'ISSUED')
      assert.match(e.error!.message, /Kept from the earlier steps \(safe to keep\):\n {2}the ISSUED certificate/)
      assert.deepEqual(await records(zoneId, `app.${apex}`), [])
      assert.deepEqual(await albListeners(s.loadBalancerArn), listenersBefore)
      // The next run picks up from there: the certificate is reused.
      const again = await oneCommand(s.environmentName, `app.${apex}`)
      assert.equal(again.code, 0, again.stdout + again.stderr)
      assert.equal(json<PathJson>(again).steps.certificate?.reused, true)
    })

    it('step 3 (a listener write): the listener fix rolls the load balancer back; the certificate and the record are kept and said', async () => {
      const s = await createAlbScenario(bench)
      const {apex, zoneId} = await zone()
      const domain = `app.${apex}`
      const listenersBefore = await albListeners(s.loadBalancerArn)
      bench.faults.failNthMutating(1, 'InvalidConfigurationRequest', {service: 'elbv2'})
      const r = await oneCommand(s.environmentName, domain)
      bench.faults.clear()
      assert.equal(r.code, 1, `the load balancer was restored (5 would be ROLLBACK_FAILED): ${r.stdout}${r.stderr}`)
      const e = envelope<PathJson>(r)
      assert.match(e.error!.message, /restored/)
      assert.match(e.error!.message, /the ISSUED certificate .*\n {2}the record\(s\) pointing/)
      assert.deepEqual(await albListeners(s.loadBalancerArn), listenersBefore)
      assert.equal(await certificateStatus(e.result!.steps.certificate!.certificateArn!), 'ISSUED')
      assert.match((await records(zoneId, domain))[0] ?? '', /^A alias /)
    })
  })
})
