import {createServer} from 'node:http'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import express from 'express'
import helmet from 'helmet'
import {Server} from 'socket.io'

import {attachRedis, loadClusterConfig, localOnly, socketOptions} from './cluster.js'
import {acceptProxyProtocol, clientAddress, hsts, httpsRedirect, normalizeHost, requestProtocol} from './lib/index.js'

const publicDir = join(dirname(fileURLToPath(import.meta.url)), 'public')

/** Browser origins allowed to talk to Socket.io: the allow-listed hosts over https. */
export function allowedOrigins(config) {
  const suffix = config.httpsPort === 443 ? '' : `:${config.httpsPort}`
  return config.allowedHosts.map((host) => {
    if (host.startsWith('*.')) {
      const escaped = host.slice(2).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      return new RegExp(`^https://[a-z0-9-]+(\\.[a-z0-9-]+)*\\.${escaped}${suffix.replace(':', '\\:')}$`, 'i')
    }
    return `https://${normalizeHost(host) ?? host}${suffix}`
  })
}

const originAllowed = (origin, origins) =>
  origins.some((o) => (typeof o === 'string' ? o === origin.toLowerCase() : o.test(origin)))

/**
 * Builds the app without listening: {server, io, app, cluster, status}. `clusterConfig` (REDIS_URL, INSTANCE_ID, from
 * cluster.js) makes it one of several instances; `status.draining` is set by drain().
 */
export function createApp(config, {log = console, clusterConfig = loadClusterConfig({})} = {}) {
  const app = express()
  app.disable('x-powered-by')
  const redirect = httpsRedirect({
    allowedHosts: config.allowedHosts,
    httpsPort: config.httpsPort,
    healthCheckPaths: [config.healthCheckPath],
  })
  const status = {draining: false}
  let cluster

  // Health check first: the CLB checks the instance over plain HTTP and must get a 200, never a redirect.
  // Redis unreachable is "degraded" but still 200: this instance serves its own clients, and failing every
  // instance's check at once would take them all out of the load balancer. Draining is 503: send no one new here.
  app.get(config.healthCheckPath, (_req, res) => {
    const redis = cluster.health()
    const degraded = clusterConfig.redisUrl !== undefined && redis.redis !== 'ready'
    const state = status.draining ? 'draining' : degraded ? 'degraded' : 'ok'
    res.status(status.draining ? 503 : 200).json({status: state, instance: clusterConfig.instanceId, redis})
  })
  app.use(redirect)
  app.use(hsts(config.hsts))
  // HSTS is ours (HTTPS responses only); helmet's own would be sent on plain-HTTP responses too.
  app.use(helmet({strictTransportSecurity: false}))

  app.get('/whoami', (req, res) => {
    res.json({
      protocol: requestProtocol(req),
      clientAddress: clientAddress(req),
      host: req.headers.host ?? null,
      instance: clusterConfig.instanceId,
    })
  })
  app.use(express.static(publicDir, {index: 'index.html'}))

  // Bounded request headers (Node answers 431 beyond this), whatever the load balancer forwards.
  const server = createServer({maxHeaderSize: 16_384}, app)
  // Keep idle connections open longer than the CLB's idle timeout (60 s default), so the load balancer, not the
  // app, closes them and never reuses a connection we just closed (a 502/504 otherwise):
  // https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/config-idle-timeout.html
  server.keepAliveTimeout = 65_000
  server.headersTimeout = 66_000
  const origins = allowedOrigins(config)
  const io = new Server(server, {
    cors: {origin: origins, methods: ['GET', 'POST']},
    // WebSocket handshakes are not subject to CORS: check Origin ourselves (cross-site WebSocket hijacking).
    allowRequest: (req, callback) => {
      const origin = req.headers.origin
      callback(null, origin === undefined || originAllowed(origin, origins))
    },
    maxHttpBufferSize: 64 * 1024,
    ...socketOptions(clusterConfig),
  })
  cluster = clusterConfig.redisUrl ? attachRedis(io, clusterConfig, {log}) : localOnly(io)
  // Engine.IO answers /socket.io/ before Express sees it, so the redirect runs there too.
  io.engine.use(redirect)
  if (config.proxyProtocol)
    acceptProxyProtocol(server, {onError: (err) => log.warn?.(`closed a connection: ${err.message}`)})

  // One set of handlers for every socket (Socket.io calls them with `this` = the socket), made once here rather than
  // three closures per connection: what the app holds per connection stays what Socket.io itself holds.
  function onEcho(payload, ack) {
    if (typeof ack === 'function') ack(payload)
  }
  function onChat(text, ack) {
    if (typeof text !== 'string' || text.length === 0 || text.length > 500)
      return typeof ack === 'function' && ack({ok: false})
    // Acknowledged once the message is on its way to every instance (with Redis: stored in the stream).
    cluster
      .broadcast('chat', {from: this.id.slice(0, 6), text, at: Date.now(), instance: clusterConfig.instanceId})
      .then(
        (scope) => typeof ack === 'function' && ack({ok: true, scope}),
        (err) => typeof ack === 'function' && ack({ok: false, error: err.message}),
      )
  }
  function onWhoami(ack) {
    if (typeof ack !== 'function') return
    ack({
      protocol: requestProtocol(this.request),
      clientAddress: clientAddress(this.request),
      transport: this.conn.transport.name,
      instance: clusterConfig.instanceId,
      recovered: this.recovered,
    })
  }
  io.on('connection', (socket) => {
    socket.on('echo', onEcho)
    socket.on('chat', onChat)
    socket.on('whoami', onWhoami)
  })
  return {app, server, io, cluster, status}
}
