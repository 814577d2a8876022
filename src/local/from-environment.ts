import type {AwsClients} from '../aws/clients.ts'
import type {Listener} from '../elb/model.ts'
import {observeEnvironment} from '../listeners/inspect.ts'
import type {LayoutMode} from '../listeners/modes.ts'
import {hasCookieStickiness} from '../listeners/scale-warnings.ts'
import {classifyLayout, proxyProtocolPorts} from '../listeners/verdict.ts'
import type {LoadBalancerType} from './haproxy.ts'

export interface CopiedLayout {
  environmentName: string
  loadBalancerName: string
  listeners: Listener[]
  proxyProtocolInstancePorts: number[]
  idleTimeoutSeconds?: number | undefined
  /** The known layout the listeners form, if any (for labels; the emulation follows the listeners themselves). */
  mode: LayoutMode | 'none'
  /** classic, unless the observed environment says otherwise (ALB/NLB detection: `loadBalancerType` when present). */
  loadBalancerType: LoadBalancerType
  /** A cookie stickiness policy on an HTTP/HTTPS listener (CLB), or target group stickiness when reported. */
  stickiness: boolean
}

/**
 * The load balancer type, from a field the ALB/NLB detection may add to the observed environment; classic until then
 * (observeEnvironment refuses other types today).
 */
function observedType(observed: object): LoadBalancerType {
  const type = (observed as {loadBalancerType?: unknown}).loadBalancerType
  return type === 'application' || type === 'network' ? type : 'classic'
}

/** A real environment's CLB listeners, Proxy Protocol ports and idle timeout, to emulate locally. Read-only. */
export async function copyEnvironmentLayout(clients: AwsClients, environmentName: string): Promise<CopiedLayout> {
  const observed = await observeEnvironment(clients, environmentName)
  return {
    environmentName,
    loadBalancerName: observed.loadBalancerName,
    listeners: observed.state.listeners,
    proxyProtocolInstancePorts: proxyProtocolPorts(observed.state),
    idleTimeoutSeconds: observed.state.idleTimeoutSeconds,
    mode: classifyLayout(observed.state),
    loadBalancerType: observedType(observed),
    stickiness: hasCookieStickiness(observed.state) || (observed.state as {stickiness?: boolean}).stickiness === true,
  }
}
