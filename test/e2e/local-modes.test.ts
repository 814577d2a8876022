import assert from 'node:assert/strict'
import {connect} from 'node:net'
import {after, before, describe, it} from 'node:test'
import {connect as tlsConnect} from 'node:tls'

import {connectClient, emit, get, type Stack, up} from './helpers.ts'

// The client end binds to 127.0.0.2 (Linux routes all of 127/8 to lo): HAProxy connects from 127.0.0.1, so the
// app can only report 127.0.0.2 if the client address really travelled (PROXY line or X-Forwarded-For).
const CLIENT = '127.0.0.2'

type Who = {protocol: string; clientAddress: string; transport: string}

/** What the app can know about the client: an SSL -> TCP listener without Proxy Protocol carries no address. */
const expectedClient = (stack: Stack) => (stack.state.mode === 'websocket' ? '127.0.0.1' : CLIENT)

async function redirectsToHttps(stack: Stack) {
  const res = await get(`http://localhost:${stack.http}/some/path?x=1`, {client: CLIENT})
  assert.equal(res.status, 301)
  assert.equal(res.headers.location, `https://localhost:${stack.https}/some/path?x=1`)
  const post = await get(`http://localhost:${stack.http}/form`, {method: 'POST'})
  assert.equal(post.status, 308)
}

async function servesHttpsPage(stack: Stack) {
  const res = await get(`https://localhost:${stack.https}/`)
  assert.equal(res.status, 200)
  assert.match(res.body, /<title>ebws sample/)
  assert.match(String(res.headers['strict-transport-security']), /max-age=31536000/)
  const who = JSON.parse((await get(`https://localhost:${stack.https}/whoami`, {client: CLIENT})).body) as Who
  assert.equal(who.protocol, 'https')
  assert.equal(who.clientAddress, expectedClient(stack))
}

async function socketEchoes(stack: Stack, transports: ('websocket' | 'polling')[], expected: 'websocket' | 'polling') {
  const socket = await connectClient(stack.https, transports, CLIENT)
  try {
    assert.equal(socket.io.engine.transport.name, expected)
    assert.deepEqual(await emit(socket, 'echo', {hello: 'wss'}), {hello: 'wss'})
    const who = await emit<Who>(socket, 'whoami')
    assert.equal(who.protocol, 'https')
    assert.equal(who.clientAddress, expectedClient(stack))
    assert.equal(who.transport, expected)
  } finally {
    socket.close()
  }
}

async function badInputs(stack: Stack) {
  // Host not in the allow-list: the redirect goes to the canonical host, never to the one asked for.
  const evil = await get(`http://localhost:${stack.http}/x`, {headers: {host: 'evil.example'}})
  assert.equal(evil.status, 301)
  assert.equal(evil.headers.location, `https://localhost:${stack.https}/x`)
  // Oversized headers: refused (HAProxy's 16 KiB buffer, or Node's 431), and the stack keeps serving.
  const big = await get(`https://localhost:${stack.https}/`, {headers: {'x-big': 'a'.repeat(40_000)}}).catch(() => ({
    status: 0,
  }))
  assert.ok(big.status === 0 || big.status === 400 || big.status === 431, `oversized headers got ${big.status}`)
  assert.equal((await get(`https://localhost:${stack.https}/healthz`)).status, 200)
  // Health check path answered over plain HTTP, never redirected.
  assert.equal((await get(`http://localhost:${stack.http}/healthz`)).status, 200)
}

