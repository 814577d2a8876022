import type {AwsClients} from '../aws/clients.ts'
import {awsCall} from '../aws/errors.ts'
import {normalizeName} from '../dns/names.ts'
import {describeRecord, pointsAt} from './records.ts'
import type {RecordSet} from './zones.ts'
import {toRecordSet} from './zones.ts'

/**
 * Which Route 53 records of the account point at an environment, for `listeners show`. Route 53 has no reverse
 * lookup, so the public zones' records are listed and matched. The work is bounded, because an account may hold
 * hundreds of zones and Route 53 throttles per account (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/throttling-api-requests.html):
 * one ListHostedZones page, at most MAX_ZONES public zones (private zones never answer the public), one
 * ListResourceRecordSets page of at most RECORDS_PER_ZONE records each, all zones at once. What was left out is
 * said (`truncated`), never silently skipped.
 */
export const MAX_ZONES = 20
/** ListResourceRecordSets' MaxItems maximum (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html). */
export const RECORDS_PER_ZONE = 300

export interface DnsPointer {
  zone: string
  name: string
  type: string
  /** What it points at: `alias <dns name>` or the CNAME's value. */
  target: string
}

export interface DnsPointers {
  /** Records (alias A/AAAA, CNAME) that point at the environment's load balancer DNS name or its CNAME. */
  records: DnsPointer[]
  /** Public zones searched, and how many the account has (in the first ListHostedZones page). */
  zonesSearched: number
  publicZones: number
  /** More zones or records exist than were searched: a record there may point at the environment too. */
  truncated: boolean
  /** Set when Route 53 could not be read (e.g. no route53:ListHostedZones permission); show goes on without it. */
  error?: string | undefined
}

export interface ZoneScan {
  zones: Array<{name: string; records: RecordSet[]; truncated: boolean}>
  publicZones: number
  truncated: boolean
}

/**
 * Starts reading: ListHostedZones at once (round trip 1, beside DescribeEnvironments), then every searched zone's
 * records together (round trip 2, beside the load balancer reads). Nothing here depends on the environment, so the
 * matching (pointersTo) waits for neither.
 */
export async function scanPublicZones(clients: AwsClients): Promise<ZoneScan> {
  const r53 = await clients.route53()
  const {ListHostedZonesCommand, ListResourceRecordSetsCommand} = await import('../aws/sdk/route53.ts')
  const page = await awsCall('route53:ListHostedZones', () => r53.send(new ListHostedZonesCommand({MaxItems: 100})))
  const publicZones = (page.HostedZones ?? []).filter((z) => !z.Config?.PrivateZone)
  const searched = publicZones.slice(0, MAX_ZONES)
  const zones = await Promise.all(
    searched.map(async (z) => {
      const out = await awsCall('route53:ListResourceRecordSets', () =>
        r53.send(new ListResourceRecordSetsCommand({HostedZoneId: z.Id, MaxItems: RECORDS_PER_ZONE})),
      )
      return {
        name: normalizeName(z.Name ?? ''),
        records: (out.ResourceRecordSets ?? []).map(toRecordSet),
        truncated: Boolean(out.IsTruncated),
      }
    }),
  )
  return {
    zones,
    publicZones: publicZones.length,
    truncated: Boolean(page.IsTruncated) || publicZones.length > searched.length || zones.some((z) => z.truncated),
  }
}

/** The scanned records that point at one of `ours` (the environment's CNAME, its load balancer's DNS name). */
export function pointersTo(scan: ZoneScan, ours: ReadonlyArray<string | undefined>): DnsPointers {
  const hosts = ours.filter((h): h is string => Boolean(h))
  const records: DnsPointer[] = []
  for (const z of scan.zones)
    for (const r of z.records)
      if (['A', 'AAAA', 'CNAME'].includes(r.type) && pointsAt(r, hosts))
        records.push({zone: z.name, name: r.name, type: r.type, target: describeRecord(r)})
  return {records, zonesSearched: scan.zones.length, publicZones: scan.publicZones, truncated: scan.truncated}
}
