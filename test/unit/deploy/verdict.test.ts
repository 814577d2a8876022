import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {EnvironmentEvent} from '../../../src/environment/events.ts'
import type {EnvironmentStatus} from '../../../src/environment/wait.ts'
import {initialWatch, isOurEvent, judgeDeployment} from '../../../src/deploy/verdict.ts'
import type {Verdict, VerdictContext, WatchState} from '../../../src/deploy/verdict.ts'

const T0 = Date.parse('2025-01-01T00:00:00Z')
const ctx: VerdictContext = {
  label: 'v2',
  previousLabel: 'v1',
  requestId: 'req-ours',
  since: T0,
  deadline: T0 + 20 * 60_000,
  healthGraceMs: 60_000,
  acceptYellow: false,
}
const ev = (
  severity: string,
  message: string,
  at = 1000,
  requestId: string | undefined = 'req-ours',
): EnvironmentEvent => ({date: new Date(T0 + at).toISOString(), severity, message, requestId})
const st = (
  status: string,
  health: string | undefined,
  versionLabel: string | undefined,
  healthStatus?: string,
): EnvironmentStatus => ({status, health, versionLabel, healthStatus})

/** Feeds observations in order; returns every verdict. */
function run(
  steps: Array<{at: number; status: EnvironmentStatus; events?: EnvironmentEvent[]}>,
  c: VerdictContext = ctx,
  start: WatchState = initialWatch(true),
): Verdict[] {
  let state = start
  return steps.map((s) => {
    const r = judgeDeployment(state, {status: s.status, events: s.events ?? [], now: T0 + s.at}, c)
    state = r.state
    return r.verdict
  })
}

