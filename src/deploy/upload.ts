/**
 * Getting the bundle into S3: the bucket (CreateStorageLocation or --bucket), a check for an object already there,
 * the upload itself (multipart above one part, with progress), or a server-side copy of identical content.
 */
import {createReadStream} from 'node:fs'

import type {AwsClients} from '../aws/clients.ts'
import {awsCall, awsErrorCode} from '../aws/errors.ts'
import {EbwsError} from '../cli/errors.ts'

/** S3 metadata key carrying the content hash (sent as x-amz-meta-ebws-content-sha256). */
export const CONTENT_HASH_METADATA = 'ebws-content-sha256'

/**
 * Part size: 8 MiB, as the AWS CLI's multipart_chunksize (S3's minimum part is 5 MiB); bundles up to one part go in a
 * single PutObject. EBWS_UPLOAD_PART_BYTES overrides it (tests).
 * https://docs.aws.amazon.com/cli/latest/topic/s3-config.html
 */
export function partSize(): number {
  const fromEnv = Number(process.env.EBWS_UPLOAD_PART_BYTES)
  return fromEnv >= 5 * 1024 * 1024 ? fromEnv : 8 * 1024 * 1024
}

/**
 * The account's Elastic Beanstalk bucket, elasticbeanstalk-<region>-<account>. CreateStorageLocation creates it the
 * first time and afterwards "still returns the bucket name but does not create a new bucket".
 * https://docs.aws.amazon.com/elasticbeanstalk/latest/api/API_CreateStorageLocation.html
 */
export async function storageBucket(clients: AwsClients): Promise<string> {
  const eb = await clients.elasticBeanstalk()
  const {CreateStorageLocationCommand} = await import('../aws/sdk/elastic-beanstalk.ts')
  const out = await awsCall('elasticbeanstalk:CreateStorageLocation', () =>
    eb.send(new CreateStorageLocationCommand({})),
  )
  return out.S3Bucket ?? ''
}

/** The content hash stored on an existing object, '' when it has none, undefined when there is no object. */
export async function existingObjectHash(
  clients: AwsClients,
  bucket: string,
  key: string,
): Promise<string | undefined> {
  const s3 = await clients.s3()
  const {HeadObjectCommand} = await import('../aws/sdk/s3.ts')
  try {
    const head = await s3.send(new HeadObjectCommand({Bucket: bucket, Key: key}))
    return head.Metadata?.[CONTENT_HASH_METADATA] ?? ''
  } catch (error) {
    const code = awsErrorCode(error)
    const status = (error as {$metadata?: {httpStatusCode?: number}}).$metadata?.httpStatusCode
    if (code === 'NotFound' || code === 'NoSuchKey' || status === 404) return undefined
    return awsCall('s3:GetObject', () => Promise.reject(error))
  }
}

export interface UploadProgress {
  loaded: number
  total: number
}

/** Uploads the zip; lib-storage switches to a multipart upload (parts in parallel) above one part. */
export async function uploadBundle(
  clients: AwsClients,
  o: {
    file: string
    sizeBytes: number
    bucket: string
    key: string
    contentHash: string
    deadline?: number
    onProgress?: (p: UploadProgress) => void
  },
): Promise<{multipart: boolean}> {
  const s3 = await clients.s3()
  const {Upload} = await import('@aws-sdk/lib-storage')
  const size = partSize()
  // The overall --timeout bounds the upload too: abort it (and its multipart upload) at the deadline.
  const abortController = new AbortController()
  const upload = new Upload({
    client: s3,
    abortController,
    partSize: size,
    queueSize: 4,
    leavePartsOnError: false,
    params: {
      Bucket: o.bucket,
      Key: o.key,
      Body: createReadStream(o.file),
      ContentType: 'application/zip',
      ContentLength: o.sizeBytes,
      Metadata: {[CONTENT_HASH_METADATA]: o.contentHash},
    },
  })
  upload.on('httpUploadProgress', (p) => o.onProgress?.({loaded: p.loaded ?? 0, total: p.total ?? o.sizeBytes}))
  const timer =
    o.deadline === undefined
      ? undefined
      : setTimeout(() => abortController.abort(), Math.max(0, o.deadline - Date.now()))
  try {
    await awsCall('s3:PutObject', () => upload.done())
  } catch (error) {
    if (abortController.signal.aborted) {
      throw new EbwsError(
        'TIMEOUT',
        `The upload of s3://${o.bucket}/${o.key} did not finish within --timeout; it was aborted and nothing was deployed.`,
        {
          hint: ['Raise --timeout, or make the bundle smaller (.ebignore).'],
          cause: error,
        },
      )
    }
    throw error
  } finally {
    clearTimeout(timer)
  }
  return {multipart: o.sizeBytes > size}
}

/** Server-side copy of a bundle already in S3 (same content, new label): no bytes leave the machine. */
export async function copyBundle(
  clients: AwsClients,
  o: {from: {bucket: string; key: string}; bucket: string; key: string; contentHash: string},
): Promise<void> {
  const s3 = await clients.s3()
  const {CopyObjectCommand} = await import('../aws/sdk/s3.ts')
  await awsCall('s3:PutObject', () =>
    s3.send(
      new CopyObjectCommand({
        Bucket: o.bucket,
        Key: o.key,
        CopySource: `${o.from.bucket}/${o.from.key.split('/').map(encodeURIComponent).join('/')}`,
        MetadataDirective: 'REPLACE',
        ContentType: 'application/zip',
        Metadata: {[CONTENT_HASH_METADATA]: o.contentHash},
      }),
    ),
  )
}
