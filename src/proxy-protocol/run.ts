import type {AwsClients} from '../aws/clients.ts'
import {badInput} from '../cli/errors.ts'
import {detectLoadBalancer} from '../lb/detect.ts'
import {firstRoundTrip} from '../lb/first-round-trip.ts'
import {adapterFor} from '../lb/registry.ts'
import type {ProxyChangeOptions, ProxyChangeResult, StatusResult} from '../lb/types.ts'

export type {ProxyChangeOptions, ProxyChangeResult, StatusResult}

/**
 * `proxy-protocol status`, for any load balancer type: round trip 1, detection, then the type's adapter (a CLB: per
 * instance port, live and configured, with the safety verdict; an NLB: the target group attribute).
 */
export async function proxyStatus(
  clients: AwsClients,
  o: {environmentName: string; instancePort?: number | undefined; skipAppCheck?: boolean},
): Promise<StatusResult> {
  const first = await firstRoundTrip(clients, o.environmentName)
  const detected = detectLoadBalancer(first.environment)
  return adapterFor(detected.type).proxyStatus(clients, {first, detected}, o)
}

/** `proxy-protocol enable|disable`, for any load balancer type: the type's adapter plans it, the pipeline applies it. */
export async function changeProxyProtocol(
  clients: AwsClients,
  action: 'enable' | 'disable',
  o: ProxyChangeOptions,
): Promise<ProxyChangeResult> {
  if (action === 'disable' && o.healthCheckTcp) throw badInput('BAD_FLAG', '--health-check applies to enable only.')
  const first = await firstRoundTrip(clients, o.environmentName)
  const detected = detectLoadBalancer(first.environment)
  return adapterFor(detected.type).proxyChange(clients, {first, detected}, action, o)
}
