import {getPage, httpCall, type HttpOutcome, targetUrl} from '../http.ts'
import {listenersFix, localUp, proxyProtocol} from '../fixes.ts'
import {check, type Check, type DoctorTarget, type ProbeContext} from '../types.ts'

type Symptom = 'closed' | 'bare-400' | 'gateway' | 'answered' | 'unreachable'

/**
 * How one listener answered a plain GET:
 * - closed: connected (and TLS done), then closed without a byte: a backend that expects a PROXY line drops a
 *   request that does not start with one (nginx logs "broken header"; ebws's acceptProxyProtocol closes).
 * - bare-400: a 400 with no body, or the 400 page of nginx or HAProxy: a backend that does not expect the PROXY line
 *   reads "PROXY TCP4 ..." (v1) or the binary v2 signature as a request line.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/enable-proxy-protocol.html
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/network/edit-target-group-attributes.html#proxy-protocol
 */
export function symptomOf(outcome: HttpOutcome): Symptom {
  if (outcome.failure) return outcome.failure.code === 'ECONNRESET' ? 'closed' : 'unreachable'
  const {status, body} = outcome.response
  if (
    status === 400 &&
    (body.trim() === '' || /<title>400 Bad Request<\/title>|^Bad Request$|<h1>400 Bad request<\/h1>/i.test(body.trim()))
  )
    return 'bare-400'
  if (status === 502) return 'gateway'
  return 'answered'
}

/**
 * Which side to change, per load balancer. A CLB sends PROXY v1 from its TCP/SSL listeners (`listeners fix --mode
 * proxy` sets that layout up); an NLB sends v2 when its target group's proxy_protocol_v2.enabled is set (`ebws
 * proxy-protocol enable|disable`). An ALB has no Proxy Protocol.
 */
function expectedNotSentFix(t: DoctorTarget): string {
  if (t.loadBalancer === 'network')
    return `Change the load balancer, since the backend is set up for PROXY v2: ${localUp(t, '--mode proxy') ?? proxyProtocol(t, 'enable')} (the target group's proxy_protocol_v2.enabled); or remove proxy_protocol from the instance's nginx listen and redeploy`
  return `Change the load balancer, since the backend is set up for Proxy Protocol: ${listenersFix(t, ' --mode proxy')} (SSL/TCP listeners sending the PROXY line); or remove proxy_protocol from nginx's listen and redeploy`
}

function sentNotExpectedFix(t: DoctorTarget): string {
  if (t.loadBalancer === 'network')
    return `Change the backend: the instance's nginx must read PROXY v2 on both ports (listen 443 ssl proxy_protocol; listen 80 proxy_protocol); or stop sending it: ${localUp(t, '--mode websocket') ?? proxyProtocol(t, 'disable')}`
  return `Change the backend: deploy ebws's .platform/variants/proxy-protocol/nginx/nginx.conf as .platform/nginx/nginx.conf (listen 80 proxy_protocol); or stop sending it: ${proxyProtocol(t, 'disable')}`
}

/** proxy-protocol: recognise a PROXY line expected but not sent, or sent but not expected, and say which side to change. */
export async function proxyProtocolCheck(ctx: ProbeContext): Promise<Check> {
  const t = ctx.target
  const path = t.healthPath ?? '/'
  const [https, http] = await Promise.all([getPage(ctx), httpCall(ctx, targetUrl(ctx, 'http', path))])
  const s = symptomOf(https)
  const p = symptomOf(http)
  const seen = `https://…/ ${https.response ? https.response.status : https.failure.message}; http://…${path} ${http.response ? http.response.status : http.failure.message}`
  if (s === 'closed' && (p === 'closed' || p === 'gateway' || p === 'unreachable')) {
    return check(
      'proxy-protocol',
      'fail',
      `every request is closed without a response after the TLS handshake (${seen}): the backend expects a PROXY line the load balancer does not send (nginx logs "broken header"), or no instance is up`,
      expectedNotSentFix(t),
    )
  }
  if (s === 'bare-400' && (p === 'bare-400' || p === 'unreachable' || p === 'closed')) {
    return check(
      'proxy-protocol',
      'fail',
      `every request gets a bare 400 (${seen}): the load balancer sends a PROXY line the backend does not expect, and it reads "PROXY TCP4 …" as a request line`,
      sentNotExpectedFix(t),
    )
  }
  // Where TLS ends on the instance (an NLB's TCP pass-through), the header arrives before the ClientHello: the TLS
  // handshake is cut, while the plain port reads the header as a request line.
  if (s === 'closed' && p === 'bare-400') {
    return check(
      'proxy-protocol',
      'fail',
      `the TLS handshake is cut and plain http gets a bare 400 (${seen}): the load balancer sends a PROXY header the backend does not expect; where TLS ends on the instance it arrives before the TLS ClientHello`,
      sentNotExpectedFix(t),
    )
  }
  if (s === 'unreachable') return check('proxy-protocol', 'skip', `not judged: https://…/ ${https.failure?.message}`)
  return check('proxy-protocol', 'pass', `both listeners answer plain requests (${seen}): no Proxy Protocol mismatch`)
}
