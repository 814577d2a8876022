import assert from 'node:assert/strict'
import {createServer, type IncomingMessage} from 'node:http'
import {connect, type AddressInfo, type Socket} from 'node:net'
import {after, before, describe, it} from 'node:test'

import {
  acceptProxyProtocol,
  clientAddress,
  MAX_V2_LENGTH,
  parseProxyV2,
  ProxyProtocolError,
  requestProtocol,
  V2_SIGNATURE,
  v2HeaderLength,
} from '../../../src/redirect/index.ts'

/** A v2 header as a sender writes it (proxy-protocol.txt 2.2); every field can be overridden to make it malformed. */
function v2(
  o: {verCmd?: number; fam?: number; address?: Buffer; tlvs?: Buffer[]; len?: number; signature?: Buffer} = {},
): Buffer {
  const body = Buffer.concat([o.address ?? Buffer.alloc(0), ...(o.tlvs ?? [])])
  const head = Buffer.alloc(16)
  ;(o.signature ?? V2_SIGNATURE).copy(head, 0)
  head[12] = o.verCmd ?? 0x21
  head[13] = o.fam ?? 0x11
  head.writeUInt16BE(o.len ?? body.length, 14)
  return Buffer.concat([head, body])
}
function inet4(src: string, dst: string, sport: number, dport: number): Buffer {
  const b = Buffer.alloc(12)
  src.split('.').forEach((o, i) => (b[i] = Number(o)))
  dst.split('.').forEach((o, i) => (b[4 + i] = Number(o)))
  b.writeUInt16BE(sport, 8)
  b.writeUInt16BE(dport, 10)
  return b
}
function inet6(src: number[], dst: number[], sport: number, dport: number): Buffer {
  const b = Buffer.alloc(36)
  src.forEach((g, i) => b.writeUInt16BE(g, 2 * i))
  dst.forEach((g, i) => b.writeUInt16BE(g, 16 + 2 * i))
  b.writeUInt16BE(sport, 32)
  b.writeUInt16BE(dport, 34)
  return b
}
const tlv = (type: number, value: Buffer | string, declared?: number) => {
  const v = Buffer.from(value)
  const h = Buffer.alloc(3)
  h[0] = type
  h.writeUInt16BE(declared ?? v.length, 1)
  return Buffer.concat([h, v])
}
const groupsText = (groups: number[]) => groups.map((g) => g.toString(16)).join(':')

const TCP4 = v2({address: inet4('198.51.100.22', '10.0.0.7', 35646, 443)})

describe('parseProxyV2: valid headers', () => {
  it('TCP over IPv4 (\\x21 \\x11): addresses and ports in network byte order', () => {
    assert.equal(v2HeaderLength(TCP4), 28)
    assert.deepEqual(parseProxyV2(TCP4), {
      family: 'TCP4',
      sourceAddress: '198.51.100.22',
      destinationAddress: '10.0.0.7',
      sourcePort: 35646,
      destinationPort: 443,
    })
    const edges = parseProxyV2(v2({address: inet4('0.0.0.0', '255.255.255.255', 0, 65535)}))
    assert.deepEqual(
      [edges.sourceAddress, edges.destinationAddress, edges.sourcePort, edges.destinationPort],
      ['0.0.0.0', '255.255.255.255', 0, 65535],
    )
  })
  it('TCP over IPv6 (\\x21): the text Node itself prints (RFC 5952: lowercase, longest zero run as ::, mapped IPv4)', () => {
    const info = parseProxyV2(
      v2({fam: 0x21, address: inet6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 5], [0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], 5000, 443)}),
    )
    assert.deepEqual(info, {
      family: 'TCP6',
      sourceAddress: '2001:db8::5',
      destinationAddress: '2001:db8::1:0:0:1',
      sourcePort: 5000,
      destinationPort: 443,
    })
    const mapped = parseProxyV2(
      v2({fam: 0x21, address: inet6([0, 0, 0, 0, 0, 0xffff, 0xc633, 0x6416], [0, 0, 0, 0, 0, 0, 0, 1], 1, 80)}),
    )
    assert.equal(mapped.sourceAddress, '::ffff:198.51.100.22')
    assert.equal(mapped.destinationAddress, '::1')
    // Every shape of zero runs, checked against the WHATWG URL serializer (which compresses the same way).
    let seed = 7
    const rnd = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31)
    for (let n = 0; n < 500; n++) {
      const groups = Array.from({length: 8}, () => (rnd() % 3 === 0 ? 0 : rnd() % 0x10000))
      if (groups.slice(0, 6).every((g) => g === 0)) continue
      const text = parseProxyV2(v2({fam: 0x21, address: inet6(groups, groups, 1, 1)})).sourceAddress
      assert.equal(`[${text}]`, new URL(`http://[${groupsText(groups)}]/`).hostname, groupsText(groups))
    }
  })
  it('TLVs after the addresses are skipped (NOOP, AUTHORITY, the AWS VPC endpoint TLV, an empty one)', () => {
    const tlvs = [
      tlv(0x04, Buffer.alloc(5)),
      tlv(0x02, 'example.com'),
      tlv(0xea, Buffer.concat([Buffer.from([0x01]), Buffer.from('vpce-08d2bf15fac5001c9')])),
      tlv(0x05, ''),
    ]
    const header = v2({address: inet4('198.51.100.22', '10.0.0.7', 1, 80), tlvs})
    assert.equal(v2HeaderLength(header), header.length)
    assert.equal(parseProxyV2(header).sourceAddress, '198.51.100.22')
  })
  it("LOCAL (\\x20) with no addresses, and LOCAL with addresses and TLVs: the socket's own endpoints count (UNKNOWN)", () => {
    assert.deepEqual(parseProxyV2(v2({verCmd: 0x20, fam: 0x00})), {family: 'UNKNOWN'})
    assert.deepEqual(
      parseProxyV2(v2({verCmd: 0x20, address: inet4('1.2.3.4', '5.6.7.8', 1, 2), tlvs: [tlv(4, 'xx')]})),
      {family: 'UNKNOWN'},
    )
  })
  it("PROXY with UNSPEC, UDP or UNIX families: accepted as UNKNOWN (the spec's fallback), lengths still checked", () => {
    assert.deepEqual(parseProxyV2(v2({fam: 0x00})), {family: 'UNKNOWN'})
    assert.deepEqual(parseProxyV2(v2({fam: 0x12, address: inet4('1.2.3.4', '5.6.7.8', 1, 2)})), {family: 'UNKNOWN'})
    assert.deepEqual(parseProxyV2(v2({fam: 0x31, address: Buffer.alloc(216)})), {family: 'UNKNOWN'})
    assert.throws(() => parseProxyV2(v2({fam: 0x31, address: Buffer.alloc(215)})), /216 needed/)
  })
})

