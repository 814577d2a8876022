import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import type {Listener} from '../../../src/elb/model.ts'
import {LAYOUT_MODES, targetListeners, usesProxyProtocol} from '../../../src/listeners/modes.ts'
import {ensureLocalCertificate} from '../../../src/local/certificate.ts'
import {albHaproxyConfig, haproxyConfig, nlbHaproxyConfig} from '../../../src/local/haproxy.ts'
import {redirectSupport, websocketPasses} from '../../../src/local/layout.ts'

const dir = mkdtempSync(join(tmpdir(), 'ebws-haproxy-'))
after(() => rmSync(dir, {recursive: true, force: true}))
const cert = ensureLocalCertificate(join(dir, 'tls'))

function configFor(listeners: Listener[], pp: number[]) {
  return haproxyConfig({
    listeners,
    idleTimeoutSeconds: 60,
    proxyProtocolInstancePorts: pp,
    localPorts: new Map([
      [443, 18443],
      [80, 18080],
    ]),
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
      listeners: targetListeners('websocket'),
      idleTimeoutSeconds: 350,
      proxyProtocolInstancePorts: [],
      localPorts: new Map([
        [443, 1],
        [80, 2],
      ]),
      backends: new Map([[80, {host: '127.0.0.1', port: 3}]]),
      certificatePem: 'x.pem',
    })
    assert.match(cfg, /timeout client 350s/)
    assert.match(cfg, /timeout server 350s/)
  })
  it('a listener without a local port is an error, not a silent skip', () => {
    assert.throws(
      () =>
        haproxyConfig({
          listeners: targetListeners('websocket'),
          idleTimeoutSeconds: 60,
          proxyProtocolInstancePorts: [],
          localPorts: new Map([[443, 1]]),
          backends: new Map([[80, {host: '127.0.0.1', port: 3}]]),
          certificatePem: 'x.pem',
        }),
      /no local listener for port 80/,
    )
  })
})

