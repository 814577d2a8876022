import {getPage, httpCall, type HttpOutcome, targetUrl} from '../http.ts'
import {listenersFix, proxyProtocol} from '../fixes.ts'
import {check, type Check, type ProbeContext} from '../types.ts'

type Symptom = 'closed' | 'bare-400' | 'gateway' | 'answered' | 'unreachable'

/**
 * How one listener answered a plain GET:
 * - closed: connected (and TLS done), then closed without a byte: a backend that expects a PROXY line drops a
 *   request that does not start with one (nginx logs "broken header"; ebws's acceptProxyProtocol closes).
 * - bare-400: a 400 with no body or nginx's "400 Bad Request" page: a backend that does not expect the PROXY line
 *   reads "PROXY TCP4 ..." as a request line.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/enable-proxy-protocol.html
 */
export function symptomOf(outcome: HttpOutcome): Symptom {
  if (outcome.failure) return outcome.failure.code === 'ECONNRESET' ? 'closed' : 'unreachable'
  const {status, body} = outcome.response
  if (status === 400 && (body.trim() === '' || /<title>400 Bad Request<\/title>|^Bad Request$/i.test(body.trim())))
    return 'bare-400'
  if (status === 502) return 'gateway'
  return 'answered'
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
      `Change the load balancer, since the backend is set up for Proxy Protocol: ${listenersFix(t, ' --mode proxy')} (SSL/TCP listeners sending the PROXY line); or remove proxy_protocol from nginx's listen and redeploy`,
    )
  }
  if (s === 'bare-400' && (p === 'bare-400' || p === 'unreachable' || p === 'closed')) {
    return check(
      'proxy-protocol',
      'fail',
      `every request gets a bare 400 (${seen}): the load balancer sends a PROXY line the backend does not expect, and it reads "PROXY TCP4 …" as a request line`,
      `Change the backend: deploy ebws's .platform/variants/proxy-protocol/nginx/nginx.conf as .platform/nginx/nginx.conf (listen 80 proxy_protocol); or stop sending it: ${proxyProtocol(t, 'disable')}`,
    )
  }
  if (s === 'unreachable') return check('proxy-protocol', 'skip', `not judged: https://…/ ${https.failure?.message}`)
  return check('proxy-protocol', 'pass', `both listeners answer plain requests (${seen}): no Proxy Protocol mismatch`)
}
