// Each ELBv2 patch of moto_launcher.py (12-15), against moto as shipped (--no-patch: the gap is there) and the
// patched launcher (the gap is closed). Removing a patch fails its test.
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeListenersCommand,
  DescribeSSLPoliciesCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2'

import {createCertificate} from './certificates.ts'
import {startMoto, type Moto} from './moto.ts'

const creds = {accessKeyId: 'testing', secretAccessKey: 'testing'}
const region = 'us-east-1'

async function subnets(url: string): Promise<{vpc: string; subnets: string[]}> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20240101/${region}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: 'Action=DescribeSubnets&Version=2016-11-15',
  })
  const xml = await res.text()
  return {
    vpc: /<vpcId>([^<]+)<\/vpcId>/.exec(xml)![1]!,
    subnets: [...xml.matchAll(/<subnetId>([^<]+)<\/subnetId>/g)].map((m) => m[1]!).slice(0, 2),
  }
}

describe('moto ELBv2 patches', () => {
  let patched: Moto
  let shipped: Moto
  let p: ElasticLoadBalancingV2Client
  let u: ElasticLoadBalancingV2Client
  before(async () => {
    ;[patched, shipped] = await Promise.all([startMoto({patched: true}), startMoto({patched: false})])
    p = new ElasticLoadBalancingV2Client({region, endpoint: patched.url, credentials: creds, maxAttempts: 1})
    u = new ElasticLoadBalancingV2Client({region, endpoint: shipped.url, credentials: creds, maxAttempts: 1})
  })
  after(async () => {
    p?.destroy()
    u?.destroy()
    await Promise.all([patched?.stop(), shipped?.stop()])
  })

  let n = 0
  async function alb(
    client: ElasticLoadBalancingV2Client,
    url: string,
    type: 'application' | 'network' = 'application',
  ) {
    const net = await subnets(url)
    const lb = (await client.send(new CreateLoadBalancerCommand({Name: `lb-${++n}`, Subnets: net.subnets, Type: type})))
      .LoadBalancers![0]!
    const tg = (
      await client.send(
        new CreateTargetGroupCommand({
          Name: `tg-${n}`,
          Protocol: type === 'network' ? 'TCP' : 'HTTP',
          Port: 80,
          VpcId: net.vpc,
        }),
      )
    ).TargetGroups![0]!
    return {arn: lb.LoadBalancerArn!, tg: tg.TargetGroupArn!}
  }

  it('12: CreateListener refuses an unknown SslPolicy (SSLPolicyNotFound)', async () => {
    for (const [client, moto, gap] of [
      [u, shipped, true],
      [p, patched, false],
    ] as const) {
      const cert = await createCertificate({endpoint: moto.url, region, kind: 'rsa2048'})
      const lb = await alb(client, moto.url)
      const create = client.send(
        new CreateListenerCommand({
          LoadBalancerArn: lb.arn,
          Protocol: 'HTTPS',
          Port: 443,
          SslPolicy: 'ELBSecurityPolicy-Nope',
          Certificates: [{CertificateArn: cert.arn}],
          DefaultActions: [{Type: 'forward', TargetGroupArn: lb.tg}],
        }),
      )
      if (gap) await create
      else await assert.rejects(create, (e: Error) => e.name === 'SSLPolicyNotFoundException')
    }
  })

  it('13: a plain HTTP listener reports no SslPolicy', async () => {
    for (const [client, moto, gap] of [
      [u, shipped, true],
      [p, patched, false],
    ] as const) {
      const lb = await alb(client, moto.url)
      await client.send(
        new CreateListenerCommand({
          LoadBalancerArn: lb.arn,
          Protocol: 'HTTP',
          Port: 80,
          DefaultActions: [{Type: 'forward', TargetGroupArn: lb.tg}],
        }),
      )
      const l = (await client.send(new DescribeListenersCommand({LoadBalancerArn: lb.arn}))).Listeners![0]!
      assert.equal(l.SslPolicy, gap ? 'ELBSecurityPolicy-2016-08' : undefined)
    }
  })

  it('14: DescribeSSLPolicies with an unknown name answers SSLPolicyNotFound', async () => {
    const known = await p.send(new DescribeSSLPoliciesCommand({Names: ['ELBSecurityPolicy-TLS13-1-2-2021-06']}))
    assert.equal(known.SslPolicies?.[0]?.Name, 'ELBSecurityPolicy-TLS13-1-2-2021-06')
    assert.deepEqual((await u.send(new DescribeSSLPoliciesCommand({Names: ['Nope']}))).SslPolicies, [])
    await assert.rejects(
      p.send(new DescribeSSLPoliciesCommand({Names: ['Nope']})),
      (e: Error) => e.name === 'SSLPolicyNotFoundException',
    )
  })

  it('15: a Network Load Balancer ARN says loadbalancer/net/', async () => {
    assert.match((await alb(u, shipped.url, 'network')).arn, /:loadbalancer\/app\//)
    const nlb = await alb(p, patched.url, 'network')
    assert.match(nlb.arn, /:loadbalancer\/net\//)
    const l = await p.send(
      new CreateListenerCommand({
        LoadBalancerArn: nlb.arn,
        Protocol: 'TCP',
        Port: 80,
        DefaultActions: [{Type: 'forward', TargetGroupArn: nlb.tg}],
      }),
    )
    assert.match(l.Listeners![0]!.ListenerArn!, /:listener\/net\//)
    assert.match((await alb(p, patched.url, 'application')).arn, /:loadbalancer\/app\//)
  })
})
