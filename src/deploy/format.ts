import type {DeployResult} from './run.ts'

const SOURCE_TEXT: Record<DeployResult['version']['source'], string> = {
  uploaded: 'uploaded',
  'already-in-s3': 'bundle already in S3, not uploaded again',
  copied: 'bundle copied in S3 from a version with the same content',
  reused: 'existing version with the same content reused, nothing uploaded',
  'planned-upload': 'to be uploaded',
  'planned-copy': 'to be copied in S3 from a version with the same content',
  'planned-reuse': 'existing version with the same content, nothing to upload',
}

/** The human summary printed on stdout (progress and events went to stderr as they happened). */
export function formatDeployResult(r: DeployResult, o: {asking?: boolean} = {}): string {
  const head =
    r.status === 'planned'
      ? `Plan${o.asking ? '' : ' (dry run, nothing uploaded or changed)'}: ${r.reason}`
      : r.status === 'deployed'
        ? `Deployed ${r.version.label} to ${r.environment}: ${r.reason}`
        : r.status === 'timed-out'
          ? `Timed out deploying ${r.version.label} to ${r.environment}: ${r.reason}`
          : `Deploy of ${r.version.label} to ${r.environment} FAILED: ${r.reason}`
  const lines = [head]
  lines.push(
    `  Version      ${r.version.label} (${SOURCE_TEXT[r.version.source]}; ${r.version.bundle}, ${(r.version.sizeBytes / 1024 / 1024).toFixed(2)} MB, sha256 ${r.version.contentHash.slice(0, 12)}…)`,
  )
  if (r.version.bucket) lines.push(`  Bundle       s3://${r.version.bucket}/${r.version.key}`)
  if (r.previousVersion) lines.push(`  Previous     ${r.previousVersion}`)
  if (r.environmentStatus)
    lines.push(
      `  Environment  ${r.environment} (${r.application}): ${r.environmentStatus}, health ${r.health ?? 'unknown'}${r.healthStatus ? ` (${r.healthStatus})` : ''}`,
    )
  if (r.url) lines.push(`  URL          ${r.url}`)
  const redirect = {
    added: 'port 80 keeps redirecting to HTTPS: ebws added .ebextensions/ebws-alb-redirect.config to the bundle',
    missing: "port 80's live-only redirect to HTTPS is dropped by this update (the bundle lacks the override)",
    unknown: 'unknown whether port 80 keeps its redirect (the load balancer could not be read)',
  }[r.loadBalancer?.redirectOverride as 'added' | 'missing' | 'unknown']
  if (redirect) lines.push(`  Redirect     ${redirect}`)
  if (r.status !== 'planned') lines.push(`  Duration     ${r.durationSeconds} s`)
  if (r.stillRunning) lines.push('  Note         the operation may still be running on AWS')
  return lines.join('\n')
}
