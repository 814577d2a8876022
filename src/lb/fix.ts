import type {AwsClients} from '../aws/clients.ts'
import type {FixOptions} from '../listeners/fix.ts'
import {checkCertificateInput} from '../listeners/fix.ts'
import {detectLoadBalancer} from './detect.ts'
import {firstRoundTrip} from './first-round-trip.ts'
import {adapterFor} from './registry.ts'
import type {FixIntent, LoadBalancerType} from './types.ts'

export interface Fixed {
  type: LoadBalancerType
  result: unknown
}

/** `listeners fix` for any load balancer type: detect from round trip 1, then the type's adapter plans and applies. */
export async function fixAnyListeners(clients: AwsClients, intent: FixIntent<FixOptions>): Promise<Fixed> {
  checkCertificateInput(intent)
  const first = await firstRoundTrip(clients, intent.environmentName)
  const detected = detectLoadBalancer(first.environment)
  const adapter = adapterFor(detected.type)
  return {type: detected.type, result: await adapter.fix(clients, {first, detected, intent})}
}

export const formatFixed = (f: Fixed): string => adapterFor(f.type).formatFix?.(f.result) ?? JSON.stringify(f.result)
