// The EC2 patch of moto_launcher.py (19), against moto as shipped (--no-patch: the gap is there) and the patched
// launcher (the gap is closed). Removing the patch fails its test.
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type IpPermission,
} from '@aws-sdk/client-ec2'
import {RevokeSecurityGroupIngressCommand} from '@aws-sdk/client-ec2'

import {startMoto, type Moto} from './moto.ts'

const creds = {accessKeyId: 'testing', secretAccessKey: 'testing'}
const region = 'us-east-1'
const tcp = (port: number, cidr: string): IpPermission => ({
  IpProtocol: 'tcp',
  FromPort: port,
  ToPort: port,
  IpRanges: [{CidrIp: cidr}],
})

describe('moto EC2 patches', () => {
  let patched: Moto
  let shipped: Moto
  let p: EC2Client
  let u: EC2Client
  before(async () => {
    ;[patched, shipped] = await Promise.all([startMoto({patched: true}), startMoto({patched: false})])
    p = new EC2Client({region, endpoint: patched.url, credentials: creds, maxAttempts: 1})
    u = new EC2Client({region, endpoint: shipped.url, credentials: creds, maxAttempts: 1})
  })
  after(async () => {
    p?.destroy()
    u?.destroy()
    await Promise.all([patched?.stop(), shipped?.stop()])
  })

  let n = 0
  /** A group in the default VPC (or a new one), admitting TCP 80 from anywhere. */
  async function group(ec2: EC2Client, vpc: 'default' | 'other'): Promise<string> {
    const vpcId =
      vpc === 'default'
        ? (await ec2.send(new DescribeVpcsCommand({Filters: [{Name: 'is-default', Values: ['true']}]}))).Vpcs![0]!
            .VpcId!
        : (await ec2.send(new CreateVpcCommand({CidrBlock: '10.20.0.0/16'}))).Vpc!.VpcId!
    const id = (
      await ec2.send(new CreateSecurityGroupCommand({GroupName: `g-${++n}`, Description: 'bench', VpcId: vpcId}))
    ).GroupId!
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({GroupId: id, IpPermissions: [tcp(80, '0.0.0.0/0')]}))
    return id
  }
  const ports = async (ec2: EC2Client, id: string) =>
    (await ec2.send(new DescribeSecurityGroupsCommand({GroupIds: [id]}))).SecurityGroups![0]!.IpPermissions!.map(
      (x) => x.FromPort,
    )

  it('19. default VPC: revoking a rule the group lacks is no error; it is listed in UnknownIpPermissions', async () => {
    const shippedGroup = await group(u, 'default')
    await assert.rejects(
      u.send(new RevokeSecurityGroupIngressCommand({GroupId: shippedGroup, IpPermissions: [tcp(443, '0.0.0.0/0')]})),
      (e: Error) => e.name === 'InvalidPermission.NotFound',
      'moto as shipped: an error',
    )

    const id = await group(p, 'default')
    const out = await p.send(
      new RevokeSecurityGroupIngressCommand({GroupId: id, IpPermissions: [tcp(443, '0.0.0.0/0')]}),
    )
    assert.equal(out.Return, true)
    assert.deepEqual(out.UnknownIpPermissions, [tcp(443, '0.0.0.0/0')])
    assert.deepEqual(await ports(p, id), [80], 'nothing revoked')

    // Known and unknown together: the known one is revoked, only the unknown one is listed.
    const both = await p.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: id,
        IpPermissions: [tcp(80, '0.0.0.0/0'), tcp(8080, '0.0.0.0/0')],
      }),
    )
    assert.deepEqual(both.UnknownIpPermissions, [tcp(8080, '0.0.0.0/0')])
    assert.deepEqual(await ports(p, id), [])

    // A rule that is there: revoked, nothing unknown.
    await p.send(new AuthorizeSecurityGroupIngressCommand({GroupId: id, IpPermissions: [tcp(443, '0.0.0.0/0')]}))
    const known = await p.send(
      new RevokeSecurityGroupIngressCommand({GroupId: id, IpPermissions: [tcp(443, '0.0.0.0/0')]}),
    )
    assert.equal(known.Return, true)
    assert.deepEqual(known.UnknownIpPermissions ?? [], [])
    assert.deepEqual(await ports(p, id), [])
  })

  it('19. another VPC keeps InvalidPermission.NotFound, patched or not', async () => {
    for (const ec2 of [p, u]) {
      const id = await group(ec2, 'other')
      await assert.rejects(
        ec2.send(new RevokeSecurityGroupIngressCommand({GroupId: id, IpPermissions: [tcp(443, '0.0.0.0/0')]})),
        (e: Error) => e.name === 'InvalidPermission.NotFound',
      )
      assert.deepEqual(await ports(ec2, id), [80])
    }
  })
})
