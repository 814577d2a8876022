import type {LoadBalancerState} from '../elb/model.ts'
import {isLayer7} from '../elb/model.ts'
import type {OptionSetting} from '../environment/describe.ts'
import type {Finding} from './verdict.ts'

/**
 * Beanstalk's default MaxSize when the setting is not reported (aws:autoscaling:asg, default 4):
 * https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/command-options-general.html#command-options-general-autoscalingasg
 */
export const DEFAULT_MAX_SIZE = 4

/** Environment properties that say broadcasts are shared between instances: the sample app's REDIS_URL, or yours. */
export const ADAPTER_PROPERTIES = ['REDIS_URL', 'SOCKET_IO_ADAPTER'] as const

/** LB-cookie or app-cookie stickiness attached to an HTTP/HTTPS listener (TCP/SSL listeners cannot carry it). */
export function hasCookieStickiness(state: LoadBalancerState): boolean {
  const sticky = new Set(
    state.policies.filter((p) => p.typeName.endsWith('CookieStickinessPolicyType')).map((p) => p.name),
  )
  return state.listeners.some((l) => isLayer7(l.protocol) && l.policyNames.some((n) => sticky.has(n)))
}

const setting = (settings: readonly OptionSetting[], namespace: string, name: string) =>
  settings.find((s) => s.namespace === namespace && s.optionName === name)?.value

/** The most instances the environment may run: aws:autoscaling:asg MaxSize, or 1 for a single-instance environment. */
export function maxInstances(settings: readonly OptionSetting[]): number {
  if (setting(settings, 'aws:elasticbeanstalk:environment', 'EnvironmentType') === 'SingleInstance') return 1
  const value = Number(setting(settings, 'aws:autoscaling:asg', 'MaxSize'))
  return Number.isInteger(value) && value > 0 ? value : DEFAULT_MAX_SIZE
}

/**
 * Pure: what breaks when Socket.io runs on more than one instance.
 * - Long-polling sends each request of a session separately; without stickiness they reach different instances
 *   ("Session ID unknown", 400). https://socket.io/docs/v4/using-multiple-nodes/#enabling-sticky-session
 * - io.emit reaches only the clients of the instance that sent it, unless an adapter shares broadcasts (the Redis
 *   adapter, with ElastiCache). https://socket.io/docs/v4/adapter/
 */
export function scaleFindings(input: {settings: readonly OptionSetting[]; sticky: boolean}): Finding[] {
  const max = maxInstances(input.settings)
  if (max <= 1) return []
  const findings: Finding[] = []
  const upTo = `up to ${max} instances (aws:autoscaling:asg MaxSize ${max})`
  if (!input.sticky) {
    findings.push({
      code: 'MULTI_INSTANCE_NOT_STICKY',
      severity: 'warning',
      message: `${upTo} and no stickiness: long-polling fails across instances; enable stickiness or use websocket-only clients`,
    })
  }
  const properties = new Set(
    input.settings
      .filter((s) => s.namespace === 'aws:elasticbeanstalk:application:environment' && s.value)
      .map((s) => s.optionName),
  )
  if (!ADAPTER_PROPERTIES.some((p) => properties.has(p))) {
    findings.push({
      code: 'MULTI_INSTANCE_NO_ADAPTER',
      severity: 'warning',
      message: `${upTo} and no REDIS_URL environment property: broadcasts reach only clients on the same instance`,
    })
  }
  return findings
}

/** The verdict with the scale findings added (warnings: `ok` is unchanged). */
export function withScaleFindings<V extends {findings: Finding[]}>(
  verdict: V,
  settings: readonly OptionSetting[],
  state: LoadBalancerState,
): V {
  return {...verdict, findings: [...verdict.findings, ...scaleFindings({settings, sticky: hasCookieStickiness(state)})]}
}
