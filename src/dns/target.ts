import type {AwsClients} from '../aws/clients.ts'
import {awsCall} from '../aws/errors.ts'
import {badInput} from '../cli/errors.ts'
import type {EnvironmentInfo} from '../environment/describe.ts'
import type {LinkTarget} from './plan.ts'

/**
 * Where an environment's domain should point: an alias to its load balancer, whose DNS name and canonical hosted
 * zone id DescribeLoadBalancers gives ("Specify the value of the hosted zone ID for the load balancer",
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_AliasTarget.html); or, with no load balancer, a CNAME
 * to the environment's own CNAME.
 */
export async function linkTargetOf(clients: AwsClients, env: EnvironmentInfo): Promise<LinkTarget> {
  if (env.loadBalancerKind === 'classic' && env.loadBalancer) {
    const elb = await clients.elb()
    const {DescribeLoadBalancersCommand} = await import('@aws-sdk/client-elastic-load-balancing')
    const out = await awsCall('elasticloadbalancing:DescribeLoadBalancers', () =>
      elb.send(new DescribeLoadBalancersCommand({LoadBalancerNames: [env.loadBalancer!]})),
    )
    const lb = out.LoadBalancerDescriptions?.[0]
    if (lb?.DNSName && lb.CanonicalHostedZoneNameID) {
      // A CLB in a VPC has IPv4 addresses only, so an A alias and no AAAA.
      return {
        kind: 'alias',
        dnsName: lb.DNSName,
        hostedZoneId: lb.CanonicalHostedZoneNameID,
        ipv6: false,
        why: `an alias A record to the Classic Load Balancer ${lb.LoadBalancerName} (free queries, works at the zone apex, follows the load balancer's addresses)`,
      }
    }
  }
  if (env.loadBalancerKind === 'application' || env.loadBalancerKind === 'network') {
    throw badInput(
      'LB_TYPE_UNSUPPORTED',
      `Environment "${env.environmentName}" uses an ${env.loadBalancerKind === 'application' ? 'Application' : 'Network'} Load Balancer; dns link supports Classic Load Balancer and single-instance environments in this version.`,
      [
        `Create an alias A record to the load balancer in the Route 53 console, or a CNAME to ${env.cname ?? "the environment's CNAME"}.`,
      ],
    )
  }
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
