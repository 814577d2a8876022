import assert from 'node:assert/strict'
import {createServer, type IncomingMessage} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'
import {connect, createServer as createNetServer, isIP, type AddressInfo, type Socket} from 'node:net'
import {after, before, describe, it} from 'node:test'

import {
  acceptProxyProtocol,
  clientAddress,
  parseProxyV1,
  ProxyProtocolError,
  requestProtocol,
} from '../../../src/redirect/index.ts'

describe('parseProxyV1', () => {
  it('parses the CLB example line (TCP4) and TCP6', () => {
    assert.deepEqual(parseProxyV1('PROXY TCP4 198.51.100.22 203.0.113.7 35646 80\r\n'), {
      family: 'TCP4',
      sourceAddress: '198.51.100.22',
      destinationAddress: '203.0.113.7',
      sourcePort: 35646,
      destinationPort: 80,
    })
    assert.equal(parseProxyV1('PROXY TCP6 2001:db8::1 2001:db8::2 1 443').destinationPort, 443)
    assert.deepEqual(parseProxyV1('PROXY UNKNOWN\r\n'), {family: 'UNKNOWN'})
    assert.deepEqual(parseProxyV1('PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n'), {family: 'UNKNOWN'})
  })
  it('rejects every malformed form', () => {
    const bad = [
      'GET / HTTP/1.1',
      'PROXY',
      'PROXY TCP4 198.51.100.22 203.0.113.7 35646',
      'PROXY TCP4 198.51.100.22 203.0.113.7 35646 80 extra',
      'PROXY TCP5 198.51.100.22 203.0.113.7 35646 80',
      'PROXY TCP4 2001:db8::1 203.0.113.7 35646 80',
      'PROXY TCP6 198.51.100.22 2001:db8::1 35646 80',
      'PROXY TCP4 999.51.100.22 203.0.113.7 35646 80',
      'PROXY TCP4 198.51.100.22 203.0.113.7 65536 80',
      'PROXY TCP4 198.51.100.22 203.0.113.7 -1 80',
      'PROXY TCP4 198.51.100.22 203.0.113.7 0080 80',
      'PROXY  TCP4 198.51.100.22 203.0.113.7 35646 80',
      `PROXY TCP4 ${'1'.repeat(120)}`,
    ]
    for (const line of bad) assert.throws(() => parseProxyV1(line), ProxyProtocolError, line)
  })
  it('accepts exactly the IPv4 addresses net.isIP accepts, and ports 0-65535 written without leading zeros', () => {
    const addresses = [
      '0.0.0.0',
      '255.255.255.255',
      '1.2.3.4',
      '01.2.3.4',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '1..2.3',
      '',
      '.1.2.3',
      '1.2.3.',
      ' 1.2.3.4',
      '1.2.3.4 ',
      '1.2.3.x',
      '1.2.3.1000',
      '10.0.0.07',
      '100.200.250.199',
      '1.2.3.-4',
      '１.2.3.4',
    ]
    for (const a of addresses) {
      const line = `PROXY TCP4 ${a} 10.0.0.7 1 80`
      if (isIP(a) === 4) assert.equal(parseProxyV1(line).sourceAddress, a, a)
      else assert.throws(() => parseProxyV1(line), ProxyProtocolError, JSON.stringify(a))
    }
    for (const [text, value] of [
      ['0', 0],
      ['9', 9],
      ['80', 80],
      ['65535', 65535],
    ] as const) {
      assert.equal(parseProxyV1(`PROXY TCP4 1.2.3.4 10.0.0.7 ${text} 80`).sourcePort, value)
    }
    for (const text of ['', '00', '01', '65536', '99999', '100000', '+1', '1e3', '8O', ' 1']) {
      assert.throws(
        () => parseProxyV1(`PROXY TCP4 1.2.3.4 10.0.0.7 ${text} 80`),
        ProxyProtocolError,
        JSON.stringify(text),
      )
    }
  })
})

