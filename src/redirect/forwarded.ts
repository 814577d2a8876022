import type {IncomingMessage, Server} from 'node:http'
import {isIP, type Server as NetServer, type Socket} from 'node:net'

/** What a PROXY protocol header (v1 line or v2 binary block) said about a connection (see proxy-protocol.ts). */
export interface ProxyInfo {
  /** UNKNOWN: v1 `PROXY UNKNOWN`, a v2 LOCAL command or an address family we do not use: the socket's own addresses count. */
  family: 'TCP4' | 'TCP6' | 'UNKNOWN'
  sourceAddress?: string
  destinationAddress?: string
  sourcePort?: number
  destinationPort?: number
}

/**
 * Where the PROXY reader leaves its result on the socket. A registry symbol, so two copies of this module (the
 * library and the sample app's lib/) agree on it.
 */
export const PROXY_INFO: unique symbol = Symbol.for('ebws.proxyProtocol')
/** Where setLoadBalancerLayout() leaves the layout on each accepted socket (registry symbol, as PROXY_INFO). */
export const LB_LAYOUT: unique symbol = Symbol.for('ebws.lbLayout')

/**
 * How the load balancer reaches the app, which decides whose forwarding headers these are:
 * - websocket: CLB SSL -> TCP + HTTP -> HTTP on one instance port. Over the TCP listener the client's bytes arrive
 *   untouched, so any X-Forwarded-For may be the client's own: never believed. X-Forwarded-Proto is only acted on
 *   when it says plain HTTP (a forger can only redirect itself), and no header means the SSL -> TCP listener.
 * - http: CLB HTTPS -> HTTP + HTTP -> HTTP. The CLB sets X-Forwarded-Proto and appends the client to
 *   X-Forwarded-For on every request: the right-most entry is the one it appended.
 * - alb: the same as http (ALB's default `routing.http.xff_header_processing.mode` is append).
 * - proxy: Proxy Protocol (CLB v1, or NLB proxy_protocol_v2) read by the app (PROXY_PROTOCOL) or by the shipped
 *   nginx, which then overwrites the headers from the PROXY header.
 * - nlb: NLB without Proxy Protocol: TCP pass-through, nothing added (like websocket).
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/x-forwarded-headers.html
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/x-forwarded-headers.html
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/enable-proxy-protocol.html
 */
export const LB_LAYOUTS = ['websocket', 'http', 'alb', 'proxy', 'nlb'] as const
export type LbLayout = (typeof LB_LAYOUTS)[number]
/** The safe default: headers the client may have written are not believed. */
export const DEFAULT_LB_LAYOUT: LbLayout = 'websocket'

interface LayoutTrust {
  /** The load balancer (or nginx in front of the app) writes X-Forwarded-For's right-most entry on every request. */
  forwardedFor: boolean
  /** What a request without X-Forwarded-Proto came over. */
  absentProto: RequestProtocol
}
const TRUST: Record<LbLayout, LayoutTrust> = {
  websocket: {forwardedFor: false, absentProto: 'https'},
  nlb: {forwardedFor: false, absentProto: 'https'},
  http: {forwardedFor: true, absentProto: 'http'},
  alb: {forwardedFor: true, absentProto: 'http'},
  proxy: {forwardedFor: true, absentProto: 'http'},
}

/** A layout name from configuration (EBWS_LB_LAYOUT); undefined or empty gives the default. Throws on anything else. */
export function parseLbLayout(value: string | undefined): LbLayout {
  if (value === undefined || value.trim() === '') return DEFAULT_LB_LAYOUT
  const v = value.trim().toLowerCase()
  if ((LB_LAYOUTS as readonly string[]).includes(v)) return v as LbLayout
  throw new Error(`unknown load balancer layout ${JSON.stringify(value)}: expected one of ${LB_LAYOUTS.join(', ')}`)
}

/**
 * Tells every function here, for each connection this server accepts, which layout it sits behind (so code that
 * calls requestProtocol(req) or clientAddress(req) without options gets it right). Call once, before listen().
 */
export function setLoadBalancerLayout(server: Server | NetServer, layout: LbLayout): void {
  parseLbLayout(layout)
  server.prependListener('connection', (socket: Socket & {[LB_LAYOUT]?: LbLayout}) => {
    socket[LB_LAYOUT] = layout
  })
}

export type RequestProtocol = 'http' | 'https'

export interface TrustOptions {
  /** Default: the layout setLoadBalancerLayout() put on the socket, else DEFAULT_LB_LAYOUT. */
  layout?: LbLayout
}

