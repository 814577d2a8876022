import type {CertificateInfo, Listener, LoadBalancerState, Policy} from '../elb/model.ts'
import {clbKeyProblem, isSecure} from '../elb/model.ts'
export {clbKeyProblem}
import type {DriftItem, Finding, Severity} from '../lb/types.ts'
import type {LayoutMode, LayoutPorts} from './modes.ts'
import {DEFAULT_PORTS} from './modes.ts'
import type {ConfiguredLoadBalancer} from './option-settings.ts'
import {configuredProxyProtocolPorts, configuredSslReferencePolicy} from './option-settings.ts'

export type {DriftItem, Finding, Severity}

export interface Verdict {
  layout: LayoutMode | 'none'
  /** True when nothing of severity "error" was found. */
  ok: boolean
  findings: Finding[]
  drift: DriftItem[]
}

/**
 * Socket.io's server pings every 25 s (pingInterval) and waits 20 s (pingTimeout) for the answer
 * (https://socket.io/docs/v4/server-options/#pinginterval). A CLB closes a connection idle longer than its idle
 * timeout (default 60 s; https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/config-idle-timeout.html),
 * so the idle timeout must stay above pingInterval with a margin for a late ping: below 25 s connections drop
 * between pings; below pingInterval + pingTimeout (45 s) a slow ping can still drop them.
 */
export const SOCKET_IO_PING_INTERVAL_S = 25
export const SOCKET_IO_PING_TIMEOUT_S = 20
export const CERT_EXPIRY_WARNING_DAYS = 30
/** The CLB's default when a secure listener has no SSL negotiation policy. */
export const CLB_DEFAULT_SSL_POLICY = 'ELBSecurityPolicy-2016-08'
export const RECOMMENDED_SSL_POLICY = 'ELBSecurityPolicy-TLS-1-2-2017-01'

const describeListener = (l: {
  protocol: string
  loadBalancerPort: number
  instanceProtocol: string
  instancePort: number
}) => `${l.protocol} ${l.loadBalancerPort} -> ${l.instanceProtocol} ${l.instancePort}`

export function proxyProtocolPorts(state: LoadBalancerState): number[] {
  const proxyPolicies = new Set(
    state.policies
      .filter(
        (p) =>
          p.typeName === 'ProxyProtocolPolicyType' &&
          p.attributes.some((a) => a.name === 'ProxyProtocol' && a.value.toLowerCase() === 'true'),
      )
      .map((p) => p.name),
  )
  return state.backendPolicies.filter((b) => b.policyNames.some((n) => proxyPolicies.has(n))).map((b) => b.instancePort)
}

/** The predefined policy an HTTPS/SSL listener negotiates with (ELB applies the default when none is attached). */
export function sslReferencePolicy(listener: Listener, policies: Policy[]): string | undefined {
  if (!isSecure(listener.protocol)) return undefined
  for (const name of listener.policyNames) {
    const policy = policies.find((p) => p.name === name)
    if (policy?.typeName !== 'SSLNegotiationPolicyType') continue
    return policy.attributes.find((a) => a.name === 'Reference-Security-Policy')?.value ?? `${name} (custom)`
  }
  // Predefined policy names may also be attached directly.
  const predefined = listener.policyNames.find((n) => n.startsWith('ELBSecurityPolicy-'))
  return predefined ?? `${CLB_DEFAULT_SSL_POLICY} (default)`
}

export function classifyLayout(state: LoadBalancerState, ports: LayoutPorts = DEFAULT_PORTS): LayoutMode | 'none' {
  const secure = state.listeners.find((l) => l.loadBalancerPort === ports.httpsPort)
  const plain = state.listeners.find((l) => l.loadBalancerPort === ports.httpPort)
  if (!secure || !plain || secure.instancePort !== plain.instancePort) return 'none'
  const proxy = proxyProtocolPorts(state).includes(secure.instancePort)
  if (secure.protocol === 'SSL' && secure.instanceProtocol === 'TCP') {
    if (plain.protocol === 'HTTP' && plain.instanceProtocol === 'HTTP' && !proxy) return 'websocket'
    if (plain.protocol === 'TCP' && plain.instanceProtocol === 'TCP' && proxy) return 'proxy'
  }
  if (
    secure.protocol === 'HTTPS' &&
    secure.instanceProtocol === 'HTTP' &&
    plain.protocol === 'HTTP' &&
    plain.instanceProtocol === 'HTTP' &&
    !proxy
  )
    return 'http'
  return 'none'
}

