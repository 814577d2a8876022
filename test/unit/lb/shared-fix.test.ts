import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {EbwsError} from '../../../src/cli/errors.ts'
import type {EnvironmentInfo} from '../../../src/environment/describe.ts'
import {formatAlbFix, type AlbFixResult} from '../../../src/lb/application/fix.ts'
import {checkSharedPlan, preferListenerCertificate, sharedWarnings} from '../../../src/lb/application/shared-fix.ts'
import type {FixIntent} from '../../../src/lb/types.ts'
import {CERT, l443, l80, observed, state, TG} from './fixtures.ts'

const CNAME = 'env-a.eba-1.us-east-1.elasticbeanstalk.com'
const OTHER = {...TG, arn: 'arn:tg/b', name: 'awseb-b', process: undefined, environmentName: 'env-b'}
const mine = {
  arn: 'arn:rule/a',
  priority: '1',
  conditions: [{field: 'host-header', values: [CNAME]}],
  actions: [{type: 'forward', targetGroupArn: TG.arn}],
}
const env = {environmentName: 'env-a', cname: CNAME} as EnvironmentInfo
const o = (listeners = [l80({rules: [mine]})]) =>
  observed(state(listeners, {targetGroups: [TG, OTHER], shared: true}), {shared: true, otherEnvironments: ['env-b']})
const intent = (allow = false) => ({
  certificateArn: CERT,
  sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
  redirect: 'lb' as const,
  stickiness: false,
  shared: {
    environmentName: 'env-a',
    cname: CNAME,
    otherEnvironments: ['env-b'],
    allowListenerChanges: allow,
    sslPolicyExplicit: false,
  },
})

describe('shared-ALB fix checks (pure)', () => {
  it('refuses a load-balancer change without the flag: exit 2, the other environments named, nothing planned to run', () => {
    assert.throws(
      () => checkSharedPlan(o(), env, intent()),
      (e: unknown) =>
        e instanceof EbwsError &&
        e.code === 'UNSAFE_CHANGE' &&
        /\(awseb-x, also used by env-b\)/.test(e.message) &&
        /add an HTTPS listener on 443/.test(e.message) &&
        /Nothing was changed/.test(e.message) &&
        (e.details as {otherEnvironments: string[]}).otherEnvironments[0] === 'env-b',
    )
  })

  it('a dry run without the flag is not thrown: the plan as the flag would make it, its load-balancer steps named, the refusal returned', () => {
    const {plan, summary, refusal} = checkSharedPlan(o(), env, intent(), {dryRun: true})
    const allowed = checkSharedPlan(o(), env, intent(true))
    assert.deepEqual(plan.steps, allowed.plan.steps)
    assert.deepEqual(plan.loadBalancerStepIds, ['create-443'])
    assert.ok(
      plan.steps.some((s) => !plan.loadBalancerStepIds.includes(s.id)),
      'its own rules are planned too',
    )
    assert.equal(summary.needsChangeSharedListeners, true)
    assert.equal(allowed.summary.needsChangeSharedListeners, false)
    assert.equal(allowed.refusal, undefined)
    assert.equal(refusal?.code, 'UNSAFE_CHANGE')
    assert.equal(refusal?.exitCode, 2)
    assert.match(refusal!.message, /also used by env-b/)
    assert.match(
      refusal!.message,
      /The plan shows every step, those that need --change-shared-listeners marked\. Nothing was changed\./,
    )
  })

  it('with the flag, the summary and the warnings name the environments it affects', () => {
    const {plan, summary} = checkSharedPlan(o(), env, intent(true))
    assert.deepEqual(summary.affectedEnvironments, ['env-b'])
    const warnings = sharedWarnings(plan, summary)
    assert.match(
      warnings[0]!,
      /^--change-shared-listeners: these changes are to the shared load balancer itself and affect env-b: add an HTTPS listener/,
    )
    const text = formatAlbFix({
      status: 'dry-run',
      loadBalancerType: 'application',
      region: 'us-east-1',
      environment: 'env-a',
      loadBalancerArn: 'arn:lb',
      redirect: 'lb',
      certificate: {arn: CERT, reason: 'covers app.example.com'},
      sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      steps: plan.steps.map((s) => ({id: s.id, description: s.description, command: ''})),
      optionSettings: [],
      optionSettingsToUpdate: [],
      warnings,
      shared: summary,
    } satisfies AlbFixResult)
    assert.match(text, /^env-a · shared Application Load Balancer/)
    assert.match(text, new RegExp(`Shared with: env-b · this environment's hosts: ${CNAME}`))
    assert.match(text, /Changes to the shared load balancer itself \(they affect env-b\): add an HTTPS listener on 443/)
  })

  it('prefers a certificate the shared 443 listener already serves for --domain', () => {
    const sni = 'arn:aws:acm:us-east-1:123456789012:certificate/sni'
    const base = {domain: 'app.example.com', allowShared: false} as FixIntent
    const withSni = o([l80({rules: [mine]}), l443({sniCertificateArns: [sni]})])
    assert.equal(preferListenerCertificate(withSni, base, (a) => a === sni).certificateArn, sni)
    assert.equal(preferListenerCertificate(withSni, base, () => false).certificateArn, undefined)
    assert.equal(preferListenerCertificate(withSni, {...base, certificateArn: CERT}, () => true).certificateArn, CERT)
  })
})
