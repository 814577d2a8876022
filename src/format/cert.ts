import type {CertRequestResult} from '../cert/request.ts'

const ACTION: Record<CertRequestResult['records'][number]['action'], string> = {
  created: 'written to Route 53',
  present: 'already in Route 53',
  manual: 'CREATE AT YOUR DNS PROVIDER',
  planned: 'would be written to Route 53',
}

/** The human form of `cert request`: the certificate, then each validation record on lines of its own. */
export function formatCertRequest(r: CertRequestResult): string {
  const lines: string[] = []
  const what =
    r.status === 'dry-run'
      ? r.certificateArn
        ? `Would complete ${r.certificateArn}`
        : `Would request a certificate`
      : (r.certificateArn ?? '')
  lines.push(`${what} for ${r.names.join(', ')} (${r.region})${r.reused ? ', reused' : ''}: ${r.status}`)
  for (const rec of r.records) {
    lines.push(`  ${rec.domains.join(', ')}: ${ACTION[rec.action]}${rec.zone ? ` (zone ${rec.zone.name})` : ''}`)
    lines.push(
      `    ${rec.name}.  ${rec.type}  ${rec.value ? `${rec.value}.` : '(ACM assigns the value when the certificate is requested)'}`,
    )
  }
  if (r.status === 'issued') lines.push(`Use it: ebws listeners fix -e ENV --certificate-arn ${r.certificateArn}`)
  return lines.join('\n')
}