function daysBetween(from: Date, to: Date): number {
  return Math.floor((to.getTime() - from.getTime()) / 86_400_000)
}

export function certificateFindings(listener: Listener, cert: CertificateInfo | undefined, now: Date): Finding[] {
  const port = listener.loadBalancerPort
  if (!listener.sslCertificateId)
    return [
      {
        code: 'certificate-missing',
        severity: 'error',
        message: `listener ${port} is ${listener.protocol} but has no certificate`,
      },
    ]
  if (!cert || cert.lookupError) {
    return [
      {
        code: 'certificate-unreadable',
        severity: 'warning',
        message: `the certificate on ${port} could not be checked: ${cert?.lookupError ?? 'not found in ACM'}`,
      },
    ]
  }
  const out: Finding[] = []
  if (cert.status && cert.status !== 'ISSUED') {
    out.push({
      code: 'certificate-not-issued',
      severity: 'error',
      message: `the certificate on ${port} is ${cert.status}, not ISSUED`,
    })
  }
  if (cert.notAfter) {
    const days = daysBetween(now, new Date(cert.notAfter))
    if (days < 0)
      out.push({
        code: 'certificate-expired',
        severity: 'error',
        message: `the certificate on ${port} expired ${-days} day${-days === 1 ? '' : 's'} ago (${cert.notAfter.slice(0, 10)})`,
      })
    else if (days < CERT_EXPIRY_WARNING_DAYS) {
      const renews =
        cert.type === 'AMAZON_ISSUED'
          ? ' (ACM renews Amazon-issued certificates while they validate)'
          : ' (imported certificates are not renewed by ACM)'
      out.push({
        code: 'certificate-expiring',
        severity: 'warning',
        message: `the certificate on ${port} expires in ${days} day${days === 1 ? '' : 's'}${renews}`,
      })
    }
  }
  const keyProblem = clbKeyProblem(cert.keyAlgorithm)
  if (keyProblem)
    out.push({
      code: 'certificate-key-unsupported',
      severity: 'error',
      message: `the certificate on ${port} cannot serve on a Classic Load Balancer: ${keyProblem}`,
    })
  return out
}

