import type {LoadBalancerDescription, PolicyDescription} from '@aws-sdk/client-elastic-load-balancing'

import type {AwsClients} from '../aws/clients.ts'
import {awsCall, awsErrorCode} from '../aws/errors.ts'
import {EbwsError} from '../cli/errors.ts'
import type {ListenerProtocol, LoadBalancerState, Policy} from './model.ts'

const PROTOCOLS = new Set(['HTTP', 'HTTPS', 'TCP', 'SSL'])
const protocol = (p: string | undefined): ListenerProtocol => {
  const upper = (p ?? '').toUpperCase()
  return (PROTOCOLS.has(upper) ? upper : 'TCP') as ListenerProtocol
}

/** Pure: SDK shapes to our model. */
export function toLoadBalancerState(
  lb: LoadBalancerDescription,
  policies: PolicyDescription[],
  attributes: {
    idleTimeoutSeconds?: number | undefined
    crossZone?: boolean | undefined
    connectionDrainingEnabled?: boolean | undefined
  },
): LoadBalancerState {
  return {
    name: lb.LoadBalancerName ?? '',
    dnsName: lb.DNSName,
    listeners: (lb.ListenerDescriptions ?? [])
      .filter((d) => d.Listener)
      .map((d) => {
        const l = d.Listener!
        return {
          loadBalancerPort: l.LoadBalancerPort ?? 0,
          protocol: protocol(l.Protocol),
          instancePort: l.InstancePort ?? 0,
          // InstanceProtocol may be omitted; the API then uses the front-end's security level.
          instanceProtocol: protocol(l.InstanceProtocol ?? l.Protocol),
          sslCertificateId: l.SSLCertificateId || undefined,
          policyNames: d.PolicyNames ?? [],
        }
      })
      .sort((a, b) => a.loadBalancerPort - b.loadBalancerPort),
    backendPolicies: (lb.BackendServerDescriptions ?? [])
      .map((b) => ({instancePort: b.InstancePort ?? 0, policyNames: b.PolicyNames ?? []}))
      .sort((a, b) => a.instancePort - b.instancePort),
    policies: policies.map((p): Policy => ({
      name: p.PolicyName ?? '',
      typeName: p.PolicyTypeName ?? '',
      attributes: (p.PolicyAttributeDescriptions ?? []).map((a) => ({
        name: a.AttributeName ?? '',
        value: a.AttributeValue ?? '',
      })),
    })),
    healthCheck: lb.HealthCheck
      ? {
          target: lb.HealthCheck.Target ?? '',
          intervalSeconds: lb.HealthCheck.Interval ?? 0,
          timeoutSeconds: lb.HealthCheck.Timeout ?? 0,
          healthyThreshold: lb.HealthCheck.HealthyThreshold ?? 0,
          unhealthyThreshold: lb.HealthCheck.UnhealthyThreshold ?? 0,
        }
      : undefined,
    ...attributes,
  }
}

/**
 * Reads everything we model about a CLB in one round trip: DescribeLoadBalancers, DescribeLoadBalancerPolicies
 * (with the name: this load balancer's own policies and their attributes) and DescribeLoadBalancerAttributes, concurrently.
 */
export async function readLoadBalancerState(
  clients: AwsClients,
  name: string,
  o: {onDescribed?: (lb: LoadBalancerDescription) => void} = {},
): Promise<LoadBalancerState> {
  const elb = await clients.elb()
  const {DescribeLoadBalancersCommand, DescribeLoadBalancerPoliciesCommand, DescribeLoadBalancerAttributesCommand} =
    await import('../aws/sdk/elb.ts')
  try {
    const [described, policies, attributes] = await Promise.all([
      awsCall('elasticloadbalancing:DescribeLoadBalancers', () =>
        elb.send(new DescribeLoadBalancersCommand({LoadBalancerNames: [name]})),
      ).then((out) => {
        const lb = out.LoadBalancerDescriptions?.[0]
        if (lb) o.onDescribed?.(lb)
        return out
      }),
      awsCall('elasticloadbalancing:DescribeLoadBalancerPolicies', () =>
        elb.send(new DescribeLoadBalancerPoliciesCommand({LoadBalancerName: name})),
      ),
      awsCall('elasticloadbalancing:DescribeLoadBalancerAttributes', () =>
        elb.send(new DescribeLoadBalancerAttributesCommand({LoadBalancerName: name})),
      ),
    ])
    const lb = described.LoadBalancerDescriptions?.[0]
    if (!lb) throw notFound(name)
    const attrs = attributes.LoadBalancerAttributes
    return toLoadBalancerState(lb, policies.PolicyDescriptions ?? [], {
      idleTimeoutSeconds: attrs?.ConnectionSettings?.IdleTimeout,
      crossZone: attrs?.CrossZoneLoadBalancing?.Enabled,
      connectionDrainingEnabled: attrs?.ConnectionDraining?.Enabled,
    })
  } catch (error) {
    const code = awsErrorCode((error as EbwsError).cause ?? error)
    if (code === 'LoadBalancerNotFound' || code === 'AccessPointNotFound' || code === 'AccessPointNotFoundException')
      throw notFound(name)
    throw error
  }
}

function notFound(name: string): EbwsError {
  return new EbwsError('LB_NOT_FOUND', `The environment's Classic Load Balancer "${name}" was not found.`, {
    hint: [
      'It may have been deleted outside Elastic Beanstalk; rebuild the environment (`eb rebuild`) or check --region.',
    ],
  })
}

/**
 * Whether a predefined policy (e.g. an ELBSecurityPolicy-*) exists: DescribeLoadBalancerPolicies without a load
 * balancer name describes the predefined ones, and answers PolicyNotFound for a name that is not one.
 * https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_DescribeLoadBalancerPolicies.html
 */
export async function predefinedPolicyExists(clients: AwsClients, name: string): Promise<boolean> {
  const elb = await clients.elb()
  const {DescribeLoadBalancerPoliciesCommand} = await import('../aws/sdk/elb.ts')
  try {
    const out = await awsCall('elasticloadbalancing:DescribeLoadBalancerPolicies', () =>
      elb.send(new DescribeLoadBalancerPoliciesCommand({PolicyNames: [name]})),
    )
    return (out.PolicyDescriptions ?? []).some((p) => p.PolicyName === name)
  } catch (error) {
    const code = awsErrorCode((error as EbwsError).cause ?? error)
    if (code === 'PolicyNotFound' || code === 'PolicyNotFoundException') return false
    throw error
  }
}