describe('parseProxyV2 / v2HeaderLength: every malformed form is refused', () => {
  it('a wrong signature byte, at any position, fails as soon as that byte is there', () => {
    for (let i = 0; i < 12; i++) {
      const bad = Buffer.from(TCP4)
      bad[i] = bad[i]! ^ 0x20
      assert.throws(() => v2HeaderLength(bad.subarray(0, i + 1)), /signature/, `byte ${i}`)
      assert.throws(() => parseProxyV2(bad), ProxyProtocolError)
    }
  })
  it('version other than 2, command other than LOCAL/PROXY, family > 3, transport > 2', () => {
    for (const verCmd of [0x11, 0x31, 0x01, 0xf1, 0x22, 0x2f])
      assert.throws(() => v2HeaderLength(v2({verCmd}).subarray(0, 13)), ProxyProtocolError, verCmd.toString(16))
    for (const fam of [0x41, 0xf1, 0x13, 0x1f])
      assert.throws(() => v2HeaderLength(v2({fam}).subarray(0, 14)), ProxyProtocolError, fam.toString(16))
  })
  it('address block shorter than the family needs (TCP4 12, TCP6 36)', () => {
    assert.throws(() => parseProxyV2(v2({address: Buffer.alloc(11)})), /12 needed/)
    assert.throws(() => parseProxyV2(v2({fam: 0x21, address: Buffer.alloc(35)})), /36 needed/)
    assert.throws(() => parseProxyV2(v2({fam: 0x21, address: inet4('1.2.3.4', '5.6.7.8', 1, 2)})), /36 needed/)
  })
  it('a TLV whose header or value runs past the end of the header', () => {
    const address = inet4('1.2.3.4', '5.6.7.8', 1, 2)
    assert.throws(() => parseProxyV2(v2({address, tlvs: [Buffer.from([0x04, 0x00])]})), /TLV header runs past/)
    assert.throws(() => parseProxyV2(v2({address, tlvs: [tlv(0x04, 'abc', 4)]})), /TLV value runs past/)
    assert.throws(
      () => parseProxyV2(v2({address, tlvs: [tlv(0x04, 'ok'), tlv(0x02, 'x', 0xffff)]})),
      /TLV value runs past/,
    )
  })
  it('truncated: fewer bytes than the length field says', () => {
    assert.equal(v2HeaderLength(TCP4.subarray(0, 15)), undefined)
    for (const n of [16, 20, 27]) assert.throws(() => parseProxyV2(TCP4.subarray(0, n)), /truncated/, String(n))
  })
  it(`oversized: a length field over the ${MAX_V2_LENGTH}-byte cap is refused from the 16 fixed bytes alone`, () => {
    assert.throws(() => v2HeaderLength(v2({len: MAX_V2_LENGTH - 15}).subarray(0, 16)), /over the/)
    assert.throws(() => v2HeaderLength(v2({len: 0xffff}).subarray(0, 16)), /over the/)
    assert.equal(v2HeaderLength(v2({len: MAX_V2_LENGTH - 16}).subarray(0, 16)), MAX_V2_LENGTH)
  })
})

