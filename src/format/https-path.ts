import type {HttpsPathResult} from '../https-path/run.ts'
import {isListenersLater, isManualDns} from '../https-path/run.ts'
import {formatCertRequest} from './cert.ts'
import {formatDnsLink} from './dns.ts'
import {formatFixed} from '../lb/fix.ts'

const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => `   ${l}`)
    .join('\n')

/** The one-command path for people: each step's plan or result under its number, then the verified end state. */
export function formatHttpsPath(r: HttpsPathResult): string {
  const lines: string[] = []
  const head = {
    'dry-run': `Plan for ${r.domain} on ${r.environment} (${r.region}); nothing was changed:`,
    applied: `${r.domain} on ${r.environment}: HTTPS end to end.`,
    'already-in-shape': `${r.domain} on ${r.environment}: already HTTPS end to end; nothing to change.`,
    'pending-validation': `${r.domain} on ${r.environment}: waiting for the certificate.`,
    failed: `${r.domain} on ${r.environment}: stopped.`,
  }[r.status]
  lines.push(head)
  const {certificate, dns, listeners} = r.steps
  lines.push(`1. Certificate${certificate ? '' : ': not requested (--request-certificate not given)'}`)
  // The next step uses the certificate, so cert request's own "Use it: ebws listeners fix ..." line is left out.
  if (certificate)
    lines.push(
      indent(
        formatCertRequest(certificate)
          .split('\n')
          .filter((l) => !l.startsWith('Use it:'))
          .join('\n'),
      ),
    )
  lines.push(`2. DNS${dns ? '' : ': not linked (--link-dns not given)'}`)
  if (dns)
    lines.push(indent(isManualDns(dns) ? `${dns.domain}: ${dns.why}:\n  ${dns.manualRecord}` : formatDnsLink(dns)))
  lines.push('3. Listeners')
  if (listeners)
    lines.push(
      indent(
        isListenersLater(listeners)
          ? listeners.plannedAfterCertificate
          : formatFixed({type: 'loadBalancerType' in listeners ? 'application' : 'classic', result: listeners}),
      ),
    )
  if (r.verified) {
    const v = r.verified
    lines.push(
      `Verified: certificate ${v.certificateStatus ?? 'not requested here'}; DNS record ${v.dnsRecordPresent === null ? 'not in Route 53' : v.dnsRecordPresent ? 'present' : 'MISSING'}; listeners ${v.listenersInShape ? 'right' : 'NOT right'}.`,
    )
  }
  if (r.kept.length > 0) lines.push(`Kept (safe to keep):\n  ${r.kept.join('\n  ')}`)
  return lines.join('\n')
}
