// The Engine.IO v4 protocol (Socket.io 3/4) spoken by hand, so every step leaves evidence: status codes, headers and
// bodies of the handshake, and the raw answer to a WebSocket upgrade. socket.io-client would hide all of that behind
// a "connect_error"; `ws` gives the upgrade's own response (its 'unexpected-response' event) and its headers.
// https://socket.io/docs/v4/engine-io-protocol/
import type {IncomingHttpHeaders, IncomingMessage} from 'node:http'
import {isIP} from 'node:net'

import WebSocket from 'ws'

import {httpCall, type HttpOutcome, targetUrl} from './http.ts'
import type {ProbeContext} from './types.ts'

export const EIO_PATH = '/socket.io/'
/** Engine.IO packet separator in a polling payload. */
const SEPARATOR = '\x1e'

export interface OpenPacket {
  sid: string
  upgrades: string[]
  pingInterval: number
  pingTimeout: number
}

export function parseOpen(text: string): OpenPacket | undefined {
  const first = text.split(SEPARATOR)[0] ?? ''
  if (!first.startsWith('0')) return undefined
  try {
    const open = JSON.parse(first.slice(1)) as Partial<OpenPacket>
    return typeof open.sid === 'string'
      ? {
          sid: open.sid,
          upgrades: open.upgrades ?? [],
          pingInterval: open.pingInterval ?? 25_000,
          pingTimeout: open.pingTimeout ?? 20_000,
        }
      : undefined
  } catch {
    return undefined
  }
}

/** Engine.IO's error body: {"code":1,"message":"Session ID unknown"} and the like. */
export function engineError(body: string): {code: number; message: string} | undefined {
  try {
    const e = JSON.parse(body) as {code?: unknown; message?: unknown}
    return typeof e.code === 'number' && typeof e.message === 'string' ? {code: e.code, message: e.message} : undefined
  } catch {
    return undefined
  }
}

/** Cookies of one session, as a browser keeps them (load balancer stickiness cookies such as AWSELB). */
export class CookieJar {
  private readonly cookies = new Map<string, string>()
  take(headers: IncomingHttpHeaders): void {
    for (const c of headers['set-cookie'] ?? []) {
      const [pair] = c.split(';')
      const eq = pair!.indexOf('=')
      if (eq > 0) this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim())
    }
  }
  header(): Record<string, string> {
    return this.cookies.size ? {cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')} : {}
  }
}

export const origin = (ctx: ProbeContext): string => targetUrl(ctx, 'https', '/').origin

let counter = 0
const cacheBuster = () => `${Date.now().toString(36)}${(counter++).toString(36)}`

/** One polling request of a session (sid undefined: the handshake). */
export async function poll(
  ctx: ProbeContext,
  sid: string | undefined,
  jar: CookieJar,
  body?: string,
): Promise<HttpOutcome> {
  const query = `?EIO=4&transport=polling&t=${cacheBuster()}${sid ? `&sid=${encodeURIComponent(sid)}` : ''}`
  const outcome = await httpCall(ctx, targetUrl(ctx, 'https', `${EIO_PATH}${query}`), {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      origin: origin(ctx),
      ...jar.header(),
      ...(body === undefined ? {} : {'content-type': 'text/plain;charset=UTF-8'}),
    },
    ...(body === undefined ? {} : {body}),
  })
  if (outcome.response) jar.take(outcome.response.headers)
  return outcome
}

export type WsOutcome =
  | {kind: 'open'; socket: WebSocket; headers: IncomingHttpHeaders}
  | {kind: 'response'; status: number; headers: IncomingHttpHeaders; body: string}
  | {kind: 'error'; code: string; message: string}

/** Opens wss://host/socket.io/?EIO=4&transport=websocket[&sid=]: the socket, or the answer that was not a 101. */
export function openWebSocket(ctx: ProbeContext, sid?: string, jar?: CookieJar): Promise<WsOutcome> {
  const t = ctx.target
  const url = targetUrl(
    ctx,
    'https',
    `${EIO_PATH}?EIO=4&transport=websocket${sid ? `&sid=${encodeURIComponent(sid)}` : ''}`,
  )
  url.protocol = 'wss:'
  return new Promise((resolve) => {
    let settled = false
    const done = (o: WsOutcome) => {
      if (settled) {
        if (o.kind === 'open') o.socket.terminate()
        return
      }
      settled = true
      clearTimeout(timer)
      resolve(o)
    }
    const socket = new WebSocket(url, {
      // The session's cookies, as a browser sends them on the upgrade: load balancer stickiness (AWSALB) included.
      headers: {origin: origin(ctx), 'user-agent': 'ebws-doctor', ...jar?.header()},
      rejectUnauthorized: false,
      handshakeTimeout: ctx.stepTimeoutMs,
      ...(isIP(t.host) === 0 ? {servername: t.host} : {}),
      ...(ctx.lookup ? {lookup: ctx.lookup} : {}),
      perMessageDeflate: false,
    })
    let upgradeHeaders: IncomingHttpHeaders = {}
    socket.on('upgrade', (res: IncomingMessage) => (upgradeHeaders = res.headers))
    inbox(socket)
    socket.once('open', () => done({kind: 'open', socket, headers: upgradeHeaders}))
    socket.once('unexpected-response', (req, res: IncomingMessage) => {
      let body = ''
      // Kept now: once the response ends the socket is detached from req, and a keep-alive one would stay open.
      const connection = res.socket
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d.length + body.length < 4096 ? d : ''))
      const finish = () => {
        req.destroy()
        connection?.destroy()
        done({kind: 'response', status: res.statusCode ?? 0, headers: res.headers, body})
      }
      res.once('end', finish)
      res.once('error', finish)
      setTimeout(finish, 500).unref()
    })
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? (/timed out/i.test(err.message) ? 'ETIMEDOUT' : 'ERROR')
      done({
        kind: 'error',
        code,
        message: /socket hang up|ECONNRESET/.test(`${code} ${err.message}`)
          ? 'the connection was closed without any response'
          : err.message,
      })
    })
    const timer = setTimeout(() => {
      socket.terminate()
      done({kind: 'error', code: 'ETIMEDOUT', message: `no answer to the upgrade within ${ctx.stepTimeoutMs / 1000} s`})
    }, ctx.stepTimeoutMs + 500)
  })
}

/** Messages received and not yet read, per socket: the server may speak first, before anyone listens. */
const inboxes = new WeakMap<WebSocket, {queue: string[]; wake?: (() => void) | undefined}>()

function inbox(socket: WebSocket) {
  let box = inboxes.get(socket)
  if (!box) {
    const created: {queue: string[]; wake?: (() => void) | undefined} = {queue: []}
    box = created
    inboxes.set(socket, box)
    socket.on('message', (data: WebSocket.RawData) => {
      created.queue.push(data.toString())
      created.wake?.()
    })
    socket.on('close', () => created.wake?.())
  }
  return box
}

/** The next text message on a socket, or undefined after `ms` (or when it closes). */
export function nextMessage(socket: WebSocket, ms: number): Promise<string | undefined> {
  const box = inbox(socket)
  if (box.queue.length > 0) return Promise.resolve(box.queue.shift())
  if (socket.readyState !== WebSocket.OPEN) return Promise.resolve(undefined)
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      box.wake = undefined
      resolve(undefined)
    }, ms)
    box.wake = () => {
      clearTimeout(timer)
      box.wake = undefined
      resolve(box.queue.shift())
    }
  })
}
