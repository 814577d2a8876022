// ALB/NLB scenarios on the local AWS bench: an environment in the EB fake whose load balancer lives in moto's ELBv2.
import {
  ElasticLoadBalancingV2Client,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeLoadBalancerAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2'

import {CreateBucketCommand, PutObjectCommand, S3Client} from '@aws-sdk/client-s3'
import {ElasticBeanstalkClient, UpdateEnvironmentCommand} from '@aws-sdk/client-elastic-beanstalk'
import {ZipFile} from 'yazl'

import {createCertificate, type BenchCertificate, type CertOptions} from '../../bench/certificates.ts'
import type {FullBench, Setting} from '../../bench/scenario.ts'

export interface AlbScenario {
  environmentName: string
  applicationName: string
  loadBalancerArn: string
  certificates: BenchCertificate[]
  elbv2: ElasticLoadBalancingV2Client
}

let counter = 0

export function directElbv2(bench: FullBench): ElasticLoadBalancingV2Client {
  return new ElasticLoadBalancingV2Client({
    region: bench.region,
    endpoint: bench.direct.moto,
    credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'},
  })
}

export async function createAlbScenario(
  bench: FullBench,
  spec: {
    type?: 'application' | 'network'
    certificates?: Array<CertOptions & {region?: string}>
    settings?: (certs: BenchCertificate[]) => Setting[]
    sharedLoadBalancerArn?: string
    live?: (elbv2: ElasticLoadBalancingV2Client, arn: string, certs: BenchCertificate[]) => Promise<void>
    environment?: string
  } = {},
): Promise<AlbScenario> {
  const certificates: BenchCertificate[] = []
  for (const c of spec.certificates ?? [])
    certificates.push(await createCertificate({endpoint: bench.direct.moto, region: c.region ?? bench.region, ...c}))
  const environmentName = spec.environment ?? `alb-env-${process.pid}-${++counter}`
  const env = await bench.eb.createEnvironment({
    name: environmentName,
    application: 'alb-app',
    loadBalancerType: spec.type ?? 'application',
    ...(spec.sharedLoadBalancerArn ? {sharedLoadBalancerArn: spec.sharedLoadBalancerArn} : {}),
    optionSettings: (spec.settings?.(certificates) ?? []).map(([Namespace, OptionName, Value]) => ({
      Namespace,
      OptionName,
      Value,
    })),
  })
  const elbv2 = directElbv2(bench)
  if (spec.live) await spec.live(elbv2, env.loadBalancerName!, certificates)
  return {environmentName, applicationName: 'alb-app', loadBalancerArn: env.loadBalancerName!, certificates, elbv2}
}

/** The ALB as read straight from moto (no faults), for asserting on what a command did. */
export async function readBack(elbv2: ElasticLoadBalancingV2Client, arn: string) {
  const listeners = (await elbv2.send(new DescribeListenersCommand({LoadBalancerArn: arn}))).Listeners ?? []
  const tgs = (await elbv2.send(new DescribeTargetGroupsCommand({LoadBalancerArn: arn}))).TargetGroups ?? []
  const attrs = await Promise.all(
    tgs.map((t) => elbv2.send(new DescribeTargetGroupAttributesCommand({TargetGroupArn: t.TargetGroupArn}))),
  )
  const lbAttrs = (await elbv2.send(new DescribeLoadBalancerAttributesCommand({LoadBalancerArn: arn}))).Attributes ?? []
  const rules = await Promise.all(
    listeners.map((l) => elbv2.send(new DescribeRulesCommand({ListenerArn: l.ListenerArn}))),
  )
  return {
    listeners: listeners
      .map((l, i) => ({
        port: l.Port,
        protocol: l.Protocol,
        sslPolicy: l.SslPolicy,
        certificate: l.Certificates?.[0]?.CertificateArn,
        actions: l.DefaultActions,
        rules: (rules[i]!.Rules ?? []).filter((r) => !r.IsDefault),
      }))
      .sort((a, b) => (a.port ?? 0) - (b.port ?? 0)),
    targetGroups: tgs.map((t, i) => ({
      name: t.TargetGroupName,
      arn: t.TargetGroupArn,
      attributes: Object.fromEntries((attrs[i]!.Attributes ?? []).map((a) => [a.Key, a.Value])),
    })),
    idleTimeout: lbAttrs.find((a) => a.Key === 'idle_timeout.timeout_seconds')?.Value,
  }
}

export const REDIRECT_ACTION = {
  Type: 'redirect' as const,
  RedirectConfig: {
    Protocol: 'HTTPS',
    Port: '443',
    Host: '#{host}',
    Path: '/#{path}',
    Query: '#{query}',
    StatusCode: 'HTTP_301' as const,
  },
}

/** An HTTPS 443 listener in the option settings, written by hand (not with the code under test). */
export const HTTPS_SETTINGS = (cert: string, policy = 'ELBSecurityPolicy-TLS13-1-2-2021-06'): Setting[] => [
  ['aws:elbv2:listener:443', 'Protocol', 'HTTPS'],
  ['aws:elbv2:listener:443', 'SSLCertificateArns', cert],
  ['aws:elbv2:listener:443', 'SSLPolicy', policy],
]

/** A zip of the files (yazl, deflated), as a source bundle. */
export function zipFiles(files: Record<string, string | Buffer>): Promise<Buffer> {
  const z = new ZipFile()
  for (const [path, data] of Object.entries(files)) z.addBuffer(Buffer.from(data), path, {mtime: new Date(0)})
  z.end()
  const chunks: Buffer[] = []
  return new Promise((resolve, reject) => {
    z.outputStream.on('data', (c: Buffer) => chunks.push(c))
    z.outputStream.on('end', () => resolve(Buffer.concat(chunks)))
    z.outputStream.on('error', reject)
  })
}

let versions = 0

/** Uploads a bundle to moto's S3 and deploys it with UpdateEnvironment (VersionLabel), waiting for Ready. */
export async function deployFiles(
  bench: FullBench,
  s: AlbScenario,
  files: Record<string, string | Buffer>,
): Promise<string> {
  const s3 = new S3Client({
    region: bench.region,
    endpoint: bench.direct.moto,
    forcePathStyle: true,
    credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'},
  })
  const Bucket = 'alb-bundles'
  await s3.send(new CreateBucketCommand({Bucket})).catch(() => undefined)
  const label = `alb-v${process.pid}-${++versions}`
  const Key = `${s.applicationName}/${label}.zip`
  await s3.send(new PutObjectCommand({Bucket, Key, Body: await zipFiles(files)}))
  s3.destroy()
  bench.eb.createApplicationVersion(s.applicationName, label, {s3Bucket: Bucket, s3Key: Key})
  const eb = new ElasticBeanstalkClient({
    region: bench.region,
    endpoint: bench.direct.eb,
    credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'},
  })
  await eb.send(new UpdateEnvironmentCommand({EnvironmentName: s.environmentName, VersionLabel: label}))
  eb.destroy()
  await bench.eb.waitForStatus(s.environmentName, 'Updating', 2000).catch(() => undefined)
  await bench.eb.waitForStatus(s.environmentName, 'Ready', 10_000)
  return label
}
