import {certificateProblem} from '../acm/select.ts'
import {isSecure} from '../elb/model.ts'
import type {ListenersReport} from '../listeners/inspect.ts'
import {DEFAULT_PORTS, type LayoutPorts} from '../listeners/modes.ts'
import {shortArn} from '../listeners/verdict.ts'
import {certificateSection, expiryText, paint, settingsAndDrift, severityMark, table} from './text.ts'

const LAYOUT_NAMES = {
  websocket: 'websocket (SSL→TCP + HTTP→HTTP)',
  http: 'http (HTTPS→HTTP + HTTP→HTTP)',
  proxy: 'proxy (SSL/TCP + Proxy Protocol)',
  none: 'none of the known layouts',
} as const

export function formatListenersReport(
  r: ListenersReport,
  now = new Date(),
  ports: LayoutPorts = DEFAULT_PORTS,
): string {
  const out: string[] = []
  const env = r.environment
  out.push(
    `${paint('bold', env.environmentName)} (${env.applicationName}, ${r.region}) · ${env.status}${env.health ? ` · health ${env.health}` : ''}`,
  )
  out.push(`Load balancer ${r.loadBalancer.name}${r.loadBalancer.dnsName ? ` · ${r.loadBalancer.dnsName}` : ''}`)
  out.push('')
  out.push('Listeners')
  out.push(
    r.loadBalancer.listeners.length === 0
      ? '  (none)'
      : table(
          ['load balancer', 'instance', 'certificate', 'policies'],
          r.loadBalancer.listeners.map((l) => [
            `${l.protocol} ${l.loadBalancerPort}`,
            `${l.instanceProtocol} ${l.instancePort}${l.proxyProtocol ? ' +proxy' : ''}`,
            l.sslCertificateId ? shortArn(l.sslCertificateId) : '-',
            [...l.policyNames, ...(l.sslPolicy ? [`TLS: ${l.sslPolicy}`] : [])].join(', ') || '-',
          ]),
        ),
  )
  out.push(
    ...certificateSection(r.certificates, (c) => {
      const sans = c.subjectAlternativeNames.filter((s) => s !== c.domainName)
      return [
        `${c.domainName ?? '?'}${sans.length > 0 ? ` (+ ${sans.join(', ')})` : ''} · ${c.status ?? '?'} · ${c.keyAlgorithm ?? '?'} · ${c.type ?? ''}`,
        ...(c.notAfter ? [expiryText(c.notAfter, now)] : []),
      ]
    }),
  )
  const backends = r.loadBalancer.backendPolicies.filter((b) => b.policyNames.length > 0)
  out.push('')
  out.push(
    `Backend policies  ${backends.length === 0 ? 'none' : backends.map((b) => `instance port ${b.instancePort}: ${b.policyNames.join(', ')}`).join('; ')}`,
  )
  out.push(`Health check      ${r.loadBalancer.healthCheck?.target ?? 'unknown'}`)
  out.push(
    `Idle timeout      ${r.loadBalancer.idleTimeoutSeconds === undefined ? 'unknown' : `${r.loadBalancer.idleTimeoutSeconds} s`}`,
  )

  const settings = r.optionSettings.settings.filter(
    (s) => s.namespace.startsWith('aws:elb:listener') || s.namespace.startsWith('aws:elb:policies'),
  )
  out.push(
    ...settingsAndDrift(
      'Option settings (what environment updates re-apply)',
      settings,
      'none: Beanstalk defaults apply (HTTP 80 -> HTTP 80 only)',
      r.verdict.drift,
    ),
  )
  out.push('')
  out.push(`Layout: ${paint('bold', LAYOUT_NAMES[r.verdict.layout])}`)
  for (const f of r.verdict.findings) out.push(`  ${severityMark(f.severity)} ${f.message}`)
  const fix = r.verdict.ok ? undefined : suggestFix(r, now, ports)
  if (fix) out.push(`\nFix it: ${'command' in fix ? fix.command : fix.advice}`)
  return out.join('\n')
}

/**
 * The `listeners fix` to suggest, runnable as printed: `listeners fix` needs a certificate, so the suggestion names
 * the current secure listener's certificate (by its domain, or by ARN for a wildcard) when that one can serve.
 * With no usable certificate there is no command to paste: it says what is missing instead.
 */
export function suggestFix(
  r: ListenersReport,
  now = new Date(),
  ports: LayoutPorts = DEFAULT_PORTS,
): {command: string} | {advice: string} {
  const mode = r.verdict.layout === 'none' ? '' : ` --mode ${r.verdict.layout}`
  // The ports the report was judged on, when they are not the defaults (show --https-port 8443 ...).
  const flagOf = {httpsPort: 'https-port', httpPort: 'http-port', instancePort: 'instance-port'} as const
  const portFlags = (Object.keys(flagOf) as (keyof typeof flagOf)[])
    .filter((k) => ports[k] !== DEFAULT_PORTS[k])
    .map((k) => ` --${flagOf[k]} ${ports[k]}`)
    .join('')
  const onHttpsPort = (l: {loadBalancerPort: number}) => Number(l.loadBalancerPort === ports.httpsPort)
  const secure = r.loadBalancer.listeners
    .filter((l) => isSecure(l.protocol) && l.sslCertificateId)
    .sort((a, b) => onHttpsPort(b) - onHttpsPort(a))[0]
  const cert = secure && r.certificates.find((c) => c.arn === secure.sslCertificateId)
  const problem = secure && (cert ? certificateProblem(cert, {region: r.region, now}) : 'it could not be read from ACM')
  if (!cert || problem) {
    const why = secure
      ? `the certificate on ${secure.loadBalancerPort} cannot be used (${problem})`
      : 'no listener has a certificate'
    return {
      advice: `listeners fix needs an ACM certificate, and ${why}. Request or import an RSA 2048 certificate for your domain in ACM (${r.region}), then run listeners fix with --domain and that domain. Your certificates: aws acm list-certificates --region ${r.region}`,
    }
  }
  const byDomain =
    cert.domainName && !cert.domainName.startsWith('*.')
      ? `--domain ${cert.domainName}`
      : `--certificate-arn ${cert.arn}`
  return {
    command: `ebws listeners fix -e ${r.environment.environmentName} --region ${r.region}${mode}${portFlags} ${byDomain} --dry-run`,
  }
}