export interface ProtocolOptions extends TrustOptions {
  /** PROXY destination ports that mean the client used plain HTTP. Default [80]: the CLB puts its listener port there. */
  plainPorts?: readonly number[]
}

type SocketLike = IncomingMessage['socket'] & {[PROXY_INFO]?: ProxyInfo; [LB_LAYOUT]?: LbLayout; encrypted?: boolean}

export function proxyInfoOf(req: Pick<IncomingMessage, 'socket'>): ProxyInfo | undefined {
  const info = (req.socket as SocketLike | null | undefined)?.[PROXY_INFO]
  return info && info.family !== 'UNKNOWN' ? info : undefined
}

export function layoutOf(req: Pick<IncomingMessage, 'socket'>, options: TrustOptions = {}): LbLayout {
  return options.layout ?? (req.socket as SocketLike | null | undefined)?.[LB_LAYOUT] ?? DEFAULT_LB_LAYOUT
}

/** One header as a string (repeated headers joined with ", " the way Node joins most of them). */
function header(req: Pick<IncomingMessage, 'headers'>, name: string): string | undefined {
  const value = req.headers[name]
  if (value === undefined) return undefined
  return Array.isArray(value) ? value.join(', ') : value
}

/** Last element of a comma-separated, multi-proxy header: the one the proxy nearest us wrote. */
export function lastHop(value: string): string {
  return value.slice(value.lastIndexOf(',') + 1).trim()
}

/**
 * How the client reached the load balancer.
 *
 * - A PROXY header (Proxy Protocol on the load balancer) is authoritative: its destination port is the listener
 *   port, 80 for plain HTTP. Headers are ignored then, since over a TCP listener the client writes them.
 * - Otherwise X-Forwarded-Proto's right-most value, the one the load balancer set: `https` is HTTPS, anything else
 *   (http, empty, unknown, a list ending in something else) is plain HTTP, so a forged or garbled value can at
 *   worst redirect its sender. RFC 7239 `Forwarded` is never read: no AWS load balancer sets it.
 * - No header: on the websocket and nlb layouts the request came through a TCP/SSL listener, which adds nothing,
 *   so it was encrypted (websocket) or cannot be told apart (nlb); where the load balancer sets the header on
 *   every request (http, alb, proxy behind nginx) it did not come through the load balancer: plain HTTP.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/x-forwarded-headers.html
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/enable-proxy-protocol.html
 */
export function requestProtocol(
  req: Pick<IncomingMessage, 'headers' | 'socket'>,
  options: ProtocolOptions = {},
): RequestProtocol {
  const info = proxyInfoOf(req)
  if (info) return (options.plainPorts ?? [80]).includes(info.destinationPort ?? -1) ? 'http' : 'https'
  if ((req.socket as SocketLike | null | undefined)?.encrypted) return 'https'
  const xfp = header(req, 'x-forwarded-proto')
  if (xfp === undefined) return TRUST[layoutOf(req, options)].absentProto
  return lastHop(xfp).toLowerCase() === 'https' ? 'https' : 'http'
}

/**
 * The client's address: the PROXY header's source if there is one; on layouts where the load balancer appends to
 * X-Forwarded-For, its right-most entry (what the client wrote sits to the left of it and is never read); else
 * the socket's peer (on a TCP listener without Proxy Protocol, the load balancer node).
 */
export function clientAddress(
  req: Pick<IncomingMessage, 'headers' | 'socket'>,
  options: TrustOptions = {},
): string | undefined {
  const info = proxyInfoOf(req)
  if (info?.sourceAddress) return info.sourceAddress
  const peer = req.socket?.remoteAddress
  if (!TRUST[layoutOf(req, options)].forwardedFor) return peer
  const xff = header(req, 'x-forwarded-for')
  if (xff === undefined) return peer
  return addressOf(lastHop(xff)) ?? peer
}

/**
 * An X-Forwarded-For entry's address: bare, or with the client port an ALB appends when
 * `routing.http.xff_client_port.enabled` is on (`203.0.113.7:4711`, `[2001:db8::1]:4711`). Undefined if not an IP.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/x-forwarded-headers.html
 */
function addressOf(entry: string): string | undefined {
  if (isIP(entry) !== 0) return entry
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(entry)
  if (bracketed) return isIP(bracketed[1]!) === 6 ? bracketed[1] : undefined
  const withPort = /^([\d.]+):\d{1,5}$/.exec(entry)
  return withPort && isIP(withPort[1]!) === 4 ? withPort[1] : undefined
}