describe('redirectSupport and websocketPasses', () => {
  it('every mode can redirect, each its own way', () => {
    assert.match(redirectSupport(targetListeners('websocket'), []).how, /X-Forwarded-Proto: http/)
    assert.match(redirectSupport(targetListeners('http'), []).how, /X-Forwarded-Proto: http/)
    assert.match(redirectSupport(targetListeners('proxy'), [80]).how, /PROXY line with destination port 80/)
    for (const mode of LAYOUT_MODES)
      assert.equal(redirectSupport(targetListeners(mode), usesProxyProtocol(mode) ? [80] : []).possible, true)
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

describe('several instances, stickiness, ALB and NLB configurations', () => {
  const instances = [13001, 13002, 13003].map((port) => ({host: '127.0.0.1', port}))
  const check = (name: string, cfg: string) => {
    const file = join(dir, `${name}.cfg`)
    writeFileSync(file, cfg)
    execFileSync('haproxy', ['-c', '-q', '-f', file], {stdio: 'pipe'})
  }
  it('CLB, 3 instances: round robin over all three with health checks; http layout + stickiness: the AWSELB cookie', () => {
    const cfg = haproxyConfig({
      listeners: targetListeners('http'),
      idleTimeoutSeconds: 60,
      proxyProtocolInstancePorts: [],
      localPorts: new Map([
        [443, 18443],
        [80, 18080],
      ]),
      backends: new Map([[80, instances]]),
      certificatePem: cert.pemPath,
      stickiness: true,
    })
    check('clb-sticky', cfg)
    assert.match(cfg, /balance roundrobin/)
    assert.equal(
      cfg.match(/server i\d 127\.0\.0\.1:1300\d cookie i\d check/g)?.length,
      6,
      '3 servers behind each of the 2 listeners',
    )
    assert.equal(cfg.match(/cookie AWSELB insert indirect nocache/g)?.length, 2)
  })
  it('CLB websocket layout: no cookie on the TCP/SSL listener even when stickiness is asked', () => {
    const cfg = haproxyConfig({
      listeners: targetListeners('websocket'),
      idleTimeoutSeconds: 60,
      proxyProtocolInstancePorts: [],
      localPorts: new Map([
        [443, 18443],
        [80, 18080],
      ]),
      backends: new Map([[80, instances]]),
      certificatePem: cert.pemPath,
      stickiness: true,
    })
    const tcpBackend = cfg.slice(cfg.indexOf('backend lb_443_instances'), cfg.indexOf('# HTTP:80'))
    assert.doesNotMatch(tcpBackend, /cookie/)
  })
  it('ALB: port 80 redirects itself (301, host, path and query kept), 443 ends TLS with X-Forwarded-*, keeps upgrades, AWSALB', () => {
    const cfg = albHaproxyConfig({
      idleTimeoutSeconds: 60,
      httpsPort: 18443,
      httpPort: 18080,
      instances,
      certificatePem: cert.pemPath,
      stickiness: true,
    })
    check('alb', cfg)
    assert.match(
      cfg,
      /http-request redirect location https:\/\/%\[req\.hdr\(host\),field\(1,:\)\]:18443%\[capture\.req\.uri\] code 301/,
    )
    assert.match(cfg, /set-header X-Forwarded-Proto https/)
    assert.match(cfg, /set-header X-Forwarded-Port 443/)
    assert.doesNotMatch(cfg, /del-header Upgrade/)
    assert.match(cfg, /cookie AWSALB insert/)
  })
  it('NLB with PROXY v2: pass-through frontends send-proxy-v2, each instance endpoint reads it and ends TLS', () => {
    const cfg = nlbHaproxyConfig({
      idleTimeoutSeconds: 60,
      httpsPort: 18443,
      httpPort: 18080,
      instances,
      certificatePem: cert.pemPath,
      proxyProtocolV2: true,
      instanceEndpoints: [
        {tls: 14001, plain: 14002},
        {tls: 14003, plain: 14004},
        {tls: 14005, plain: 14006},
      ],
    })
    check('nlb', cfg)
    assert.match(cfg, /frontend nlb_443\n\s+bind 127\.0\.0\.1:18443\n\s+mode tcp\n/)
    assert.equal(cfg.match(/send-proxy-v2/g)?.length, 6)
    assert.equal(cfg.match(/accept-proxy/g)?.length, 6)
    assert.match(cfg, /bind 127\.0\.0\.1:14001 ssl crt \S+ accept-proxy/)
    assert.doesNotMatch(cfg, /cookie/)
  })
  it('NLB without Proxy Protocol: no PROXY header anywhere', () => {
    const cfg = nlbHaproxyConfig({
      idleTimeoutSeconds: 60,
      httpsPort: 18443,
      httpPort: 18080,
      instances: instances.slice(0, 1),
      certificatePem: cert.pemPath,
      proxyProtocolV2: false,
      instanceEndpoints: [{tls: 14001, plain: 14002}],
    })
    check('nlb-plain', cfg)
    assert.doesNotMatch(cfg, /send-proxy|accept-proxy/)
  })
})

describe('a state dir with spaces, quotes and $ in its path', () => {
  for (const odd of ['with space', "it's here", 'cost $HOME "x"']) {
    it(`${JSON.stringify(odd)}: every config is one word per path and real HAProxy loads the certificate`, () => {
      const tls = join(dir, odd)
      const oddCert = ensureLocalCertificate(tls)
      const instances = [{host: '127.0.0.1', port: 13001}]
      const configs = {
        clb: haproxyConfig({
          listeners: targetListeners('websocket'),
          idleTimeoutSeconds: 60,
          proxyProtocolInstancePorts: [],
          localPorts: new Map([
            [443, 18443],
            [80, 18080],
          ]),
          backends: new Map([[80, instances[0]!]]),
          certificatePem: oddCert.pemPath,
        }),
        alb: albHaproxyConfig({
          idleTimeoutSeconds: 60,
          httpsPort: 18443,
          httpPort: 18080,
          instances,
          certificatePem: oddCert.pemPath,
          stickiness: false,
        }),
        nlb: nlbHaproxyConfig({
          idleTimeoutSeconds: 60,
          httpsPort: 18443,
          httpPort: 18080,
          instances,
          certificatePem: oddCert.pemPath,
          proxyProtocolV2: true,
          instanceEndpoints: [{tls: 14001, plain: 14002}],
        }),
      }
      for (const [name, cfg] of Object.entries(configs)) {
        const file = join(tls, `${name}.cfg`)
        writeFileSync(file, cfg)
        // -c parses the file and loads the certificate: an unquoted path breaks into two words and fails here.
        execFileSync('haproxy', ['-c', '-q', '-f', file], {stdio: 'pipe'})
      }
    })
  }
})
