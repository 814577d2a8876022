import type {AwsClients} from '../aws/clients.ts'
import type {FixOptions, FixResult} from '../listeners/fix.ts'
import type {AlbFixResult} from './application/fix.ts'
import {formatSecurityGroupFix} from '../format/security-groups.ts'
import type {SecurityGroupFix} from '../security-groups/fix.ts'
import {fixWithReachablePorts} from '../security-groups/fix.ts'
import {checkCertificateInput} from '../listeners/fix.ts'
import {detectLoadBalancer} from './detect.ts'
import {firstRoundTrip} from './first-round-trip.ts'
import {adapterFor} from './registry.ts'
import type {FixIntent, LoadBalancerType} from './types.ts'

/** What `listeners fix` returns for any type: the adapter's result, with the security-group step when it ran. */
export type ListenersFixResult = (FixResult | AlbFixResult) & {securityGroups?: SecurityGroupFix}

export interface Fixed {
  type: LoadBalancerType
  result: unknown
}

/** `listeners fix` for any load balancer type: detect from round trip 1, then the type's adapter plans and applies. */
export async function fixAnyListeners(clients: AwsClients, intent: FixIntent<FixOptions>): Promise<Fixed> {
  checkCertificateInput(intent)
  // EC2 first (the security groups are read on every type), then ELBv2 (Beanstalk's default load balancer is an ALB),
  // as show does: each is loaded only while round trip 1 is unanswered, so an ALB fix does not load the CLB client.
  const first = await firstRoundTrip(clients, intent.environmentName, ['ec2', 'elbv2', 'elb'])
  const detected = detectLoadBalancer(first.environment)
  const adapter = adapterFor(detected.type)
  // The security groups are made to admit the listener ports around the adapter's fix (src/security-groups).
  const fixed = await fixWithReachablePorts(clients, {first, detected, intent}, (i) =>
    adapter.fix(clients, {first, detected, intent: i}),
  )
  return {
    type: detected.type,
    result: fixed.securityGroups
      ? Object.assign(fixed.result as object, {securityGroups: fixed.securityGroups})
      : fixed.result,
  }
}

export const formatFixed = (f: Fixed): string =>
  [
    adapterFor(f.type).formatFix?.(f.result) ?? JSON.stringify(f.result),
    formatSecurityGroupFix((f.result as {securityGroups?: SecurityGroupFix} | undefined)?.securityGroups),
  ]
    .filter(Boolean)
    .join('\n')
