import {certificateSection, expiryText, paint, settingsAndDrift, severityMark, table} from '../../format/text.ts'
import {shortArn} from '../../listeners/verdict.ts'
import type {Elbv2Report} from './show.ts'

export function formatElbv2Report(r: Elbv2Report, now = new Date()): string {
  const out: string[] = []
  const env = r.environment
  const kind =
    r.loadBalancerType === 'network'
      ? 'Network Load Balancer'
      : r.shared
        ? 'shared Application Load Balancer'
        : 'Application Load Balancer'
  out.push(
    `${paint('bold', env.environmentName)} (${env.applicationName}, ${r.region}) · ${env.status}${env.health ? ` · health ${env.health}` : ''}`,
  )
  out.push(`${kind} ${r.loadBalancer.name}${r.loadBalancer.dnsName ? ` · ${r.loadBalancer.dnsName}` : ''}`)
  if (r.shared)
    out.push(`Shared with: ${r.otherEnvironments.length > 0 ? r.otherEnvironments.join(', ') : 'no other environment'}`)
  out.push('')
  out.push('Listeners')
  out.push(
    r.loadBalancer.listeners.length === 0
      ? '  (none)'
      : table(
          ['listener', 'default action', 'certificate', 'ssl policy'],
          r.loadBalancer.listeners.map((l) => [
            `${l.protocol} ${l.port}`,
            l.defaultAction,
            l.certificateArn
              ? `${shortArn(l.certificateArn)}${l.sniCertificateArns.length > 0 ? ` +${l.sniCertificateArns.length} SNI` : ''}`
              : '-',
            l.sslPolicy ?? '-',
          ]),
        ),
  )
  for (const l of r.loadBalancer.listeners) {
    for (const rule of l.rules)
      out.push(`  rule on ${l.port}, priority ${rule.priority}: ${rule.conditions} -> ${rule.action}`)
  }
  out.push(
    ...certificateSection(r.certificates, (c) => {
      const sans = c.subjectAlternativeNames.filter((s) => s !== c.domainName)
      return [
        `${c.domainName ?? '?'}${sans.length > 0 ? ` (+ ${sans.join(', ')})` : ''} · ${c.status ?? '?'} · ${c.keyAlgorithm ?? '?'}${c.notAfter ? ` · ${expiryText(c.notAfter, now)}` : ''}`,
      ]
    }),
  )
  out.push('')
  out.push('Target groups')
  out.push(
    table(
      [
        'target group',
        'process',
        'port',
        'health check',
        'stickiness',
        'deregistration',
        ...(r.loadBalancerType === 'network' ? ['proxy v2'] : []),
      ],
      r.loadBalancer.targetGroups.map((t) => [
        t.name,
        t.process ?? t.environmentName ?? '-',
        `${t.protocol ?? '?'} ${t.port ?? '?'}`,
        `${t.healthCheck.protocol ?? ''} ${t.healthCheck.path ?? ''}${t.healthCheck.matcher ? ` (${t.healthCheck.matcher})` : ''}`.trim(),
        t.stickiness.enabled
          ? `${t.stickiness.type ?? 'on'}${t.stickiness.durationSeconds ? ` ${t.stickiness.durationSeconds} s` : ''}`
          : 'off',
        t.deregistrationDelaySeconds === undefined ? '?' : `${t.deregistrationDelaySeconds} s`,
        ...(r.loadBalancerType === 'network' ? [t.proxyProtocolV2 ? 'on' : 'off'] : []),
      ]),
    ),
  )
  if (r.loadBalancerType === 'application')
    out.push(
      `Idle timeout      ${r.loadBalancer.idleTimeoutSeconds === undefined ? 'unknown' : `${r.loadBalancer.idleTimeoutSeconds} s`}`,
    )
  const shown = r.optionSettings.filter((s) => s.value !== undefined && s.value !== '')
  out.push(...settingsAndDrift('Option settings (what environment updates rebuild)', shown, 'none', r.verdict.drift))
  out.push('')
  out.push(`Layout: ${paint('bold', r.verdict.layout)}`)
  for (const f of r.verdict.findings) out.push(`  ${severityMark(f.severity)} ${f.message}`)
  const problems = r.verdict.findings.filter((f) => f.severity !== 'info')
  if (problems.length > 0 && problems.every((f) => f.code === 'redirect-live-only'))
    out.push(
      `\nKeep the redirect: ebws listeners fix -e ${env.environmentName} --emit-ebextensions .ebextensions (then deploy)`,
    )
  else if (!r.verdict.ok && r.loadBalancerType === 'application')
    out.push(`\nFix it: ebws listeners fix -e ${env.environmentName} --domain YOUR_DOMAIN --dry-run`)
  return out.join('\n')
}
