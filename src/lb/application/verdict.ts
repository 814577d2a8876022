import type {CertificateInfo} from '../../elb/model.ts'
import type {OptionSetting} from '../../environment/describe.ts'
import {CERT_EXPIRY_WARNING_DAYS, SOCKET_IO_PING_INTERVAL_S, SOCKET_IO_PING_TIMEOUT_S} from '../../listeners/verdict.ts'
import type {DriftItem, Finding, LbVerdict} from '../types.ts'
import type {Elbv2Observed, V2Action} from './model.ts'
import {isRedirectToHttps, listenerNamespace, processNamespace, setting, targetGroupOf} from './model.ts'
import {sharedRuleFindings} from './shared-plan.ts'

export function describeAction(a: V2Action | undefined, tgName: (arn: string | undefined) => string): string {
  if (!a) return 'none'
  if (a.type === 'forward') return `forward to ${tgName(a.targetGroupArn)}`
  if (a.type === 'redirect' && a.redirect) {
    const r = a.redirect
    return `redirect ${r.statusCode.replace('HTTP_', '')} to ${r.protocol.toLowerCase()}://${r.host}:${r.port}${r.path}?${r.query}`
  }
  if (a.type === 'fixed-response') return `fixed response ${a.fixedResponse?.statusCode ?? ''}`
  return a.type
}

export function certificateFindings(
  port: number,
  arn: string | undefined,
  certs: CertificateInfo[],
  now: Date,
): Finding[] {
  if (!arn) return []
  const c = certs.find((x) => x.arn === arn)
  if (!c || c.lookupError)
    return [
      {
        severity: 'warning',
        code: 'cert-unreadable',
        message: `the certificate on ${port} could not be read from ACM${c?.lookupError ? `: ${c.lookupError}` : ''}`,
      },
    ]
  if (!c.notAfter) return []
  const days = Math.floor((new Date(c.notAfter).getTime() - now.getTime()) / 86_400_000)
  if (days < 0)
    return [
      {
        severity: 'error',
        code: 'cert-expired',
        message: `the certificate on ${port} (${c.domainName ?? arn}) expired on ${c.notAfter.slice(0, 10)}: browsers refuse the connection`,
      },
    ]
  if (days < CERT_EXPIRY_WARNING_DAYS)
    return [
      {
        severity: 'warning',
        code: 'cert-expiring',
        message: `the certificate on ${port} (${c.domainName ?? arn}) expires in ${days} days (${c.notAfter.slice(0, 10)})`,
      },
    ]
  return []
}

/** Instances the environment may run: aws:autoscaling:asg MaxSize (Beanstalk's default is 4). */
const maxInstances = (settings: OptionSetting[]): number =>
  Number(setting(settings, 'aws:autoscaling:asg', 'MaxSize') ?? '4')

/** Drift: the live ALB against what the option settings make Beanstalk rebuild on the next environment update. */
export function albDrift(o: Elbv2Observed): DriftItem[] {
  const {state, settings} = o
  const out: DriftItem[] = []
  const idle = setting(settings, 'aws:elbv2:loadbalancer', 'IdleTimeout')
  if (
    !o.shared &&
    idle !== undefined &&
    state.idleTimeoutSeconds !== undefined &&
    Number(idle) !== state.idleTimeoutSeconds
  ) {
    out.push({
      subject: 'idle timeout',
      configured: `${idle} s`,
      live: `${state.idleTimeoutSeconds} s`,
      consequence: `set back to ${idle} s`,
    })
  }
  const l443 = state.listeners.find((l) => l.port === 443)
  const ns443 = listenerNamespace(443)
  const enabled443 =
    setting(settings, ns443, 'ListenerEnabled') !== 'false' && setting(settings, ns443, 'Protocol') !== undefined
  if (!o.shared && l443 && !enabled443)
    out.push({subject: 'listener 443', configured: 'none', live: `${l443.protocol} 443`, consequence: 'removed'})
  if (!o.shared && l443 && enabled443) {
    const cert = (setting(settings, ns443, 'SSLCertificateArns') ?? '').split(',')[0]?.trim()
    if (cert && cert !== l443.certificateArn)
      out.push({
        subject: 'listener 443 certificate',
        configured: cert,
        live: l443.certificateArn ?? 'none',
        consequence: 'replaced',
      })
    const policy = setting(settings, ns443, 'SSLPolicy')
    if (policy && policy !== l443.sslPolicy)
      out.push({
        subject: 'listener 443 SSL policy',
        configured: policy,
        live: l443.sslPolicy ?? 'none',
        consequence: 'replaced',
      })
  }
  const l80 = state.listeners.find((l) => l.port === 80)
  if (!o.shared && l80 && isRedirectToHttps(l80.defaultActions[0]) && o.bundleOverridesListener !== true) {
    out.push({
      subject: 'listener 80 default action',
      configured: 'forward to the default process',
      live: 'redirect to HTTPS',
      consequence: 'the redirect is replaced by a forward',
    })
  }
  const tg = targetGroupOf(state)
  const sticky = setting(settings, processNamespace('default'), 'StickinessEnabled')
  if (tg && sticky !== undefined && (sticky === 'true') !== tg.stickiness.enabled) {
    out.push({
      subject: 'default process stickiness',
      configured: sticky === 'true' ? 'on' : 'off',
      live: tg.stickiness.enabled ? 'on' : 'off',
      consequence: `turned ${sticky === 'true' ? 'on' : 'off'}`,
    })
  }
  return out
}