describe('deploy verdict (pure: state + events → verdict)', () => {
  it('success: Ready on our version with health Green', () => {
    const v = run([
      {at: 1000, status: st('Updating', 'Grey', 'v2'), events: [ev('INFO', 'Environment update is starting.')]},
      {at: 30_000, status: st('Ready', 'Green', 'v2', 'Ok')},
    ])
    assert.equal(v[0]!.outcome, 'pending')
    assert.deepEqual(v[1], {outcome: 'success', reason: 'Ready on v2, health Green (Ok)'})
  })

  it('never from event text: "completed successfully" with Red health fails; no such text with Green succeeds', () => {
    const red = run([
      {
        at: 1000,
        status: st('Ready', 'Red', 'v2', 'Severe'),
        events: [ev('INFO', 'Environment update completed successfully.')],
      },
    ])
    assert.equal(red[0]!.outcome, 'failure')
    assert.match((red[0] as {reason: string}).reason, /health is Red \(Severe\)/)
    const green = run([
      {at: 1000, status: st('Ready', 'Green', 'v2'), events: [ev('INFO', 'Something unexpected was said.')]},
    ])
    assert.equal(green[0]!.outcome, 'success')
  })

  it('an ERROR or FATAL event of this update fails, settled only once the environment leaves Updating', () => {
    const v = run([
      {at: 1000, status: st('Updating', 'Grey', 'v2'), events: [ev('ERROR', 'Instance deployment failed.')]},
      {at: 5000, status: st('Ready', 'Red', 'v1')},
    ])
    assert.deepEqual(v[0], {
      outcome: 'failure',
      reason: 'ERROR event: Instance deployment failed.; the environment is still Updating',
      settled: false,
    })
    assert.deepEqual(v[1], {
      outcome: 'failure',
      reason: 'ERROR event: Instance deployment failed.; the environment is back on v1',
      settled: true,
    })
    const fatal = run([{at: 1000, status: st('Ready', 'Green', 'v2'), events: [ev('FATAL', 'Boom')]}])
    assert.equal(fatal[0]!.outcome, 'failure', 'an ERROR/FATAL event fails even if the end state looks fine')
  })

  it('ignores ERROR events of other requests and from before the update', () => {
    const other = ev('ERROR', 'Someone else failed', 1000, 'req-other')
    const early = ev('ERROR', 'Old failure', -10, undefined)
    assert.equal(isOurEvent(other, ctx), false)
    assert.equal(isOurEvent(early, ctx), false)
    assert.equal(
      isOurEvent(ev('WARN', 'health transition', 2000, undefined), ctx),
      true,
      'events without a RequestId after the start count',
    )
    const v = run([{at: 1000, status: st('Ready', 'Green', 'v2'), events: [other, early]}])
    assert.equal(v[0]!.outcome, 'success')
  })

  it('a reverted version label fails, without any ERROR event', () => {
    const v = run([
      {at: 1000, status: st('Updating', 'Grey', 'v2')},
      {at: 9000, status: st('Ready', 'Green', 'v1')},
    ])
    assert.deepEqual(v[1], {
      outcome: 'failure',
      reason: 'the environment is Ready but runs version v1, not v2: the deployment was rolled back',
      settled: true,
    })
  })

  it('before the update is seen to start, Ready (even on our label, a redeploy) is a stale read: keep waiting', () => {
    const v = run(
      [
        {at: 100, status: st('Ready', 'Green', 'v2')},
        {at: 200, status: st('Ready', 'Green', 'v1')},
      ],
      ctx,
      initialWatch(false),
    )
    assert.deepEqual(
      v.map((x) => x.outcome),
      ['pending', 'pending'],
    )
    // An event of our request proves it started.
    const started = run(
      [{at: 300, status: st('Ready', 'Green', 'v2'), events: [ev('INFO', 'Environment update is starting.')]}],
      ctx,
      initialWatch(false),
    )
    assert.equal(started[0]!.outcome, 'success')
  })

  it('health grace: Yellow/Grey wait, then fail at the end of the grace; Yellow passes with acceptYellow', () => {
    const steps = [
      {at: 10_000, status: st('Ready', 'Yellow', 'v2', 'Warning')},
      {at: 40_000, status: st('Ready', 'Grey', 'v2')},
      {at: 70_000, status: st('Ready', 'Yellow', 'v2', 'Warning')},
    ]
    const v = run(steps)
    assert.equal(v[0]!.outcome, 'pending')
    assert.match(
      (v[0] as {waitingFor: string}).waitingFor,
      /health Yellow \(Warning\) to turn Green \(grace 1 min left\)/,
    )
    assert.equal(v[1]!.outcome, 'pending')
    assert.deepEqual(v[2], {
      outcome: 'failure',
      reason:
        'Ready on v2 but health is still Yellow (Warning) after the 1 min health grace (pass --accept-yellow to accept Yellow)',
      settled: true,
    })
    assert.equal(run(steps, {...ctx, acceptYellow: true})[0]!.outcome, 'success')
    // Green within the grace is success.
    assert.equal(run([steps[0]!, {at: 50_000, status: st('Ready', 'Green', 'v2')}])[1]!.outcome, 'success')
  })

  it('timeout: still Updating at the deadline', () => {
    const c = {...ctx, deadline: T0 + 60_000}
    const v = run(
      [
        {at: 30_000, status: st('Updating', 'Grey', 'v2')},
        {at: 60_000, status: st('Updating', 'Grey', 'v2')},
      ],
      c,
    )
    assert.equal(v[0]!.outcome, 'pending')
    assert.equal(v[1]!.outcome, 'timeout')
    assert.match(
      (v[1] as {reason: string}).reason,
      /--timeout was reached \(still Updating\); the deployment of v2 may still be running on AWS/,
    )
  })

  it('a known failure stays a failure at the deadline (exit 1, not 3)', () => {
    const c = {...ctx, deadline: T0 + 5000}
    const v = run(
      [
        {at: 1000, status: st('Updating', 'Grey', 'v2'), events: [ev('ERROR', 'Failed to deploy application.')]},
        {at: 6000, status: st('Updating', 'Grey', 'v2')},
      ],
      c,
    )
    assert.equal(v[1]!.outcome, 'failure')
  })

  it('the environment terminating is a failure', () => {
    assert.equal(run([{at: 1000, status: st('Terminating', 'Grey', 'v2')}])[0]!.outcome, 'failure')
  })

  it('severity is matched case-insensitively', () => {
    assert.equal(
      run([{at: 1000, status: st('Updating', 'Grey', 'v2'), events: [ev('error', 'lower-case severity')]}])[0]!.outcome,
      'failure',
    )
  })
})
