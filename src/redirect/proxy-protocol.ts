import {type IncomingMessage, Server as HttpServer, type Server} from 'node:http'
import {isIP, type Server as NetServer, type Socket} from 'node:net'
import {Server as TlsServer} from 'node:tls'

import {PROXY_INFO, type ProxyInfo} from './forwarded.ts'

/**
 * PROXY protocol v1 reader, for apps that face the load balancer without nginx (Beanstalk `ProxyServer: none`) on a
 * port where the CLB has Proxy Protocol enabled. The CLB sends v1 only, one line per connection:
 * `PROXY TCP4 <client> <load balancer> <client port> <listener port>\r\n`.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/enable-proxy-protocol.html
 * Format: https://www.haproxy.org/download/2.6/doc/proxy-protocol.txt (section 2.1; 107 bytes at most).
 */

export const MAX_V1_LENGTH = 107
const PREFIX = 'PROXY '
const PREFIX_BYTES = Buffer.from(PREFIX, 'latin1')
const V2_SIGNATURE = Buffer.from('\r\n\r\n\0\r\nQUIT\n', 'latin1')

export class ProxyProtocolError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ProxyProtocolError'
  }
}

/** A decimal port 0-65535 without leading zeros, parsed by hand: this runs once per connection. */
function port(text: string): number {
  let value = 0
  const ok = text.length > 0 && text.length <= 5 && (text.length === 1 || text.charCodeAt(0) !== 48)
  for (let i = 0; ok && i < text.length; i++) {
    const d = text.charCodeAt(i) - 48
    if (d < 0 || d > 9) return badPort(text)
    value = value * 10 + d
  }
  return ok && value <= 65_535 ? value : badPort(text)
}
function badPort(text: string): never {
  throw new ProxyProtocolError(`bad port ${JSON.stringify(text)}`)
}

/** Dotted-quad IPv4 (no leading zeros), as net.isIP accepts it, without its regular expression. */
function isIPv4(text: string): boolean {
  let octets = 0
  let start = 0
  for (let i = 0; i <= text.length; i++) {
    if (i < text.length && text.charCodeAt(i) !== 46) continue
    const len = i - start
    if (len < 1 || len > 3 || (len > 1 && text.charCodeAt(start) === 48)) return false
    let v = 0
    for (let j = start; j < i; j++) {
      const d = text.charCodeAt(j) - 48
      if (d < 0 || d > 9) return false
      v = v * 10 + d
    }
    if (v > 255) return false
    octets++
    start = i + 1
  }
  return octets === 4
}

/** Parses one v1 line, with or without its trailing CRLF. Throws ProxyProtocolError on anything malformed. */
export function parseProxyV1(line: string): ProxyInfo {
  const text = line.endsWith('\r\n') ? line.slice(0, -2) : line
  if (text.length + 2 > MAX_V1_LENGTH) throw new ProxyProtocolError('line longer than 107 bytes')
  if (!text.startsWith(PREFIX)) throw new ProxyProtocolError('missing "PROXY " prefix')
  const parts = text.split(' ')
  if (parts[1] === 'UNKNOWN') return {family: 'UNKNOWN'}
  if (parts.length !== 6) throw new ProxyProtocolError(`expected 6 fields, got ${parts.length}`)
  const [, family, src, dst, srcPort, dstPort] = parts as [string, string, string, string, string, string]
  if (family !== 'TCP4' && family !== 'TCP6') throw new ProxyProtocolError(`unknown protocol family ${JSON.stringify(family)}`)
  const version = family === 'TCP4' ? 4 : 6
  const valid = version === 4 ? isIPv4(src) && isIPv4(dst) : isIP(src) === 6 && isIP(dst) === 6
  if (!valid) throw new ProxyProtocolError(`addresses are not ${family}`)
  return {family, sourceAddress: src, destinationAddress: dst, sourcePort: port(srcPort), destinationPort: port(dstPort)}
}

export interface ReadOptions {
  /** Close connections that have not sent a complete PROXY line by then. Default 5000 ms (checked every 100 ms). */
  timeoutMs?: number
}

/** `rest`: the bytes that followed the line in its packet (the start of the request), not yet delivered. */
type LineDone = (err: Error | undefined, info?: ProxyInfo, rest?: Buffer) => void

// One sweeper for every socket still owing its PROXY line, instead of a timer per connection: on the hot path a
// connection costs a Map insert and delete (the per-connection timer, promise and listener churn of a simpler
// reader cost ~40 µs of server CPU per connection; bench/socketio.ts).
const SWEEP_MS = 100
const waiting = new Map<Socket, {deadline: number; fail: () => void}>()
let sweeper: ReturnType<typeof setInterval> | undefined
function sweep(): void {
  const now = Date.now()
  for (const [, w] of waiting) if (w.deadline <= now) w.fail()
  if (waiting.size === 0 && sweeper) {
    clearInterval(sweeper)
    sweeper = undefined
  }
}

/**
 * Takes the PROXY line off a fresh socket, then calls `done` synchronously from the socket's 'data' event with the
 * line and the bytes that followed it (the caller delivers them), or with the error (malformed line, timeout, socket
 * closed or failed).
 */
