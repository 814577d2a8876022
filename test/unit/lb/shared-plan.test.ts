import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {Elbv2State, V2Rule} from '../../../src/lb/application/model.ts'
import {AlbPlanError, albOptionSettings, planAlb, planAlbRestore} from '../../../src/lb/application/plan.ts'
import {environmentHosts, hostMatches, planSharedAlb} from '../../../src/lb/application/shared-plan.ts'
import {judgeAlb} from '../../../src/lb/application/verdict.ts'
import {CERT, l443, l80, observed, REDIRECT, state, TG} from './fixtures.ts'

// A shared ALB as Beanstalk leaves it: the owner's listeners answer 404; env A (us) and env B each have a
// host-header rule with their CNAME forwarding to their own default process.
const CNAME = 'env-a.eba-1.us-east-1.elasticbeanstalk.com'
const OTHER_TG = {...TG, arn: 'arn:tg/env-b', name: 'awseb-env-b', process: undefined, environmentName: 'env-b'}
const NOT_FOUND = {type: 'fixed-response', fixedResponse: {statusCode: '404', contentType: 'text/plain'}}
const rule = (arn: string, priority: string, host: string, tg: string, extra: V2Rule['conditions'] = []): V2Rule => ({
  arn,
  priority,
  conditions: [{field: 'host-header', values: [host]}, ...extra],
  actions: [{type: 'forward', targetGroupArn: tg}],
})
const mine80 = rule('arn:rule/80/a', '1', CNAME, TG.arn)
const theirs80 = rule('arn:rule/80/b', '2', 'env-b.eba-2.us-east-1.elasticbeanstalk.com', OTHER_TG.arn)
const OTHER_CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/bbbb-2'

const shared = (
  listeners = [l80({defaultActions: [NOT_FOUND], rules: [mine80, theirs80]})],
  over: Partial<Elbv2State> = {},
) => state(listeners, {targetGroups: [TG, OTHER_TG], shared: true, ...over})
const ctx = (over = {}) => ({
  environmentName: 'env-a',
  cname: CNAME,
  otherEnvironments: ['env-b'],
  allowListenerChanges: false,
  sslPolicyExplicit: false,
  ...over,
})
const intent = (over = {}, c = {}) => ({
  certificateArn: CERT,
  sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
  redirect: 'lb' as const,
  stickiness: false,
  shared: ctx(c),
  ...over,
})
const with443 = (over = {}) => l443({defaultActions: [NOT_FOUND], ...over})

