// The load balancer security group Beanstalk creates for an environment (the stack's AWSEBLoadBalancerSecurityGroup)
// in moto's EC2, and its inbound rules kept in step with the listener ports of the option settings, as the
// environment's CloudFormation stack keeps them. See EB-FAKE.md ("Load balancer security group").
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeVpcsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2'

const credentials = {accessKeyId: 'testing', secretAccessKey: 'testing'}

/** What the fake remembers of an environment's load balancer groups. */
export interface EnvSecurityGroups {
  /** The groups on the load balancer, in order. */
  ids: string[]
  /** The group Beanstalk made (absent when the SecurityGroups option names the user's own). */
  managedId?: string | undefined
  /** The listener ports the stack opened on the managed group (the template's ingress). */
  ports: number[]
}

const rule = (port: number) => [{IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{CidrIp: '0.0.0.0/0'}]}]

export class SecurityGroupApplier {
  readonly ec2: EC2Client

  constructor(motoUrl: string, region: string) {
    this.ec2 = new EC2Client({endpoint: motoUrl, region, credentials, maxAttempts: 1})
  }

  /**
   * The environment's groups: those the SecurityGroups option names (the user's, left as they are), or a new
   * Beanstalk-managed group tagged as Beanstalk and CloudFormation tag it, admitting the listener ports from anywhere.
   */
  async create(
    env: {id: string; name: string},
    configured: string | undefined,
    listenerPorts: number[],
  ): Promise<EnvSecurityGroups> {
    const own = (configured ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    if (own.length > 0) return {ids: own, ports: []}
    const vpc = (await this.ec2.send(new DescribeVpcsCommand({Filters: [{Name: 'is-default', Values: ['true']}]})))
      .Vpcs?.[0]?.VpcId
    const stack = `awseb-${env.id}-stack`
    const out = await this.ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: `${stack}-AWSEBLoadBalancerSecurityGroup-${env.id.slice(2).toUpperCase()}`,
        Description: 'Load Balancer Security Group',
        VpcId: vpc,
        TagSpecifications: [
          {
            ResourceType: 'security-group',
            Tags: [
              {Key: 'elasticbeanstalk:environment-name', Value: env.name},
              {Key: 'elasticbeanstalk:environment-id', Value: env.id},
              {Key: 'Name', Value: env.name},
              {Key: 'aws:cloudformation:logical-id', Value: 'AWSEBLoadBalancerSecurityGroup'},
              {Key: 'aws:cloudformation:stack-name', Value: stack},
            ],
          },
        ],
      }),
    )
    const id = out.GroupId!
    const groups: EnvSecurityGroups = {ids: [id], managedId: id, ports: []}
    await this.sync(groups, listenerPorts)
    return groups
  }

  /**
   * CloudFormation updates the group's inbound rules by the difference between the old and the new template: rules
   * for listener ports that appeared are added, those for ports that went are removed, and rules added outside the
   * stack are left alone. A rule that is already there (added by hand) is kept as it is.
   */
  async sync(groups: EnvSecurityGroups, listenerPorts: number[]): Promise<boolean> {
    if (!groups.managedId) return false
    const want = [...new Set(listenerPorts)].sort((a, b) => a - b)
    let changed = false
    for (const port of want.filter((p) => !groups.ports.includes(p))) {
      try {
        await this.ec2.send(
          new AuthorizeSecurityGroupIngressCommand({GroupId: groups.managedId, IpPermissions: rule(port)}),
        )
      } catch (e) {
        if ((e as {name?: string}).name !== 'InvalidPermission.Duplicate') throw e
      }
      changed = true
    }
    for (const port of groups.ports.filter((p) => !want.includes(p))) {
      try {
        await this.ec2.send(
          new RevokeSecurityGroupIngressCommand({GroupId: groups.managedId, IpPermissions: rule(port)}),
        )
      } catch (e) {
        if ((e as {name?: string}).name !== 'InvalidPermission.NotFound') throw e
      }
      changed = true
    }
    groups.ports = want
    return changed
  }
}
