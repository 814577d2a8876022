// Running the sample app on several instances: a Socket.io adapter over Redis (when REDIS_URL is set), an instance
// id for /whoami, a health state that says when Redis is unreachable, and a graceful drain on SIGTERM.
import {hostname} from 'node:os'

import {createAdapter} from '@socket.io/redis-streams-adapter'
import {createClient} from 'redis'

const int = (value, fallback) => {
  if (value === undefined || value === '') return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new Error(`expected a non-negative integer, got ${JSON.stringify(value)}`)
  return n
}

/** REDIS_URL, INSTANCE_ID and DRAIN_TIMEOUT_MS, read like config.js reads the rest. */
export function loadClusterConfig(env = process.env) {
  return {
    // e.g. redis://my-cache.xxxxxx.0001.euw1.cache.amazonaws.com:6379, or rediss:// with in-transit encryption.
    redisUrl: env.REDIS_URL || undefined,
    // On Beanstalk the host name (ip-10-0-1-23) is one per instance; the pid tells processes on one host apart.
    instanceId: env.INSTANCE_ID || `${hostname()}-${process.pid}`,
    // Beanstalk waits a while after SIGTERM before it kills the app; close well inside that.
    drainTimeoutMs: int(env.DRAIN_TIMEOUT_MS, 10_000),
  }
}

/**
 * Socket.io options for this config. Connection state recovery only with Redis: the Redis Streams adapter keeps the
 * sessions and missed packets in Redis, so a client that reconnects to *another* instance gets what it missed.
 * Without REDIS_URL the app runs exactly as before (no recovery, in-memory adapter).
 * https://socket.io/docs/v4/connection-state-recovery
 */
export function socketOptions(cluster) {
  return cluster.redisUrl
    ? {connectionStateRecovery: {maxDisconnectionDuration: 2 * 60_000, skipMiddlewares: true}}
    : {}
}

/** How long one XREAD of the adapter waits for new broadcasts. */
export const READ_BLOCK_MS = 1_000

/** Backoff for reconnecting to Redis: 100 ms doubling to 5 s, with jitter so instances do not retry in step. */
export const redisBackoff = (retries) => Math.min(100 * 2 ** retries, 5_000) + Math.floor(Math.random() * 100)

/**
 * Attaches the Redis Streams adapter. Never waits for Redis: the app serves its own clients from the first moment,
 * and broadcasts reach other instances once Redis answers. Returns {health(), broadcast(), close()}.
 */
export function attachRedis(io, cluster, {log = console} = {}) {
  const state = {redis: 'connecting', since: new Date().toISOString(), lastError: undefined}
  const set = (redis, error) => {
    if (state.redis === redis) return
    state.redis = redis
    state.since = new Date().toISOString()
    if (error) state.lastError = error
    const url = new URL(cluster.redisUrl)
    const where = `${url.hostname}:${url.port || 6379}`
    if (redis === 'ready') log.info?.(`redis ${where}: connected; broadcasts reach every instance`)
    else if (redis === 'closed') log.info?.(`redis ${where}: closed`)
    else
      log.warn?.(`redis ${where}: ${error ?? redis}; serving this instance's clients only, reconnecting with backoff`)
  }
  const client = createClient({url: cluster.redisUrl, socket: {reconnectStrategy: redisBackoff, connectTimeout: 5_000}})
  client.on('ready', () => set('ready'))
  client.on('error', (err) => set('unreachable', err.message || err.code || String(err)))
  client.on('reconnecting', () => state.redis !== 'ready' || set('unreachable', 'connection lost'))
  client.on('end', () => set('closed'))
  // The adapter subscribes its duplicate (pub/sub) client and drops the promise. Closing while that client is still
  // reconnecting (Redis came back, the subscriber's backoff has not run out yet) makes its disconnect() reject the
  // queued SUBSCRIBE with "Disconnects client": unhandled, that crashes the process in the middle of a drain.
  const duplicate = client.duplicate.bind(client)
  client.duplicate = (...args) => {
    const dup = pinStreamStart(duplicate(...args))
    const subscribe = dup.subscribe.bind(dup)
    dup.subscribe = (...subArgs) => {
      const subscribed = subscribe(...subArgs)
      // Once the duplicate is disconnected the subscription is moot; otherwise say so.
      subscribed.catch((err) => dup.isOpen && log.warn?.(`redis: subscribe failed: ${err.message}`))
      return subscribed
    }
    return dup
  }
  // Not awaited: connect() retries with the backoff above until Redis answers.
  client.connect().catch((err) => set('unreachable', err.message))
  // Stream reads block 1 s at most (default 5 s): a closing adapter's reader notices within a second and quits.
  io.adapter(createAdapter(client, {blockTimeInMs: READ_BLOCK_MS}))
  let closed = false
  return {
    health: () => ({...state}),
    ready: () => client.isReady,
    /**
     * io.emit, resolved once the message is in Redis (so an acknowledgement means a client that reconnects to any
     * instance gets it). While Redis is down: this instance's clients only, at once, instead of waiting for Redis.
     */
    async broadcast(event, ...args) {
      if (!client.isReady) {
        io.local.emit(event, ...args)
        return 'local'
      }
      const nsp = io.of('/')
      // The adapter's broadcast publishes to the stream, then delivers locally: await it, unlike io.emit.
      await nsp.adapter.broadcast(
        {type: 2, data: [event, ...args], nsp: '/'},
        {rooms: new Set(), except: new Set(), flags: {}},
      )
      return 'cluster'
    },
    async close() {
      if (closed) return
      closed = true
      // close() sends what is queued (the sessions persisted on disconnect) and then quits; with Redis away there is
      // nothing to send, and close() would wait for a reconnection.
      // The adapter's own copies of the client (stream reader, subscriber) are closed by io.close(); while Redis is
      // away they keep retrying, so server.js exits the process after the drain.
      if (client.isReady) await client.close().catch(() => client.destroy())
      else client.destroy()
    },
  }
}

