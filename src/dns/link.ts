import type {AwsClients} from '../aws/clients.ts'
import {badInput, EbwsError} from '../cli/errors.ts'
import {firstRoundTrip} from '../lb/first-round-trip.ts'
import {changeRecordSets, listHostedZones, recordSetsAt} from '../route53/zones.ts'
import {certificateNameProblem, normalizeName, zoneFor} from './names.ts'
import type {LinkRecordPlan, LinkTarget} from './plan.ts'
import {describeRecord, planLink} from './plan.ts'
import {linkTargetOf} from './target.ts'

export interface DnsLinkOptions {
  environmentName: string
  domain: string
  /** Replace records that point somewhere else (their old values are in the result). */
  replace: boolean
  dryRun: boolean
  /** Refuse a record that points elsewhere in a dry run too (a plan checked before other steps write). */
  refuseConflicts?: boolean | undefined
  progress?: (line: string) => void
  confirm?: ((plan: DnsLinkResult) => Promise<void>) | undefined
}

export interface DnsLinkResult {
  /** linked: written now; already-linked: nothing to do; dry-run: nothing was written. */
  status: 'linked' | 'already-linked' | 'dry-run'
  environment: string
  domain: string
  zone: {id: string; name: string}
  target: LinkTarget
  records: LinkRecordPlan[]
  writes: number
}

/**
 * `ebws dns link`: points a domain at an environment in the Route 53 public zone that holds it, as one atomic change
 * batch (all records or none). Never replaces a record that points elsewhere without `replace`. Idempotent.
 */
export async function linkDomain(clients: AwsClients, o: DnsLinkOptions): Promise<DnsLinkResult> {
  const say = o.progress ?? (() => {})
  const problem = certificateNameProblem(o.domain)
  if (problem || o.domain.includes('*'))
    throw badInput(
      'BAD_FLAG',
      `--domain "${o.domain}" ${problem ?? 'is a wildcard: link one name at a time'}.`,
      'Pass the name clients use, such as app.example.com.',
    )
  const domain = normalizeName(o.domain)

  // Round trip 1: the environment (hence its load balancer's type) and the zones, together.
  const [{environment: env}, zones] = await Promise.all([
    firstRoundTrip(clients, o.environmentName),
    listHostedZones(clients),
  ])
  const zone = zoneFor(domain, zones)
  if (!zone) {
    throw badInput('ZONE_NOT_FOUND', `No public Route 53 hosted zone of this account holds ${domain}.`, [
      `Point it at the environment at your DNS provider: ${domain}. CNAME ${env.cname ?? '<the environment CNAME>'}.`,
      'Or create the hosted zone in Route 53 and delegate the domain to its name servers, then run this again.',
    ])
  }
  const [target, existing] = await Promise.all([linkTargetOf(clients, env), recordSetsAt(clients, zone.id, domain)])
  if (target.kind === 'cname' && domain === zone.name) {
    throw badInput(
      'UNSAFE_CHANGE',
      `${domain} is the zone apex, which cannot hold a CNAME (DNS allows none beside the zone's SOA and NS records).`,
      'Use a subdomain such as www or app, or a load-balanced environment (an alias works at the apex).',
    )
  }
  const blocking = target.kind === 'cname' ? existing.filter((r) => !['A', 'AAAA', 'CNAME'].includes(r.type)) : []
  if (blocking.length > 0) {
    throw badInput(
      'UNSAFE_CHANGE',
      `${domain} holds ${blocking.map((r) => r.type).join(', ')} records, which cannot sit beside a CNAME.`,
      'Use another name, or move those records.',
    )
  }
  // Records that already point at this environment (its CNAME, its load balancer) are updated without --replace.
  const ours = [env.cname, env.endpointUrl].filter((x): x is string => Boolean(x))
  const plan = planLink(domain, target, existing, ours)
  const result = (status: DnsLinkResult['status'], writes: number): DnsLinkResult => ({
    status,
    environment: env.environmentName,
    domain,
    zone: {id: zone.id, name: zone.name},
    target,
    records: plan.records,
    writes,
  })
  if (plan.changes.length === 0) return result('already-linked', 0)
  if (plan.conflicts.length > 0 && !o.replace && (!o.dryRun || o.refuseConflicts)) {
    throw badInput(
      'UNSAFE_CHANGE',
      `${domain} already points somewhere else:\n  ${plan.conflicts.map((c) => `${c.type} ${c.old}${c.new ? ` (would become ${c.new})` : ' (would be deleted)'}`).join('\n  ')}\nNothing was changed.`,
      `Pass --replace to point it at ${env.environmentName} anyway.`,
      {records: plan.records},
    )
  }
  if (o.dryRun) return result('dry-run', 0)
  await o.confirm?.(result('dry-run', 0))
  say(`Pointing ${domain} at ${env.environmentName}: ${target.why}`)
  await changeRecordSets(clients, zone.id, plan.changes, `ebws dns link ${domain} -> ${env.environmentName}`)
  // Read back: what is there now must be what was planned.
  const after = await recordSetsAt(clients, zone.id, domain)
  const unmet = planLink(domain, target, after, ours).changes
  if (unmet.length > 0)
    throw new EbwsError(
      'VERIFY_FAILED',
      `${domain} does not read back as planned: ${after.map(describeRecord).join('; ')}`,
    )
  return result('linked', 1)
}
