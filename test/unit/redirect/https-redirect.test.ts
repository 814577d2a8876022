import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {PROXY_INFO, type ProxyInfo} from '../../../src/redirect/forwarded.ts'
import {
  clientAddress,
  decideRedirect,
  hsts,
  httpsRedirect,
  normalizeHost,
  pathAndQuery,
  requestProtocol,
  type RedirectRequest,
} from '../../../src/redirect/index.ts'

const OPTIONS = {allowedHosts: ['www.example.com', 'example.com', '*.apps.example.org']}

function req(
  headers: Record<string, string | string[]>,
  extra: Partial<RedirectRequest> & {proxy?: ProxyInfo; remote?: string} = {},
): RedirectRequest {
  const socket = {remoteAddress: extra.remote ?? '10.0.0.5', ...(extra.proxy ? {[PROXY_INFO]: extra.proxy} : {})}
  return {
    method: 'GET',
    url: '/path?q=1',
    headers: {host: 'www.example.com', ...headers},
    socket: socket as never,
    ...extra,
  }
}

/** Runs the middleware against a recording response. */
function run(request: RedirectRequest, options = OPTIONS) {
  const res = {
    statusCode: 200,
    headers: {} as Record<string, string>,
    body: undefined as string | undefined,
    ended: false,
  }
  let nextCalled = false
  httpsRedirect(options)(
    request,
    {
      get statusCode() {
        return res.statusCode
      },
      set statusCode(v: number) {
        res.statusCode = v
      },
      setHeader: (name: string, value: string | number | readonly string[]) => {
        res.headers[name.toLowerCase()] = String(value)
        return undefined as never
      },
      end: ((body?: string) => {
        res.body = body
        res.ended = true
      }) as never,
    },
    () => {
      nextCalled = true
    },
  )
  return {...res, nextCalled}
}

describe('requestProtocol: the value the load balancer set', () => {
  it('X-Forwarded-Proto: http / https, case-insensitive', () => {
    assert.equal(requestProtocol(req({'x-forwarded-proto': 'http'})), 'http')
    assert.equal(requestProtocol(req({'x-forwarded-proto': 'HTTP'})), 'http')
    assert.equal(requestProtocol(req({'x-forwarded-proto': 'https'})), 'https')
    assert.equal(requestProtocol(req({'x-forwarded-proto': 'HTTPS'})), 'https')
  })
  it("multi-proxy X-Forwarded-Proto: the right-most value (the load balancer's) counts, never the client's first one", () => {
    assert.equal(requestProtocol(req({'x-forwarded-proto': 'https, http'})), 'http')
    assert.equal(requestProtocol(req({'x-forwarded-proto': 'http,https'})), 'https')
    assert.equal(requestProtocol(req({'x-forwarded-proto': ['https', 'http']})), 'http')
    assert.equal(requestProtocol(req({'x-forwarded-proto': ['http', 'https']})), 'https')
  })
  it('a present value other than https is plain HTTP: empty, unknown, ws/wss, a list ending in anything else', () => {
    for (const value of ['', ' ', 'banana', 'wss', 'ws', 'https,', 'https, ', 'https, banana', 'https;', '"https"']) {
      assert.equal(requestProtocol(req({'x-forwarded-proto': value})), 'http', JSON.stringify(value))
    }
  })
  it('no header: https on the websocket layout (SSL -> TCP adds nothing), plain HTTP where the LB always sets it', () => {
    assert.equal(requestProtocol(req({})), 'https')
    assert.equal(requestProtocol(req({}), {layout: 'websocket'}), 'https')
    assert.equal(requestProtocol(req({}), {layout: 'http'}), 'http')
    assert.equal(requestProtocol(req({}), {layout: 'alb'}), 'http')
    assert.equal(requestProtocol(req({}), {layout: 'proxy'}), 'http')
  })
  it('RFC 7239 Forwarded is not believed: no AWS load balancer sets it', () => {
    assert.equal(requestProtocol(req({forwarded: 'proto=https'}), {layout: 'http'}), 'http')
    assert.equal(requestProtocol(req({forwarded: 'proto=http', 'x-forwarded-proto': 'https'})), 'https')
  })
  it('PROXY destination port 80 is http, 443 https, and headers are then ignored', () => {
    const p80: ProxyInfo = {
      family: 'TCP4',
      sourceAddress: '198.51.100.22',
      destinationAddress: '203.0.113.7',
      sourcePort: 35646,
      destinationPort: 80,
    }
    const p443: ProxyInfo = {...p80, destinationPort: 443}
    assert.equal(requestProtocol(req({}, {proxy: p80})), 'http')
    assert.equal(requestProtocol(req({'x-forwarded-proto': 'http'}, {proxy: p443})), 'https')
    assert.equal(requestProtocol(req({}, {proxy: {...p80, destinationPort: 8080}}), {plainPorts: [8080]}), 'http')
    // PROXY UNKNOWN carries no addresses: fall back to headers.
    assert.equal(requestProtocol(req({'x-forwarded-proto': 'http'}, {proxy: {family: 'UNKNOWN'}})), 'http')
  })
})

