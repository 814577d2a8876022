import type {AwsClients} from '../aws/clients.ts'
import {awsCall} from '../aws/errors.ts'
import type {SecurityGroup} from '../ec2/security-groups.ts'
import {describeSecurityGroups} from '../ec2/security-groups.ts'
import type {DescribedLoadBalancer, DetectedLoadBalancer} from '../lb/types.ts'
import {describedClb} from '../listeners/inspect.ts'
import type {Exposure} from './model.ts'
import {ENV_ID_TAG} from './model.ts'

interface LoadBalancerFacts {
  scheme?: string | undefined
  groupIds: string[]
  listenerPorts: number[]
}

/**
 * What the load-balancer adapter's own reads found (ShowInput.onDescribed, FixIntent.onDescribed), or undefined when
 * it handed nothing; absent (the read-back after a fix), the load balancer is read here in full.
 */
type Described = Promise<DescribedLoadBalancer | undefined> | undefined

/** CLB: DescribeLoadBalancers names the groups (SecurityGroups, VPC only), the scheme and the listeners. */
async function classicFacts(clients: AwsClients, name: string, described: Described): Promise<LoadBalancerFacts> {
  // The adapter's DescribeLoadBalancers (round trip 2) answers all of it: no second one.
  const given = await described
  const d = given?.securityGroupIds ? given : describedClb(await describeClb(clients, name))
  return {scheme: d.scheme, groupIds: d.securityGroupIds ?? [], listenerPorts: d.listenerPorts}
}

async function describeClb(clients: AwsClients, name: string) {
  const elb = await clients.elb()
  const {DescribeLoadBalancersCommand} = await import('../aws/sdk/elb.ts')
  const out = await awsCall('elasticloadbalancing:DescribeLoadBalancers', () =>
    elb.send(new DescribeLoadBalancersCommand({LoadBalancerNames: [name]})),
  )
  return out.LoadBalancerDescriptions?.[0]
}

/**
 * ALB/NLB: DescribeLoadBalancers (groups, scheme), and the ports from the adapter's DescribeListeners (or from a
 * DescribeListeners of its own, side by side, when there is none to take).
 */
async function elbv2Facts(clients: AwsClients, arn: string, described: Described): Promise<LoadBalancerFacts> {
  const elbv2 = await clients.elbv2()
  const sdk = await import('../aws/sdk/elbv2.ts')
  const ownPorts = () =>
    awsCall('elasticloadbalancing:DescribeListeners', async () => {
      const found: number[] = []
      for await (const page of sdk.paginateDescribeListeners({client: elbv2}, {LoadBalancerArn: arn}))
        found.push(...(page.Listeners ?? []).map((l) => l.Port ?? 0).filter(Boolean))
      return found
    })
  const [lbs, ports] = await Promise.all([
    awsCall('elasticloadbalancing:DescribeLoadBalancers', () =>
      elbv2.send(new sdk.DescribeLoadBalancersCommand({LoadBalancerArns: [arn]})),
    ),
    described ? described.then((d) => d?.listenerPorts ?? ownPorts()) : ownPorts(),
  ])
  const lb = lbs.LoadBalancers?.[0]
  return {scheme: lb?.Scheme, groupIds: lb?.SecurityGroups ?? [], listenerPorts: ports}
}

const FACTS: Record<
  DetectedLoadBalancer['type'],
  (clients: AwsClients, id: string, described: Described) => Promise<LoadBalancerFacts>
> = {
  classic: classicFacts,
  application: elbv2Facts,
  network: elbv2Facts,
}

/**
 * The load balancer's listener ports and security groups, in one round trip when Beanstalk manages the groups: the
 * load balancer is described (or its description taken from the adapter's reads, `described`) beside
 * DescribeSecurityGroups filtered on the environment's id tag (which finds the groups Beanstalk made for it); only a
 * group of the load balancer that the tag did not find is described after.
 */
export async function readExposure(
  clients: AwsClients,
  input: {environmentId: string; detected: DetectedLoadBalancer; described?: Described},
): Promise<Exposure> {
  const [facts, tagged] = await Promise.all([
    FACTS[input.detected.type](clients, input.detected.id, input.described),
    input.environmentId
      ? describeSecurityGroups(clients, {tag: {key: ENV_ID_TAG, value: input.environmentId}})
      : Promise.resolve([] as SecurityGroup[]),
  ])
  const known = new Map(tagged.map((g) => [g.id, g]))
  const missing = facts.groupIds.filter((id) => !known.has(id))
  for (const g of await describeSecurityGroups(clients, {ids: missing})) known.set(g.id, g)
  return {
    environmentId: input.environmentId,
    loadBalancerType: input.detected.type,
    scheme: facts.scheme,
    listenerPorts: [...new Set(facts.listenerPorts)].sort((a, b) => a - b),
    groups: facts.groupIds.map((id) => known.get(id)).filter((g): g is SecurityGroup => g !== undefined),
  }
}
