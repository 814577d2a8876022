// `listeners fix` on a shared ALB: the checks and words around the pure planner (shared-plan.ts), used by fixAlb.
import type {EbwsError} from '../../cli/errors.ts'
import {badInput} from '../../cli/errors.ts'
import type {EnvironmentInfo} from '../../environment/describe.ts'
import type {FixIntent} from '../types.ts'
import type {Elbv2Observed} from './model.ts'
import type {AlbIntent} from './plan.ts'
import type {SharedContext, SharedPlan} from './shared-plan.ts'
import {planSharedAlb} from './shared-plan.ts'

/** What a fix on a shared ALB reports beside the steps. */
export interface SharedFixSummary {
  /** Other environments behind the same load balancer. */
  otherEnvironments: string[]
  /** The host names this environment's rules match. */
  hosts: string[]
  /** Changes to the listeners or the load balancer itself (planned only with --change-shared-listeners). */
  loadBalancerChanges: string[]
  /** The environments those changes affect (besides this one). */
  affectedEnvironments: string[]
  /**
   * The plan changes the load balancer itself and --change-shared-listeners was not given: the run is refused (exit
   * 2, UNSAFE_CHANGE). A dry run still shows the whole plan, its steps that need the flag marked.
   */
  needsChangeSharedListeners: boolean
}

export const SHARED_FLAG = '--change-shared-listeners'

export function sharedContext(observed: Elbv2Observed, env: EnvironmentInfo, intent: FixIntent): SharedContext {
  return {
    environmentName: env.environmentName,
    cname: env.cname,
    domain: intent.domain,
    otherEnvironments: observed.otherEnvironments,
    allowListenerChanges: intent.allowShared,
    sslPolicyExplicit: intent.sslPolicy !== undefined,
  }
}

/**
 * On a shared listener a certificate it already serves (default or SNI) that covers --domain is the one to use:
 * no listener change. Returns the intent with that certificate named, or the intent unchanged.
 */
export function preferListenerCertificate(
  observed: Elbv2Observed,
  intent: FixIntent,
  usable: (arn: string) => boolean,
): FixIntent {
  if (intent.certificateArn || !intent.domain) return intent
  const l443 = observed.state.listeners.find((l) => l.port === 443 && l.protocol === 'HTTPS')
  const served = l443 ? [l443.certificateArn, ...l443.sniCertificateArns].filter((a): a is string => Boolean(a)) : []
  const arn = served.find(usable)
  return arn ? {...intent, certificateArn: arn} : intent
}

/**
 * Plans, and refuses (exit 2, before any write) a plan that changes the shared listeners or load balancer unless
 * --change-shared-listeners was given, naming the environments it would affect.
 *
 * A dry run is not refused here: it plans as --change-shared-listeners would (the whole plan the user would be
 * agreeing to) and returns the refusal, which the dry run reports with that plan once it has shown it (exit 2 all
 * the same, as the real run, so CI can tell; the steps that need the flag are named in `loadBalancerStepIds`).
 */
export function checkSharedPlan(
  observed: Elbv2Observed,
  env: EnvironmentInfo,
  albIntent: AlbIntent & {shared: SharedContext},
  o: {dryRun?: boolean} = {},
): {plan: SharedPlan; summary: SharedFixSummary; refusal?: EbwsError | undefined} {
  const asked = planSharedAlb(observed.state, albIntent)
  const refused = asked.loadBalancerChanges.length > 0 && !albIntent.shared.allowListenerChanges
  const plan =
    refused && o.dryRun
      ? planSharedAlb(observed.state, {...albIntent, shared: {...albIntent.shared, allowListenerChanges: true}})
      : asked
  // The snapshot (this state) records the hosts, so a rollback or restore can tell this environment's rules even
  // when the rule that names a host (--domain) was never made.
  observed.state.hosts = plan.hosts
  const others = observed.otherEnvironments
  const summary: SharedFixSummary = {
    otherEnvironments: others,
    hosts: plan.hosts,
    loadBalancerChanges: plan.loadBalancerChanges,
    affectedEnvironments: plan.loadBalancerChanges.length > 0 ? others : [],
    needsChangeSharedListeners: refused,
  }
  if (!refused) return {plan, summary}
  const who =
    others.length > 0
      ? `also used by ${others.join(', ')}`
      : 'no other Beanstalk environment found on it, but its listeners are its owner’s'
  const refusal = badInput(
    'UNSAFE_CHANGE',
    `Environment "${env.environmentName}" uses a shared Application Load Balancer (${observed.state.name}, ${who}). Getting HTTPS would change the load balancer itself, for every environment on it:\n  ${plan.loadBalancerChanges.join('\n  ')}\n${o.dryRun ? `The plan shows every step, those that need ${SHARED_FLAG} marked. Nothing was changed.` : 'Nothing was changed.'}`,
    [
      `Rerun with ${SHARED_FLAG} to make these changes${others.length > 0 ? ` (they affect ${others.join(', ')})` : ''}, or ask the load balancer's owner to make them; this environment's own rules are then all ebws changes.`,
    ],
    {otherEnvironments: others, loadBalancerChanges: plan.loadBalancerChanges},
  )
  if (!o.dryRun) throw refusal
  return {plan, summary, refusal}
}

/** What the user must know about a fix on a shared ALB. */
export function sharedWarnings(plan: SharedPlan, summary: SharedFixSummary): string[] {
  const out = [...plan.warnings]
  if (summary.loadBalancerChanges.length > 0)
    out.push(
      `${SHARED_FLAG}: these changes are to the shared load balancer itself${summary.affectedEnvironments.length > 0 ? ` and affect ${summary.affectedEnvironments.join(', ')}` : ''}: ${summary.loadBalancerChanges.join('; ')}.`,
    )
  if (plan.steps.some((s) => s.op.kind !== 'target-group-attributes'))
    out.push(
      "On a shared load balancer Beanstalk creates an environment's rules only when it creates the environment and does not update them afterwards (AWS: update listener rules with Amazon EC2), so ebws changes them with the ELBv2 API; environment updates leave them alone. Rules ebws adds stay if the environment is terminated: delete them then (listeners restore --from the snapshot does).",
    )
  return out
}
