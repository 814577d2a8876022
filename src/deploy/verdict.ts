/**
 * The deploy verdict, from the environment's state and the update's events, never from event wording. Pure: the
 * caller feeds observations (one per poll) and gets the verdict so far; tests drive it without AWS.
 *
 * Success: Status Ready, the environment's VersionLabel is ours, and Health Green (or Yellow with acceptYellow)
 * within the health grace that starts when it is first Ready on our version.
 * Failure: an ERROR/FATAL event of this update; Ready on another version after the update ran (reverted); Health
 * Red once Ready on our version; not Green (Yellow) at the end of the grace; the environment going away.
 * Timeout: the overall deadline passed with none of these.
 *
 * Health colours (EnvironmentDescription.Health): Green healthy, Yellow "something is wrong", Red "not responsive",
 * Grey "health checks have not started or are suspended during an UpdateEnvironment"
 * https://docs.aws.amazon.com/elasticbeanstalk/latest/api/API_EnvironmentDescription.html
 * Status: Launching | Updating | Ready | Terminating | Terminated (plus Aborting, LinkingFrom, LinkingTo).
 */
import type {EnvironmentEvent} from '../environment/events.ts'
import type {EnvironmentStatus} from '../environment/wait.ts'
import {formatDuration} from '../duration.ts'

export interface VerdictContext {
  /** The version we deployed. */
  label: string
  /** The version running before, for messages. */
  previousLabel?: string | undefined
  /** RequestId of our UpdateEnvironment: events carrying another request's id are not ours. */
  requestId?: string | undefined
  /** Events before this instant (ms) are not ours. */
  since: number
  deadline: number
  healthGraceMs: number
  acceptYellow: boolean
}

export interface WatchState {
  /** The update was seen running (UpdateEnvironment answered Updating, a poll saw it, or an event of ours arrived). */
  sawUpdate: boolean
  /** When the environment was first seen Ready on our version. */
  readyOnOursAt?: number | undefined
  /** The first ERROR/FATAL event of this update. */
  failureEvent?: EnvironmentEvent | undefined
}

export type Verdict =
  | {outcome: 'pending'; waitingFor: string}
  | {outcome: 'success'; reason: string}
  /** `settled` false: the failure is certain but the environment is still Updating (rolling back). */
  | {outcome: 'failure'; reason: string; settled: boolean}
  | {outcome: 'timeout'; reason: string}

export const initialWatch = (sawUpdate = false): WatchState => ({sawUpdate})

const FAILURE_SEVERITIES = new Set(['ERROR', 'FATAL'])
/** Statuses in which Beanstalk is still working on the environment. */
const IN_PROGRESS = new Set(['Updating', 'Launching', 'Aborting', 'LinkingFrom', 'LinkingTo'])

export function isOurEvent(e: EnvironmentEvent, ctx: Pick<VerdictContext, 'requestId' | 'since'>): boolean {
  if (Date.parse(e.date) < ctx.since) return false
  return !ctx.requestId || !e.requestId || e.requestId === ctx.requestId
}

/** Folds one observation (the environment now, plus the events new since the last one) into the watch. */
export function judgeDeployment(
  prev: WatchState,
  obs: {status: EnvironmentStatus; events: readonly EnvironmentEvent[]; now: number},
  ctx: VerdictContext,
): {state: WatchState; verdict: Verdict} {
  const ours = obs.events.filter((e) => isOurEvent(e, ctx))
  const state: WatchState = {
    sawUpdate:
      prev.sawUpdate ||
      obs.status.status === 'Updating' ||
      ours.some((e) => ctx.requestId !== undefined && e.requestId === ctx.requestId),
    readyOnOursAt: prev.readyOnOursAt,
    failureEvent: prev.failureEvent ?? ours.find((e) => FAILURE_SEVERITIES.has(e.severity.toUpperCase())),
  }
  const s = obs.status
  const health = s.health ?? 'Unknown'
  const healthText = `${health}${s.healthStatus ? ` (${s.healthStatus})` : ''}`
  const timedOut = obs.now >= ctx.deadline
  const done = (verdict: Verdict) => ({state, verdict})

  if (state.failureEvent) {
    const settled = !IN_PROGRESS.has(s.status)
    const after = settled
      ? s.versionLabel !== ctx.label
        ? `; the environment is back on ${s.versionLabel ?? 'no version'}`
        : `; the environment is ${s.status}, health ${healthText}`
      : `; the environment is still ${s.status}`
    return done({
      outcome: 'failure',
      reason: `${state.failureEvent.severity} event: ${state.failureEvent.message}${after}`,
      settled,
    })
  }
  if (s.status === 'Terminating' || s.status === 'Terminated') {
    return done({outcome: 'failure', reason: `the environment is ${s.status}`, settled: true})
  }
  if (IN_PROGRESS.has(s.status)) {
    return done(
      timedOut
        ? timeout(ctx, `still ${s.status}`)
        : {outcome: 'pending', waitingFor: `${s.status}, health ${healthText}`},
    )
  }
  if (s.status !== 'Ready') {
    return done(timedOut ? timeout(ctx, `status ${s.status}`) : {outcome: 'pending', waitingFor: `status ${s.status}`})
  }
  // Before the update is seen to start, Ready is a read from before it (and the label may already be ours on a redeploy).
  if (!state.sawUpdate)
    return done(
      timedOut ? timeout(ctx, 'the update never started') : {outcome: 'pending', waitingFor: 'the update to start'},
    )
  if (s.versionLabel !== ctx.label) {
    return done({
      outcome: 'failure',
      reason: `the environment is Ready but runs ${s.versionLabel ? `version ${s.versionLabel}` : 'no version'}, not ${ctx.label}: the deployment was rolled back`,
      settled: true,
    })
  }
  state.readyOnOursAt ??= obs.now
  if (health === 'Green') return done({outcome: 'success', reason: `Ready on ${ctx.label}, health ${healthText}`})
  if (health === 'Yellow' && ctx.acceptYellow)
    return done({
      outcome: 'success',
      reason: `Ready on ${ctx.label}, health ${healthText} (accepted with --accept-yellow)`,
    })
  if (health === 'Red')
    return done({outcome: 'failure', reason: `Ready on ${ctx.label} but health is ${healthText}`, settled: true})
  const waited = obs.now - state.readyOnOursAt
  if (waited >= ctx.healthGraceMs) {
    return done({
      outcome: 'failure',
      reason: `Ready on ${ctx.label} but health is still ${healthText} after the ${formatDuration(ctx.healthGraceMs)} health grace${health === 'Yellow' ? ' (pass --accept-yellow to accept Yellow)' : ''}`,
      settled: true,
    })
  }
  return done(
    timedOut
      ? timeout(ctx, `Ready on ${ctx.label}, health ${healthText}`)
      : {
          outcome: 'pending',
          waitingFor: `health ${healthText} to turn Green (grace ${formatDuration(ctx.healthGraceMs - waited)} left)`,
        },
  )
}

function timeout(ctx: VerdictContext, now: string): Verdict {
  return {
    outcome: 'timeout',
    reason: `the --timeout was reached (${now}); the deployment of ${ctx.label} may still be running on AWS`,
  }
}
