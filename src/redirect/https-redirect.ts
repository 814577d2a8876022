import type {IncomingMessage, ServerResponse} from 'node:http'

import {type ProtocolOptions, requestProtocol} from './forwarded.ts'

/** The request shape the middleware needs: Node's, plus Express's originalUrl when mounted under a path. */
export type RedirectRequest = Pick<IncomingMessage, 'headers' | 'socket' | 'method' | 'url'> & {originalUrl?: string}
export type RedirectResponse = Pick<ServerResponse, 'setHeader' | 'end'> & {statusCode: number}
export type Next = (err?: unknown) => void

export interface HttpsRedirectOptions extends ProtocolOptions {
  /**
   * Host names we may redirect to: exact names, or `*.example.com` for any subdomain. The request's Host is used
   * only when it matches; otherwise the first exact entry (the canonical host). Never empty in production.
   */
  allowedHosts: readonly string[]
  /** Port of the HTTPS listener users reach (443 on the CLB; 8443 for `ebws local up`). */
  httpsPort?: number
  /** Paths answered over any protocol (the load balancer health check). Default ['/healthz']. */
  healthCheckPaths?: readonly string[]
}

export type RedirectDecision =
  | {action: 'serve'; reason: 'https' | 'health-check'}
  | {action: 'redirect'; status: 301 | 308; location: string}
  | {action: 'reject'; status: 400; reason: string}

/** Lowercased host name without port or trailing dot; brackets kept for IPv6. Undefined if it is not a host name. */
export function normalizeHost(raw: string | undefined): string | undefined {
  if (!raw) return undefined
  let host = raw.trim().toLowerCase()
  if (host.startsWith('[')) {
    const end = host.indexOf(']')
    if (end < 0) return undefined
    const rest = host.slice(end + 1)
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined
    host = host.slice(0, end + 1)
    return /^\[[0-9a-f:.]+\]$/.test(host) ? host : undefined
  }
  const colon = host.indexOf(':')
  if (colon >= 0) {
    if (!/^\d{1,5}$/.test(host.slice(colon + 1))) return undefined
    host = host.slice(0, colon)
  }
  if (host.endsWith('.')) host = host.slice(0, -1)
  return /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(host) ? host : undefined
}

export function hostAllowed(host: string, allowedHosts: readonly string[]): boolean {
  return allowedHosts.some((entry) => {
    const e = entry.trim().toLowerCase()
    if (e.startsWith('*.')) return host.endsWith(e.slice(1)) && host.length > e.length - 1
    return normalizeHost(e) === host
  })
}

/** Path and query of the request, always starting with one "/" and printable ASCII only (safe for Location). */
export function pathAndQuery(url: string | undefined): string {
  let target = url ?? '/'
  if (!target.startsWith('/')) {
    // absolute-form ("GET http://evil.example/x") or "*": keep only the path, never the authority.
    try {
      const parsed = new URL(target)
      target = parsed.pathname + parsed.search
    } catch {
      target = '/'
    }
  }
  // "//evil.example" after our own authority is still a path, but collapse it so no client can read it as one.
  target = target.replace(/^\/{2,}/, '/')
  return target.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c))
}

/** The decision for one request, as a pure function (the middleware applies it). */
export function decideRedirect(req: RedirectRequest, options: HttpsRedirectOptions): RedirectDecision {
  const url = req.originalUrl ?? req.url ?? '/'
  const path = url.split('?')[0] ?? '/'
  if ((options.healthCheckPaths ?? ['/healthz']).includes(path)) return {action: 'serve', reason: 'health-check'}
  if (requestProtocol(req, options) === 'https') return {action: 'serve', reason: 'https'}

  const requested = normalizeHost(Array.isArray(req.headers.host) ? req.headers.host[0] : req.headers.host)
  let host = requested !== undefined && hostAllowed(requested, options.allowedHosts) ? requested : undefined
  host ??= options.allowedHosts
    .map((h) => (h.startsWith('*.') ? undefined : normalizeHost(h)))
    .find((h) => h !== undefined)
  if (host === undefined) {
    return {
      action: 'reject',
      status: 400,
      reason: 'Plain HTTP request for a host that is not in the allow-list (ALLOWED_HOSTS); use https://.',
    }
  }
  const port = options.httpsPort ?? 443
  const location = `https://${host}${port === 443 ? '' : `:${port}`}${pathAndQuery(url)}`
  // 301 keeps browsers' GET/HEAD semantics; 308 (RFC 9110 15.4.9) also keeps the method and body of a POST.
  const method = (req.method ?? 'GET').toUpperCase()
  return {action: 'redirect', status: method === 'GET' || method === 'HEAD' ? 301 : 308, location}
}

/**
 * Connect/Express-style middleware: redirects plain-HTTP requests to HTTPS on an allow-listed host, serves the rest.
 * Works on bare Node `http` requests too, and as a Socket.io engine middleware (`io.engine.use(...)`).
 */
export function httpsRedirect(options: HttpsRedirectOptions) {
  return function ebwsHttpsRedirect(req: RedirectRequest, res: RedirectResponse, next: Next): void {
    const decision = decideRedirect(req, options)
    if (decision.action === 'serve') return next()
    res.statusCode = decision.status
    res.setHeader('Content-Type', 'text/plain; charset=utf-8')
    if (decision.action === 'redirect') {
      res.setHeader('Location', decision.location)
      res.end(req.method === 'HEAD' ? undefined : `Redirecting to ${decision.location}\n`)
    } else {
      res.end(req.method === 'HEAD' ? undefined : `${decision.reason}\n`)
    }
  }
}

export interface HstsOptions extends ProtocolOptions {
  /** Seconds; 0 tells browsers to forget the policy. Default one year. */
  maxAge?: number
  includeSubDomains?: boolean
  preload?: boolean
}

/** Strict-Transport-Security, on HTTPS responses only (RFC 6797 8.1: browsers ignore it over plain HTTP anyway). */
export function hsts(options: HstsOptions = {}) {
  const value = [
    `max-age=${Math.max(0, Math.floor(options.maxAge ?? 31_536_000))}`,
    ...(options.includeSubDomains ? ['includeSubDomains'] : []),
    ...(options.preload ? ['preload'] : []),
  ].join('; ')
  return function ebwsHsts(req: RedirectRequest, res: RedirectResponse, next: Next): void {
    if (requestProtocol(req, options) === 'https') res.setHeader('Strict-Transport-Security', value)
    next()
  }
}