describe('httpsRedirect middleware', () => {
  it('301 for GET and HEAD, keeping path and query; no body for HEAD', () => {
    const get = run(req({'x-forwarded-proto': 'http'}))
    assert.equal(get.statusCode, 301)
    assert.equal(get.headers.location, 'https://www.example.com/path?q=1')
    assert.equal(get.nextCalled, false)
    const head = run(req({'x-forwarded-proto': 'http'}, {method: 'HEAD'}))
    assert.equal(head.statusCode, 301)
    assert.equal(head.body, undefined)
  })
  it('308 for POST, PUT, DELETE, PATCH (method and body kept)', () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const r = run(req({'x-forwarded-proto': 'http'}, {method}))
      assert.equal(r.statusCode, 308, method)
      assert.equal(r.headers.location, 'https://www.example.com/path?q=1')
    }
  })
  it('serves HTTPS requests untouched', () => {
    const r = run(req({'x-forwarded-proto': 'https'}))
    assert.equal(r.nextCalled, true)
    assert.equal(r.ended, false)
  })
  it('never redirects the health-check path, with or without a query', () => {
    assert.equal(run(req({'x-forwarded-proto': 'http'}, {url: '/healthz'})).nextCalled, true)
    assert.equal(run(req({'x-forwarded-proto': 'http'}, {url: '/healthz?x=1'})).nextCalled, true)
    assert.equal(run(req({'x-forwarded-proto': 'http'}, {url: '/healthz/more'})).statusCode, 301)
    const custom = {...OPTIONS, healthCheckPaths: ['/ping']}
    assert.equal(run(req({'x-forwarded-proto': 'http'}, {url: '/ping'}), custom).nextCalled, true)
  })
  it('Host not in the allow-list: redirect to the canonical host, never to the Host header', () => {
    const r = run(req({'x-forwarded-proto': 'http', host: 'evil.example'}))
    assert.equal(r.headers.location, 'https://www.example.com/path?q=1')
    const sneaky = run(req({'x-forwarded-proto': 'http', host: 'www.example.com.evil.example'}))
    assert.equal(sneaky.headers.location, 'https://www.example.com/path?q=1')
    const userinfo = run(req({'x-forwarded-proto': 'http', host: 'www.example.com@evil.example'}))
    assert.equal(userinfo.headers.location, 'https://www.example.com/path?q=1')
  })
  it('allowed Host is kept (port dropped, case folded); wildcard entries match subdomains only', () => {
    assert.equal(
      run(req({'x-forwarded-proto': 'http', host: 'EXAMPLE.com:80'})).headers.location,
      'https://example.com/path?q=1',
    )
    assert.equal(
      run(req({'x-forwarded-proto': 'http', host: 'a.apps.example.org'})).headers.location,
      'https://a.apps.example.org/path?q=1',
    )
    assert.equal(
      run(req({'x-forwarded-proto': 'http', host: 'apps.example.org'})).headers.location,
      'https://www.example.com/path?q=1',
    )
    assert.equal(
      run(req({'x-forwarded-proto': 'http', host: 'xapps.example.org'})).headers.location,
      'https://www.example.com/path?q=1',
    )
  })
  it('no usable allow-list entry: 400, no Location at all', () => {
    const r = run(req({'x-forwarded-proto': 'http', host: 'evil.example'}), {allowedHosts: []})
    assert.equal(r.statusCode, 400)
    assert.equal(r.headers.location, undefined)
    const wildOnly = run(req({'x-forwarded-proto': 'http', host: 'evil.example'}), {allowedHosts: ['*.example.com']})
    assert.equal(wildOnly.statusCode, 400)
  })
  it('non-default HTTPS port goes into the Location', () => {
    const r = run(req({'x-forwarded-proto': 'http', host: 'localhost:8080'}), {
      allowedHosts: ['localhost'],
      httpsPort: 8443,
    } as never)
    assert.equal(r.headers.location, 'https://localhost:8443/path?q=1')
  })
  it('absolute-form and "//" request targets cannot move the redirect to another host', () => {
    const abs = decideRedirect(req({'x-forwarded-proto': 'http'}, {url: 'http://evil.example/steal?x=1'}), OPTIONS)
    assert.deepEqual(abs, {action: 'redirect', status: 301, location: 'https://www.example.com/steal?x=1'})
    const slashes = decideRedirect(req({'x-forwarded-proto': 'http'}, {url: '//evil.example/x'}), OPTIONS)
    assert.equal(slashes.action === 'redirect' && new URL(slashes.location).host, 'www.example.com')
  })
  it('uses Express originalUrl when mounted under a path', () => {
    const r = run(req({'x-forwarded-proto': 'http'}, {url: '/x', originalUrl: '/app/x?y=2'}))
    assert.equal(r.headers.location, 'https://www.example.com/app/x?y=2')
  })
})

