import type {DnsLinkResult} from '../dns/link.ts'

const VERB = {create: 'create', update: 'replace', delete: 'delete', unchanged: 'keep'} as const

/** The human form of `dns link`: what points where, one record a line. */
export function formatDnsLink(r: DnsLinkResult): string {
  const head =
    r.status === 'already-linked'
      ? `${r.domain} already points at ${r.environment}.`
      : `${r.status === 'dry-run' ? 'Would point' : 'Pointed'} ${r.domain} at ${r.environment} (zone ${r.zone.name}): ${r.target.why}.`
  const lines = [head]
  for (const rec of r.records)
    lines.push(
      `  ${VERB[rec.action].padEnd(7)} ${rec.type.padEnd(5)} ${rec.action === 'delete' ? rec.old : rec.new}${rec.action === 'update' ? `   (was ${rec.old})` : ''}`,
    )
  return lines.join('\n')
}