/**
 * The adapter's stream reader starts at XREAD's `$` ("entries added after this call") and passes `$` again after every
 * read that timed out, until the first entry arrives: an entry added between two such reads is never read on this
 * instance (with a 1 s block and a busy event loop, the first broadcast after a quiet start was lost to a third of
 * the clients in bench/socketio.ts --cluster). `$` belongs to the first read only
 * (https://redis.io/docs/latest/commands/xread/#the-special--id): this pins it, on its first use, to the stream's
 * last entry at that moment (0-0 when there is none), and passes that id instead of every `$` after it.
 */
export function pinStreamStart(reader) {
  const xRead = reader.xRead.bind(reader)
  const pinned = new Map()
  reader.xRead = async (streams, ...rest) => {
    const list = Array.isArray(streams) ? streams : [streams]
    const resolved = await Promise.all(
      list.map(async (s) => {
        if (s.id !== '$') return s
        if (!pinned.has(s.key)) {
          const [last] = await reader.xRevRange(s.key, '+', '-', {COUNT: 1})
          if (!pinned.has(s.key)) pinned.set(s.key, last?.id ?? '0-0')
        }
        return {...s, id: pinned.get(s.key)}
      }),
    )
    return xRead(Array.isArray(streams) ? resolved : resolved[0], ...rest)
  }
  return reader
}

/** Without Redis: one instance, plain io.emit. Same shape as attachRedis's result. */
export function localOnly(io) {
  return {
    health: () => ({redis: 'not configured'}),
    ready: () => true,
    async broadcast(event, ...args) {
      io.emit(event, ...args)
      return 'local'
    },
    close: async () => {},
  }
}

/**
 * Graceful drain (Beanstalk deploys and scale-in send SIGTERM): stop accepting connections, mark the instance
 * draining (the health check answers 503 to keep-alive requests still arriving), close every Socket.io connection
 * so clients reconnect, through the load balancer, to another instance (with Redis, the session is persisted first
 * and recovered there), flush Redis, and close the HTTP server, all within timeoutMs.
 */
export async function drain({server, io, cluster, status, timeoutMs, log = console}) {
  status.draining = true
  const clients = io.of('/').sockets.size
  log.info?.(`draining: ${clients} Socket.io clients told to reconnect elsewhere, closing within ${timeoutMs} ms`)
  let timer
  const deadline = new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs, 'timeout')))
  const closing = (async () => {
    const httpClosed = new Promise((resolve) => server.close(resolve))
    // io.close(): each socket is closed with "server shutting down" (a recoverable reason: the session is persisted),
    // then Engine.IO closes the transports, which clients see as "transport close" and reconnect after.
    await new Promise((resolve) => io.close(resolve))
    await cluster.close()
    server.closeIdleConnections?.()
    await httpClosed
    return 'closed'
  })()
  const outcome = await Promise.race([closing, deadline])
  clearTimeout(timer)
  if (outcome === 'timeout') {
    log.warn?.(`drain: still open after ${timeoutMs} ms, closing the remaining connections`)
    server.closeAllConnections?.()
  }
  return outcome
}
