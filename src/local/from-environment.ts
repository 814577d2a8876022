import type {AwsClients} from '../aws/clients.ts'
import type {Listener, ListenerProtocol} from '../elb/model.ts'
import {describeOptionSettings} from '../environment/describe.ts'
import {targetGroupOf} from '../lb/application/model.ts'
import {readElbv2State} from '../lb/application/read-state.ts'
import {detectLoadBalancer} from '../lb/detect.ts'
import {firstRoundTrip} from '../lb/first-round-trip.ts'
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
  /** As `listeners show` detects it (src/lb/detect.ts): `local up --lb` follows it. */
  loadBalancerType: LoadBalancerType
  /** A shared ALB (emulated as a dedicated one: only this environment's traffic reaches the local copy). */
  shared: boolean
  /** A cookie stickiness policy on an HTTP/HTTPS listener (CLB), or the default process's target group stickiness. */
  stickiness: boolean
}

/**
 * A real environment's load balancer, to emulate locally; read-only. Round trip 1 and the type are those of
 * `listeners show` (src/lb/first-round-trip.ts + detect.ts); then a CLB's listeners, Proxy Protocol ports and idle
 * timeout (observeEnvironment), or an ALB/NLB's listeners, target groups and attributes (readElbv2State, with the
 * settings alongside to find the default process). No ACM or S3 call: the emulation needs no certificate details.
 */
export async function copyEnvironmentLayout(clients: AwsClients, environmentName: string): Promise<CopiedLayout> {
  const first = await firstRoundTrip(clients, environmentName)
  const detected = detectLoadBalancer(first.environment)
  if (detected.type === 'classic') {
    const observed = await observeEnvironment(clients, environmentName, {first})
    return {
      environmentName,
      loadBalancerName: observed.loadBalancerName,
      listeners: observed.state.listeners,
      proxyProtocolInstancePorts: proxyProtocolPorts(observed.state),
      idleTimeoutSeconds: observed.state.idleTimeoutSeconds,
      mode: classifyLayout(observed.state),
      loadBalancerType: 'classic',
      shared: false,
      stickiness: hasCookieStickiness(observed.state),
    }
  }
  const env = first.environment
  const {state, extra: settings} = await readElbv2State(
    clients,
    detected.id,
    () => describeOptionSettings(clients, env),
    (s) => s,
    env.environmentName,
    env.endpointUrl,
  )
  // The settings are authoritative over the ARN (LoadBalancerType, LoadBalancerIsShared).
  const {type, shared} = detectLoadBalancer(env, settings)
  const network = type === 'network'
  const tg = targetGroupOf(state)
  const proxyV2 = network && tg?.proxyProtocolV2 === true
  const instanceProtocol = (tg?.protocol ?? (network ? 'TCP' : 'HTTP')) as ListenerProtocol
  return {
    environmentName,
    loadBalancerName: state.name,
    // In the CLB terms local up prints: the front end, and the default process's port and protocol behind it.
    listeners: state.listeners.map((l) => ({
      loadBalancerPort: l.port,
      protocol: (l.protocol === 'TLS' ? 'SSL' : l.protocol) as ListenerProtocol,
      instancePort:
        state.targetGroups.find((t) => t.arn === l.defaultActions[0]?.targetGroupArn)?.port ?? tg?.port ?? 80,
      instanceProtocol,
      policyNames: [],
    })),
    proxyProtocolInstancePorts: proxyV2 && tg?.port !== undefined ? [tg.port] : [],
    // An NLB has no load balancer idle timeout attribute to copy: local up keeps its default.
    idleTimeoutSeconds: network ? undefined : state.idleTimeoutSeconds,
    // ALB: TLS ends at the load balancer, HTTP with X-Forwarded-* behind it; NLB: TCP, PROXY v2 when enabled.
    mode: network ? (proxyV2 ? 'proxy' : 'websocket') : 'http',
    loadBalancerType: type,
    shared,
    stickiness: !network && tg?.stickiness.enabled === true,
  }
}
