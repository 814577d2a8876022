import assert from 'node:assert/strict'
import {createServer, type IncomingMessage, type Server} from 'node:http'
import {connect, type AddressInfo} from 'node:net'
import {describe, it} from 'node:test'

import {
  acceptProxyProtocol,
  applyServerLimits,
  clientAddress,
  decideRedirect,
  DEFAULT_LB_LAYOUT,
  LB_LAYOUTS,
  parseLbLayout,
  requestProtocol,
  serverLimits,
  setLoadBalancerLayout,
} from '../../../src/redirect/index.ts'
// @ts-expect-error the sample app is plain JavaScript
import {loadConfig} from '../../../sample-app/config.js'

describe('parseLbLayout (EBWS_LB_LAYOUT)', () => {
  it('every documented layout, any case and spacing; unset or empty is the safe default', () => {
    for (const layout of LB_LAYOUTS) assert.equal(parseLbLayout(` ${layout.toUpperCase()} `), layout)
    assert.equal(parseLbLayout(undefined), 'websocket')
    assert.equal(parseLbLayout(''), DEFAULT_LB_LAYOUT)
  })
  it('anything else is refused with the list of names', () => {
    for (const bad of ['classic', 'tcp', 'http,alb', 'https'])
      assert.throws(() => parseLbLayout(bad), /expected one of websocket, http, alb, proxy, nlb/, bad)
  })
})

/** A real server answering what the request looked like to the library, without any options passed. */
async function serve(setup: (server: Server) => void): Promise<{port: number; close: () => Promise<void>}> {
  const server = createServer((req: IncomingMessage, res) => {
    res.end(JSON.stringify({protocol: requestProtocol(req), client: clientAddress(req)}))
  })
  setup(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    },
  }
}
function ask(port: number, head: string, headers: string): Promise<{protocol: string; client: string}> {
  return new Promise((resolve, reject) => {
    const c = connect(port, '127.0.0.1', () =>
      c.write(`${head}GET / HTTP/1.1\r\nHost: localhost\r\n${headers}Connection: close\r\n\r\n`),
    )
    let data = ''
    c.on('data', (d) => (data += d))
    c.on('close', () => resolve(JSON.parse(data.slice(data.indexOf('\r\n\r\n') + 4))))
    c.on('error', reject)
  })
}

describe("setLoadBalancerLayout: code that passes no options gets the server's layout", () => {
  const FORGED = 'X-Forwarded-For: 6.6.6.6, 198.51.100.9\r\n'
  it('no layout set: websocket, the forged X-Forwarded-For is ignored and no X-Forwarded-Proto means https', async () => {
    const s = await serve(() => {})
    try {
      assert.deepEqual(await ask(s.port, '', FORGED), {protocol: 'https', client: '127.0.0.1'})
    } finally {
      await s.close()
    }
  })
  it('http: the right-most X-Forwarded-For entry, and no X-Forwarded-Proto means plain HTTP', async () => {
    const s = await serve((server) => setLoadBalancerLayout(server, 'http'))
    try {
      assert.deepEqual(await ask(s.port, '', FORGED), {protocol: 'http', client: '198.51.100.9'})
      assert.deepEqual(await ask(s.port, '', `${FORGED}X-Forwarded-Proto: http\r\nX-Forwarded-Proto: https\r\n`), {
        protocol: 'https',
        client: '198.51.100.9',
      })
    } finally {
      await s.close()
    }
  })
  it('with the PROXY reader, set before or after it: the PROXY source and port win over any header', async () => {
    for (const order of ['layout first', 'reader first']) {
      const s = await serve((server) => {
        if (order === 'layout first') setLoadBalancerLayout(server, 'proxy')
        acceptProxyProtocol(server)
        if (order === 'reader first') setLoadBalancerLayout(server, 'proxy')
      })
      try {
        assert.deepEqual(
          await ask(s.port, 'PROXY TCP4 198.51.100.60 10.0.0.1 1 80\r\n', `${FORGED}X-Forwarded-Proto: https\r\n`),
          {protocol: 'http', client: '198.51.100.60'},
          order,
        )
        // PROXY UNKNOWN: the client's headers are dropped, so on the proxy layout the request counts as plain HTTP.
        assert.deepEqual(
          await ask(s.port, 'PROXY UNKNOWN\r\n', `${FORGED}X-Forwarded-Proto: https\r\n`),
          {protocol: 'http', client: '127.0.0.1'},
          order,
        )
      } finally {
        await s.close()
      }
    }
  })
  it('refuses a layout that is not one', () => {
    assert.throws(() => setLoadBalancerLayout(createServer(), 'classic' as never), /unknown load balancer layout/)
  })
})

