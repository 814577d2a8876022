import type {FileHandle} from 'node:fs/promises'

import type {AwsClients} from '../aws/clients.ts'
import {awsCall} from '../aws/errors.ts'
import type {ArchiveEntry} from '../bundle/archive.ts'
import type {AppCheck} from '../lb/types.ts'

// The answer's shape, AppCheck, lives in src/lb/types.ts (the CLB and NLB adapters both give it).
export type {AppCheck}

export const NGINX_CONFIG_PATHS = /^\.platform\/nginx\/(nginx\.conf|conf\.d\/[^/]+\.conf)$/

/** Pure: whether an nginx config listens on `port` with proxy_protocol (comments ignored). */
export function listensWithProxyProtocol(text: string, port: number): boolean {
  const code = text.replace(/#[^\n]*/g, '')
  for (const m of code.matchAll(/(?:^|[;{}\s])listen\s+([^;]*);/g)) {
    const words = (m[1] ?? '').trim().split(/\s+/)
    const address = words[0] ?? ''
    const listenPort = /^\d+$/.test(address) ? Number(address) : Number(/:(\d+)$/.exec(address)?.[1])
    if (listenPort === port && words.includes('proxy_protocol')) return true
  }
  return false
}

/** A FileHandle stand-in whose reads are S3 ranged GETs: enough for the bundle module's zip reader. */
function s3Reader(get: (start: number, end: number) => Promise<Uint8Array>): FileHandle {
  return {
    async read(buffer: Buffer, offset: number, length: number, position: number) {
      const bytes = await get(position, position + length - 1)
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).copy(buffer, offset)
      return {bytesRead: bytes.byteLength, buffer}
    },
  } as unknown as FileHandle
}

export async function checkDeployedApp(
  clients: AwsClients,
  env: {applicationName: string; versionLabel?: string | undefined},
  port: number,
): Promise<AppCheck> {
  const label = env.versionLabel
  if (!label)
    return {ok: false, reason: 'no application version is deployed (the environment runs the sample application)'}
  const eb = await clients.elasticBeanstalk()
  const {DescribeApplicationVersionsCommand} = await import('../aws/sdk/elastic-beanstalk.ts')
  const out = await awsCall('elasticbeanstalk:DescribeApplicationVersions', () =>
    eb.send(new DescribeApplicationVersionsCommand({ApplicationName: env.applicationName, VersionLabels: [label]})),
  )
  const source = out.ApplicationVersions?.find((v) => v.VersionLabel === label)?.SourceBundle
  if (!source?.S3Bucket || !source.S3Key)
    return {ok: false, versionLabel: label, reason: `application version ${label} has no S3 source bundle to inspect`}
  const Bucket = source.S3Bucket
  const Key = source.S3Key
  const bundle = `s3://${Bucket}/${Key}`
  const s3 = await clients.s3()
  const {HeadObjectCommand, GetObjectCommand} = await import('../aws/sdk/s3.ts')
  const head = await awsCall('s3:GetObject', () => s3.send(new HeadObjectCommand({Bucket, Key})))
  const size = head.ContentLength ?? 0
  const fh = s3Reader(async (start, end) => {
    const got = await awsCall('s3:GetObject', () =>
      s3.send(new GetObjectCommand({Bucket, Key, Range: `bytes=${start}-${end}`})),
    )
    return got.Body ? await got.Body.transformToByteArray() : new Uint8Array()
  })
  // The zip reader is loaded here, where it is used: src/bundle/archive.ts brings the bundler's writer, validator and
  // YAML parser with it, and every command that reaches the load-balancer registry (listeners show among them) would
  // otherwise load them without ever checking an app.
  const {readCentralDirectory, readEntry} = await import('../bundle/archive.ts')
  let entries: ArchiveEntry[]
  try {
    entries = await readCentralDirectory(fh, size)
  } catch (error) {
    return {
      ok: false,
      versionLabel: label,
      bundle,
      reason: `the bundle ${bundle} is not a readable zip: ${(error as Error).message}`,
    }
  }
  const candidates = entries.filter((e) => e.kind === 'file' && NGINX_CONFIG_PATHS.test(e.path))
  for (const e of candidates) {
    const text = (await readEntry(fh, e)).toString('utf8')
    if (listensWithProxyProtocol(text, port))
      return {
        ok: true,
        versionLabel: label,
        bundle,
        file: e.path,
        reason: `${e.path} in ${label} listens on ${port} with proxy_protocol`,
      }
  }
  return {
    ok: false,
    versionLabel: label,
    bundle,
    reason: `the deployed version ${label} has no nginx config listening on ${port} with proxy_protocol (looked in ${candidates.length > 0 ? candidates.map((e) => e.path).join(', ') : '.platform/nginx/nginx.conf and .platform/nginx/conf.d/*.conf'})`,
  }
}
