import {httpCall, type HttpResponse, quote, targetUrl} from '../http.ts'
import {listenersFix, localUp, websocketLayout} from '../fixes.ts'
import {check, type Check, type CheckStatus, type DoctorTarget, type ProbeContext} from '../types.ts'

const PROBE_PATH = '/ebws-doctor/probe?q=redirect-check'
const SPOOFED_HOST = 'ebws-doctor-spoofed.invalid'
const MAX_HOPS = 5

interface Finding {
  status: CheckStatus
  evidence: string
  fix: string | null
}

const rank: Record<CheckStatus, number> = {skip: 0, pass: 1, warn: 2, fail: 3}

/** Whether a Location (resolved against the request) is exactly the https URL we expect, and if not, how it differs. */
export function judgeLocation(location: URL, expected: URL): {status: CheckStatus; problem?: string} {
  if (location.protocol !== 'https:') return {status: 'fail', problem: `goes to ${location.protocol}//, not https://`}
  if (location.hostname.toLowerCase() !== expected.hostname.toLowerCase())
    return {status: 'fail', problem: `goes to another host (${location.host}, expected ${expected.host})`}
  // URL drops a port equal to the scheme's default, so look at what was written for :443 artefacts.
  if (location.port !== expected.port) {
    return {
      status: 'fail',
      problem: `goes to the wrong port (${location.port || '443'}, expected ${expected.port || '443'})`,
    }
  }
  if (location.pathname !== expected.pathname || location.search !== expected.search) {
    return {
      status: 'fail',
      problem: `loses the path or query (${location.pathname}${location.search}, expected ${expected.pathname}${expected.search})`,
    }
  }
  return {status: 'pass'}
}

/**
 * Whether a response was written by the load balancer itself (its redirect action) rather than by something behind
 * it: an ALB's own responses carry `Server: awselb/2.0`. AWS does not document the header, but every ALB sends it,
 * and `ebws local up --lb application` does too. Judged from the response alone, as a browser sees it: an app that
 * fakes the header only turns its reflected Host into a warning, never into a pass.
 */
export function redirectByLoadBalancer(res: HttpResponse): string | undefined {
  const server = res.headers.server
  return typeof server === 'string' && /^awselb\//i.test(server) ? `Server: ${server}` : undefined
}

export interface SpoofVerdict {
  status: CheckStatus
  /** none: no redirect or one to the real host; reflected: the load balancer's redirect action keeps the Host sent; open: an open redirect; elsewhere: a third host. */
  kind: 'none' | 'reflected' | 'open' | 'elsewhere'
}

/**
 * How to rate the answer to `GET http://host/probe` sent with a spoofed `Host`:
 * - no redirect, or one to the real host: pass;
 * - the load balancer's own redirect action (`by`) keeping the Host sent, to https with the same path and query, as an
 *   ALB redirect with Host `#{host}` does: a warning. A browser only sends Host names that resolve to this load
 *   balancer, so it cannot be led elsewhere; the risk is a cache in front that keys responses without the Host.
 *   https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RedirectActionConfig.html
 * - the same from the app or nginx (`return 301 https://$host...`): a failure (open redirect), since the app can
 *   allow-list its hosts; and a redirect to any other host, or one that changes scheme, path or query: a failure.
 */
export function judgeSpoofedRedirect(
  sentHost: string,
  realHost: string,
  location: URL | undefined,
  probe: {pathname: string; search: string},
  by: string | undefined,
): SpoofVerdict {
  if (!location) return {status: 'pass', kind: 'none'}
  const host = location.hostname.toLowerCase()
  if (host === realHost.toLowerCase()) return {status: 'pass', kind: 'none'}
  if (host !== sentHost.toLowerCase()) return {status: 'fail', kind: 'elsewhere'}
  const faithful =
    location.protocol === 'https:' && location.pathname === probe.pathname && location.search === probe.search
  return by && faithful ? {status: 'warn', kind: 'reflected'} : {status: 'fail', kind: 'open'}
}

/** How to pin an ALB redirect's Host to the domain (the ARN is the port-80 listener's, as `listeners show` lists it). */
function pinRedirectHost(t: DoctorTarget): string {
  const env = t.fixEnvironment ? ` -e ${t.fixEnvironment}` : ''
  return (
    `Pin the redirect's Host to ${t.host}: aws elbv2 modify-listener --listener-arn PORT_80_LISTENER_ARN (ebws listeners show${env}) ` +
    `--default-actions 'Type=redirect,RedirectConfig={Protocol=HTTPS,Port=443,Host=${t.host},Path=/#{path},Query=#{query},StatusCode=HTTP_301}'; ` +
    `to keep it across environment updates, write Host: "${t.host}" (not "#{host}") in the .ebextensions override of AWSEBV2LoadBalancerListener (ebws listeners fix${env} --emit-ebextensions .ebextensions writes it). ` +
    `Or let the app redirect, to its allowed hosts only: ${listenersFix(t, ' --redirect app')}`
  )
}

