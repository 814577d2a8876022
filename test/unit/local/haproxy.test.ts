import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import type {Listener} from '../../../src/elb/model.ts'
import {LAYOUT_MODES, targetListeners, usesProxyProtocol} from '../../../src/listeners/modes.ts'
import {ensureLocalCertificate} from '../../../src/local/certificate.ts'
import {haproxyConfig} from '../../../src/local/haproxy.ts'
import {redirectSupport, websocketPasses} from '../../../src/local/layout.ts'

const dir = mkdtempSync(join(tmpdir(), 'ebws-haproxy-'))
after(() => rmSync(dir, {recursive: true, force: true}))
const cert = ensureLocalCertificate(join(dir, 'tls'))

function configFor(listeners: Listener[], pp: number[]) {
  return haproxyConfig({
    listeners,
    idleTimeoutSeconds: 60,
    proxyProtocolInstancePorts: pp,
    localPorts: new Map([[443, 18443], [80, 18080]]),
    backends: new Map([[80, {host: '127.0.0.1', port: 13000}]]),
    certificatePem: cert.pemPath,
  })
}

describe('haproxyConfig for each layout mode', () => {
  for (const mode of LAYOUT_MODES) {
    it(`${mode}: accepted by real HAProxy (haproxy -c)`, () => {
      const file = join(dir, `${mode}.cfg`)
      writeFileSync(file, configFor(targetListeners(mode), usesProxyProtocol(mode) ? [80] : []))
      execFileSync('haproxy', ['-c', '-q', '-f', file], {stdio: 'pipe'})
    })
  }
  it('websocket: SSL listener in tcp mode with TLS, HTTP listener adds X-Forwarded-* and drops upgrades', () => {
    const cfg = configFor(targetListeners('websocket'), [])
    assert.match(cfg, /frontend lb_443\n\s+bind 127\.0\.0\.1:18443 ssl crt \S+\n\s+mode tcp\n/)
    assert.match(cfg, /set-header X-Forwarded-Proto http\n/)
    assert.match(cfg, /set-header X-Forwarded-Port 80\n/)
    assert.match(cfg, /del-header Upgrade/)
    assert.doesNotMatch(cfg, /send-proxy/)
    assert.match(cfg, /timeout tunnel 60s/)
  })
  it('http: HTTPS listener is layer 7 with X-Forwarded-Proto https', () => {
    const cfg = configFor(targetListeners('http'), [])
    assert.match(cfg, /bind 127\.0\.0\.1:18443 ssl crt \S+\n\s+mode http\n/)
    assert.match(cfg, /set-header X-Forwarded-Proto https\n/)
  })
  it('proxy: both listeners tcp, send-proxy with the load balancer port as destination', () => {
    const cfg = configFor(targetListeners('proxy'), [80])
    assert.equal(cfg.match(/send-proxy/g)?.length, 2)
    assert.match(cfg, /set-dst-port int\(443\)/)
    assert.match(cfg, /set-dst-port int\(80\)/)
    assert.doesNotMatch(cfg, /mode http/)
  })
  it('idle timeout is the given one', () => {
    const cfg = haproxyConfig({
      listeners: targetListeners('websocket'), idleTimeoutSeconds: 350, proxyProtocolInstancePorts: [],
      localPorts: new Map([[443, 1], [80, 2]]), backends: new Map([[80, {host: '127.0.0.1', port: 3}]]), certificatePem: 'x.pem',
    })
    assert.match(cfg, /timeout client 350s/)
    assert.match(cfg, /timeout server 350s/)
  })
  it('a listener without a local port is an error, not a silent skip', () => {
    assert.throws(() => haproxyConfig({
      listeners: targetListeners('websocket'), idleTimeoutSeconds: 60, proxyProtocolInstancePorts: [],
      localPorts: new Map([[443, 1]]), backends: new Map([[80, {host: '127.0.0.1', port: 3}]]), certificatePem: 'x.pem',
    }), /no local listener for port 80/)
  })
})

describe('redirectSupport and websocketPasses', () => {
  it('every mode can redirect, each its own way', () => {
    assert.match(redirectSupport(targetListeners('websocket'), []).how, /X-Forwarded-Proto: http/)
    assert.match(redirectSupport(targetListeners('http'), []).how, /X-Forwarded-Proto: http/)
    assert.match(redirectSupport(targetListeners('proxy'), [80]).how, /PROXY line with destination port 80/)
    for (const mode of LAYOUT_MODES) assert.equal(redirectSupport(targetListeners(mode), usesProxyProtocol(mode) ? [80] : []).possible, true)
  })
  it('SSL->TCP plus TCP->TCP on one instance port without Proxy Protocol: impossible, and says why', () => {
    const r = redirectSupport(targetListeners('proxy'), [])
    assert.equal(r.possible, false)
    assert.match(r.how, /cannot tell plain from encrypted/)
  })
  it('no secure listener: nothing to redirect to', () => {
    const plainOnly = targetListeners('websocket').filter((l) => l.protocol === 'HTTP')
    assert.equal(redirectSupport(plainOnly, []).possible, false)
  })
  it('WebSocket passes SSL->TCP listeners only', () => {
    assert.equal(websocketPasses(targetListeners('websocket')), true)
    assert.equal(websocketPasses(targetListeners('proxy')), true)
    assert.equal(websocketPasses(targetListeners('http')), false)
  })
})