/** Plain-words verdict for Socket.io over HTTPS on an ALB. */
export function judgeAlb(o: Elbv2Observed, now: Date): LbVerdict {
  const {state, settings} = o
  const findings: Finding[] = []
  const add = (severity: Finding['severity'], code: string, message: string) => findings.push({severity, code, message})
  const l443 = state.listeners.find((l) => l.port === 443)
  const l80 = state.listeners.find((l) => l.port === 80)
  const tg = targetGroupOf(state)
  if (!l443) add('error', 'no-https-listener', 'no HTTPS listener on 443: https:// clients cannot connect')
  else if (l443.protocol !== 'HTTPS')
    add('error', 'https-port-not-https', `the listener on 443 is ${l443.protocol}, not HTTPS`)
  else {
    add('info', 'https-ok', 'HTTPS 443 ends TLS at the load balancer; WebSocket upgrades pass on an ALB HTTPS listener')
    findings.push(...certificateFindings(443, l443.certificateArn, o.certificates, now))
  }
  // A shared ALB: the listeners' default actions are the owner's; this environment's rules decide (shared-plan.ts).
  const sharedRules = o.shared ? sharedRuleFindings(state, o.cname) : undefined
  const redirect = sharedRules ? sharedRules.redirected : l80 && isRedirectToHttps(l80.defaultActions[0])
  if (!l80)
    add(
      'warning',
      'no-http-listener',
      'no listener on port 80: http:// clients cannot connect, so nothing redirects them',
    )
  else if (sharedRules) {
    // its own rules are judged below
  } else if (redirect) {
    if (o.bundleOverridesListener === true)
      add('info', 'redirect-ok', "port 80 redirects to HTTPS, kept by the bundle's .ebextensions Resources override")
    else {
      add(
        'warning',
        'redirect-live-only',
        `the port-80 redirect exists only on the load balancer: the next environment update replaces it (${o.bundleOverridesListener === false ? 'no .ebextensions override in the deployed bundle' : 'no .ebextensions override found'}); write it with --emit-ebextensions and deploy`,
      )
    }
  } else if (l80.defaultActions[0]?.type === 'forward') {
    add(
      'warning',
      'http-forwards',
      'port 80 forwards to the app instead of redirecting: the app must redirect using X-Forwarded-Proto',
    )
  }
  if (sharedRules) findings.push(...sharedRules.findings)
  if (l80 && l80.rules.length > 0 && !o.shared)
    add(
      'info',
      'http-rules',
      `port 80 has ${l80.rules.length} custom rule${l80.rules.length === 1 ? '' : 's'}; requests they match bypass the default action`,
    )
  if (state.type === 'application' && tg && !tg.stickiness.enabled && maxInstances(settings) >= 2) {
    add(
      'warning',
      'no-stickiness',
      `2+ instances (MaxSize ${maxInstances(settings)}) and no stickiness: Socket.io long-polling fails with 'Session ID unknown'`,
    )
  }
  const needed = SOCKET_IO_PING_INTERVAL_S + SOCKET_IO_PING_TIMEOUT_S
  if (state.idleTimeoutSeconds !== undefined && state.idleTimeoutSeconds < needed) {
    add(
      'warning',
      'idle-timeout-low',
      `idle timeout ${state.idleTimeoutSeconds} s is below Socket.io's ping interval + timeout (${needed} s): idle WebSockets are cut`,
    )
  }
  if (o.shared && o.otherEnvironments.length > 0)
    add('info', 'shared', `the load balancer is shared with ${o.otherEnvironments.join(', ')}`)
  const drift = albDrift(o)
  const layout = !l443 || l443.protocol !== 'HTTPS' ? 'none' : redirect ? 'https+redirect' : 'https'
  return {ok: !findings.some((f) => f.severity !== 'info'), layout, findings, drift}
}

/** An NLB passes TCP through: WebSockets work, but nothing tells the app HTTP from HTTPS but the port or PROXY v2. */
export function judgeNlb(o: Elbv2Observed, now: Date): LbVerdict {
  const {state} = o
  const findings: Finding[] = []
  const add = (severity: Finding['severity'], code: string, message: string) => findings.push({severity, code, message})
  const l443 = state.listeners.find((l) => l.port === 443)
  const tg = targetGroupOf(state)
  if (!l443) add('error', 'no-https-listener', 'no listener on 443: https:// clients cannot connect')
  else if (l443.protocol === 'TLS') {
    add('info', 'tls-ok', 'TLS 443 ends TLS at the NLB and passes the stream on: WebSockets work')
    findings.push(...certificateFindings(443, l443.certificateArn, o.certificates, now))
  } else add('info', 'tcp-443', `${l443.protocol} 443 passes TLS through: the instance must end TLS itself`)
  add(
    'info',
    'no-forwarded-proto',
    'an NLB adds no X-Forwarded-Proto: the app tells HTTP from HTTPS only by port or by Proxy Protocol v2, and redirects http:// itself',
  )
  if (tg)
    add(
      'info',
      tg.proxyProtocolV2 ? 'proxy-v2-on' : 'proxy-v2-off',
      `Proxy Protocol v2 is ${tg.proxyProtocolV2 ? 'on' : 'off'} on the default process's target group`,
    )
  return {
    ok: !findings.some((f) => f.severity !== 'info'),
    layout: l443 ? `${l443.protocol.toLowerCase()}-passthrough` : 'none',
    findings,
    drift: [],
  }
}
