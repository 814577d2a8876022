import type {IpPermission, SecurityGroup as SdkSecurityGroup} from '@aws-sdk/client-ec2'

import type {AwsClients} from '../aws/clients.ts'
import {awsCall, awsErrorCode} from '../aws/errors.ts'
import {EbwsError} from '../cli/errors.ts'

/** The EC2 adapter: security groups (read their inbound rules, add and remove one TCP rule). */

export interface IngressRule {
  /** "tcp", "udp", "icmp", or "-1" (all traffic). */
  protocol: string
  fromPort?: number | undefined
  toPort?: number | undefined
  cidrs: string[]
  ipv6Cidrs: string[]
  sourceGroups: string[]
}

export interface SecurityGroup {
  id: string
  name: string
  vpcId?: string | undefined
  tags: Record<string, string>
  ingress: IngressRule[]
}

/** One TCP port open to one CIDR: the only rule ebws ever adds or removes. */
export interface PortRule {
  groupId: string
  port: number
  cidr: string
}

const toRule = (p: IpPermission): IngressRule => ({
  protocol: p.IpProtocol ?? '-1',
  fromPort: p.FromPort,
  toPort: p.ToPort,
  cidrs: (p.IpRanges ?? []).map((r) => r.CidrIp ?? '').filter(Boolean),
  ipv6Cidrs: (p.Ipv6Ranges ?? []).map((r) => r.CidrIpv6 ?? '').filter(Boolean),
  sourceGroups: (p.UserIdGroupPairs ?? []).map((g) => g.GroupId ?? '').filter(Boolean),
})

export const toSecurityGroup = (g: SdkSecurityGroup): SecurityGroup => ({
  id: g.GroupId ?? '',
  name: g.GroupName ?? '',
  vpcId: g.VpcId,
  tags: Object.fromEntries((g.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
  ingress: (g.IpPermissions ?? []).map(toRule),
})

/**
 * DescribeSecurityGroups by id, or by a tag filter (`tag:KEY` = value,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSecurityGroups.html), with the SDK's paginator.
 * A group id that does not exist is LB_NOT_FOUND's sibling: the group was deleted behind Beanstalk's back.
 */
export async function describeSecurityGroups(
  clients: AwsClients,
  query: {ids: string[]} | {tag: {key: string; value: string}},
): Promise<SecurityGroup[]> {
  if ('ids' in query && query.ids.length === 0) return []
  const ec2 = await clients.ec2()
  const {paginateDescribeSecurityGroups} = await import('./sdk.ts')
  const input =
    'ids' in query ? {GroupIds: query.ids} : {Filters: [{Name: `tag:${query.tag.key}`, Values: [query.tag.value]}]}
  try {
    return await awsCall('ec2:DescribeSecurityGroups', async () => {
      const out: SecurityGroup[] = []
      for await (const page of paginateDescribeSecurityGroups({client: ec2}, input))
        out.push(...(page.SecurityGroups ?? []).map(toSecurityGroup))
      return out
    })
  } catch (error) {
    if (awsErrorCode((error as EbwsError).cause ?? error) === 'InvalidGroup.NotFound') {
      throw new EbwsError(
        'LB_NOT_FOUND',
        `A security group of the load balancer does not exist: ${(error as Error).message}`,
        {
          hint: ['Check the aws:elb(v2):loadbalancer SecurityGroups option setting, or rebuild the environment.'],
          cause: error,
        },
      )
    }
    throw error
  }
}

const permission = (r: PortRule): IpPermission[] => [
  {
    IpProtocol: 'tcp',
    FromPort: r.port,
    ToPort: r.port,
    IpRanges: [{CidrIp: r.cidr, Description: `ebws: load balancer listener ${r.port}`}],
  },
]

/**
 * AuthorizeSecurityGroupIngress for one TCP port from one CIDR. Returns false when the rule was already there
 * (InvalidPermission.Duplicate): then it is not ours, and a rollback must leave it.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupIngress.html
 */
export async function authorizeIngress(clients: AwsClients, rule: PortRule): Promise<boolean> {
  const ec2 = await clients.ec2()
  const {AuthorizeSecurityGroupIngressCommand} = await import('./sdk.ts')
  try {
    await awsCall('ec2:AuthorizeSecurityGroupIngress', () =>
      ec2.send(new AuthorizeSecurityGroupIngressCommand({GroupId: rule.groupId, IpPermissions: permission(rule)})),
    )
    return true
  } catch (error) {
    if (awsErrorCode((error as EbwsError).cause ?? error) === 'InvalidPermission.Duplicate') return false
    throw error
  }
}

/** RevokeSecurityGroupIngress of exactly that rule; one that is already gone counts as revoked. */
export async function revokeIngress(clients: AwsClients, rule: PortRule): Promise<void> {
  const ec2 = await clients.ec2()
  const {RevokeSecurityGroupIngressCommand} = await import('./sdk.ts')
  try {
    await awsCall('ec2:RevokeSecurityGroupIngress', () =>
      ec2.send(
        new RevokeSecurityGroupIngressCommand({
          GroupId: rule.groupId,
          IpPermissions: [{IpProtocol: 'tcp', FromPort: rule.port, ToPort: rule.port, IpRanges: [{CidrIp: rule.cidr}]}],
        }),
      ),
    )
  } catch (error) {
    if (awsErrorCode((error as EbwsError).cause ?? error) === 'InvalidPermission.NotFound') return
    throw error
  }
}

/** The aws CLI command that does what a PortRule write does, for plans and dry runs. */
export const ingressCliCommand = (verb: 'authorize' | 'revoke', r: PortRule, region: string): string =>
  `aws ec2 ${verb}-security-group-ingress --region ${region} --group-id ${r.groupId} --protocol tcp --port ${r.port} --cidr ${r.cidr}`
