import type {AwsClients} from '../aws/clients.ts'
import {formatDnsPointers} from '../format/dns.ts'
import type {DnsPointers} from '../route53/pointers.ts'
import {pointersTo, scanPublicZones} from '../route53/pointers.ts'
import {formatSecurityGroupsReport} from '../format/security-groups.ts'
import type {SecurityGroupsReport} from '../security-groups/model.ts'
import {showSecurityGroups, withSecurityGroups} from '../security-groups/show.ts'
import {detectLoadBalancer} from './detect.ts'
import {firstRoundTrip} from './first-round-trip.ts'
import {adapterFor} from './registry.ts'
import type {DescribedLoadBalancer, LoadBalancerType, ShowInput} from './types.ts'

export interface Shown {
  type: LoadBalancerType
  /** The adapter's report, with `dnsRecords` (the Route 53 records that point at the environment) added. */
  report: unknown
  ports: ShowInput['ports']
  now: Date
}

/** `listeners show` for any load balancer type: detect from round trip 1, then the type's adapter reads and judges. */
export async function showListeners(
  clients: AwsClients,
  environmentName: string,
  ports: ShowInput['ports'],
  now = new Date(),
): Promise<Shown> {
  await clients.region() // a missing or unknown region fails before any call
  // Route 53 is read beside the load balancer (zones in round trip 1, their records in round trip 2), for every
  // type. Started first, so ListHostedZones leaves with DescribeEnvironments even when loading its client is slow
  // (started after, under load it could miss round trip 1 and add one).
  const scan = scanPublicZones(clients)
  scan.catch(() => undefined)
  // EC2 first (the security groups are read on every type), then ELBv2 (Beanstalk's default load balancer is an ALB).
  const first = await firstRoundTrip(clients, environmentName, ['ec2', 'elbv2', 'elb'])
  const detected = detectLoadBalancer(first.environment)
  const adapter = adapterFor(detected.type)
  // The security groups are read beside the adapter's own reads (src/security-groups), for every type, taking what
  // those reads found about the load balancer (its listener ports; a CLB's groups and scheme) instead of describing
  // it again. An adapter that hands nothing leaves the security-groups read to describe it itself.
  let onDescribed!: (lb: DescribedLoadBalancer | undefined) => void
  const described = new Promise<DescribedLoadBalancer | undefined>((resolve) => (onDescribed = resolve))
  const groups = showSecurityGroups(clients, {environmentId: first.environment.environmentId, detected, described})
  groups.catch(() => undefined)
  const shown = adapter.show(clients, {first, detected, now, ports, onDescribed})
  void shown.then(
    () => onDescribed(undefined),
    () => onDescribed(undefined),
  )
  const report = await shown
  // Settings may reveal a shared ALB that the resource name cannot; the application adapter reads them itself.
  const env = first.environment
  const dnsRecords: DnsPointers = await scan.then(
    (s) => pointersTo(s, [env.cname, env.endpointUrl]),
    (error: Error) => ({records: [], zonesSearched: 0, publicZones: 0, truncated: false, error: error.message}),
  )
  const withGroups = withSecurityGroups(report, await groups) as object
  return {type: detected.type, report: {...withGroups, dnsRecords}, ports, now}
}

export const formatShown = (s: Shown): string =>
  [
    adapterFor(s.type).format(s.report, {ports: s.ports, now: s.now}),
    formatSecurityGroupsReport((s.report as {securityGroups?: SecurityGroupsReport}).securityGroups),
    `\n${formatDnsPointers((s.report as {dnsRecords: DnsPointers}).dnsRecords)}`,
  ]
    .filter(Boolean)
    .join('\n')