describe('helpers', () => {
  it('normalizeHost rejects what is not a host name', () => {
    assert.equal(normalizeHost('Example.COM.'), 'example.com')
    assert.equal(normalizeHost('[::1]:8080'), '[::1]')
    assert.equal(normalizeHost('a b'), undefined)
    assert.equal(normalizeHost('example.com:http'), undefined)
    assert.equal(normalizeHost('user@example.com'), undefined)
    assert.equal(normalizeHost(undefined), undefined)
  })
  it('pathAndQuery keeps only printable ASCII', () => {
    assert.equal(pathAndQuery('/a b\u00e9?x=%41'), '/a%20b%C3%A9?x=%41')
    assert.equal(pathAndQuery('*'), '/')
  })
  it('clientAddress: PROXY source; else the right-most X-Forwarded-For entry where the load balancer appends it', () => {
    assert.equal(
      clientAddress(
        req(
          {},
          {
            proxy: {
              family: 'TCP4',
              sourceAddress: '198.51.100.22',
              destinationAddress: '10.0.0.1',
              sourcePort: 1,
              destinationPort: 443,
            },
          },
        ),
      ),
      '198.51.100.22',
    )
    assert.equal(clientAddress(req({'x-forwarded-for': '6.6.6.6, 198.51.100.22'}), {layout: 'http'}), '198.51.100.22')
    // An internal load balancer's client is a private address: still the right-most entry, never the forged left one.
    assert.equal(clientAddress(req({'x-forwarded-for': '6.6.6.6, 10.1.2.3'}), {layout: 'alb'}), '10.1.2.3')
    assert.equal(
      clientAddress(req({'x-forwarded-for': ['6.6.6.6', '198.51.100.22']}), {layout: 'http'}),
      '198.51.100.22',
    )
    assert.equal(clientAddress(req({'x-forwarded-for': '6.6.6.6, not-an-ip'}), {layout: 'http'}), '10.0.0.5')
    // ALB with routing.http.xff_client_port.enabled: the port is dropped.
    assert.equal(
      clientAddress(req({'x-forwarded-for': '6.6.6.6, 198.51.100.22:4711'}), {layout: 'alb'}),
      '198.51.100.22',
    )
    assert.equal(
      clientAddress(req({'x-forwarded-for': '[2001:db8::21f:5bff:febf:ce22:8a2e]:4711'}), {layout: 'alb'}),
      '2001:db8::21f:5bff:febf:ce22:8a2e',
    )
    for (const bad of [
      '[198.51.100.22]:1',
      '[2001:db8::1',
      '2001:db8::1:',
      '999.1.1.1:80',
      '1.2.3.4:123456',
      '[::1]:x',
    ]) {
      assert.equal(clientAddress(req({'x-forwarded-for': bad}), {layout: 'alb'}), '10.0.0.5', bad)
    }
    assert.equal(clientAddress(req({}), {layout: 'http'}), '10.0.0.5')
  })
  it('clientAddress on TCP layouts (websocket, nlb): the socket peer, whatever X-Forwarded-For says', () => {
    assert.equal(clientAddress(req({'x-forwarded-for': '6.6.6.6'})), '10.0.0.5')
    assert.equal(clientAddress(req({'x-forwarded-for': '6.6.6.6'}), {layout: 'websocket'}), '10.0.0.5')
    assert.equal(
      clientAddress(req({'x-forwarded-for': '6.6.6.6'}, {remote: '203.0.113.9'}), {layout: 'nlb'}),
      '203.0.113.9',
    )
  })
  it('hsts: header on HTTPS responses only, configurable', () => {
    const headers: Record<string, string> = {}
    const res = {
      statusCode: 200,
      setHeader: (n: string, v: string) => ((headers[n] = v), undefined as never),
      end: (() => {}) as never,
    }
    hsts({maxAge: 600, includeSubDomains: true, preload: true})(req({}), res as never, () => {})
    assert.equal(headers['Strict-Transport-Security'], 'max-age=600; includeSubDomains; preload')
    delete headers['Strict-Transport-Security']
    hsts()(req({'x-forwarded-proto': 'http'}), res as never, () => {})
    assert.equal(headers['Strict-Transport-Security'], undefined)
  })
})
