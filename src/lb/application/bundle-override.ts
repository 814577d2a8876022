import {inflateRawSync} from 'node:zlib'

import type {AwsClients} from '../../aws/clients.ts'
import {awsCall} from '../../aws/errors.ts'

/** Bundles larger than this are not downloaded just to look for the override (the verdict then says "unknown"). */
const MAX_BUNDLE_BYTES = 20 * 1024 * 1024

/** Names and contents of the .ebextensions/*.config files in a zip (stored or deflated entries). */
export function ebextensionsConfigs(zip: Buffer): Map<string, string> {
  const out = new Map<string, string>()
  let eocd = zip.length - 22
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--
  if (eocd < 0) return out
  let p = zip.readUInt32LE(eocd + 16)
  const count = zip.readUInt16LE(eocd + 10)
  for (let i = 0; i < count && p + 46 <= zip.length; i++) {
    const method = zip.readUInt16LE(p + 10)
    const size = zip.readUInt32LE(p + 20)
    const nameLen = zip.readUInt16LE(p + 28)
    const skip = nameLen + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32)
    const local = zip.readUInt32LE(p + 42)
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString('utf8')
    if (/^\.ebextensions\/[^/]+\.config$/.test(name) && local + 30 <= zip.length) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28)
      const data = zip.subarray(start, start + size)
      out.set(name, (method === 8 ? inflateRawSync(data) : data).toString('utf8'))
    }
    p += 46 + skip
  }
  return out
}

/**
 * Whether a config overrides the port-80 listener's DefaultActions through `Resources`: Beanstalk merges that key
 * into the environment's CloudFormation template, so the override outlives environment updates.
 * https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/environment-resources.html
 */
export async function configOverridesListener(text: string): Promise<boolean> {
  const {parse} = await import('yaml')
  try {
    const doc = parse(text) as {
      Resources?: {AWSEBV2LoadBalancerListener?: {Properties?: {DefaultActions?: unknown}}}
    } | null
    return Array.isArray(doc?.Resources?.AWSEBV2LoadBalancerListener?.Properties?.DefaultActions)
  } catch {
    return false
  }
}

/** Reads the deployed version's bundle (DescribeApplicationVersions, then S3) and looks for the override. */
export async function deployedBundleOverridesListener(
  clients: AwsClients,
  applicationName: string,
  versionLabel: string | undefined,
): Promise<boolean | undefined> {
  if (!versionLabel) return false
  try {
    const eb = await clients.elasticBeanstalk()
    const {DescribeApplicationVersionsCommand} = await import('@aws-sdk/client-elastic-beanstalk')
    const out = await awsCall('elasticbeanstalk:DescribeApplicationVersions', () =>
      eb.send(
        new DescribeApplicationVersionsCommand({ApplicationName: applicationName, VersionLabels: [versionLabel]}),
      ),
    )
    const bundle = out.ApplicationVersions?.[0]?.SourceBundle
    if (!bundle?.S3Bucket || !bundle.S3Key) return undefined
    const s3 = await clients.s3()
    const {GetObjectCommand} = await import('@aws-sdk/client-s3')
    const obj = await awsCall('s3:GetObject', () =>
      s3.send(new GetObjectCommand({Bucket: bundle.S3Bucket, Key: bundle.S3Key})),
    )
    if ((obj.ContentLength ?? 0) > MAX_BUNDLE_BYTES) return undefined
    const zip = Buffer.from(await obj.Body!.transformToByteArray())
    for (const text of ebextensionsConfigs(zip).values()) if (await configOverridesListener(text)) return true
    return false
  } catch {
    return undefined
  }
}