/** The fix when http:// is not redirected, in the terms of the load balancer in front. */
function noRedirectFix(t: DoctorTarget): string {
  if (t.loadBalancer === 'application')
    return `${localUp(t, '') ?? listenersFix(t)} (the ALB's HTTP:80 listener gets a redirect action: 301 to https, host, path and query kept)`
  if (t.loadBalancer === 'network')
    return `An NLB passes TCP and adds no X-Forwarded-Proto: redirect by port on the instance, everything arriving on port 80 answers 301 to https://${t.host} (nginx: a server on 80 with return 301 https://${t.host}$request_uri)${localUp(t, '') ? `; locally: ${localUp(t, '')}` : ''}`
  return `${listenersFix(t)} (HTTP ${t.httpPort} -> HTTP sends X-Forwarded-Proto: http, so the app can tell and redirect; a TCP listener sends nothing), with httpsRedirect() from ebws/redirect in the app`
}

async function followChain(ctx: ProbeContext, start: URL): Promise<Finding | undefined> {
  const seen = [start.href]
  let url = start
  for (let hop = 1; hop <= MAX_HOPS + 1; hop++) {
    const outcome = await httpCall(ctx, url)
    if (!outcome.response)
      return hop === 1
        ? undefined
        : {status: 'fail', evidence: `hop ${hop} to ${url.href}: ${outcome.failure.message}`, fix: null}
    const res = outcome.response
    const location = res.headers.location
    if (res.status < 300 || res.status >= 400 || !location) return undefined
    if (hop > MAX_HOPS)
      return {status: 'fail', evidence: `more than ${MAX_HOPS} redirects: ${seen.join(' -> ')}`, fix: null}
    const next = new URL(location, url)
    if (seen.includes(next.href)) {
      return {
        status: 'fail',
        evidence: `redirect loop: ${[...seen, next.href].join(' -> ')} (a request that already came over https is redirected again)`,
        fix: 'Decide "came over http" from X-Forwarded-Proto (HTTP listener) or the PROXY line\'s port, never from $scheme or the connection (always http behind the load balancer): httpsRedirect() from ebws/redirect, or ebws\'s .platform/nginx config.',
      }
    }
    seen.push(next.href)
    url = next
  }
  return undefined
}