for (const {mode, nginx} of [
  {mode: 'websocket', nginx: false},
  {mode: 'websocket', nginx: true},
  {mode: 'http', nginx: false},
  {mode: 'proxy', nginx: false},
  {mode: 'proxy', nginx: true},
] as const) {
  describe(`ebws local up --mode ${mode}${nginx ? ' --nginx' : ''}`, () => {
    let stack: Stack
    before(async () => {
      stack = await up(mode, nginx)
    })
    after(async () => {
      await stack?.down()
    })

    it('http:// is redirected to https:// (301 GET, 308 POST)', () => redirectsToHttps(stack))
    it('https:// page served; app sees https, and the true client address where the layout carries it', () =>
      servesHttpsPage(stack))
    if (mode === 'http') {
      it('Socket.io: WebSocket cannot pass the HTTPS listener, falls back to polling and still echoes', () =>
        socketEchoes(stack, ['websocket', 'polling'], 'polling'))
      it('the tool says WebSocket upgrades do not pass', () =>
        assert.ok(stack.state.notes.some((n) => /do not pass WebSocket/.test(n))))
    } else {
      it('Socket.io connects over wss and echoes', () => socketEchoes(stack, ['websocket'], 'websocket'))
    }
    it('bad input: foreign Host, oversized headers; health check over HTTP', () => badInputs(stack))
    it('every mode can redirect and the tool says how', () => {
      assert.equal(stack.state.redirect.possible, true)
      assert.match(stack.state.redirect.how, mode === 'proxy' ? /PROXY line/ : /X-Forwarded-Proto/)
    })
    if (mode === 'proxy' && !nginx) {
      it('malformed PROXY line straight to the app: that connection closed, others still served', async () => {
        const closed = await new Promise<string>((resolve, reject) => {
          const s = connect(stack.app, '127.0.0.1', () =>
            s.write('PROXY TCP4 banana 10.0.0.1 1 443\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n'),
          )
          let data = ''
          s.on('data', (d) => (data += d))
          s.on('close', () => resolve(data))
          s.on('error', reject)
        })
        assert.equal(closed, '')
        await servesHttpsPage(stack)
      })
    }
    if (mode === 'proxy' && nginx) {
      it('nginx rejects a connection without PROXY line; health check works on the separate port', async () => {
        const res = await get(`http://localhost:${stack.nginx}/`).catch((err: Error) => ({status: 0, err}))
        assert.notEqual(res.status, 200)
        assert.equal((await get(`http://localhost:${stack.nginx + 1}/healthz`)).status, 200)
      })
    }
  })
}

describe('plain TLS client through the SSL listener sees the self-signed localhost certificate', () => {
  let stack: Stack
  before(async () => {
    stack = await up('websocket')
  })
  after(async () => {
    await stack?.down()
  })
  it('certificate is for localhost', async () => {
    const cn = await new Promise<string>((resolve, reject) => {
      const s = tlsConnect(
        {port: stack.https, host: '127.0.0.1', servername: 'localhost', rejectUnauthorized: false},
        () => {
          resolve(String(s.getPeerCertificate().subject.CN))
          s.end()
        },
      )
      s.on('error', reject)
    })
    assert.equal(cn, 'localhost')
  })
})

for (const {lb, mode, clientSeen} of [
  {lb: 'application', mode: 'websocket', clientSeen: CLIENT},
  {lb: 'network', mode: 'proxy', clientSeen: CLIENT},
  {lb: 'network', mode: 'websocket', clientSeen: '127.0.0.1'},
] as const) {
  describe(`ebws local up --lb ${lb}${lb === 'network' && mode === 'proxy' ? ' --mode proxy (PROXY v2)' : ''}`, () => {
    let stack: Stack
    before(async () => {
      stack = await up(mode, false, {loadBalancer: lb})
    })
    after(async () => stack?.down())

    it('http:// is redirected to https://, host, path and query kept', async () => {
      const res = await get(`http://localhost:${stack.http}/some/path?x=1`, {client: CLIENT})
      assert.equal(res.status, 301)
      assert.equal(res.headers.location, `https://localhost:${stack.https}/some/path?x=1`)
      // The ALB answers the redirect itself: the app never sees the plain request (no HSTS/helmet headers).
      if (lb === 'application') assert.equal(res.headers['x-content-type-options'], undefined)
    })
    it(`app sees https and the client address ${clientSeen === CLIENT ? '(X-Forwarded-For / PROXY v2)' : "(the load balancer's: no PROXY header)"}`, async () => {
      const who = JSON.parse((await get(`https://localhost:${stack.https}/whoami`, {client: CLIENT})).body) as Who
      assert.equal(who.protocol, 'https')
      assert.equal(who.clientAddress, clientSeen)
    })
    it('Socket.io reaches the websocket transport on the HTTPS listener', async () => {
      const socket = await connectClient(stack.https, ['websocket'], CLIENT)
      try {
        const who = await emit<Who>(socket, 'whoami')
        assert.equal(who.transport, 'websocket')
        assert.equal(who.protocol, 'https')
      } finally {
        socket.close()
      }
    })
  })
}