describe('acceptProxyProtocol with v2 on a real http.Server', () => {
  let port = 0
  const server = createServer((req: IncomingMessage, res) => {
    res.setHeader('content-type', 'application/json')
    res.end(
      JSON.stringify({
        protocol: requestProtocol(req),
        client: clientAddress(req),
        xff: req.headers['x-forwarded-for'] ?? null,
        xfp: req.headers['x-forwarded-proto'] ?? null,
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

  function exchange(chunks: Buffer[], {gapMs = 5, end = false} = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket: Socket = connect(port, '127.0.0.1')
      socket.setNoDelay(true)
      let data = ''
      socket.on('data', (d) => (data += d.toString()))
      socket.on('error', reject)
      socket.on('close', () => resolve(data))
      socket.on('connect', async () => {
        for (const chunk of chunks) {
          socket.write(chunk)
          await new Promise((r) => setTimeout(r, gapMs))
        }
        if (end) socket.end()
      })
    })
  }
  const GET = Buffer.from(
    'GET /x HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n',
  )
  const body = (raw: string) => JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>

  it('header and request in one packet: the client address and port 443 = https; forged headers overwritten', async () => {
    assert.deepEqual(body(await exchange([Buffer.concat([TCP4, GET])])), {
      protocol: 'https',
      client: '198.51.100.22',
      xff: '198.51.100.22',
      xfp: 'https',
    })
    const p80 = v2({
      fam: 0x21,
      address: inet6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 5], [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1], 5000, 80),
    })
    assert.deepEqual(body(await exchange([Buffer.concat([p80, GET])])), {
      protocol: 'http',
      client: '2001:db8::5',
      xff: '2001:db8::5',
      xfp: 'http',
    })
  })
  it('a header split across packets at every boundary (and one byte at a time) is put back together', async () => {
    const withTlv = v2({
      address: inet4('198.51.100.40', '10.0.0.7', 1, 443),
      tlvs: [tlv(0xea, 'vpce-1'), tlv(0x04, '')],
    })
    for (let cut = 1; cut < withTlv.length; cut += 3) {
      const got = body(
        await exchange([withTlv.subarray(0, cut), Buffer.concat([withTlv.subarray(cut), GET])], {gapMs: 2}),
      )
      assert.equal(got.client, '198.51.100.40', `cut at ${cut}`)
    }
    const bytes = [...withTlv].map((b) => Buffer.from([b]))
    assert.equal(body(await exchange([...bytes, GET], {gapMs: 1})).client, '198.51.100.40')
  })
  it("LOCAL with no addresses: served with the socket's own address, and the client's forwarding headers dropped", async () => {
    assert.deepEqual(body(await exchange([Buffer.concat([v2({verCmd: 0x20, fam: 0x00}), GET])])), {
      protocol: 'https',
      client: '127.0.0.1',
      xff: null,
      xfp: null,
    })
  })
  it('wrong signature, bad version, oversized, truncated then closed, truncated then silent: closed without a response', async () => {
    const before = errors.length
    const wrongSig = Buffer.from(TCP4)
    wrongSig[7] = 0x52
    assert.equal(await exchange([Buffer.concat([wrongSig, GET])]), '')
    assert.equal(
      await exchange([Buffer.concat([v2({verCmd: 0x11, address: inet4('1.2.3.4', '5.6.7.8', 1, 2)}), GET])]),
      '',
    )
    assert.equal(await exchange([v2({len: 0xffff}).subarray(0, 16)]), '')
    assert.equal(await exchange([TCP4.subarray(0, 20)], {end: true}), '')
    assert.equal(await exchange([TCP4.subarray(0, 20)]), '')
    assert.deepEqual(
      errors.slice(before).map((e) => e.replace(/ \d+.*/, '')),
      [
        'bad PROXY v2 signature',
        'unsupported PROXY v2 version',
        'PROXY v2 header of',
        'connection closed before the end of the PROXY header',
        'timed out waiting for the PROXY header',
      ],
    )
  })
  it('v1 still works on the same port', async () => {
    const got = body(await exchange([Buffer.concat([Buffer.from('PROXY TCP4 198.51.100.50 10.0.0.7 1 80\r\n'), GET])]))
    assert.deepEqual(got, {protocol: 'http', client: '198.51.100.50', xff: '198.51.100.50', xfp: 'http'})
  })
})
