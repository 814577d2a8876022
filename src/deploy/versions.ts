/**
 * Application versions: which one to deploy (reuse, create, or refuse a label clash: a pure decision), listing them,
 * creating one with Process=true, and waiting until it is processed.
 */
import type {AwsClients} from '../aws/clients.ts'
import {awsCall} from '../aws/errors.ts'
import {badInput, EbwsError} from '../cli/errors.ts'
import {defaultPollInterval} from '../environment/wait.ts'
import {formatDuration} from '../duration.ts'
import {contentHashOf} from './label.ts'

export interface KnownVersion {
  label: string
  description?: string | undefined
  /** As returned: Processed | Unprocessed | Failed | Processing | Building (compared case-insensitively). */
  status?: string | undefined
  bucket?: string | undefined
  key?: string | undefined
  created?: string | undefined
}

export type VersionPlan =
  | {kind: 'reuse'; label: string; version: KnownVersion; why: string}
  | {kind: 'create'; label: string; copyFrom?: {bucket: string; key: string; label: string} | undefined; why: string}

const statusIs = (v: KnownVersion, s: string): boolean => (v.status ?? '').toLowerCase() === s.toLowerCase()

/**
 * Decides what to deploy, before anything is uploaded:
 * - `--label L` that exists: reuse it when it holds the same content; otherwise a clear error (never a silent reuse,
 *   never an overwrite). A Failed version with the same content is refused too: it cannot be deployed.
 * - `--label L` that is new: create it; when another version already holds the same content, its S3 object is copied
 *   server-side rather than uploaded again.
 * - no label: the newest usable version with the same content is reused; else a new one with the default label.
 * `versions` are newest first, as DescribeApplicationVersions returns them.
 */
export function planVersion(o: {
  versions: readonly KnownVersion[]
  contentHash: string
  requestedLabel?: string | undefined
  defaultLabel: string
  /** The label the environment runs: preferred when it holds this content, so a re-deploy changes nothing. */
  runningLabel?: string | undefined
}): VersionPlan {
  const sameContent = o.versions.filter((v) => contentHashOf(v.description) === o.contentHash && !statusIs(v, 'Failed'))
  if (o.requestedLabel !== undefined) {
    const existing = o.versions.find((v) => v.label === o.requestedLabel)
    if (existing) {
      const theirs = contentHashOf(existing.description)
      if (theirs === o.contentHash && !statusIs(existing, 'Failed')) {
        return {
          kind: 'reuse',
          label: existing.label,
          version: existing,
          why: `version ${existing.label} already exists with the same content`,
        }
      }
      const detail =
        theirs === o.contentHash
          ? 'with the same content, but its processing Failed, so it cannot be deployed'
          : theirs
            ? `with different content (sha256 ${theirs.slice(0, 12)}…, this bundle is ${o.contentHash.slice(0, 12)}…)`
            : 'and was not made by ebws, so its content cannot be compared'
      throw badInput(
        'VERSION_CONFLICT',
        `Application version "${o.requestedLabel}" already exists ${detail}. Nothing was uploaded.`,
        ['Choose a new --label, or leave --label out to name the version after the commit and the time.'],
        {label: o.requestedLabel, existingContentHash: theirs, contentHash: o.contentHash},
      )
    }
    const twin = sameContent.find((v) => v.bucket && v.key)
    return twin
      ? {
          kind: 'create',
          label: o.requestedLabel,
          copyFrom: {bucket: twin.bucket!, key: twin.key!, label: twin.label},
          why: `same content as version ${twin.label}: its bundle is copied in S3, not uploaded again`,
        }
      : {kind: 'create', label: o.requestedLabel, why: 'new version'}
  }
  const newest = sameContent.find((v) => v.label === o.runningLabel) ?? sameContent[0]
  if (newest)
    return {
      kind: 'reuse',
      label: newest.label,
      version: newest,
      why: `version ${newest.label} already holds this exact content`,
    }
  if (o.versions.some((v) => v.label === o.defaultLabel)) {
    throw badInput(
      'VERSION_CONFLICT',
      `Application version "${o.defaultLabel}" already exists with other content. Nothing was uploaded.`,
      ['Pass --label to name the version.'],
    )
  }
  return {kind: 'create', label: o.defaultLabel, why: 'new version'}
}

