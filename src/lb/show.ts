import type {AwsClients} from '../aws/clients.ts'
import {formatSecurityGroupsReport} from '../format/security-groups.ts'
import type {SecurityGroupsReport} from '../security-groups/model.ts'
import {showSecurityGroups, withSecurityGroups} from '../security-groups/show.ts'
import {detectLoadBalancer} from './detect.ts'
import {firstRoundTrip} from './first-round-trip.ts'
import {adapterFor} from './registry.ts'
import type {LoadBalancerType, ShowInput} from './types.ts'

export interface Shown {
  type: LoadBalancerType
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
  const first = await firstRoundTrip(clients, environmentName)
  const detected = detectLoadBalancer(first.environment)
  const adapter = adapterFor(detected.type)
  // The security groups are read beside the adapter's own reads (src/security-groups), for every type.
  const groups = showSecurityGroups(clients, {environmentId: first.environment.environmentId, detected})
  groups.catch(() => undefined)
  const report = await adapter.show(clients, {first, detected, now, ports})
  // Settings may reveal a shared ALB that the resource name cannot; the application adapter reads them itself.
  return {type: detected.type, report: withSecurityGroups(report, await groups), ports, now}
}

export const formatShown = (s: Shown): string =>
  [
    adapterFor(s.type).format(s.report, {ports: s.ports, now: s.now}),
    formatSecurityGroupsReport((s.report as {securityGroups?: SecurityGroupsReport}).securityGroups),
  ]
    .filter(Boolean)
    .join('\n')
