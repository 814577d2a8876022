import type {Server} from 'node:http'

/**
 * Connection limits for an http.Server behind a load balancer.
 *
 * The load balancer closes a connection on which nothing was sent for its idle timeout (CLB default 60 s, 1-3600),
 * and AWS asks that the app's keep-alive be longer, so that the load balancer, not the app, closes back-end
 * connections (otherwise it may send a request on a connection the app just closed: a 502/504):
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/config-idle-timeout.html
 *
 * Node's headersTimeout runs from the first byte of a request, and on a fresh connection from the accept: a
 * connection the load balancer opened and has not used yet (or a browser's preconnect over a TCP listener) counts
 * against it. So it too sits just above the idle timeout, and it is checked every second instead of Node's default
 * 30 s, which let slow-header connections live up to 96 s. What bounds a slow-header flood is the connection cap:
 * beyond it Node closes new connections at once instead of holding thousands for a minute.
 */
export interface ServerLimits {
  /** The load balancer's idle timeout in seconds. Default 60 (CLB and ALB default). */
  idleTimeoutSeconds?: number
  /** Most connections held at once (each WebSocket client holds one); new ones beyond are closed. Default 4096. */
  maxConnections?: number
}

export interface ServerTimeouts {
  keepAliveTimeout: number
  headersTimeout: number
  connectionsCheckingInterval: number
  maxConnections: number
}

export const DEFAULT_IDLE_TIMEOUT_SECONDS = 60
export const DEFAULT_MAX_CONNECTIONS = 4096

/** The values applyServerLimits() sets (milliseconds), as a pure function. */
export function serverLimits(limits: ServerLimits = {}): ServerTimeouts {
  const idle = limits.idleTimeoutSeconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS
  if (!Number.isInteger(idle) || idle < 1 || idle > 3600)
    throw new RangeError(`idle timeout must be 1-3600 seconds (the load balancer's range), got ${idle}`)
  const maxConnections = limits.maxConnections ?? DEFAULT_MAX_CONNECTIONS
  if (!Number.isInteger(maxConnections) || maxConnections < 1)
    throw new RangeError(`maxConnections must be a positive integer, got ${maxConnections}`)
  const keepAliveTimeout = (idle + 5) * 1000
  return {keepAliveTimeout, headersTimeout: keepAliveTimeout + 1000, connectionsCheckingInterval: 1000, maxConnections}
}

/**
 * Sets keep-alive and header timeouts above the load balancer's idle timeout, checked every second, and a
 * connection cap. Call before listen(): Node starts its timeout checks when the server starts listening.
 */
export function applyServerLimits(server: Server, limits: ServerLimits = {}): ServerTimeouts {
  if (server.listening)
    throw new Error('applyServerLimits: call it before listen() (Node reads connectionsCheckingInterval then)')
  const values = serverLimits(limits)
  server.keepAliveTimeout = values.keepAliveTimeout
  server.headersTimeout = values.headersTimeout
  // Whole-request bound (body included) stays Node's 300 s default unless it would undercut the header bound.
  if (server.requestTimeout > 0 && server.requestTimeout < values.headersTimeout)
    server.requestTimeout = values.headersTimeout
  const tracked = server as Server & {connectionsCheckingInterval: number}
  tracked.connectionsCheckingInterval = values.connectionsCheckingInterval
  server.maxConnections = values.maxConnections
  return values
}
