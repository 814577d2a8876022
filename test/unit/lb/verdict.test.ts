import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {EnvironmentInfo} from '../../../src/environment/describe.ts'
import {judgeAlb, judgeNlb} from '../../../src/lb/application/verdict.ts'
import {detectLoadBalancer} from '../../../src/lb/detect.ts'
import {CERT, l443, l80, observed, REDIRECT, state, TG} from './fixtures.ts'

const now = new Date('2026-06-01T00:00:00Z')
const codes = (v: {findings: Array<{code: string}>}) => v.findings.map((f) => f.code)

describe('ALB verdict (pure)', () => {
  it('default ALB: no HTTPS, port 80 forwards', () => {
    const v = judgeAlb(observed(state([l80()])), now)
    assert.equal(v.ok, false)
    assert.equal(v.layout, 'none')
    assert.ok(v.findings.some((f) => f.message === 'no HTTPS listener on 443: https:// clients cannot connect'))
    assert.ok(
      v.findings.some(
        (f) =>
          f.message ===
          'port 80 forwards to the app instead of redirecting: the app must redirect using X-Forwarded-Proto',
      ),
    )
  })

  it('a live-only redirect is named, with its drift; a bundle override makes it durable', () => {
    const s = state([l80({defaultActions: [REDIRECT]}), l443()])
    const settings = [
      {namespace: 'aws:elbv2:listener:443', optionName: 'Protocol', value: 'HTTPS'},
      {namespace: 'aws:elbv2:listener:443', optionName: 'SSLCertificateArns', value: CERT},
      {namespace: 'aws:autoscaling:asg', optionName: 'MaxSize', value: '1'},
    ]
    const live = judgeAlb(observed(s, {bundleOverridesListener: false, settings}), now)
    assert.ok(
      live.findings.some(
        (f) =>
          f.code === 'redirect-live-only' &&
          /the next environment update replaces it \(no \.ebextensions override in the deployed bundle\)/.test(
            f.message,
          ),
      ),
    )
    assert.deepEqual(
      live.drift.map((d) => d.subject),
      ['listener 80 default action'],
    )
    const kept = judgeAlb(observed(s, {bundleOverridesListener: true, settings}), now)
    assert.deepEqual(
      judgeAlb(observed(s, {bundleOverridesListener: true}), now).drift.map((d) => d.subject),
      ['listener 443'],
      'a live 443 without settings goes on the next update',
    )
    assert.equal(kept.ok, true)
    assert.equal(kept.layout, 'https+redirect')
    assert.deepEqual(kept.drift, [])
  })

  it('2+ instances without stickiness, and an idle timeout below ping interval + timeout', () => {
    const v = judgeAlb(
      observed(state([l80({defaultActions: [REDIRECT]}), l443()], {idleTimeoutSeconds: 30}), {
        settings: [{namespace: 'aws:autoscaling:asg', optionName: 'MaxSize', value: '3'}],
        bundleOverridesListener: true,
      }),
      now,
    )
    assert.ok(
      v.findings.some(
        (f) =>
          f.message ===
          "2+ instances (MaxSize 3) and no stickiness: Socket.io long-polling fails with 'Session ID unknown'",
      ),
    )
    assert.ok(
      v.findings.some(
        (f) =>
          f.code === 'idle-timeout-low' &&
          /30 s is below Socket.io's ping interval \+ timeout \(45 s\)/.test(f.message),
      ),
    )
  })

  it('certificate expiry', () => {
    const o = observed(state([l80({defaultActions: [REDIRECT]}), l443()]), {bundleOverridesListener: true})
    o.certificates = [{...o.certificates[0]!, notAfter: '2026-06-10T00:00:00.000Z'}]
    assert.ok(codes(judgeAlb(o, now)).includes('cert-expiring'))
    o.certificates = [{...o.certificates[0]!, notAfter: '2026-05-01T00:00:00.000Z'}]
    assert.ok(codes(judgeAlb(o, now)).includes('cert-expired'))
  })

  it('drift: settings that would change the live ALB on the next update', () => {
    const o = observed(state([l80(), l443({sslPolicy: 'ELBSecurityPolicy-2016-08'})], {idleTimeoutSeconds: 120}), {
      settings: [
        {namespace: 'aws:elbv2:loadbalancer', optionName: 'IdleTimeout', value: '60'},
        {namespace: 'aws:elbv2:listener:443', optionName: 'Protocol', value: 'HTTPS'},
        {namespace: 'aws:elbv2:listener:443', optionName: 'SSLCertificateArns', value: CERT},
        {namespace: 'aws:elbv2:listener:443', optionName: 'SSLPolicy', value: 'ELBSecurityPolicy-TLS13-1-2-2021-06'},
      ],
    })
    assert.deepEqual(
      judgeAlb(o, now).drift.map((d) => d.subject),
      ['idle timeout', 'listener 443 SSL policy'],
    )
  })

  it('NLB: pass-through, no X-Forwarded-Proto, Proxy Protocol v2 state', () => {
    const s = state(
      [
        {...l80(), protocol: 'TCP'},
        {...l443(), protocol: 'TCP', certificateArn: undefined, sslPolicy: undefined},
      ],
      {type: 'network', idleTimeoutSeconds: undefined, targetGroups: [{...TG, protocol: 'TCP', proxyProtocolV2: true}]},
    )
    const v = judgeNlb(observed(s), now)
    assert.equal(v.layout, 'tcp-passthrough')
    assert.ok(
      v.findings.some((f) =>
        /no X-Forwarded-Proto: the app tells HTTP from HTTPS only by port or by Proxy Protocol v2/.test(f.message),
      ),
    )
    assert.ok(codes(v).includes('proxy-v2-on'))
  })
})

describe('detectLoadBalancer', () => {
  const env = (loadBalancer: string | undefined, kind: EnvironmentInfo['loadBalancerKind']): EnvironmentInfo => ({
    environmentName: 'e',
    environmentId: 'e-1',
    applicationName: 'a',
    status: 'Ready',
    loadBalancer,
    loadBalancerKind: kind,
  })
  const alb = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1'
  it('classic, application, shared application, network', () => {
    assert.deepEqual(detectLoadBalancer(env('awseb-e-1-AWSEBLoa', 'classic')), {
      type: 'classic',
      shared: false,
      id: 'awseb-e-1-AWSEBLoa',
    })
    assert.deepEqual(detectLoadBalancer(env(alb, 'application')), {type: 'application', shared: false, id: alb})
    const shared = [
      {namespace: 'aws:elasticbeanstalk:environment', optionName: 'LoadBalancerType', value: 'application'},
      {namespace: 'aws:elasticbeanstalk:environment', optionName: 'LoadBalancerIsShared', value: 'true'},
    ]
    assert.deepEqual(detectLoadBalancer(env(alb, 'application'), shared), {type: 'application', shared: true, id: alb})
    assert.equal(detectLoadBalancer(env(alb.replace('/app/', '/net/'), 'network')).type, 'network')
  })
  it('single instance keeps its clear error', () => {
    assert.throws(
      () => detectLoadBalancer(env(undefined, 'none')),
      /has no load balancer \(a single-instance environment\)/,
    )
  })
})
