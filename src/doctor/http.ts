// One HTTP(S) request with node:http/https: the raw status, headers and body, redirects never followed, a fresh
// connection each time (agent: false, as a load balancer sees separate requests), and a bound on the whole step.
// node:http rather than fetch/undici's fetch: fetch cannot send a spoofed Host header, and we want the connection-
// level failure (refused, reset, closed without a response) as evidence, not a generic "fetch failed".
import {request as httpRequest, type IncomingHttpHeaders} from 'node:http'
import {request as httpsRequest} from 'node:https'
import {isIP} from 'node:net'

import type {ProbeContext} from './types.ts'

export interface HttpResponse {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** A request that got no HTTP response: refused, timed out, closed, TLS failure. */
export interface NetFailure {
  code: string
  message: string
}

export type HttpOutcome = {response: HttpResponse; failure?: undefined} | {response?: undefined; failure: NetFailure}

export interface RequestOptions {
  method?: string
  headers?: Record<string, string>
  body?: string
  /** Bytes of body kept (the rest is drained). */
  maxBody?: number
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`

/** Plain words for a connection-level failure. */
export function describeFailure(err: NodeJS.ErrnoException, timeoutMs: number): NetFailure {
  const code = err.code ?? 'ERROR'
  if (code === 'ETIMEDOUT') return {code, message: `no answer within ${seconds(timeoutMs)}`}
  if (code === 'ECONNREFUSED') return {code, message: 'connection refused (nothing listens on that port)'}
  if (code === 'ECONNRESET' || /socket hang up/.test(err.message))
    return {code: 'ECONNRESET', message: 'the connection was closed without any response'}
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return {code, message: 'the host name does not resolve'}
  if (code === 'EPROTO' || code.startsWith('ERR_SSL'))
    return {code, message: `TLS failed: ${err.message.replace(/^.*?:error:[0-9A-F]+:/, '').slice(0, 160)}`}
  return {code, message: err.message}
}

/** Sends one request to `url` and resolves with the response or the failure; never rejects, never hangs. */
export function httpCall(ctx: ProbeContext, url: URL, options: RequestOptions = {}): Promise<HttpOutcome> {
  const secure = url.protocol === 'https:'
  const send = secure ? httpsRequest : httpRequest
  const hostname = url.hostname.replace(/^\[|\]$/g, '')
  const sameHost = hostname === ctx.target.host
  const timeoutMs = ctx.stepTimeoutMs
  const maxBody = options.maxBody ?? 512 * 1024
  return new Promise((resolve) => {
    let settled = false
    const done = (outcome: HttpOutcome) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(outcome)
    }
    const req = send(
      {
        host: hostname,
        port: url.port || (secure ? 443 : 80),
        path: url.pathname + url.search,
        method: options.method ?? 'GET',
        headers: {host: url.host, 'user-agent': 'ebws-doctor', accept: '*/*', ...options.headers},
        agent: false,
        // Certificates are the tls check's business: the other checks look past them, to diagnose the rest.
        rejectUnauthorized: false,
        ...(secure && isIP(hostname) === 0 ? {servername: hostname} : {}),
        ...(sameHost && ctx.lookup ? {lookup: ctx.lookup} : {}),
      },
      (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (d: Buffer) => {
          if (size < maxBody) chunks.push(d)
          size += d.length
        })
        res.on('end', () =>
          done({
            response: {status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8')},
          }),
        )
        res.on('error', (err) => done({failure: describeFailure(err, timeoutMs)}))
      },
    )
    const timer = setTimeout(() => {
      const err: NodeJS.ErrnoException = new Error('timed out')
      err.code = 'ETIMEDOUT'
      req.destroy(err)
    }, timeoutMs)
    req.on('error', (err: NodeJS.ErrnoException) => done({failure: describeFailure(err, timeoutMs)}))
    req.end(options.body)
  })
}

/** The target's https:// or http:// origin and a path on it. */
export function targetUrl(ctx: ProbeContext, scheme: 'https' | 'http', path: string): URL {
  const {target} = ctx
  const port = scheme === 'https' ? target.httpsPort : target.httpPort
  const defaultPort = scheme === 'https' ? 443 : 80
  const host = isIP(target.host) === 6 ? `[${target.host}]` : target.host
  return new URL(`${scheme}://${host}${port === defaultPort ? '' : `:${port}`}${path}`)
}

/** GET https://host/ (the page), shared by hsts, mixed-content and proxy-protocol. */
export const getPage = (ctx: ProbeContext): Promise<HttpOutcome> =>
  ctx.once('GET https /', () => httpCall(ctx, targetUrl(ctx, 'https', '/'), {headers: {accept: 'text/html,*/*'}}))

/** A short quote of a response for evidence. */
export function quote(res: HttpResponse, chars = 80): string {
  const body = res.body.replace(/\s+/g, ' ').trim()
  return `${res.status}${body ? ` "${body.slice(0, chars)}${body.length > chars ? '…' : ''}"` : ' (empty body)'}`
}
