import {createServer} from 'node:http'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import express from 'express'
import helmet from 'helmet'
import {Server} from 'socket.io'

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

const originAllowed = (origin, origins) => origins.some((o) => (typeof o === 'string' ? o === origin.toLowerCase() : o.test(origin)))

/** Builds the app without listening: {server, io, app}. */
export function createApp(config, {log = console} = {}) {
  const app = express()
  app.disable('x-powered-by')
  const redirect = httpsRedirect({allowedHosts: config.allowedHosts, httpsPort: config.httpsPort, healthCheckPaths: [config.healthCheckPath]})

  // Health check first: the CLB checks the instance over plain HTTP and must get a 200, never a redirect.
  app.get(config.healthCheckPath, (_req, res) => res.json({status: 'ok'}))
  app.use(redirect)
  app.use(hsts(config.hsts))
  // HSTS is ours (HTTPS responses only); helmet's own would be sent on plain-HTTP responses too.
  app.use(helmet({strictTransportSecurity: false}))

  app.get('/whoami', (req, res) => {
    res.json({protocol: requestProtocol(req), clientAddress: clientAddress(req), host: req.headers.host ?? null})
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
  })
  // Engine.IO answers /socket.io/ before Express sees it, so the redirect runs there too.
  io.engine.use(redirect)
  if (config.proxyProtocol) acceptProxyProtocol(server, {onError: (err) => log.warn?.(`closed a connection: ${err.message}`)})

  io.on('connection', (socket) => {
    socket.on('echo', (payload, ack) => {
      if (typeof ack === 'function') ack(payload)
    })
    socket.on('chat', (text, ack) => {
      if (typeof text !== 'string' || text.length === 0 || text.length > 500) return typeof ack === 'function' && ack({ok: false})
      io.emit('chat', {from: socket.id.slice(0, 6), text, at: Date.now()})
      if (typeof ack === 'function') ack({ok: true})
    })
    socket.on('whoami', (ack) => {
      if (typeof ack !== 'function') return
      ack({
        protocol: requestProtocol(socket.request),
        clientAddress: clientAddress(socket.request),
        transport: socket.conn.transport.name,
      })
    })
  })
  return {app, server, io}
}
