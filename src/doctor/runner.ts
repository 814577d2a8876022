import {dnsCheck, fixedLookup} from './checks/dns.ts'
import {hstsCheck} from './checks/hsts.ts'
import {idleTimeoutCheck} from './checks/idle-timeout.ts'
import {mixedContentCheck} from './checks/mixed-content.ts'
import {proxyProtocolCheck} from './checks/proxy-protocol.ts'
import {redirectCheck} from './checks/redirect.ts'
import {socketioPollingCheck, socketioWebsocketCheck} from './checks/socketio.ts'
import {stickinessCheck} from './checks/stickiness.ts'
import {tlsCheck} from './checks/tls.ts'
import {
  check,
  CHECK_IDS,
  type Check,
  type CheckId,
  type DoctorResult,
  type DoctorTarget,
  type ProbeContext,
} from './types.ts'

/** Bound on each network step (connect, TLS handshake, one response): a dead host fails in seconds. */
export const STEP_TIMEOUT_MS = 4000

const NETWORK_CHECKS: Record<Exclude<CheckId, 'dns'>, (ctx: ProbeContext) => Promise<Check>> = {
  redirect: redirectCheck,
  tls: (ctx) => tlsCheck(ctx),
  hsts: hstsCheck,
  'socketio-polling': socketioPollingCheck,
  'socketio-websocket': socketioWebsocketCheck,
  stickiness: stickinessCheck,
  'mixed-content': mixedContentCheck,
  'idle-timeout': idleTimeoutCheck,
  'proxy-protocol': proxyProtocolCheck,
}

/** Checks that fail because of an earlier cause point at it, rather than at a fix of their own that would not help. */
export function attributeRootCauses(checks: Check[]): Check[] {
  const byId = new Map(checks.map((c) => [c.id, c]))
  const pp = byId.get('proxy-protocol')
  const tls = byId.get('tls')
  const tlsDown = tls?.status === 'fail' && /^no TLS handshake/.test(tls.evidence)
  return checks.map((c) => {
    if (c.id === 'dns' || c.id === 'proxy-protocol' || (c.status !== 'fail' && c.status !== 'warn')) return c
    // A PROXY header the backend does not expect cuts the TLS handshake where TLS ends on the instance (NLB).
    if (pp?.status === 'fail') return {...c, fix: `Fix the Proxy Protocol mismatch first (proxy-protocol): ${pp.fix}`}
    if (c.id === 'tls') return c
    if (tlsDown && c.id !== 'redirect') return {...c, fix: `Fix HTTPS first (tls): ${tls.fix}`}
    return c
  })
}

/** Runs every check: DNS first (its addresses are used by all others), then the rest concurrently. */
export async function runDoctor(target: DoctorTarget, options: {stepTimeoutMs?: number} = {}): Promise<DoctorResult> {
  const stepTimeoutMs = options.stepTimeoutMs ?? STEP_TIMEOUT_MS
  const dns = await dnsCheck(target, stepTimeoutMs)
  if (dns.check.status === 'fail') {
    return {
      checks: [
        dns.check,
        ...CHECK_IDS.filter((id) => id !== 'dns').map((id) =>
          check(id, 'skip', `not run: ${target.host} does not resolve`),
        ),
      ],
    }
  }
  const memo = new Map<string, Promise<unknown>>()
  const ctx: ProbeContext = {
    target,
    stepTimeoutMs,
    lookup: fixedLookup(dns.addresses),
    once: <T>(key: string, run: () => Promise<T>) => {
      if (!memo.has(key)) memo.set(key, run())
      return memo.get(key) as Promise<T>
    },
  }
  const ids = CHECK_IDS.filter((id): id is Exclude<CheckId, 'dns'> => id !== 'dns')
  const results = await Promise.all(ids.map((id) => NETWORK_CHECKS[id](ctx)))
  return {checks: attributeRootCauses([dns.check, ...results])}
}
