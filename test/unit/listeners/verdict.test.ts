import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {CertificateInfo, Listener, LoadBalancerState} from '../../../src/elb/model.ts'
import {configuredFromOptionSettings} from '../../../src/listeners/option-settings.ts'
import {classifyLayout, clbKeyProblem, computeDrift, judgeListeners} from '../../../src/listeners/verdict.ts'

const ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-1111-2222-333344445555'
const NOW = new Date('2026-11-23T12:00:00Z')

const listener = (
  port: number,
  protocol: Listener['protocol'],
  instancePort: number,
  instanceProtocol: Listener['instanceProtocol'],
  extra: Partial<Listener> = {},
): Listener => ({
  loadBalancerPort: port,
  protocol,
  instancePort,
  instanceProtocol,
  policyNames: [],
  ...(protocol === 'SSL' || protocol === 'HTTPS' ? {sslCertificateId: ARN} : {}),
  ...extra,
})

const tlsPolicy = {
  name: 'ebws-tls',
  typeName: 'SSLNegotiationPolicyType',
  attributes: [{name: 'Reference-Security-Policy', value: 'ELBSecurityPolicy-TLS-1-2-2017-01'}],
}
const proxyPolicy = {
  name: 'ebws-proxy-protocol',
  typeName: 'ProxyProtocolPolicyType',
  attributes: [{name: 'ProxyProtocol', value: 'true'}],
}

function lb(listeners: Listener[], extra: Partial<LoadBalancerState> = {}): LoadBalancerState {
  return {
    name: 'awseb-e-abc',
    listeners,
    backendPolicies: [],
    policies: [tlsPolicy],
    idleTimeoutSeconds: 60,
    healthCheck: {target: 'TCP:80', intervalSeconds: 10, timeoutSeconds: 5, healthyThreshold: 3, unhealthyThreshold: 5},
    ...extra,
  }
}

const cert = (extra: Partial<CertificateInfo> = {}): CertificateInfo => ({
  arn: ARN,
  domainName: 'example.com',
  subjectAlternativeNames: ['example.com', 'www.example.com'],
  status: 'ISSUED',
  notAfter: '2027-06-01T00:00:00.000Z',
  keyAlgorithm: 'RSA_2048',
  type: 'IMPORTED',
  inUseBy: [],
  ...extra,
})

const websocket = () =>
  lb([listener(443, 'SSL', 80, 'TCP', {policyNames: ['ebws-tls']}), listener(80, 'HTTP', 80, 'HTTP')])
const codes = (v: {findings: {code: string}[]}) => v.findings.map((f) => f.code).sort()

describe('classifyLayout', () => {
  it('recognises the websocket layout', () => {
    assert.equal(classifyLayout(websocket()), 'websocket')
  })
  it('recognises the http layout', () => {
    assert.equal(classifyLayout(lb([listener(443, 'HTTPS', 80, 'HTTP'), listener(80, 'HTTP', 80, 'HTTP')])), 'http')
  })
  it('recognises the proxy layout only with Proxy Protocol on the instance port', () => {
    const listeners = [listener(443, 'SSL', 80, 'TCP'), listener(80, 'TCP', 80, 'TCP')]
    assert.equal(classifyLayout(lb(listeners)), 'none')
    assert.equal(
      classifyLayout(
        lb(listeners, {
          policies: [proxyPolicy],
          backendPolicies: [{instancePort: 80, policyNames: ['ebws-proxy-protocol']}],
        }),
      ),
      'proxy',
    )
  })
  it('is none when the listeners forward to different instance ports', () => {
    assert.equal(classifyLayout(lb([listener(443, 'SSL', 8080, 'TCP'), listener(80, 'HTTP', 80, 'HTTP')])), 'none')
  })
  it('honours custom ports', () => {
    const state = lb([listener(8443, 'SSL', 8080, 'TCP'), listener(8000, 'HTTP', 8080, 'HTTP')])
    assert.equal(classifyLayout(state, {httpsPort: 8443, httpPort: 8000, instancePort: 8080}), 'websocket')
  })
})

