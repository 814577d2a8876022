import type {Change, ResourceRecordSet} from '@aws-sdk/client-route-53'

import type {AwsClients} from '../aws/clients.ts'
import {awsCall} from '../aws/errors.ts'
import type {HostedZone} from '../dns/names.ts'
import {normalizeName} from '../dns/names.ts'

/** The Route 53 adapter: hosted zones, one record set, and a change batch applied and waited for. */

/** Every hosted zone of the account (the SDK's paginator), public and private. */
export async function listHostedZones(clients: AwsClients): Promise<HostedZone[]> {
  const r53 = await clients.route53()
  const {paginateListHostedZones} = await import('../aws/sdk/route53.ts')
  const zones: HostedZone[] = []
  await awsCall('route53:ListHostedZones', async () => {
    for await (const page of paginateListHostedZones({client: r53}, {})) {
      for (const z of page.HostedZones ?? []) {
        zones.push({
          id: (z.Id ?? '').replace(/^\/hostedzone\//, ''),
          name: normalizeName(z.Name ?? ''),
          privateZone: Boolean(z.Config?.PrivateZone),
        })
      }
    }
  })
  return zones
}

export interface RecordSet {
  name: string
  type: string
  ttl?: number | undefined
  values: string[]
  alias?: {dnsName: string; hostedZoneId: string; evaluateTargetHealth: boolean} | undefined
}

export const toRecordSet = (r: ResourceRecordSet): RecordSet => ({
  name: normalizeName(r.Name ?? ''),
  type: r.Type ?? '',
  ttl: r.TTL,
  values: (r.ResourceRecords ?? []).map((v) => v.Value ?? ''),
  alias: r.AliasTarget
    ? {
        dnsName: normalizeName(r.AliasTarget.DNSName ?? ''),
        hostedZoneId: r.AliasTarget.HostedZoneId ?? '',
        evaluateTargetHealth: Boolean(r.AliasTarget.EvaluateTargetHealth),
      }
    : undefined,
})

/**
 * The record sets at exactly `name` (any type, or `type`): ListResourceRecordSets starts at the name and lists in
 * order, so one small page holds them (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html).
 */
export async function recordSetsAt(
  clients: AwsClients,
  zoneId: string,
  name: string,
  type?: string,
): Promise<RecordSet[]> {
  const r53 = await clients.route53()
  const {ListResourceRecordSetsCommand} = await import('../aws/sdk/route53.ts')
  const out = await awsCall('route53:ListResourceRecordSets', () =>
    r53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        StartRecordName: name,
        StartRecordType: type as never,
        MaxItems: 10,
      }),
    ),
  )
  const want = normalizeName(name)
  return (out.ResourceRecordSets ?? [])
    .map(toRecordSet)
    .filter((r) => r.name === want && (type === undefined || r.type === type))
}

/** Values go out exactly as given: a DELETE must repeat a record's values as Route 53 holds them. */
export const toResourceRecordSet = (r: RecordSet): ResourceRecordSet => ({
  Name: `${r.name}.`,
  Type: r.type as ResourceRecordSet['Type'],
  ...(r.alias
    ? {
        AliasTarget: {
          DNSName: `${r.alias.dnsName}.`,
          HostedZoneId: r.alias.hostedZoneId,
          EvaluateTargetHealth: r.alias.evaluateTargetHealth,
        },
      }
    : {TTL: r.ttl ?? 300, ResourceRecords: r.values.map((Value) => ({Value}))}),
})

/**
 * Applies one change batch (atomic in Route 53: all or none) and waits until it is INSYNC with the SDK's waiter
 * (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html).
 */
export async function changeRecordSets(
  clients: AwsClients,
  zoneId: string,
  changes: Array<{action: 'UPSERT' | 'CREATE' | 'DELETE'; record: RecordSet}>,
  comment: string,
): Promise<void> {
  if (changes.length === 0) return
  const r53 = await clients.route53()
  const {ChangeResourceRecordSetsCommand, waitUntilResourceRecordSetsChanged} = await import('../aws/sdk/route53.ts')
  const Changes: Change[] = changes.map((c) => ({Action: c.action, ResourceRecordSet: toResourceRecordSet(c.record)}))
  const out = await awsCall('route53:ChangeResourceRecordSets', () =>
    r53.send(new ChangeResourceRecordSetsCommand({HostedZoneId: zoneId, ChangeBatch: {Comment: comment, Changes}})),
  )
  const id = out.ChangeInfo?.Id
  if (id && out.ChangeInfo?.Status !== 'INSYNC') {
    await awsCall('route53:GetChange', () =>
      waitUntilResourceRecordSetsChanged({client: r53, maxWaitTime: 120, minDelay: 1, maxDelay: 5}, {Id: id}),
    )
  }
}