describe('planSharedAlb (pure)', () => {
  it("changes only this environment's rules when the shared listeners already serve HTTPS with the certificate", () => {
    const s = shared([l80({defaultActions: [NOT_FOUND], rules: [mine80, theirs80]}), with443()])
    const p = planSharedAlb(s, intent())
    assert.deepEqual(p.loadBalancerChanges, [])
    assert.deepEqual(
      p.steps.map((x) => x.op),
      [
        {
          kind: 'create-rule',
          listenerArn: 'arn:listener/443',
          port: 443,
          priority: 1,
          hosts: [CNAME],
          actions: [{type: 'forward', targetGroupArn: TG.arn}],
        },
        {kind: 'modify-rule', ruleArn: mine80.arn, port: 80, actions: [REDIRECT]},
      ],
    )
    assert.ok(!p.steps.some((x) => JSON.stringify(x.op).includes(theirs80.arn)), "env B's rule is never touched")
  })

  it('is idempotent: nothing left after the rules are in place', () => {
    const mine443 = {...rule('arn:rule/443/a', '1', CNAME, TG.arn)}
    const s = shared([
      l80({defaultActions: [NOT_FOUND], rules: [{...mine80, actions: [REDIRECT]}, theirs80]}),
      with443({rules: [mine443]}),
    ])
    assert.deepEqual(planAlb(s, intent()), [])
  })

  it('--domain adds the host on 443 and a redirect rule for it on 80, after every other rule', () => {
    const s = shared([l80({defaultActions: [NOT_FOUND], rules: [mine80, theirs80]}), with443()])
    const p = planSharedAlb(s, intent({}, {domain: 'App.Example.com'}))
    assert.deepEqual(p.hosts, ['app.example.com', CNAME])
    const ops = p.steps.map((x) => x.op)
    assert.deepEqual(ops[0], {
      kind: 'create-rule',
      listenerArn: 'arn:listener/443',
      port: 443,
      priority: 1,
      hosts: ['app.example.com', CNAME],
      actions: [{type: 'forward', targetGroupArn: TG.arn}],
    })
    assert.deepEqual(ops[2], {
      kind: 'create-rule',
      listenerArn: 'arn:listener/80',
      port: 80,
      priority: 3,
      hosts: ['app.example.com'],
      actions: [REDIRECT],
    })
  })

  it('names every load-balancer change: a missing 443 listener, another certificate, an explicit policy, the idle timeout', () => {
    const none = planSharedAlb(shared(), intent())
    assert.match(none.loadBalancerChanges[0]!, /^add an HTTPS listener on 443/)
    const create = none.steps[0]!.op
    assert.ok(create.kind === 'create-listener')
    assert.deepEqual(create.defaultActions, [NOT_FOUND], 'unmatched hosts on 443 get what port 80 gives them')
    assert.deepEqual(create.rules, [
      {priority: 1, hosts: [CNAME], actions: [{type: 'forward', targetGroupArn: TG.arn}]},
    ])

    const s = shared(
      [l80({defaultActions: [NOT_FOUND], rules: [mine80]}), with443({sslPolicy: 'ELBSecurityPolicy-2016-08'})],
      {
        idleTimeoutSeconds: 30,
      },
    )
    const p = planSharedAlb(s, intent({certificateArn: OTHER_CERT, idleTimeoutSeconds: 120}, {sslPolicyExplicit: true}))
    assert.deepEqual(p.loadBalancerChanges, [
      'add certificate bbbb-2 to listener 443 (SNI; its default certificate stays)',
      "set listener 443's SSL policy from ELBSecurityPolicy-2016-08 to ELBSecurityPolicy-TLS13-1-2-2021-06",
      "set the load balancer's idle timeout from 30 s to 120 s",
    ])
    assert.deepEqual(
      p.steps.map((x) => x.op.kind),
      ['add-listener-certificates', 'modify-listener', 'create-rule', 'modify-rule', 'load-balancer-attributes'],
    )
  })

  it('leaves the SSL policy alone unless asked, and only warns about a low idle timeout without the flag', () => {
    const s = shared([l80({rules: [mine80]}), with443({sslPolicy: 'ELBSecurityPolicy-2016-08', rules: []})], {
      idleTimeoutSeconds: 30,
    })
    const p = planSharedAlb(s, intent())
    assert.deepEqual(p.loadBalancerChanges, [])
    assert.match(
      p.warnings[0]!,
      /idle timeout \(30 s\) is below .*left alone \(--change-shared-listeners raises it to 60 s\)/,
    )
    const flagged = planSharedAlb(s, intent({}, {allowListenerChanges: true}))
    assert.deepEqual(flagged.loadBalancerChanges, ["set the load balancer's idle timeout from 30 s to 60 s"])
  })

  it('a certificate already served by SNI is no change', () => {
    const s = shared([l80({rules: [mine80]}), with443({sniCertificateArns: [OTHER_CERT]})])
    assert.deepEqual(planSharedAlb(s, intent({certificateArn: OTHER_CERT})).loadBalancerChanges, [])
  })

  it('--redirect app turns its redirect rules back into forwards, and stickiness goes on its own target group', () => {
    const s = shared([
      l80({rules: [{...mine80, actions: [REDIRECT]}, theirs80]}),
      with443({rules: [rule('arn:rule/443/a', '1', CNAME, TG.arn)]}),
    ])
    const p = planSharedAlb(s, intent({redirect: 'app', stickiness: true}))
    assert.deepEqual(
      p.steps.map((x) => x.op),
      [
        {kind: 'modify-rule', ruleArn: mine80.arn, port: 80, actions: [{type: 'forward', targetGroupArn: TG.arn}]},
        {
          kind: 'target-group-attributes',
          targetGroupArn: TG.arn,
          attributes: {'stickiness.enabled': 'true', 'stickiness.type': 'lb_cookie'},
        },
      ],
    )
    assert.deepEqual(
      albOptionSettings(s, intent({stickiness: true})).map((x) => `${x.namespace} ${x.optionName}`),
      [
        'aws:elasticbeanstalk:environment:process:default StickinessEnabled',
        'aws:elasticbeanstalk:environment:process:default StickinessType',
      ],
      'only the process settings: a shared ALB takes no listener or IdleTimeout settings',
    )
  })

  it('refuses what cannot work: path rules on 80 the redirect would bypass, no port-80 listener, too many hosts', () => {
    const path = rule('arn:rule/80/admin', '1', CNAME, TG.arn, [{field: 'path-pattern', values: ['/admin/*']}])
    assert.throws(
      () => planSharedAlb(shared([l80({rules: [path, mine80]}), with443()]), intent()),
      (e: unknown) => e instanceof AlbPlanError && /1 port-80 rule routing by path .*\(priorities 1\)/.test(e.message),
    )
    assert.throws(() => planSharedAlb(shared([with443()]), intent()), /shared load balancer has no listener on port 80/)
    assert.deepEqual(planSharedAlb(shared([with443()]), intent({redirect: 'app'})).loadBalancerChanges, [])
    const many = ['a', 'b', 'c', 'd', 'e'].map((h) => rule(`arn:rule/${h}`, h, `${h}.example.com`, TG.arn))
    assert.throws(() => planSharedAlb(shared([l80({rules: many})]), intent()), /answers 6 host names/)
  })

  it("an owner's port-80 default redirect already covers hosts no rule on 80 matches (wildcards included)", () => {
    const s = shared([
      l80({defaultActions: [REDIRECT], rules: [theirs80]}),
      with443({rules: [rule('arn:rule/443/a', '1', CNAME, TG.arn)]}),
    ])
    assert.deepEqual(planSharedAlb(s, intent()).steps, [], 'Beanstalk put its rule on 443: nothing to do on 80')
    const wildcard = rule('arn:rule/80/w', '5', '*.eba-1.us-east-1.elasticbeanstalk.com', OTHER_TG.arn)
    const s2 = shared([l80({defaultActions: [REDIRECT], rules: [wildcard]}), with443({rules: s.listeners[1]!.rules})])
    assert.deepEqual(
      planSharedAlb(s2, intent()).steps.map(
        (x) => x.op.kind === 'create-rule' && [x.op.port, x.op.priority, x.op.hosts],
      ),
      [[80, 6, [CNAME]]],
      "another environment's wildcard rule would catch it first: ebws adds its own redirect after it",
    )
    assert.equal(hostMatches('*.Example.com', 'app.example.com'), true)
    assert.equal(hostMatches('a?p.example.com', 'app.example.com'), true)
    assert.equal(hostMatches('example.com', 'app.example.com'), false)
  })

  it("the hosts are the CNAME, --domain and what this environment's forwarding rules match (not other environments')", () => {
    const s = shared([l80({rules: [mine80, theirs80, rule('arn:r', '9', 'WWW.example.com', TG.arn)]})])
    assert.deepEqual(environmentHosts(s, {cname: CNAME}), [CNAME, 'www.example.com'])
  })
})