/** redirect: http:// answers 301/308 to the same https URL; no loop, <= 5 hops; no open redirect; health path 200 over http. */
export async function redirectCheck(ctx: ProbeContext): Promise<Check> {
  const t = ctx.target
  const start = targetUrl(ctx, 'http', PROBE_PATH)
  const expected = targetUrl(ctx, 'https', PROBE_PATH)
  const [first, spoofed, health] = await Promise.all([
    httpCall(ctx, start),
    httpCall(ctx, start, {headers: {host: SPOOFED_HOST}}),
    t.healthPath ? httpCall(ctx, targetUrl(ctx, 'http', t.healthPath)) : undefined,
  ])
  const findings: Finding[] = []

  if (!first.response) {
    findings.push({
      status: 'fail',
      evidence: `${start.href}: ${first.failure.message}`,
      fix:
        t.loadBalancer === 'application' || t.loadBalancer === 'network'
          ? `Add the port-${t.httpPort} listener: ${noRedirectFix(t)}`
          : `Add a plain-HTTP listener on port ${t.httpPort} that reaches the app with X-Forwarded-Proto: ${websocketLayout(t)}`,
    })
  } else {
    const res = first.response
    const location = res.headers.location
    if (res.status < 300 || res.status >= 400 || !location) {
      const noHeader = res.status === 400 && /ALLOWED_HOSTS|host/i.test(res.body)
      findings.push({
        status: 'fail',
        evidence: `${start.href} answered ${quote(res, 60)}: no redirect to https`,
        fix: noHeader
          ? `The app refuses the Host: set ALLOWED_HOSTS=${t.host} (the hosts it may redirect to).`
          : noRedirectFix(t),
      })
    } else {
      const target = new URL(location, start)
      const judged = judgeLocation(target, expected)
      // An ALB's redirect action writes the port it is given (Port 443) into Location: harmless, and not ours to change.
      const artefact =
        /^https:\/\/[^/]+:443(\/|$)/i.test(location) && t.httpsPort === 443 && !redirectByLoadBalancer(res)
          ? ' (a redundant :443 in Location)'
          : ''
      if (judged.problem) {
        findings.push({
          status: 'fail',
          evidence: `${start.href} -> ${res.status} ${location}: ${judged.problem}`,
          fix: /port/.test(judged.problem)
            ? `Redirect to the load balancer's HTTPS port ${t.httpsPort}: the sample app's HTTPS_PORT=${t.httpsPort} (httpsRedirect({httpsPort: ${t.httpsPort}}) from ebws/redirect); never build the URL from the port the instance sees.`
            : `Redirect to https://${expected.host} with the same path and query: httpsRedirect({allowedHosts: ['${t.host}']}) from ebws/redirect.`,
        })
      } else if (res.status !== 301 && res.status !== 308) {
        findings.push({
          status: 'warn',
          evidence: `${start.href} -> ${res.status} ${location}: a temporary redirect; browsers do not remember it`,
          fix: 'Answer 301 (GET/HEAD) or 308 (other methods): httpsRedirect() from ebws/redirect does.',
        })
      } else if (artefact) {
        findings.push({
          status: 'warn',
          evidence: `${start.href} -> ${res.status} ${location}${artefact}`,
          fix: 'Leave the default port out of the Location header.',
        })
      }
      const chain = await followChain(ctx, start)
      if (chain) findings.push({...chain, fix: chain.fix ?? 'Redirect once, straight to the final https URL.'})
      if (!judged.problem && !chain)
        findings.push({
          status: 'pass',
          evidence: `${start.href.replace(PROBE_PATH, '/…')} -> ${res.status} ${target.href.replace(PROBE_PATH, '/…')} (same host, path and query)`,
          fix: null,
        })
    }
  }

  if (spoofed.response) {
    const location = spoofed.response.headers.location
    const to = location ? new URL(location, start) : undefined
    const by = redirectByLoadBalancer(spoofed.response)
    const verdict = judgeSpoofedRedirect(SPOOFED_HOST, t.host, to, expected, by)
    if (verdict.kind === 'reflected') {
      findings.push({
        status: 'warn',
        evidence: `Host: ${SPOOFED_HOST} is redirected to ${location} by the load balancer's own redirect action (${by}), which keeps the Host sent (#{host}): a browser only sends Host names that resolve to this load balancer, so no user is led elsewhere; the risk is a cache in front that keys responses without the Host`,
        fix: pinRedirectHost(t),
      })
    } else if (verdict.kind === 'open') {
      findings.push({
        status: 'fail',
        evidence: `open redirect: Host: ${SPOOFED_HOST} is redirected to ${location}`,
        fix: `Redirect only to allow-listed hosts (httpsRedirect({allowedHosts: ['${t.host}']}) from ebws/redirect; nginx: a fixed server_name, not $host).`,
      })
    } else if (verdict.kind === 'elsewhere') {
      findings.push({
        status: 'fail',
        evidence: `Host: ${SPOOFED_HOST} is redirected to ${location}, a host that is neither the one sent nor ${t.host}`,
        fix: `Redirect to https://${expected.host} only: httpsRedirect({allowedHosts: ['${t.host}']}) from ebws/redirect.`,
      })
    } else
      findings.push({
        status: 'pass',
        evidence: `a spoofed Host is not followed (${spoofed.response.status}${to ? ` -> ${to.host}` : ''})`,
        fix: null,
      })
  }

  if (health) {
    const path = t.healthPath
    if (!health.response)
      findings.push({
        status: 'fail',
        evidence: `health check http://…${path}: ${health.failure.message}`,
        fix: `Serve ${path} over plain HTTP with a 200.`,
      })
    else if (health.response.status === 200)
      findings.push({status: 'pass', evidence: `health check ${path} answers 200 over http`, fix: null})
    else if (health.response.status >= 300 && health.response.status < 400 && redirectByLoadBalancer(health.response))
      // The listener redirects every request; target group health checks go to the targets directly, not through it.
      // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
      findings.push({
        status: 'pass',
        evidence: `health check ${path}: redirected on port ${t.httpPort} by the load balancer like every request; its health checks reach the targets directly, not through this listener`,
        fix: null,
      })
    else {
      const redirected = health.response.status >= 300 && health.response.status < 400
      findings.push({
        status: 'fail',
        evidence: `health check ${path} answers ${health.response.status}${redirected ? ` -> ${health.response.headers.location}` : ''} over http, not 200: the load balancer marks the instances unhealthy`,
        fix: redirected
          ? `Answer ${path} before the redirect (httpsRedirect({healthCheckPaths: ['${path}']}) from ebws/redirect).`
          : `Serve ${path} with a 200.`,
      })
    }
  }

  const worst = findings.reduce((a, b) => (rank[b.status] > rank[a.status] ? b : a))
  const others = findings.filter((f) => f !== worst && f.status !== 'pass').map((f) => f.evidence)
  // Under a warning, what worked is said too (a failure keeps its line to the problems).
  const passes =
    worst.status === 'fail' ? [] : findings.filter((f) => f !== worst && f.status === 'pass').map((f) => f.evidence)
  return check(
    'redirect',
    worst.status,
    [worst.evidence, ...others, ...passes].join('; '),
    worst.status === 'pass' ? null : worst.fix,
  )
}
