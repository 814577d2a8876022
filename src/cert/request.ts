import {listCertificates} from '../acm/certificates.ts'
import {
  deleteCertificate,
  describeValidation,
  requestCertificate,
  waitForValidationRecords,
  waitIssued,
} from '../acm/request.ts'
import type {AwsClients} from '../aws/clients.ts'
import {badInput, EbwsError, ErrorWithResult} from '../cli/errors.ts'
import type {HostedZone} from '../dns/names.ts'
import {zoneFor} from '../dns/names.ts'
import {changeRecordSets, listHostedZones, recordSetsAt} from '../route53/zones.ts'
import type {ValidationRecordPlan} from './plan.ts'
import {certificateNames, planValidationRecords, reusableCertificate, zonesForNames} from './plan.ts'

export interface CertRequestOptions {
  domain: string
  sans: string[]
  region: string
  dryRun: boolean
  /** Wait for ISSUED (bounded by timeoutMs) once the records are in place. */
  wait: boolean
  timeoutMs: number
  now?: Date
  progress?: (line: string) => void
  /** Asked with the plan before the first write; throws to stop with nothing changed. */
  confirm?: ((plan: CertRequestResult) => Promise<void>) | undefined
}

export interface CertRecordResult {
  name: string
  type: string
  value: string | null
  domains: string[]
  zone: {id: string; name: string} | null
  /** created: written by this run; present: already there; manual: create it at your DNS provider; planned: dry run. */
  action: 'created' | 'present' | 'manual' | 'planned'
}

export interface CertRequestResult {
  /** issued: usable now; pending-validation: waiting for DNS (see records); dry-run: nothing was done. */
  status: 'issued' | 'pending-validation' | 'dry-run'
  region: string
  names: string[]
  certificateArn: string | null
  /** An existing certificate for exactly these names was used instead of requesting a duplicate. */
  reused: boolean
  records: CertRecordResult[]
  /** Calls that changed something (RequestCertificate, ChangeResourceRecordSets). */
  writes: number
}

const zoneRef = (z: HostedZone | null) => (z ? {id: z.id, name: z.name} : null)

/**
 * `ebws cert request`: an ACM certificate with DNS validation for the names, its validation CNAMEs UPSERTed in the
 * Route 53 public zones that hold them, then (with wait) ISSUED. Reuses a certificate issued or pending for exactly
 * the same names. Names whose zone is not in Route 53 are returned as records to create elsewhere, and the run ends
 * CERT_PENDING (exit 6); the next run picks the certificate up. A failed write undoes this run's writes (the records
 * it created, the certificate it requested).
 */
