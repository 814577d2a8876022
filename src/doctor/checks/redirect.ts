import {httpCall, quote, targetUrl} from '../http.ts'
import {listenersFix, websocketLayout} from '../fixes.ts'
import {check, type Check, type CheckStatus, type ProbeContext} from '../types.ts'

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
      fix: `Add a plain-HTTP listener on port ${t.httpPort} that reaches the app with X-Forwarded-Proto: ${websocketLayout(t)}`,
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
          : `${listenersFix(t)} (HTTP ${t.httpPort} -> HTTP sends X-Forwarded-Proto: http, so the app can tell and redirect; a TCP listener sends nothing), with httpsRedirect() from ebws/redirect in the app`,
      })
    } else {
      const target = new URL(location, start)
      const judged = judgeLocation(target, expected)
      const artefact =
        /^https:\/\/[^/]+:443(\/|$)/i.test(location) && t.httpsPort === 443 ? ' (a redundant :443 in Location)' : ''
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
    if (to && to.hostname.toLowerCase() === SPOOFED_HOST) {
      findings.push({
        status: 'fail',
        evidence: `open redirect: Host: ${SPOOFED_HOST} is redirected to ${location}`,
        fix: `Redirect only to allow-listed hosts (httpsRedirect({allowedHosts: ['${t.host}']}) from ebws/redirect; nginx: a fixed server_name, not $host).`,
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
  const passes = worst.status === 'pass' ? findings.filter((f) => f !== worst).map((f) => f.evidence) : []
  return check(
    'redirect',
    worst.status,
    [worst.evidence, ...others, ...passes].join('; '),
    worst.status === 'pass' ? null : worst.fix,
  )
}
