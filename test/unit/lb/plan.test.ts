import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parse} from 'yaml'

import {configOverridesListener} from '../../../src/lb/application/bundle-override.ts'
import {
  AlbPlanError,
  albOptionSettings,
  ebextensionsOverride,
  planAlb,
  planAlbRestore,
} from '../../../src/lb/application/plan.ts'
import {CERT, l443, l80, REDIRECT, state, TG} from './fixtures.ts'

const intent = {
  certificateArn: CERT,
  sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
  redirect: 'lb' as const,
  stickiness: false,
}

describe('planAlb (pure)', () => {
  it("Beanstalk's default ALB: create HTTPS 443 to the default process, redirect port 80", () => {
    const steps = planAlb(state([l80()]), intent)
    assert.deepEqual(
      steps.map((s) => s.id),
      ['create-443', 'redirect-80'],
    )
    const create = steps[0]!.op
    assert.equal(create.kind, 'create-listener')
    assert.deepEqual(
      create.kind === 'create-listener' && [create.certificateArn, create.sslPolicy, create.defaultActions],
      [CERT, intent.sslPolicy, [{type: 'forward', targetGroupArn: TG.arn}]],
    )
    const redirect = steps[1]!.op
    assert.deepEqual(redirect.kind === 'modify-listener' && redirect.defaultActions, [REDIRECT])
  })

  it('is idempotent: nothing to do when the ALB is in shape', () => {
    assert.deepEqual(planAlb(state([l80({defaultActions: [REDIRECT]}), l443()]), intent), [])
  })

  it('--redirect app keeps port 80 forwarding, and puts a redirect back to a forward', () => {
    assert.deepEqual(planAlb(state([l80(), l443()]), {...intent, redirect: 'app'}), [])
    assert.deepEqual(
      planAlb(state([l80({defaultActions: [REDIRECT]}), l443()]), {...intent, redirect: 'app'}).map((s) => s.id),
      ['forward-80'],
    )
  })

  it('replaces a wrong certificate or policy on 443 in one modify', () => {
    const steps = planAlb(
      state([
        l80({defaultActions: [REDIRECT]}),
        l443({sslPolicy: 'ELBSecurityPolicy-2016-08', certificateArn: 'arn:other'}),
      ]),
      intent,
    )
    assert.deepEqual(
      steps.map((s) => s.id),
      ['modify-443'],
    )
  })

  it('stickiness and a too-low idle timeout', () => {
    const steps = planAlb(state([l80({defaultActions: [REDIRECT]}), l443()], {idleTimeoutSeconds: 30}), {
      ...intent,
      stickiness: true,
    })
    assert.deepEqual(
      steps.map((s) => s.id),
      ['stickiness', 'idle-timeout'],
    )
    assert.deepEqual(steps[1]!.op.kind === 'load-balancer-attributes' && steps[1]!.op.attributes, {
      'idle_timeout.timeout_seconds': '60',
    })
    assert.deepEqual(
      planAlb(state([l80({defaultActions: [REDIRECT]}), l443()], {idleTimeoutSeconds: 50}), intent),
      [],
      '50 s is enough for ping 25 + 20',
    )
  })

  it('refuses an ALB without a port-80 listener, and custom rules on port 80', () => {
    assert.throws(
      () => planAlb(state([l443()]), intent),
      (e: unknown) => e instanceof AlbPlanError && /no listener on port 80/.test(e.message),
    )
    const rules = [
      {
        arn: 'arn:rule/1',
        priority: '5',
        conditions: [{field: 'path-pattern', values: ['/api/*']}],
        actions: [{type: 'forward', targetGroupArn: TG.arn}],
      },
    ]
    assert.throws(
      () => planAlb(state([l80({rules})]), intent),
      (e: unknown) => e instanceof AlbPlanError && /custom listener rule \(priorities 5\)/.test(e.message),
    )
    assert.doesNotThrow(() => planAlb(state([l80({rules})]), {...intent, redirect: 'app'}))
  })

  it('durable settings: aws:elbv2:listener:443, stickiness, idle timeout', () => {
    const s = albOptionSettings(state([l80()], {idleTimeoutSeconds: 10}), {...intent, stickiness: true})
    const get = (ns: string, o: string) => s.find((x) => x.namespace === ns && x.optionName === o)?.value
    assert.equal(get('aws:elbv2:listener:443', 'Protocol'), 'HTTPS')
    assert.equal(get('aws:elbv2:listener:443', 'SSLCertificateArns'), CERT)
    assert.equal(get('aws:elbv2:listener:443', 'SSLPolicy'), intent.sslPolicy)
    assert.equal(get('aws:elbv2:listener:443', 'DefaultProcess'), 'default')
    assert.equal(get('aws:elasticbeanstalk:environment:process:default', 'StickinessEnabled'), 'true')
    assert.equal(get('aws:elbv2:loadbalancer', 'IdleTimeout'), '60')
  })

  it('the .ebextensions override is the documented Resources shape, and is recognised', async () => {
    const text = ebextensionsOverride(['x'])
    const doc = parse(text) as {
      Resources: {
        AWSEBV2LoadBalancerListener: {
          Type: string
          Properties: {Port: number; DefaultActions: Array<{Type: string; RedirectConfig: Record<string, string>}>}
        }
      }
    }
    const l = doc.Resources.AWSEBV2LoadBalancerListener
    assert.equal(l.Type, 'AWS::ElasticLoadBalancingV2::Listener')
    assert.equal(l.Properties.Port, 80)
    assert.deepEqual(l.Properties.DefaultActions[0]!.RedirectConfig, {
      Protocol: 'HTTPS',
      Port: '443',
      Host: '#{host}',
      Path: '/#{path}',
      Query: '#{query}',
      StatusCode: 'HTTP_301',
    })
    assert.equal(await configOverridesListener(text), true)
    assert.equal(
      await configOverridesListener('option_settings:\n  aws:elbv2:loadbalancer:\n    IdleTimeout: 60\n'),
      false,
    )
  })

  it('restore plan undoes what a fix did', () => {
    const before = state([l80()], {idleTimeoutSeconds: 30})
    const after = state([l80({defaultActions: [REDIRECT]}), l443()], {
      idleTimeoutSeconds: 60,
      targetGroups: [{...TG, stickiness: {enabled: true, type: 'lb_cookie'}}],
    })
    assert.deepEqual(
      planAlbRestore(before, after).map((s) => s.id),
      ['restore-80', 'delete-443', `stickiness-${TG.name}`, 'idle-timeout'],
    )
    assert.deepEqual(planAlbRestore(after, after), [])
  })
})