/** Pure: what is wrong with the listeners for Socket.io over HTTPS with an HTTP->HTTPS redirect, in plain words. */
export function judgeListeners(input: {
  state: LoadBalancerState
  certificates: CertificateInfo[]
  configured?: ConfiguredLoadBalancer | undefined
  ports?: LayoutPorts
  now?: Date
}): Verdict {
  const {state, certificates, configured} = input
  const ports = input.ports ?? DEFAULT_PORTS
  const now = input.now ?? new Date()
  const findings: Finding[] = []
  const add = (severity: Severity, code: string, message: string) => findings.push({code, severity, message})
  const secure = state.listeners.find((l) => l.loadBalancerPort === ports.httpsPort)
  const plain = state.listeners.find((l) => l.loadBalancerPort === ports.httpPort)
  const proxyPorts = proxyProtocolPorts(state)
  const layout = classifyLayout(state, ports)

  if (!secure) {
    add('error', 'no-https-listener', `no listener on ${ports.httpsPort}: https:// clients cannot connect`)
  } else {
    if (secure.protocol === 'HTTPS') {
      add(
        'warning',
        'https-listener-no-websocket',
        `${ports.httpsPort} is HTTPS: CLB HTTP listeners do not pass WebSocket upgrades, Socket.io will fall back to long-polling`,
      )
    } else if (secure.protocol === 'HTTP') {
      add(
        'error',
        'secure-port-plain-http',
        `${ports.httpsPort} is plain HTTP, not TLS: https:// clients cannot connect`,
      )
    } else if (secure.protocol === 'TCP') {
      add(
        'warning',
        'secure-port-tcp-passthrough',
        `${ports.httpsPort} is TCP: TLS is not terminated at the load balancer, so the app itself must serve TLS on ${secure.instancePort}`,
      )
    } else if (secure.instanceProtocol === 'SSL') {
      add(
        'info',
        'backend-tls',
        `${ports.httpsPort} re-encrypts to the instance (SSL -> SSL): the instance must serve TLS on ${secure.instancePort}`,
      )
    }
    if (isSecure(secure.protocol)) {
      const cert = certificates.find((c) => c.arn === secure.sslCertificateId)
      findings.push(...certificateFindings(secure, cert, now))
      const policy = sslReferencePolicy(secure, state.policies) ?? ''
      if (!policy.includes('TLS-1-2') && !policy.includes('TLS13')) {
        add(
          'warning',
          'weak-tls-policy',
          `${ports.httpsPort} negotiates with ${policy}, which still allows TLS 1.0/1.1; ${RECOMMENDED_SSL_POLICY} allows TLS 1.2 only`,
        )
      }
    }
  }

  if (!plain) {
    add(
      'error',
      'no-http-listener',
      `no listener on ${ports.httpPort}: http:// requests fail instead of being redirected to https://`,
    )
  } else if (plain.protocol === 'TCP' && !proxyPorts.includes(plain.instancePort)) {
    add(
      'error',
      'http-port-is-tcp',
      `port ${ports.httpPort} is TCP, so X-Forwarded-Proto is never sent and the HTTP->HTTPS redirect cannot work`,
    )
  } else if (isSecure(plain.protocol)) {
    add(
      'error',
      'http-port-is-secure',
      `port ${ports.httpPort} is ${plain.protocol}: http:// clients cannot connect to it`,
    )
  }

  // Proxy Protocol only applies to TCP/SSL listeners; an HTTP listener on the same instance port sends requests
  // without the PROXY line, which a backend expecting it (nginx `listen ... proxy_protocol`) rejects.
  // https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/enable-proxy-protocol.html
  for (const port of proxyPorts) {
    const layer7 = state.listeners.filter(
      (l) => l.instancePort === port && (l.protocol === 'HTTP' || l.protocol === 'HTTPS'),
    )
    for (const l of layer7) {
      add(
        'error',
        'proxy-protocol-mixed',
        `Proxy Protocol is on for instance port ${port}, but listener ${describeListener(l)} forwards there without a PROXY line; a backend expecting Proxy Protocol rejects those requests`,
      )
    }
    const hc = state.healthCheck?.target ?? ''
    if (/^HTTPS?:(\d+)/i.test(hc) && Number(/:(\d+)/.exec(hc)?.[1]) === port) {
      add(
        'warning',
        'proxy-protocol-http-health-check',
        `the health check ${hc} is HTTP on instance port ${port}, where Proxy Protocol is on; make it TCP:${port} so instances are not marked unhealthy`,
      )
    }
  }

  if (state.idleTimeoutSeconds !== undefined) {
    const t = state.idleTimeoutSeconds
    if (t <= SOCKET_IO_PING_INTERVAL_S) {
      add(
        'error',
        'idle-timeout-too-low',
        `idle timeout ${t} s is not above Socket.io's ${SOCKET_IO_PING_INTERVAL_S} s ping interval: idle WebSocket connections will be dropped`,
      )
    } else if (t < SOCKET_IO_PING_INTERVAL_S + SOCKET_IO_PING_TIMEOUT_S) {
      add(
        'warning',
        'idle-timeout-low',
        `idle timeout ${t} s is below Socket.io's ${SOCKET_IO_PING_INTERVAL_S} s ping + ${SOCKET_IO_PING_TIMEOUT_S} s margin: a late ping drops the connection; use 60 s or more`,
      )
    }
  }

  const drift = configured ? computeDrift(state, configured) : []
  if (drift.length > 0) {
    add(
      'warning',
      'drift',
      `${drift.length} difference${drift.length === 1 ? '' : 's'} between the live load balancer and the environment's option settings: the next environment update will undo the live change${drift.length === 1 ? '' : 's'}`,
    )
  }
  if (layout !== 'none' && findings.every((f) => f.severity === 'info')) {
    add('info', 'layout-ok', layoutSummary(layout))
  }
  return {layout, ok: !findings.some((f) => f.severity === 'error'), findings, drift}
}

