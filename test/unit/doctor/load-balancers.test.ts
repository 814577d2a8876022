// doctor's rules for the ALB and NLB: a Host reflected by the load balancer's own redirect action, the upgrade and
// stickiness explanations, PROXY v2 symptoms, and the fixes each type takes. Pure: no servers.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {symptomOf} from '../../../src/doctor/checks/proxy-protocol.ts'
import {judgeSpoofedRedirect, redirectByLoadBalancer} from '../../../src/doctor/checks/redirect.ts'
import {explainUpgradeFailure} from '../../../src/doctor/checks/socketio.ts'
import {stickinessFix, websocketLayout} from '../../../src/doctor/fixes.ts'
import {attributeRootCauses} from '../../../src/doctor/runner.ts'
import {targetFromUrl} from '../../../src/doctor/target.ts'
import {check, type DoctorTarget} from '../../../src/doctor/types.ts'

const target = (extra: Partial<DoctorTarget> = {}): DoctorTarget => ({
  ...targetFromUrl('https://app.example.com/', {}),
  ...extra,
})
const probe = new URL('https://app.example.com/ebws-doctor/probe?q=redirect-check')
const at = (href: string) => new URL(href)
const SPOOF = 'spoofed.invalid'

describe('doctor: a spoofed Host on the http:// redirect', () => {
  const lb = 'Server: awselb/2.0'

  it("the load balancer's own redirect keeping the Host sent (https, same path and query) is a warning", () => {
    assert.deepEqual(
      judgeSpoofedRedirect(
        SPOOF,
        'app.example.com',
        at(`https://${SPOOF}:443${probe.pathname}${probe.search}`),
        probe,
        lb,
      ),
      {status: 'warn', kind: 'reflected'},
    )
  })

  it('the same redirect from the app or nginx ($host) stays an open redirect: a failure', () => {
    assert.deepEqual(
      judgeSpoofedRedirect(
        SPOOF,
        'app.example.com',
        at(`https://${SPOOF}${probe.pathname}${probe.search}`),
        probe,
        undefined,
      ),
      {status: 'fail', kind: 'open'},
    )
  })

  it('a load balancer redirect that reflects the Host but changes scheme, path or query is a failure', () => {
    for (const href of [
      `http://${SPOOF}${probe.pathname}${probe.search}`,
      `https://${SPOOF}/`,
      `https://${SPOOF}${probe.pathname}`,
    ])
      assert.equal(judgeSpoofedRedirect(SPOOF, 'app.example.com', at(href), probe, lb).status, 'fail', href)
  })

  it('a redirect to a host that differs from the Host sent (and from the real one) is a failure', () => {
    assert.deepEqual(
      judgeSpoofedRedirect(
        SPOOF,
        'app.example.com',
        at(`https://evil.example${probe.pathname}${probe.search}`),
        probe,
        lb,
      ),
      {status: 'fail', kind: 'elsewhere'},
    )
  })

  it('no redirect, or one pinned to the real host, passes', () => {
    assert.equal(judgeSpoofedRedirect(SPOOF, 'app.example.com', undefined, probe, lb).status, 'pass')
    assert.equal(
      judgeSpoofedRedirect(
        SPOOF,
        'App.Example.com',
        at(`https://app.example.com${probe.pathname}${probe.search}`),
        probe,
        undefined,
      ).status,
      'pass',
    )
  })

  it('who wrote the redirect: the load balancer when the response carries Server: awselb/*', () => {
    const res = (server?: string) => ({status: 301, headers: server ? {server} : {}, body: ''})
    assert.equal(redirectByLoadBalancer(res('awselb/2.0')), 'Server: awselb/2.0')
    assert.equal(redirectByLoadBalancer(res('nginx')), undefined)
    assert.equal(redirectByLoadBalancer(res()), undefined)
  })
})

describe('doctor: explanations and fixes per load balancer type', () => {
  const stripped = {kind: 'response', status: 400, headers: {}, body: '{"code":3,"message":"Bad request"}'} as const

  it('an upgrade stripped behind an ALB or NLB blames what sits behind it, not the listener', () => {
    const alb = explainUpgradeFailure(stripped, target({loadBalancer: 'application', fixEnvironment: 'prod'}))
    assert.match(alb.evidence, /an ALB passes them on its HTTP\/HTTPS listeners, so something behind it dropped them/)
    assert.doesNotMatch(alb.evidence, /CLB/)
    assert.match(
      alb.fix,
      /^The ALB passes WebSocket upgrades; the instance's nginx must too: deploy ebws's \.platform\/nginx\/conf\.d/,
    )
    const nlb = explainUpgradeFailure(stripped, target({loadBalancer: 'network'}))
    assert.match(nlb.evidence, /an NLB passes bytes untouched/)
    // A bare URL (type unknown) keeps the CLB explanation: the CLB HTTPS listener is what strips upgrades.
    assert.match(explainUpgradeFailure(stripped, target()).evidence, /as a CLB HTTPS \(or HTTP\) listener does/)
  })

  it('stickiness: ALB cookie stickiness keeps WebSockets; an NLB has none; a CLB loses WebSockets with it', () => {
    assert.match(
      stickinessFix(target({loadBalancer: 'application', fixEnvironment: 'prod'})),
      /AWSALB cookie; WebSockets keep working on an ALB\): ebws listeners fix -e prod --domain app\.example\.com --stickiness;/,
    )
    const nlb = stickinessFix(target({loadBalancer: 'network'}))
    assert.match(nlb, /^An NLB has no cookie stickiness: let clients use WebSocket only/)
    assert.doesNotMatch(nlb, /ebws listeners fix/)
    assert.match(stickinessFix(target()), /--mode http --stickiness \(no WebSockets then\)$/)
  })

  it('locally, fixes restart the emulation with its own --lb and flags', () => {
    const local = target({
      loadBalancer: 'application',
      local: {localUpArgs: ['--local-https-port', '8443', '--lb', 'application', '--instances', '2']},
    })
    assert.equal(
      stickinessFix(local).split(': ')[1],
      'ebws local down && ebws local up --stickiness --local-https-port 8443 --lb application --instances 2; or let clients use WebSocket only, io({transports',
    )
    assert.equal(
      websocketLayout(local),
      'ebws local down && ebws local up --local-https-port 8443 --lb application --instances 2',
    )
  })

  it("PROXY v2 symptoms: HAProxy's own 400 page is a bare 400 too", () => {
    const haproxy400 = '<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n'
    assert.equal(symptomOf({response: {status: 400, headers: {}, body: haproxy400}}), 'bare-400')
  })

  it('a Proxy Protocol mismatch is also named as the cause of a failed TLS handshake (TLS ends on the instance)', () => {
    const checks = attributeRootCauses([
      check('dns', 'pass', 'ok'),
      check('tls', 'fail', 'no TLS handshake with x: closed', 'Serve HTTPS'),
      check('proxy-protocol', 'fail', 'the TLS handshake is cut', 'ebws proxy-protocol disable'),
    ])
    assert.equal(checks[1]!.fix, 'Fix the Proxy Protocol mismatch first (proxy-protocol): ebws proxy-protocol disable')
  })
})