describe('the redirect decision per layout', () => {
  const request = (headers: Record<string, string>) => ({
    method: 'GET',
    url: '/a?b=1',
    headers: {host: 'example.com', ...headers},
    socket: {remoteAddress: '10.0.0.5'} as never,
  })
  it('no X-Forwarded-Proto: served on websocket/nlb, redirected where the load balancer always sets it', () => {
    for (const layout of ['websocket', 'nlb'] as const)
      assert.equal(decideRedirect(request({}), {allowedHosts: ['example.com'], layout}).action, 'serve', layout)
    for (const layout of ['http', 'alb', 'proxy'] as const) {
      assert.deepEqual(
        decideRedirect(request({}), {allowedHosts: ['example.com'], layout}),
        {action: 'redirect', status: 301, location: 'https://example.com/a?b=1'},
        layout,
      )
    }
  })
  it('a list whose last value is not https is redirected on every layout', () => {
    for (const layout of LB_LAYOUTS)
      assert.equal(
        decideRedirect(request({'x-forwarded-proto': 'https, http'}), {allowedHosts: ['example.com'], layout}).action,
        'redirect',
        layout,
      )
  })
})

describe('serverLimits / applyServerLimits', () => {
  it('keep-alive 5 s and headers 6 s above the load balancer idle timeout, checked every second, 4096 connections', () => {
    assert.deepEqual(serverLimits(), {
      keepAliveTimeout: 65_000,
      headersTimeout: 66_000,
      connectionsCheckingInterval: 1000,
      maxConnections: 4096,
    })
    assert.deepEqual(serverLimits({idleTimeoutSeconds: 3600, maxConnections: 100}), {
      keepAliveTimeout: 3_605_000,
      headersTimeout: 3_606_000,
      connectionsCheckingInterval: 1000,
      maxConnections: 100,
    })
  })
  it('refuses what the load balancer cannot have (idle timeout 1-3600 s) and a cap below 1', () => {
    for (const idleTimeoutSeconds of [0, 3601, 1.5, Number.NaN])
      assert.throws(() => serverLimits({idleTimeoutSeconds}), RangeError, String(idleTimeoutSeconds))
    assert.throws(() => serverLimits({maxConnections: 0}), RangeError)
  })
  it("sets them on the server; keeps Node's whole-request timeout unless it would undercut the header one; only before listen()", async () => {
    const server = createServer()
    applyServerLimits(server, {idleTimeoutSeconds: 400, maxConnections: 10})
    assert.equal(server.keepAliveTimeout, 405_000)
    assert.equal(server.headersTimeout, 406_000)
    assert.equal(server.requestTimeout, 406_000)
    assert.equal(server.maxConnections, 10)
    assert.equal((server as Server & {connectionsCheckingInterval: number}).connectionsCheckingInterval, 1000)
    const small = createServer()
    applyServerLimits(small)
    assert.equal(small.requestTimeout, 300_000)
    await new Promise<void>((r) => small.listen(0, '127.0.0.1', r))
    try {
      assert.throws(() => applyServerLimits(small), /before listen/)
    } finally {
      await new Promise((r) => small.close(r))
    }
  })
})

describe('sample app configuration', () => {
  it('EBWS_LB_LAYOUT, IDLE_TIMEOUT and MAX_CONNECTIONS, with their defaults', () => {
    assert.deepEqual(loadConfig({}).layout, 'websocket')
    assert.deepEqual(loadConfig({}).limits, {idleTimeoutSeconds: 60, maxConnections: 4096})
    const c = loadConfig({EBWS_LB_LAYOUT: 'alb', IDLE_TIMEOUT: '120', MAX_CONNECTIONS: '500'})
    assert.equal(c.layout, 'alb')
    assert.deepEqual(c.limits, {idleTimeoutSeconds: 120, maxConnections: 500})
    assert.throws(() => loadConfig({EBWS_LB_LAYOUT: 'classic'}), /unknown load balancer layout/)
  })
})
