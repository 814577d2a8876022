import type {EnvironmentInfo, OptionSetting} from '../environment/describe.ts'
import {loadBalancerKindFromSettings} from '../environment/describe.ts'
import {badInput} from '../cli/errors.ts'
import type {DetectedLoadBalancer} from './types.ts'

const envSetting = (settings: OptionSetting[] | undefined, name: string) =>
  settings?.find((s) => s.namespace === 'aws:elasticbeanstalk:environment' && s.optionName === name)?.value

/**
 * The environment's load balancer type from DescribeEnvironmentResources (a CLB reports its name, an ALB/NLB its
 * ARN: loadbalancer/app/... or loadbalancer/net/...) and, when known, the aws:elasticbeanstalk:environment
 * LoadBalancerType / LoadBalancerIsShared / EnvironmentType settings, which are authoritative.
 * https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/command-options-general.html#command-options-general-elasticbeanstalkenvironment
 * A single-instance or worker environment gets the clear error it always got.
 */
export function detectLoadBalancer(env: EnvironmentInfo, settings?: OptionSetting[]): DetectedLoadBalancer {
  const kind = (settings && loadBalancerKindFromSettings(settings)) ?? env.loadBalancerKind
  if (kind === 'none' || !env.loadBalancer) {
    throw badInput(
      'LB_TYPE_UNSUPPORTED',
      `Environment "${env.environmentName}" has no load balancer (${env.tier === 'Worker' ? 'a worker environment' : 'a single-instance environment'}).`,
      ['ebws configures load balancer listeners. Use a load-balanced environment, or terminate TLS on the instance.'],
    )
  }
  const shared =
    kind === 'application' && (envSetting(settings, 'LoadBalancerIsShared') ?? 'false').toLowerCase() === 'true'
  return {type: kind, shared, id: env.loadBalancer}
}