describe('acceptProxyProtocol on a real http.Server', () => {
  let port = 0
  const server = createServer((req: IncomingMessage, res) => {
    res.setHeader('content-type', 'application/json')
    res.end(
      JSON.stringify({
        protocol: requestProtocol(req),
        client: clientAddress(req),
        xff: req.headers['x-forwarded-for'],
        xfp: req.headers['x-forwarded-proto'],
        forwarded: req.headers.forwarded ?? null,
        url: req.url,
      }),
    )
  })
  const errors: string[] = []
  acceptProxyProtocol(server, {timeoutMs: 300, onError: (err) => errors.push(err.message)})

  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    port = (server.address() as AddressInfo).port
  })
  after(async () => {
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  })

  /** Writes the chunks (with a pause between them) and collects everything until the server closes. */
  function exchange(chunks: string[], gapMs = 20): Promise<{data: string; closed: boolean}> {
    return new Promise((resolve, reject) => {
      const socket: Socket = connect(port, '127.0.0.1')
      let data = ''
      socket.on('data', (d) => (data += d.toString()))
      socket.on('error', reject)
      socket.on('close', () => resolve({data, closed: true}))
      socket.on('connect', async () => {
        for (const chunk of chunks) {
          socket.write(chunk)
          await new Promise((r) => setTimeout(r, gapMs))
        }
      })
    })
  }
  const body = (raw: string) => JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>
  const GET = 'GET /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'

  it('PROXY line and request in one packet: client address and https from port 443', async () => {
    const {data} = await exchange(['PROXY TCP4 198.51.100.22 10.0.0.7 35646 443\r\n' + GET])
    assert.match(data, /^HTTP\/1.1 200/)
    assert.deepEqual(body(data), {
      protocol: 'https',
      client: '198.51.100.22',
      xff: '198.51.100.22',
      xfp: 'https',
      forwarded: null,
      url: '/x',
    })
  })
  it('line split over several packets; port 80 means http; forged client headers are overwritten', async () => {
    const forged =
      'GET /y HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-Proto: https\r\nX-Forwarded-For: 6.6.6.6\r\nForwarded: proto=https\r\nConnection: close\r\n\r\n'
    const {data} = await exchange(['PRO', 'XY TCP4 198.51.100.23 10.0.', '0.7 35647 80\r', '\n' + forged])
    assert.deepEqual(body(data), {
      protocol: 'http',
      client: '198.51.100.23',
      xff: '198.51.100.23',
      xfp: 'http',
      forwarded: null,
      url: '/y',
    })
  })
  it('IPv6 source', async () => {
    const {data} = await exchange(['PROXY TCP6 2001:db8::5 2001:db8::1 5000 443\r\n' + GET])
    assert.equal(body(data).client, '2001:db8::5')
  })
  it('malformed PROXY line, plain HTTP without a line, v2 block of an unknown version, oversized line, silence: closed without a response', async () => {
    const cases = [
      ['PROXY TCP4 not-an-ip 10.0.0.7 1 443\r\n' + GET],
      [GET],
      ['\r\n\r\n\0\r\nQUIT\n\x31\x11\x00\x0c'],
      ['PROXY TCP4 ' + '1'.repeat(200)],
      [],
    ]
    for (const chunks of cases) {
      const {data, closed} = await exchange(chunks)
      assert.equal(closed, true)
      assert.equal(data, '', JSON.stringify(chunks))
    }
    assert.ok(errors.some((e) => e.includes('v2')))
    assert.ok(errors.some((e) => e.includes('timed out')))
  })
  it('keeps serving other connections while a bad one is being closed', async () => {
    const [bad, good] = await Promise.all([
      exchange(['PROXY GARBAGE\r\n' + GET]),
      exchange(['PROXY TCP4 198.51.100.24 10.0.0.7 1 443\r\n' + GET]),
    ])
    assert.equal(bad.data, '')
    assert.equal(body(good.data).client, '198.51.100.24')
  })
  it('keep-alive: several requests after one PROXY line', async () => {
    const keepAlive = 'GET /a HTTP/1.1\r\nHost: localhost\r\n\r\n'
    const {data} = await exchange(['PROXY TCP4 198.51.100.25 10.0.0.7 1 443\r\n' + keepAlive + keepAlive + GET])
    assert.equal(data.match(/HTTP\/1.1 200/g)?.length, 3)
  })
})

describe('acceptProxyProtocol on other servers', () => {
  it('net.Server: the bytes after the PROXY line reach its handler, whichever way it reads', async () => {
    const server = createNetServer((socket) => {
      socket.once('readable', () => {
        const first = socket.read() as Buffer
        socket.end(
          `${String((socket as Socket & {[k: symbol]: {sourceAddress?: string}})[Symbol.for('ebws.proxyProtocol')]?.sourceAddress)} ${first.toString()}`,
        )
      })
    })
    acceptProxyProtocol(server)
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const reply = await new Promise<string>((resolve, reject) => {
        const c = connect((server.address() as AddressInfo).port, '127.0.0.1', () =>
          c.write('PROXY TCP4 198.51.100.30 10.0.0.7 1 443\r\nhello'),
        )
        let out = ''
        c.on('data', (d) => (out += d.toString()))
        c.on('close', () => resolve(out))
        c.on('error', reject)
      })
      assert.equal(reply, '198.51.100.30 hello')
    } finally {
      await new Promise((r) => server.close(r))
    }
  })
  it('refuses TLS servers, whose handshake bytes it could not hand back', () => {
    assert.throws(() => acceptProxyProtocol(createHttpsServer()), /does not support TLS servers/)
  })
})