describe('judgeListeners', () => {
  it('passes a healthy websocket layout', () => {
    const v = judgeListeners({state: websocket(), certificates: [cert()], now: NOW})
    assert.equal(v.ok, true)
    assert.equal(v.layout, 'websocket')
    assert.deepEqual(codes(v), ['layout-ok'])
  })

  it('says there is no listener on 443', () => {
    const v = judgeListeners({state: lb([listener(80, 'HTTP', 80, 'HTTP')]), certificates: [], now: NOW})
    assert.equal(v.ok, false)
    assert.match(v.findings.find((f) => f.code === 'no-https-listener')!.message, /no listener on 443/)
  })

  it('explains why a TCP port 80 breaks the redirect', () => {
    const v = judgeListeners({
      state: lb([listener(443, 'SSL', 80, 'TCP', {policyNames: ['ebws-tls']}), listener(80, 'TCP', 80, 'TCP')]),
      certificates: [cert()],
      now: NOW,
    })
    const f = v.findings.find((x) => x.code === 'http-port-is-tcp')!
    assert.equal(
      f.message,
      'port 80 is TCP, so X-Forwarded-Proto is never sent and the HTTP->HTTPS redirect cannot work',
    )
    assert.equal(v.ok, false)
  })

  it('warns that an HTTPS 443 listener means long-polling', () => {
    const v = judgeListeners({
      state: lb([listener(443, 'HTTPS', 80, 'HTTP', {policyNames: ['ebws-tls']}), listener(80, 'HTTP', 80, 'HTTP')]),
      certificates: [cert()],
      now: NOW,
    })
    assert.equal(v.layout, 'http')
    assert.equal(v.ok, true)
    assert.match(
      v.findings.find((f) => f.code === 'https-listener-no-websocket')!.message,
      /443 is HTTPS: CLB HTTP listeners do not pass WebSocket upgrades, Socket.io will fall back to long-polling/,
    )
  })

  it('counts days to certificate expiry', () => {
    const v = judgeListeners({
      state: websocket(),
      certificates: [cert({notAfter: '2026-12-02T13:00:00.000Z'})],
      now: NOW,
    })
    assert.match(v.findings.find((f) => f.code === 'certificate-expiring')!.message, /expires in 9 days/)
    assert.equal(v.ok, true)
  })

  it('fails an expired certificate and one that is not ISSUED', () => {
    const v = judgeListeners({
      state: websocket(),
      certificates: [cert({notAfter: '2026-11-20T00:00:00.000Z', status: 'EXPIRED'})],
      now: NOW,
    })
    assert.deepEqual(codes(v), ['certificate-expired', 'certificate-not-issued'])
    assert.equal(v.ok, false)
  })

  it('rejects EC and RSA-4096 certificates on a CLB', () => {
    for (const keyAlgorithm of ['EC_prime256v1', 'RSA_4096']) {
      const v = judgeListeners({state: websocket(), certificates: [cert({keyAlgorithm})], now: NOW})
      assert.ok(
        v.findings.some((f) => f.code === 'certificate-key-unsupported'),
        keyAlgorithm,
      )
    }
    assert.equal(clbKeyProblem('RSA_2048'), undefined)
  })

  it('flags a secure listener without a certificate, and a certificate it cannot read', () => {
    const noCert = lb([
      listener(443, 'SSL', 80, 'TCP', {sslCertificateId: undefined, policyNames: ['ebws-tls']}),
      listener(80, 'HTTP', 80, 'HTTP'),
    ])
    assert.ok(codes(judgeListeners({state: noCert, certificates: [], now: NOW})).includes('certificate-missing'))
    const unreadable = judgeListeners({
      state: websocket(),
      certificates: [{arn: ARN, subjectAlternativeNames: [], inUseBy: [], lookupError: 'AccessDenied'}],
      now: NOW,
    })
    assert.deepEqual(codes(unreadable), ['certificate-unreadable'])
  })

  it('warns about the default TLS policy', () => {
    const state = lb([listener(443, 'SSL', 80, 'TCP'), listener(80, 'HTTP', 80, 'HTTP')])
    const f = judgeListeners({state, certificates: [cert()], now: NOW}).findings.find(
      (x) => x.code === 'weak-tls-policy',
    )!
    assert.match(f.message, /ELBSecurityPolicy-2016-08 \(default\)/)
  })

  it('grades the idle timeout against Socket.io pings', () => {
    const at = (idleTimeoutSeconds: number) =>
      codes(judgeListeners({state: {...websocket(), idleTimeoutSeconds}, certificates: [cert()], now: NOW}))
    assert.ok(at(20).includes('idle-timeout-too-low'))
    assert.ok(at(30).includes('idle-timeout-low'))
    assert.match(
      judgeListeners({state: {...websocket(), idleTimeoutSeconds: 30}, certificates: [cert()], now: NOW}).findings.find(
        (f) => f.code === 'idle-timeout-low',
      )!.message,
      /idle timeout 30 s is below Socket.io's 25 s ping/,
    )
    assert.deepEqual(at(60), ['layout-ok'])
  })

  it('refuses Proxy Protocol on a port an HTTP listener also uses, and warns about an HTTP health check there', () => {
    const state = lb([listener(443, 'SSL', 80, 'TCP', {policyNames: ['ebws-tls']}), listener(80, 'HTTP', 80, 'HTTP')], {
      policies: [tlsPolicy, proxyPolicy],
      backendPolicies: [{instancePort: 80, policyNames: ['ebws-proxy-protocol']}],
      healthCheck: {
        target: 'HTTP:80/healthz',
        intervalSeconds: 10,
        timeoutSeconds: 5,
        healthyThreshold: 3,
        unhealthyThreshold: 5,
      },
    })
    const v = judgeListeners({state, certificates: [cert()], now: NOW})
    assert.ok(codes(v).includes('proxy-protocol-mixed'))
    assert.ok(codes(v).includes('proxy-protocol-http-health-check'))
    assert.equal(v.ok, false)
  })
})

