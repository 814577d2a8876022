import type {AwsClients} from '../aws/clients.ts'
import {awsCall} from '../aws/errors.ts'
import {badInput} from '../cli/errors.ts'
import type {EnvironmentInfo} from '../environment/describe.ts'
import {detectLoadBalancer} from '../lb/detect.ts'
import type {DetectedLoadBalancer} from '../lb/types.ts'
import type {LinkTarget} from './plan.ts'

/**
 * Where an environment's domain should point: an alias to its load balancer, whose DNS name and canonical hosted
 * zone id DescribeLoadBalancers gives ("Specify the value of the hosted zone ID for the load balancer ... Classic
 * Load Balancers: CanonicalHostedZoneNameID; Application and Network Load Balancers: CanonicalHostedZoneId",
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_AliasTarget.html); or, with no load balancer, a CNAME
 * to the environment's own CNAME. The type comes from round trip 1 (src/lb/detect.ts).
 */
export async function linkTargetOf(clients: AwsClients, env: EnvironmentInfo): Promise<LinkTarget> {
  if (env.loadBalancerKind === 'none' || !env.loadBalancer) {
    if (env.cname)
      return {
        kind: 'cname',
        value: env.cname,
        why: `a CNAME to the environment's CNAME ${env.cname}: it has no load balancer to alias`,
      }
    throw badInput(
      'LB_TYPE_UNSUPPORTED',
      `Environment "${env.environmentName}" has neither a load balancer nor a CNAME to point a domain at.`,
    )
  }
  const detected = detectLoadBalancer(env)
  return detected.type === 'classic' ? classicTarget(clients, detected) : elbv2Target(clients, detected)
}

async function classicTarget(clients: AwsClients, lb: DetectedLoadBalancer): Promise<LinkTarget> {
  const elb = await clients.elb()
  const {DescribeLoadBalancersCommand} = await import('../aws/sdk/elb.ts')
  const out = await awsCall('elasticloadbalancing:DescribeLoadBalancers', () =>
    elb.send(new DescribeLoadBalancersCommand({LoadBalancerNames: [lb.id]})),
  )
  const d = out.LoadBalancerDescriptions?.[0]
  if (!d?.DNSName || !d.CanonicalHostedZoneNameID) throw noAliasTarget(lb.id)
  // A CLB in a VPC has IPv4 addresses only, so an A alias and no AAAA.
  return {
    kind: 'alias',
    dnsName: d.DNSName,
    hostedZoneId: d.CanonicalHostedZoneNameID,
    ipv4: true,
    ipv6: false,
    why: `an alias A record to the Classic Load Balancer ${d.LoadBalancerName} (free queries, works at the zone apex, follows the load balancer's addresses); no AAAA: a Classic Load Balancer in a VPC has IPv4 addresses only`,
  }
}

/**
 * ALB/NLB: IpAddressType says which address families the load balancer answers on (ipv4, dualstack,
 * dualstack-without-public-ipv4; https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_LoadBalancer.html).
 * A dualstack load balancer is aliased by A and AAAA to its DNS name with the `dualstack.` prefix, which is the name
 * that resolves to its IPv6 addresses too (https://repost.aws/knowledge-center/elb-configure-with-ipv6).
 */
async function elbv2Target(clients: AwsClients, lb: DetectedLoadBalancer): Promise<LinkTarget> {
  const elbv2 = await clients.elbv2()
  const {DescribeLoadBalancersCommand} = await import('../aws/sdk/elbv2.ts')
  const out = await awsCall('elasticloadbalancing:DescribeLoadBalancers', () =>
    elbv2.send(new DescribeLoadBalancersCommand({LoadBalancerArns: [lb.id]})),
  )
  const d = out.LoadBalancers?.[0]
  if (!d?.DNSName || !d.CanonicalHostedZoneId) throw noAliasTarget(lb.id)
  const kind = lb.type === 'application' ? 'Application' : 'Network'
  const family = d.IpAddressType ?? 'ipv4'
  const base = {kind: 'alias' as const, hostedZoneId: d.CanonicalHostedZoneId}
  const common = `to the ${kind} Load Balancer ${d.LoadBalancerName} (free queries, works at the zone apex, follows the load balancer's addresses)`
  if (family === 'dualstack')
    return {
      ...base,
      dnsName: `dualstack.${d.DNSName}`,
      ipv4: true,
      ipv6: true,
      why: `alias A and AAAA records ${common}; AAAA too: its IpAddressType is dualstack, so it has IPv6 addresses`,
    }
  if (family === 'dualstack-without-public-ipv4')
    return {
      ...base,
      dnsName: `dualstack.${d.DNSName}`,
      ipv4: false,
      ipv6: true,
      why: `an alias AAAA record ${common}; no A: its IpAddressType is dualstack-without-public-ipv4, so it has no public IPv4 address`,
    }
  return {
    ...base,
    dnsName: d.DNSName,
    ipv4: true,
    ipv6: false,
    why: `an alias A record ${common}; no AAAA: its IpAddressType is ${family}, so it has no IPv6 address`,
  }
}

const noAliasTarget = (id: string) =>
  badInput('LB_NOT_FOUND', `The environment's load balancer ${id} has no DNS name or canonical hosted zone id.`, [
    'Rebuild the environment, or check the region.',
  ])