/** Every version of the application, newest first (DescribeApplicationVersions pages with NextToken). */
export async function listVersions(clients: AwsClients, application: string): Promise<KnownVersion[]> {
  const eb = await clients.elasticBeanstalk()
  const {DescribeApplicationVersionsCommand} = await import('../aws/sdk/elastic-beanstalk.ts')
  const out: KnownVersion[] = []
  let NextToken: string | undefined
  do {
    const page = await awsCall('elasticbeanstalk:DescribeApplicationVersions', () =>
      eb.send(new DescribeApplicationVersionsCommand({ApplicationName: application, MaxRecords: 1000, NextToken})),
    )
    for (const v of page.ApplicationVersions ?? []) {
      out.push({
        label: v.VersionLabel ?? '',
        description: v.Description,
        status: v.Status,
        bucket: v.SourceBundle?.S3Bucket,
        key: v.SourceBundle?.S3Key,
        created: v.DateCreated?.toISOString(),
      })
    }
    NextToken = page.NextToken
  } while (NextToken)
  return out
}

/**
 * CreateApplicationVersion with Process=true: Beanstalk pre-validates the bundle's .ebextensions before any
 * environment sees it (https://docs.aws.amazon.com/elasticbeanstalk/latest/api/API_CreateApplicationVersion.html).
 */
export async function createVersion(
  clients: AwsClients,
  o: {application: string; label: string; bucket: string; key: string; description: string},
): Promise<void> {
  const eb = await clients.elasticBeanstalk()
  const {CreateApplicationVersionCommand} = await import('../aws/sdk/elastic-beanstalk.ts')
  await awsCall('elasticbeanstalk:CreateApplicationVersion', () =>
    eb.send(
      new CreateApplicationVersionCommand({
        ApplicationName: o.application,
        VersionLabel: o.label,
        Description: o.description,
        SourceBundle: {S3Bucket: o.bucket, S3Key: o.key},
        Process: true,
      }),
    ),
  )
}

/** Where a version's processing stands, case-insensitively: Processed/Unprocessed are deployable, Failed is not. */
export function processingState(status: string | undefined): 'usable' | 'failed' | 'pending' {
  const s = (status ?? '').toLowerCase()
  return s === 'processed' || s === 'unprocessed' ? 'usable' : s === 'failed' ? 'failed' : 'pending'
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Waits until the version is Processed. Status values (ApplicationVersionDescription): Unprocessed, Processing,
 * Building, Processed, Failed ("configuration files didn't pass validation. This application version isn't usable.")
 * https://docs.aws.amazon.com/elasticbeanstalk/latest/api/API_ApplicationVersionDescription.html
 * Compared case-insensitively: the API spells them capitalised, some tools and older responses upper-case.
 * Failed → exit 1 with the reason from the version's ERROR events. Unprocessed is deployable (Beanstalk validates
 * during the deployment), so it ends the wait too.
 */
export async function waitProcessed(
  clients: AwsClients,
  o: {application: string; label: string; deadline: number; say: (line: string) => void},
): Promise<string> {
  const eb = await clients.elasticBeanstalk()
  const {DescribeApplicationVersionsCommand} = await import('../aws/sdk/elastic-beanstalk.ts')
  let interval = Math.min(defaultPollInterval(), 2000)
  const started = Date.now()
  for (;;) {
    const out = await awsCall('elasticbeanstalk:DescribeApplicationVersions', () =>
      eb.send(new DescribeApplicationVersionsCommand({ApplicationName: o.application, VersionLabels: [o.label]})),
    )
    const status = out.ApplicationVersions?.[0]?.Status ?? ''
    const state = processingState(status)
    if (state === 'usable') return status
    if (state === 'failed') {
      const reason = await versionFailureReason(clients, o.application, o.label)
      throw new EbwsError(
        'VERSION_PROCESSING_FAILED',
        `Application version "${o.label}" failed processing: ${reason}`,
        {
          hint: [
            'Beanstalk validates .ebextensions when it processes a version: fix the config files it names and deploy again.',
          ],
          details: {label: o.label, versionStatus: status, reason},
        },
      )
    }
    const left = o.deadline - Date.now()
    if (left <= 0) {
      throw new EbwsError(
        'TIMEOUT',
        `Timed out after ${formatDuration(Date.now() - started)} waiting for application version "${o.label}" to be processed (now ${status || 'unknown'}). It may still be processing on AWS; the environment was not updated.`,
        {
          details: {label: o.label, versionStatus: status},
        },
      )
    }
    await sleep(Math.min(interval, left))
    interval = Math.min(interval * 2, 15_000)
  }
}

async function versionFailureReason(clients: AwsClients, application: string, label: string): Promise<string> {
  try {
    const eb = await clients.elasticBeanstalk()
    const {DescribeEventsCommand} = await import('../aws/sdk/elastic-beanstalk.ts')
    const out = await eb.send(
      new DescribeEventsCommand({ApplicationName: application, VersionLabel: label, Severity: 'WARN'}),
    )
    const messages = (out.Events ?? [])
      .map((e) => e.Message ?? '')
      .filter(Boolean)
      .reverse()
    if (messages.length > 0) return messages.join(' / ')
  } catch {
    // The reason only improves the message.
  }
  return "Beanstalk gave no reason (see the application's events)."
}