function layoutSummary(layout: LayoutMode): string {
  switch (layout) {
    case 'websocket':
      return 'WebSockets pass the SSL/TCP listener; plain HTTP carries X-Forwarded-Proto: http, so the app can redirect it'
    case 'http':
      return 'every request carries X-Forwarded-Proto; Socket.io uses long-polling (no WebSocket through HTTP listeners)'
    case 'proxy':
      return 'the PROXY line tells the backend the original port: 443 is HTTPS, 80 is HTTP'
  }
}

const listenerText = (l: {
  protocol: string
  loadBalancerPort: number
  instanceProtocol: string
  instancePort: number
  sslCertificateId?: string | undefined
}) => `${describeListener(l)}${l.sslCertificateId ? ` (${shortArn(l.sslCertificateId)})` : ''}`

export const shortArn = (arn: string): string => {
  const m = /certificate\/([0-9a-f]{8})[0-9a-f-]*$/.exec(arn)
  return m ? `certificate/${m[1]}…` : arn
}

/** Pure: where the live CLB differs from what the environment's option settings will re-apply. */
export function computeDrift(state: LoadBalancerState, configured: ConfiguredLoadBalancer): DriftItem[] {
  const drift: DriftItem[] = []
  const configuredPorts = new Set(configured.listeners.map((l) => l.loadBalancerPort))
  for (const want of configured.listeners) {
    const live = state.listeners.find((l) => l.loadBalancerPort === want.loadBalancerPort)
    const subject = `listener ${want.loadBalancerPort}`
    if (!want.enabled) {
      if (live)
        drift.push({
          subject,
          configured: 'disabled (ListenerEnabled: false)',
          live: listenerText(live),
          consequence: 'removed at the next update',
        })
      continue
    }
    if (!live) {
      drift.push({
        subject,
        configured: listenerText(want),
        live: 'absent',
        consequence: 're-created at the next update',
      })
      continue
    }
    const same =
      live.protocol === want.protocol &&
      live.instancePort === want.instancePort &&
      live.instanceProtocol === want.instanceProtocol &&
      (!isSecure(want.protocol) || !want.sslCertificateId || live.sslCertificateId === want.sslCertificateId)
    if (!same)
      drift.push({
        subject,
        configured: listenerText(want),
        live: listenerText(live),
        consequence: 'reverted at the next update',
      })
  }
  for (const live of state.listeners) {
    if (!configuredPorts.has(live.loadBalancerPort)) {
      drift.push({
        subject: `listener ${live.loadBalancerPort}`,
        configured: 'not in option settings',
        live: listenerText(live),
        consequence: 'may be removed at the next update',
      })
    }
  }

  const instancePorts = [...new Set(state.listeners.map((l) => l.instancePort))]
  const wantProxy = new Set(configuredProxyProtocolPorts(configured, instancePorts))
  const liveProxy = new Set(proxyProtocolPorts(state))
  for (const port of new Set([...wantProxy, ...liveProxy])) {
    if (wantProxy.has(port) !== liveProxy.has(port)) {
      drift.push({
        subject: `proxy protocol on instance port ${port}`,
        configured: wantProxy.has(port) ? 'on' : 'off',
        live: liveProxy.has(port) ? 'on' : 'off',
        consequence: wantProxy.has(port) ? 'enabled at the next update' : 'may be disabled at the next update',
      })
    }
  }

  for (const want of configured.listeners) {
    if (!want.enabled || !isSecure(want.protocol)) continue
    const wantPolicy = configuredSslReferencePolicy(configured, want.loadBalancerPort)
    const live = state.listeners.find((l) => l.loadBalancerPort === want.loadBalancerPort)
    if (!wantPolicy || !live) continue
    const livePolicy = sslReferencePolicy(live, state.policies)
    if (livePolicy !== wantPolicy)
      drift.push({
        subject: `TLS policy on ${want.loadBalancerPort}`,
        configured: wantPolicy,
        live: livePolicy ?? 'none',
        consequence: 'reverted at the next update',
      })
  }

  if (
    configured.idleTimeoutSeconds !== undefined &&
    state.idleTimeoutSeconds !== undefined &&
    configured.idleTimeoutSeconds !== state.idleTimeoutSeconds
  ) {
    drift.push({
      subject: 'idle timeout',
      configured: `${configured.idleTimeoutSeconds} s`,
      live: `${state.idleTimeoutSeconds} s`,
      consequence: 'reverted at the next update',
    })
  }
  return drift
}