describe('computeDrift', () => {
  const settings = (entries: Array<[string, string, string]>) =>
    entries.map(([namespace, optionName, value]) => ({namespace, optionName, value}))

  it('finds no drift when live matches the settings', () => {
    const configured = configuredFromOptionSettings(
      settings([
        ['aws:elb:listener:443', 'ListenerProtocol', 'SSL'],
        ['aws:elb:listener:443', 'InstancePort', '80'],
        ['aws:elb:listener:443', 'InstanceProtocol', 'TCP'],
        ['aws:elb:listener:443', 'SSLCertificateId', ARN],
        ['aws:elb:policies:ebws-tls', 'SSLReferencePolicy', 'ELBSecurityPolicy-TLS-1-2-2017-01'],
        ['aws:elb:policies:ebws-tls', 'LoadBalancerPorts', '443'],
        ['aws:elb:policies', 'ConnectionSettingIdleTimeout', '60'],
      ]),
    )
    assert.deepEqual(computeDrift(websocket(), configured), [])
  })

  it('names an out-of-band listener change that the next update will revert', () => {
    // Settings say the Beanstalk default (HTTP 80 only); someone added SSL 443 and changed 80 to TCP by hand.
    const configured = configuredFromOptionSettings([])
    const live = lb([listener(443, 'SSL', 80, 'TCP'), listener(80, 'TCP', 80, 'TCP')])
    const drift = computeDrift(live, configured)
    assert.deepEqual(
      drift.map((d) => [d.subject, d.configured, d.live, d.consequence]),
      [
        ['listener 80', 'HTTP 80 -> HTTP 80', 'TCP 80 -> TCP 80', 'reverted at the next update'],
        [
          'listener 443',
          'not in option settings',
          `SSL 443 -> TCP 80 (certificate/0a1b2c3d…)`,
          'may be removed at the next update',
        ],
      ],
    )
  })

  it('compares Proxy Protocol, idle timeout and disabled listeners', () => {
    const configured = configuredFromOptionSettings(
      settings([
        ['aws:elb:listener', 'ListenerEnabled', 'false'],
        ['aws:elb:policies:proxy', 'ProxyProtocol', 'true'],
        ['aws:elb:policies:proxy', 'InstancePorts', '80'],
        ['aws:elb:policies', 'ConnectionSettingIdleTimeout', '120'],
      ]),
    )
    const drift = computeDrift(lb([listener(80, 'HTTP', 80, 'HTTP')]), configured)
    assert.deepEqual(drift.map((d) => d.subject).sort(), [
      'idle timeout',
      'listener 80',
      'proxy protocol on instance port 80',
    ])
  })
})
