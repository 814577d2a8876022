import type {DnsPointers} from '../route53/pointers.ts'
import {MAX_ZONES, RECORDS_PER_ZONE} from '../route53/pointers.ts'
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

/** The DNS section of `listeners show`: which Route 53 records point at the environment, and how far it looked. */
export function formatDnsPointers(d: DnsPointers): string {
  if (d.error) return `DNS: Route 53 not read (${d.error})`
  const scope = `${d.zonesSearched} public Route 53 zone(s) searched${d.truncated ? `, more exist (ebws reads at most ${MAX_ZONES} zones and ${RECORDS_PER_ZONE} records each)` : ''}`
  if (d.records.length === 0)
    return `DNS: no Route 53 record points at this environment (${scope}). The dns link command points a domain at it.`
  return [
    `DNS: ${d.records.length} Route 53 record(s) point at this environment (${scope}):`,
    ...d.records.map((r) => `  ${r.name.padEnd(30)} ${r.type.padEnd(5)} ${r.target}`),
  ].join('\n')
}