describe('planAlbRestore on a shared ALB (pure)', () => {
  it("puts this environment's rules back, deletes the rules added since, removes added certificates; other rules untouched", () => {
    const before = shared([l80({defaultActions: [NOT_FOUND], rules: [mine80, theirs80]}), with443()])
    const added443 = rule('arn:rule/443/a', '1', CNAME, TG.arn)
    const added80 = {...rule('arn:rule/80/new', '3', 'app.example.com', TG.arn), actions: [REDIRECT]}
    const addedByB = rule('arn:rule/80/b2', '4', 'b2.example.com', OTHER_TG.arn)
    const after = shared([
      l80({defaultActions: [NOT_FOUND], rules: [{...mine80, actions: [REDIRECT]}, theirs80, added80, addedByB]}),
      with443({
        rules: [{...added443, conditions: [{field: 'host-header', values: [CNAME, 'app.example.com']}]}],
        sniCertificateArns: [OTHER_CERT],
      }),
    ])
    assert.deepEqual(
      planAlbRestore(before, after).map((x) => x.op),
      [
        {kind: 'modify-rule', ruleArn: mine80.arn, port: 80, actions: mine80.actions},
        {kind: 'delete-rule', ruleArn: added80.arn, port: 80},
        {kind: 'delete-rule', ruleArn: added443.arn, port: 443},
        {
          kind: 'remove-listener-certificates',
          listenerArn: 'arn:listener/443',
          port: 443,
          certificateArns: [OTHER_CERT],
        },
      ],
    )
    assert.deepEqual(planAlbRestore(before, before), [])
  })
})

describe('judgeAlb on a shared ALB (pure)', () => {
  const codesOf = (s: Elbv2State) =>
    judgeAlb(observed(s, {shared: true, otherEnvironments: ['env-b'], cname: CNAME}), new Date('2026-01-01'))
  it("judges this environment's rules, not the owner's default actions", () => {
    const before = codesOf(shared([l80({defaultActions: [NOT_FOUND], rules: [mine80, theirs80]}), with443()]))
    assert.deepEqual(
      before.findings.filter((f) => f.severity !== 'info').map((f) => [f.code, f.message]),
      [
        [
          'shared-no-https-rule',
          `HTTPS 443 has no rule of this environment for ${CNAME}: https:// requests for it get the shared listener's default action, not this app`,
        ],
        [
          'http-forwards',
          `port 80 forwards ${CNAME} to the app instead of redirecting: the app must redirect using X-Forwarded-Proto`,
        ],
      ],
    )
    const after = codesOf(
      shared([
        l80({defaultActions: [NOT_FOUND], rules: [{...mine80, actions: [REDIRECT]}, theirs80]}),
        with443({rules: [rule('arn:rule/443/a', '1', CNAME, TG.arn)]}),
      ]),
    )
    assert.equal(after.ok, true)
    assert.equal(after.layout, 'https+redirect')
    assert.ok(after.findings.some((f) => f.code === 'redirect-ok' && /its own rules/.test(f.message)))
    assert.ok(after.findings.some((f) => f.code === 'shared' && /env-b/.test(f.message)))
  })
})
