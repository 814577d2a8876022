// Shared by the proxy-protocol command tests: scenarios, a deployed bundle, and read-back with the AWS CLI.
import {execFile} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {promisify} from 'node:util'

import {CreateBucketCommand, PutObjectCommand, S3Client} from '@aws-sdk/client-s3'
import {ZipFile} from 'yazl'

import {shippedNginxFiles} from '../../../src/local/nginx.ts'
import type {FullBench, Scenario, Setting} from '../../bench/scenario.ts'

const exec = promisify(execFile)

/** SSL 443 -> TCP 80 + TCP 80 -> TCP 80, written out by hand: the layout Proxy Protocol belongs to. */
export const TCP_LAYOUT = (cert: string): Setting[] => [
  ['aws:elb:listener', 'ListenerProtocol', 'TCP'],
  ['aws:elb:listener', 'InstanceProtocol', 'TCP'],
  ['aws:elb:listener:443', 'ListenerProtocol', 'SSL'],
  ['aws:elb:listener:443', 'InstancePort', '80'],
  ['aws:elb:listener:443', 'InstanceProtocol', 'TCP'],
  ['aws:elb:listener:443', 'SSLCertificateId', cert],
]

/** A backend authentication policy on port 80 (and the public-key policy it names): "other backend policies". */
export const BACKEND_AUTH: Setting[] = [
  ['aws:elb:policies:ws-key', 'PublicKey', 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtest'],
  ['aws:elb:policies:ws-auth', 'PublicKeyPolicyNames', 'ws-key'],
  ['aws:elb:policies:ws-auth', 'InstancePorts', '80'],
]

function zip(files: Record<string, string | Buffer>): Promise<Buffer> {
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

/** Uploads a bundle to moto's S3 and makes it the environment's deployed version (as a finished deploy leaves it). */
export async function deployBundle(
  bench: FullBench,
  s: Scenario,
  kind: 'proxy-nginx' | 'default-nginx' | 'no-nginx',
): Promise<string> {
  const files: Record<string, string | Buffer> = {
    'package.json': '{"name":"app","scripts":{"start":"node app.js"}}',
    'app.js': 'console.log(1)\n',
  }
  if (kind !== 'no-nginx') {
    for (const f of shippedNginxFiles(kind === 'proxy-nginx' ? 'proxy-protocol' : 'default'))
      files[f.bundlePath] = readFileSync(f.source)
  }
  const s3 = new S3Client({
    region: bench.region,
    endpoint: bench.direct.moto,
    forcePathStyle: true,
    credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'},
  })
  const Bucket = 'ws-bundles'
  await s3.send(new CreateBucketCommand({Bucket})).catch(() => undefined)
  const label = `v${++versions}-${kind}`
  const Key = `${s.applicationName}/${label}.zip`
  await s3.send(new PutObjectCommand({Bucket, Key, Body: await zip(files)}))
  bench.eb.createApplicationVersion(s.applicationName, label, {s3Bucket: Bucket, s3Key: Key})
  bench.eb.setEnvironment(s.environmentName, {versionLabel: label})
  return label
}

export interface ElbReadBack {
  listeners: string[]
  backend: Record<number, string[]>
  policies: Record<string, string>
  healthCheck: string
}

/** The load balancer as the AWS CLI (an independent parser) reads it from moto, bypassing the fault proxy. */
export async function readBack(bench: FullBench, env: Record<string, string>, s: Scenario): Promise<ElbReadBack> {
  const aws = async (...args: string[]) =>
    JSON.parse(
      (
        await exec(
          'aws',
          [
            'elb',
            ...args,
            '--load-balancer-name',
            s.loadBalancerName,
            '--output',
            'json',
            '--endpoint-url',
            bench.direct.moto,
          ],
          {env},
        )
      ).stdout,
    )
  const lbs = (await aws('describe-load-balancers')) as {
    LoadBalancerDescriptions: Array<{
      ListenerDescriptions: Array<{
        Listener: {Protocol: string; LoadBalancerPort: number; InstanceProtocol: string; InstancePort: number}
      }>
      BackendServerDescriptions?: Array<{InstancePort: number; PolicyNames: string[]}>
      HealthCheck: {Target: string}
    }>
  }
  const lb = lbs.LoadBalancerDescriptions[0]!
  const pols = (await aws('describe-load-balancer-policies')) as {
    PolicyDescriptions: Array<{
      PolicyName: string
      PolicyTypeName: string
      PolicyAttributeDescriptions?: Array<{AttributeName: string; AttributeValue: string}>
    }>
  }
  const backend: Record<number, string[]> = {}
  for (const b of lb.BackendServerDescriptions ?? [])
    if (b.PolicyNames.length > 0) backend[b.InstancePort] = [...b.PolicyNames].sort()
  const policies: Record<string, string> = {}
  for (const p of pols.PolicyDescriptions) {
    policies[p.PolicyName] =
      `${p.PolicyTypeName}${(p.PolicyAttributeDescriptions ?? []).map((a) => ` ${a.AttributeName}=${a.AttributeValue}`).join('')}`
  }
  return {
    listeners: lb.ListenerDescriptions.map(
      ({Listener: l}) => `${l.Protocol} ${l.LoadBalancerPort} -> ${l.InstanceProtocol} ${l.InstancePort}`,
    ).sort(),
    backend,
    policies,
    healthCheck: lb.HealthCheck.Target,
  }
}

/** The environment's option settings in one namespace, read with the AWS CLI from the EB fake. */
export async function settingsOf(
  bench: FullBench,
  env: Record<string, string>,
  s: Scenario,
  namespace: string,
): Promise<Record<string, string>> {
  const {stdout} = await exec(
    'aws',
    [
      'elasticbeanstalk',
      'describe-configuration-settings',
      '--application-name',
      s.applicationName,
      '--environment-name',
      s.environmentName,
      '--output',
      'json',
      '--endpoint-url',
      bench.direct.eb!,
    ],
    {env},
  )
  const out = JSON.parse(stdout) as {
    ConfigurationSettings: Array<{OptionSettings: Array<{Namespace: string; OptionName: string; Value?: string}>}>
  }
  const found: Record<string, string> = {}
  for (const o of out.ConfigurationSettings[0]!.OptionSettings)
    if (o.Namespace === namespace) found[o.OptionName] = o.Value ?? ''
  return found
}
