import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {LoadBalancerState} from '../../../src/elb/model.ts'
import type {OptionSetting} from '../../../src/environment/describe.ts'
import {
  hasCookieStickiness,
  maxInstances,
  scaleFindings,
  withScaleFindings,
} from '../../../src/listeners/scale-warnings.ts'

const asg = (max: string): OptionSetting => ({namespace: 'aws:autoscaling:asg', optionName: 'MaxSize', value: max})
const property = (name: string, value = 'x'): OptionSetting => ({
  namespace: 'aws:elasticbeanstalk:application:environment',
  optionName: name,
  value,
})
const codes = (settings: OptionSetting[], sticky = false) => scaleFindings({settings, sticky}).map((f) => f.code)

describe('scaleFindings', () => {
  it('MaxSize 1: nothing to warn about', () => assert.deepEqual(codes([asg('1')]), []))
  it('single-instance environment: nothing, whatever MaxSize says', () => {
    assert.deepEqual(
      codes([
        asg('4'),
        {namespace: 'aws:elasticbeanstalk:environment', optionName: 'EnvironmentType', value: 'SingleInstance'},
      ]),
      [],
    )
  })
  it('MaxSize > 1, not sticky, no REDIS_URL: both warnings, in plain words', () => {
    const findings = scaleFindings({settings: [asg('3')], sticky: false})
    assert.deepEqual(
      findings.map((f) => f.code),
      ['MULTI_INSTANCE_NOT_STICKY', 'MULTI_INSTANCE_NO_ADAPTER'],
    )
    assert.ok(findings.every((f) => f.severity === 'warning'))
    assert.match(
      findings[0]!.message,
      /long-polling fails across instances; enable stickiness or use websocket-only clients/,
    )
    assert.match(findings[0]!.message, /MaxSize 3/)
    assert.match(findings[1]!.message, /broadcasts reach only clients on the same instance/)
  })
  it('sticky: only the adapter warning; REDIS_URL (or SOCKET_IO_ADAPTER) set: only the stickiness one', () => {
    assert.deepEqual(codes([asg('2')], true), ['MULTI_INSTANCE_NO_ADAPTER'])
    assert.deepEqual(codes([asg('2'), property('REDIS_URL', 'redis://cache:6379')]), ['MULTI_INSTANCE_NOT_STICKY'])
    assert.deepEqual(codes([asg('2'), property('SOCKET_IO_ADAPTER', 'postgres')], true), [])
  })
  it('an empty REDIS_URL does not count; another namespace does not count', () => {
    assert.deepEqual(codes([asg('2'), property('REDIS_URL', '')], true), ['MULTI_INSTANCE_NO_ADAPTER'])
    assert.deepEqual(
      codes([asg('2'), {namespace: 'aws:elasticbeanstalk:customoption', optionName: 'REDIS_URL', value: 'x'}], true),
      ['MULTI_INSTANCE_NO_ADAPTER'],
    )
  })
  it("MaxSize missing or garbled: Beanstalk's default, 4", () => {
    assert.equal(maxInstances([]), 4)
    assert.equal(maxInstances([asg('lots')]), 4)
    assert.equal(maxInstances([asg('7')]), 7)
  })
})

describe('hasCookieStickiness and withScaleFindings', () => {
  const state = (attachTo: 'HTTP' | 'TCP'): LoadBalancerState => ({
    name: 'lb',
    listeners: [
      {
        loadBalancerPort: 443,
        protocol: attachTo === 'HTTP' ? 'HTTPS' : 'SSL',
        instancePort: 80,
        instanceProtocol: attachTo,
        policyNames: ['sticky'],
      },
    ],
    backendPolicies: [],
    policies: [{name: 'sticky', typeName: 'LBCookieStickinessPolicyType', attributes: []}],
  })
  it('a cookie policy on an HTTPS listener is sticky; on an SSL listener it cannot be', () => {
    assert.equal(hasCookieStickiness(state('HTTP')), true)
    assert.equal(hasCookieStickiness(state('TCP')), false)
  })
  it('adds the findings to a verdict and leaves ok alone', () => {
    const verdict = withScaleFindings(
      {ok: true, findings: [{code: 'X', severity: 'info' as const, message: 'x'}]},
      [asg('2')],
      state('HTTP'),
    )
    assert.equal(verdict.ok, true)
    assert.deepEqual(
      verdict.findings.map((f) => f.code),
      ['X', 'MULTI_INSTANCE_NO_ADAPTER'],
    )
  })
})
