import type {IpPermission, SecurityGroup as SdkSecurityGroup} from '@aws-sdk/client-ec2'

import type {AwsClients} from '../aws/clients.ts'
import {awsCall, awsErrorCode} from '../aws/errors.ts'
import {EbwsError} from '../cli/errors.ts'
import {shellWord} from '../format/shell.ts'

/** The EC2 adapter: security groups (read their inbound rules, add and remove one TCP rule). */

export interface IngressRule {
  /** "tcp", "udp", "icmp", or "-1" (all traffic). */
  protocol: string
  fromPort?: number | undefined
  toPort?: number | undefined
  cidrs: string[]
  /** The description of each IPv4 range, by CIDR (absent: none). */
  cidrDescriptions?: Record<string, string> | undefined
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
  cidrDescriptions: Object.fromEntries(
    (p.IpRanges ?? []).filter((r) => r.CidrIp && r.Description).map((r) => [r.CidrIp!, r.Description!]),
  ),
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
  const {paginateDescribeSecurityGroups} = await import('../aws/sdk/ec2.ts')
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

/**
 * One inbound rule exactly as ebws authorized it: the group, the protocol, the port range, the CIDR and the
 * description it set. `listeners fix` records these in its snapshot; `listeners restore` revokes exactly these.
 */
export interface AuthorizedRule {
  groupId: string
  ipProtocol: 'tcp'
  fromPort: number
  toPort: number
  cidrIp: string
  description: string
}

/** What a snapshot records of the security groups: the rules ebws added (absent in older snapshots). */
export interface SecurityGroupsRecord {
  added: AuthorizedRule[]
}

/** The rule ebws authorizes for a PortRule (one TCP port from one CIDR, with ebws's description). */
export const authorizedRule = (r: PortRule): AuthorizedRule => ({
  groupId: r.groupId,
  ipProtocol: 'tcp',
  fromPort: r.port,
  toPort: r.port,
  cidrIp: r.cidr,
  description: `ebws: load balancer listener ${r.port}`,
})

const permission = (r: AuthorizedRule): IpPermission[] => [
  {
    IpProtocol: r.ipProtocol,
    FromPort: r.fromPort,
    ToPort: r.toPort,
    IpRanges: [{CidrIp: r.cidrIp, Description: r.description}],
  },
]

/**
 * AuthorizeSecurityGroupIngress for one TCP port from one CIDR. Returns false when the rule was already there
 * (InvalidPermission.Duplicate): then it is not ours, and a rollback must leave it.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupIngress.html
 */
export async function authorizeIngress(clients: AwsClients, rule: PortRule | AuthorizedRule): Promise<boolean> {
  const ec2 = await clients.ec2()
  const {AuthorizeSecurityGroupIngressCommand} = await import('../aws/sdk/ec2.ts')
  const exact = 'port' in rule ? authorizedRule(rule) : rule
  try {
    await awsCall('ec2:AuthorizeSecurityGroupIngress', () =>
      ec2.send(new AuthorizeSecurityGroupIngressCommand({GroupId: exact.groupId, IpPermissions: permission(exact)})),
    )
    return true
  } catch (error) {
    if (awsErrorCode((error as EbwsError).cause ?? error) === 'InvalidPermission.Duplicate') return false
    throw error
  }
}

/**
 * RevokeSecurityGroupIngress of exactly that rule (protocol, port range and CIDR; the description is not needed to
 * name it). Returns false when the rule was not there, so nothing was revoked: EC2 answers InvalidPermission.NotFound
 * in a non-default VPC, and in a default VPC no error but the rule among UnknownIpPermissions
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupIngress.html). A rollback puts
 * back only what returned true.
 */
export async function revokeIngress(clients: AwsClients, rule: PortRule | AuthorizedRule): Promise<boolean> {
  const ec2 = await clients.ec2()
  const {RevokeSecurityGroupIngressCommand} = await import('../aws/sdk/ec2.ts')
  const exact = 'port' in rule ? authorizedRule(rule) : rule
  try {
    const out = await awsCall('ec2:RevokeSecurityGroupIngress', () =>
      ec2.send(
        new RevokeSecurityGroupIngressCommand({
          GroupId: exact.groupId,
          IpPermissions: [
            {
              IpProtocol: exact.ipProtocol,
              FromPort: exact.fromPort,
              ToPort: exact.toPort,
              IpRanges: [{CidrIp: exact.cidrIp}],
            },
          ],
        }),
      ),
    )
    return (out.UnknownIpPermissions ?? []).length === 0
  } catch (error) {
    if (awsErrorCode((error as EbwsError).cause ?? error) === 'InvalidPermission.NotFound') return false
    throw error
  }
}

/**
 * The aws CLI command that does what a write does, for plans, dry runs and recovery. An AuthorizedRule is authorized
 * with its description (--ip-permissions), so a rule put back by hand is the one a later restore recognises.
 */
export function ingressCliCommand(verb: 'authorize' | 'revoke', r: PortRule | AuthorizedRule, region: string): string {
  const head = `aws ec2 ${verb}-security-group-ingress --region ${region} --group-id ${r.groupId}`
  if ('port' in r) return `${head} --protocol tcp --port ${r.port} --cidr ${r.cidr}`
  const ports = r.fromPort === r.toPort ? `${r.fromPort}` : `${r.fromPort}-${r.toPort}`
  if (verb === 'revoke') return `${head} --protocol ${r.ipProtocol} --port ${ports} --cidr ${r.cidrIp}`
  const permission = `IpProtocol=${r.ipProtocol},FromPort=${r.fromPort},ToPort=${r.toPort},IpRanges=[{CidrIp=${r.cidrIp},Description="${r.description}"}]`
  return `${head} --ip-permissions ${shellWord(permission)}`
}