function takeProxyLine(socket: Socket, timeoutMs: number, done: LineDone): void {
  let buffered: Buffer | undefined
  const finish = (err: Error | undefined, info?: ProxyInfo, rest?: Buffer) => {
    waiting.delete(socket)
    socket.removeListener('data', onData)
    socket.removeListener('error', onEnd)
    socket.removeListener('close', onEnd)
    if (err) return done(err)
    done(undefined, info, rest)
  }
  function onData(chunk: Buffer): void {
    const data = buffered ? Buffer.concat([buffered, chunk]) : chunk
    // As many bytes as we have of "PROXY " must match it (a line may arrive a few bytes at a time).
    for (let i = 0; i < PREFIX_BYTES.length && i < data.length; i++) {
      if (data[i] !== PREFIX_BYTES[i]) {
        const v2 = data.subarray(0, V2_SIGNATURE.length).equals(V2_SIGNATURE)
        return finish(new ProxyProtocolError(v2 ? 'PROXY protocol v2 is not supported (the CLB sends v1)' : 'connection did not start with a PROXY line'))
      }
    }
    // The line ends at the first CR, which must be followed by LF (searching for a byte, not a string: no encoding).
    const end = data.indexOf(13)
    if (end < 0 || end + 1 >= data.length) {
      if (data.length >= MAX_V1_LENGTH) return finish(new ProxyProtocolError('no CRLF within 107 bytes'))
      buffered = data
      return
    }
    if (data[end + 1] !== 10) return finish(new ProxyProtocolError('CR not followed by LF'))
    let info: ProxyInfo
    try {
      info = parseProxyV1(data.toString('latin1', 0, end))
    } catch (err) {
      return finish(err as Error)
    }
    finish(undefined, info, data.subarray(end + 2))
  }
  function onEnd(): void {
    finish(new ProxyProtocolError('connection closed before the PROXY line'))
  }
  waiting.set(socket, {deadline: Date.now() + timeoutMs, fail: () => finish(new ProxyProtocolError('timed out waiting for the PROXY line'))})
  sweeper ??= setInterval(sweep, SWEEP_MS).unref()
  socket.on('data', onData)
  // 'close' follows 'end' and every error; 'error' also needs a listener of its own, or it would be thrown.
  socket.on('error', onEnd)
  socket.on('close', onEnd)
}

/**
 * Reads the PROXY line off a fresh socket. Resolves with the parsed line and the bytes that followed it (already
 * put back with unshift, the socket left paused); rejects on a malformed line, a timeout or a closed socket.
 */
export function readProxyHeader(socket: Socket, options: ReadOptions = {}): Promise<ProxyInfo> {
  return new Promise((resolve, reject) =>
    takeProxyLine(socket, options.timeoutMs ?? 5000, (err, info, rest) => {
      if (err) return reject(err)
      socket.pause()
      if (rest && rest.length > 0) socket.unshift(rest)
      resolve(info!)
    }),
  )
}

export interface AcceptOptions extends ReadOptions {
  /** PROXY destination ports that mean plain HTTP (default [80]), used for the X-Forwarded-Proto we set. */
  plainPorts?: readonly number[]
  /** Told about each connection closed for a bad PROXY line (default: ignored). */
  onError?: (err: Error, socket: Socket) => void
}

/** Sets the same request headers nginx's proxy-protocol config sets, overwriting what the client sent. */
export function applyProxyHeaders(req: IncomingMessage, plainPorts: readonly number[] = [80]): void {
  const info = (req.socket as Socket & {[PROXY_INFO]?: ProxyInfo})[PROXY_INFO]
  if (!info || info.family === 'UNKNOWN') return
  req.headers['x-forwarded-for'] = info.sourceAddress
  req.headers['x-forwarded-proto'] = plainPorts.includes(info.destinationPort ?? -1) ? 'http' : 'https'
  req.headers['x-forwarded-port'] = String(info.destinationPort)
  delete req.headers.forwarded
}

/**
 * Makes an http.Server (or a net.Server) require a PROXY v1 line on every connection before its own handling
 * starts. A malformed or missing line closes that connection only. Call it once, after creating the server.
 * Not for TLS servers (https.Server, tls.Server): Node's TLS reads the socket's handle directly and would never see
 * the ClientHello bytes that arrive with the PROXY line. The CLB ends TLS itself (SSL -> TCP), so the app's port is
 * plain; with an SSL backend, let nginx read the PROXY line.
 */
export function acceptProxyProtocol(server: Server | NetServer, options: AcceptOptions = {}): void {
  if (server instanceof TlsServer) {
    throw new TypeError('acceptProxyProtocol does not support TLS servers: use an SSL -> TCP listener (TLS ends at the load balancer) or nginx with proxy_protocol.')
  }
  const original = server.listeners('connection') as ((socket: Socket) => void)[]
  server.removeAllListeners('connection')
  const timeoutMs = options.timeoutMs ?? 5000
  // A plain http.Server reads requests in its 'data' listener (or straight from the socket's handle), so the
  // request bytes that came with the PROXY line can be handed to it as a 'data' event: cheaper than pause + unshift +
  // resume (~8 µs of ~40 µs per connection). A net.Server's own handler may read the socket any way: unshift.
  const handsDataToListeners = server instanceof HttpServer
  server.on('connection', (socket: Socket) => {
    takeProxyLine(socket, timeoutMs, (err, info, rest) => {
      if (err) {
        options.onError?.(err, socket)
        socket.destroy()
        return
      }
      ;(socket as Socket & {[PROXY_INFO]?: ProxyInfo})[PROXY_INFO] = info
      if (handsDataToListeners) {
        for (const listener of original) listener.call(server, socket)
        if (rest && rest.length > 0) socket.emit('data', rest)
        return
      }
      socket.pause()
      if (rest && rest.length > 0) socket.unshift(rest)
      for (const listener of original) listener.call(server, socket)
      socket.resume()
    })
  })
  // prependListener: runs before Socket.io's and Express's handlers, whichever order they were attached in.
  const plainPorts = options.plainPorts ?? [80]
  server.prependListener('request', (req: IncomingMessage) => applyProxyHeaders(req, plainPorts))
  server.prependListener('upgrade', (req: IncomingMessage) => applyProxyHeaders(req, plainPorts))
}
