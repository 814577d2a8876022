/**
 * Version labels, S3 keys, and the content hash carried by an application version.
 *
 * Where the content hash lives: in the application version's Description, as `ebws sha256:<64 hex>` (Description
 * allows 200 characters, https://docs.aws.amazon.com/elasticbeanstalk/latest/api/API_ApplicationVersionDescription.html).
 * One paged DescribeApplicationVersions call then returns the hash of every version, so finding "a version with this
 * content" costs no per-version S3 request, and the hash stays with the version (not with an S3 object that another
 * tool may overwrite). The uploaded object also carries it as `x-amz-meta-ebws-content-sha256`, which lets a retried
 * deploy skip re-uploading an object that is already there.
 */
import {badInput} from '../cli/errors.ts'

/** CreateApplicationVersion's VersionLabel: 1 to 100 characters. */
export const MAX_LABEL_LENGTH = 100

const DESCRIPTION_HASH = /\bebws sha256:([0-9a-f]{64})\b/

export function versionDescription(contentHash: string, gitSha?: string): string {
  return `ebws sha256:${contentHash}${gitSha ? ` git:${gitSha}` : ''}`
}

export function contentHashOf(description: string | undefined): string | undefined {
  return description ? DESCRIPTION_HASH.exec(description)?.[1] : undefined
}

/** `20250102T030405Z`: sortable, and only characters that are safe in a label and an S3 key. */
export function utcStamp(now: Date): string {
  return now
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '')
}

/** `<git short sha or first 12 hex of the content hash>-<UTC timestamp>`, e.g. `3f9c2ab-20250102T030405Z`. */
export function defaultLabel(o: {gitSha?: string | undefined; contentHash: string; now: Date}): string {
  return `${o.gitSha ?? o.contentHash.slice(0, 12)}-${utcStamp(o.now)}`
}

/** Rejects labels Beanstalk or S3 would refuse or that would make a confusing key. */
export function checkLabel(label: string): string {
  if (label.length === 0 || label.length > MAX_LABEL_LENGTH) {
    throw badInput('BAD_FLAG', `--label must be 1 to ${MAX_LABEL_LENGTH} characters (got ${label.length}).`)
  }
  if (label.trim() !== label) throw badInput('BAD_FLAG', '--label must not start or end with spaces.')
  // A slash would put the bundle in a sub-folder of the key prefix; control characters are not allowed in S3 keys.
  if (/[/\\]/.test(label) || [...label].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) {
    throw badInput('BAD_FLAG', `--label ${JSON.stringify(label)} contains a slash, backslash or control character.`, [
      'Use letters, digits, dots, dashes and underscores, e.g. v1.2.3 or build-42.',
    ])
  }
  return label
}

/** The bundle's S3 key, `<application>/<label>.zip`. */
export const bundleKey = (application: string, label: string): string => `${application}/${label}.zip`