export async function requestCertificateWithDns(
  clients: AwsClients,
  o: CertRequestOptions,
): Promise<CertRequestResult> {
  const say = o.progress ?? (() => {})
  const now = o.now ?? new Date()
  const checked = certificateNames(o.domain, o.sans)
  if ('problem' in checked)
    throw badInput(
      'BAD_FLAG',
      `Cannot request a certificate: ${checked.problem}.`,
      'Pass names such as example.com, www.example.com or *.example.com.',
    )
  const {names} = checked

  const [certificates, zones] = await Promise.all([listCertificates(clients, o.region), listHostedZones(clients)])
  const reusable = reusableCertificate(
    certificates.map((c) => ({
      arn: c.arn,
      status: c.status,
      type: c.type,
      names: [...new Set([c.domainName ?? '', ...c.subjectAlternativeNames])].filter(Boolean),
      notAfter: c.notAfter,
    })),
    names,
    now,
  )
  const base = {region: o.region, names, reused: Boolean(reusable)}
  let writes = 0

  if (reusable?.status === 'ISSUED') {
    say(`Reusing ${reusable.arn}: already ISSUED for ${names.join(', ')}`)
    const c = await describeValidation(clients, reusable.arn, o.region)
    const records = planValidationRecords(c.validation, zones, new Map())
    return {
      ...base,
      status: 'issued',
      certificateArn: reusable.arn,
      records: records.map((r) => resultRecord(r, 'present')),
      writes,
    }
  }

  if (o.dryRun && !reusable) {
    // ACM makes the records when the certificate is requested, so a dry run can only say where they will go.
    const records = zonesForNames(names, zones).map(({name, zone}): CertRecordResult => ({
      name: `_<token>.${name.replace(/^\*\./, '')}`,
      type: 'CNAME',
      value: null,
      domains: [name],
      zone: zoneRef(zone),
      action: zone ? 'planned' : 'manual',
    }))
    return {...base, status: 'dry-run', certificateArn: null, records, writes}
  }

  if (!o.dryRun && !reusable) await o.confirm?.({...base, status: 'dry-run', certificateArn: null, records: [], writes})

  let arn = reusable?.arn
  let requested = false
  if (!arn) {
    say(`Requesting an ACM certificate for ${names.join(', ')} (DNS validation) in ${o.region}`)
    arn = await requestCertificate(clients, names, o.region)
    requested = true
    writes++
  } else {
    say(`Reusing ${arn}: PENDING_VALIDATION for ${names.join(', ')}`)
  }

  const created: Array<{zoneId: string; record: ValidationRecordPlan}> = []
  const undo = async (error: unknown): Promise<never> => {
    say('A write failed; undoing what this run wrote')
    const problems: string[] = []
    for (const c of created.reverse()) {
      await changeRecordSets(
        clients,
        c.zoneId,
        [
          {
            action: 'DELETE',
            record: {name: c.record.name, type: c.record.type, ttl: 300, values: [fqdn(c.record.value)]},
          },
        ],
        'ebws cert request: rollback',
      ).catch((e: Error) => problems.push(`the record ${c.record.name}: ${e.message}`))
    }
    if (requested)
      await deleteCertificate(clients, arn!, o.region).catch((e: Error) =>
        problems.push(`the certificate ${arn}: ${e.message}`),
      )
    if (problems.length > 0) {
      throw new EbwsError(
        'ROLLBACK_FAILED',
        `${(error as Error).message}\nUndoing this run's writes failed too:\n  ${problems.join('\n  ')}`,
        {
          hint: requested
            ? `Delete the certificate with: aws acm delete-certificate --region ${o.region} --certificate-arn ${arn}`
            : undefined,
          cause: error,
          details: {certificateArn: arn},
        },
      )
    }
    throw error instanceof EbwsError ? error : new EbwsError('CHANGE_FAILED', (error as Error).message, {cause: error})
  }

  let plan: ValidationRecordPlan[]
  try {
    const c = await waitForValidationRecords(clients, arn, o.region, Math.min(o.timeoutMs, 60_000))
    const existing = new Map<string, string[]>()
    await Promise.all(
      [...new Set(c.validation.flatMap((v) => (v.record ? [v.record.name] : [])))].map(async (name) => {
        const zone = zoneFor(name, zones)
        if (zone)
          existing.set(
            name,
            (await recordSetsAt(clients, zone.id, name, 'CNAME')).flatMap((r) => r.values),
          )
      }),
    )
    plan = planValidationRecords(c.validation, zones, existing)
    if (o.dryRun)
      return {
        ...base,
        status: 'dry-run',
        certificateArn: arn,
        records: plan.map((r) => resultRecord(r, r.action === 'upsert' ? 'planned' : r.action)),
        writes,
      }
    const conflict = plan.find((r) => r.conflicting)
    if (conflict) {
      throw badInput(
        'UNSAFE_CHANGE',
        `${conflict.name} already holds a CNAME to ${conflict.conflicting!.join(', ')} in zone ${conflict.zone!.name}, not ${conflict.value}; ebws does not overwrite it (another account's ACM may use it).`,
        `Check the record in Route 53; delete it if it is stale, then run this command again.`,
      )
    }
    if (reusable && plan.some((r) => r.action === 'upsert'))
      await o.confirm?.({
        ...base,
        status: 'dry-run',
        certificateArn: arn,
        records: plan.map((r) => resultRecord(r, r.action === 'upsert' ? 'planned' : r.action)),
        writes,
      })
    for (const [zoneId, records] of groupByZone(plan.filter((r) => r.action === 'upsert'))) {
      say(`Writing ${records.length} validation record(s) in zone ${records[0]!.zone!.name}`)
      await changeRecordSets(
        clients,
        zoneId,
        records.map((record) => ({
          action: 'UPSERT',
          record: {name: record.name, type: record.type, ttl: 300, values: [fqdn(record.value)]},
        })),
        `ebws cert request ${names[0]}`,
      )
      writes++
      for (const record of records) created.push({zoneId, record})
    }
  } catch (error) {
    return undo(error)
  }

  const records = plan.map((r) => resultRecord(r, r.action === 'upsert' ? 'created' : r.action))
  const result = (status: CertRequestResult['status']): CertRequestResult => ({
    ...base,
    status,
    certificateArn: arn,
    records,
    writes,
  })
  const manual = records.filter((r) => r.action === 'manual')
  if (manual.length > 0) {
    throw new ErrorWithResult(
      new EbwsError(
        'CERT_PENDING',
        `The certificate ${arn} waits for ${manual.length} DNS record(s) that no Route 53 zone of this account holds.`,
        {
          hint: [
            'Create these CNAME records at your DNS provider, then run the same command again:',
            ...manual.map((r) => `${r.name}.  CNAME  ${r.value}.`),
          ].join('\n'),
        },
      ),
      result('pending-validation'),
    )
  }
  if (!o.wait)
    return result(
      (await describeValidation(clients, arn, o.region)).status === 'ISSUED' ? 'issued' : 'pending-validation',
    )
  say(`Waiting for ACM to validate ${arn} (up to ${Math.round(o.timeoutMs / 1000)} s)`)
  const outcome = await waitIssued(clients, arn, o.region, o.timeoutMs)
  if (outcome === 'issued') return result('issued')
  const status = (await describeValidation(clients, arn, o.region)).status
  if (outcome === 'failed') {
    throw new ErrorWithResult(
      new EbwsError('CHANGE_FAILED', `ACM could not validate ${arn} (now ${status}).`, {
        hint: 'See the certificate in the ACM console for the reason (e.g. CAA records that exclude amazon.com).',
      }),
      result('pending-validation'),
    )
  }
  throw new ErrorWithResult(
    new EbwsError(
      'TIMEOUT',
      `${arn} is still ${status} after --timeout; the records are in place, so ACM may still issue it.`,
      {hint: 'Run the same command again later: it reuses this certificate.'},
    ),
    result('pending-validation'),
  )
}

/** CNAME values as ACM gives them: fully qualified, with the trailing dot. */
const fqdn = (name: string): string => `${name}.`

function resultRecord(r: ValidationRecordPlan, action: CertRecordResult['action']): CertRecordResult {
  return {name: r.name, type: r.type, value: r.value, domains: r.domains, zone: zoneRef(r.zone), action}
}

function groupByZone(records: ValidationRecordPlan[]): Map<string, ValidationRecordPlan[]> {
  const out = new Map<string, ValidationRecordPlan[]>()
  for (const r of records) out.set(r.zone!.id, [...(out.get(r.zone!.id) ?? []), r])
  return out
}
