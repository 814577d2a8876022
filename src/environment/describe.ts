import type {ConfigurationOptionSetting, EnvironmentDescription} from '@aws-sdk/client-elastic-beanstalk'

import type {AwsClients} from '../aws/clients.ts'
import {awsCall} from '../aws/errors.ts'
import {badInput} from '../cli/errors.ts'

export type LoadBalancerKind = 'classic' | 'application' | 'network' | 'none'

export interface OptionSetting {
  namespace: string
  optionName: string
  value?: string | undefined
  resourceName?: string | undefined
}

export interface EnvironmentInfo {
  environmentName: string
  environmentId: string
  applicationName: string
  status: string
  health?: string | undefined
  healthStatus?: string | undefined
  versionLabel?: string | undefined
  endpointUrl?: string | undefined
  cname?: string | undefined
  tier?: string | undefined
  platform?: string | undefined
  /** The load balancer's name (classic) or ARN (application/network), from DescribeEnvironmentResources. */
  loadBalancer?: string | undefined
  loadBalancerKind: LoadBalancerKind
}

/**
 * ALB/NLB environments report the load balancer's ARN as its name in DescribeEnvironmentResources; a CLB's is a
 * plain name. The ARN's resource part says which: loadbalancer/app/... or loadbalancer/net/...
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancers.html (ARN format)
 */
export function loadBalancerKindFromResource(name: string | undefined): LoadBalancerKind {
  if (!name) return 'none'
  if (name.startsWith('arn:')) {
    if (name.includes(':loadbalancer/app/')) return 'application'
    if (name.includes(':loadbalancer/net/')) return 'network'
    return 'application'
  }
  return 'classic'
}

function toInfo(env: EnvironmentDescription, loadBalancer: string | undefined): EnvironmentInfo {
  return {
    environmentName: env.EnvironmentName ?? '',
    environmentId: env.EnvironmentId ?? '',
    applicationName: env.ApplicationName ?? '',
    status: env.Status ?? 'Unknown',
    health: env.Health,
    healthStatus: env.HealthStatus,
    versionLabel: env.VersionLabel,
    endpointUrl: env.EndpointURL,
    cname: env.CNAME,
    tier: env.Tier?.Name,
    platform: env.PlatformArn ?? env.SolutionStackName,
    loadBalancer,
    loadBalancerKind: loadBalancerKindFromResource(loadBalancer),
  }
}

/**
 * One round trip: DescribeEnvironments and DescribeEnvironmentResources run concurrently (the latter takes the
 * environment name alone). An unknown name gets a clear error listing the environments that do exist.
 */
export async function describeEnvironment(
  clients: AwsClients,
  environmentName: string,
  o: {resources?: boolean} = {},
): Promise<EnvironmentInfo> {
  const eb = await clients.elasticBeanstalk()
  const {DescribeEnvironmentsCommand, DescribeEnvironmentResourcesCommand} =
    await import('../aws/sdk/elastic-beanstalk.ts')
  // {resources: false}: DescribeEnvironments only, for callers that need no load balancer (deploy).
  const [envs, resources] = await Promise.allSettled([
    awsCall('elasticbeanstalk:DescribeEnvironments', () =>
      eb.send(new DescribeEnvironmentsCommand({EnvironmentNames: [environmentName], IncludeDeleted: false})),
    ),
    o.resources === false
      ? Promise.resolve({EnvironmentResources: {LoadBalancers: []}})
      : awsCall('elasticbeanstalk:DescribeEnvironmentResources', () =>
          eb.send(new DescribeEnvironmentResourcesCommand({EnvironmentName: environmentName})),
        ),
  ])
  if (envs.status === 'rejected') throw envs.reason
  const env = envs.value.Environments?.find((e) => e.EnvironmentName === environmentName && e.Status !== 'Terminated')
  if (!env) throw await unknownEnvironment(clients, environmentName)
  if (resources.status === 'rejected') throw resources.reason
  const lbs = resources.value.EnvironmentResources?.LoadBalancers ?? []
  return toInfo(env, lbs[0]?.Name)
}

async function unknownEnvironment(clients: AwsClients, name: string) {
  const eb = await clients.elasticBeanstalk()
  const {DescribeEnvironmentsCommand} = await import('../aws/sdk/elastic-beanstalk.ts')
  let names: string[] = []
  try {
    const all = await eb.send(new DescribeEnvironmentsCommand({IncludeDeleted: false}))
    names = (all.Environments ?? [])
      .map((e) => e.EnvironmentName ?? '')
      .filter(Boolean)
      .sort()
  } catch {
    // The listing only improves the message; the error stands without it.
  }
  const region = await clients.region().catch(() => undefined)
  return badInput(
    'ENV_NOT_FOUND',
    `No Elastic Beanstalk environment named "${name}"${region ? ` in ${region}` : ''}.`,
    [
      names.length > 0
        ? `Environments there: ${names.join(', ')}.`
        : 'There are no environments in that region; check --region.',
    ],
  )
}

export async function describeOptionSettings(
  clients: AwsClients,
  env: Pick<EnvironmentInfo, 'applicationName' | 'environmentName'>,
): Promise<OptionSetting[]> {
  const eb = await clients.elasticBeanstalk()
  const {DescribeConfigurationSettingsCommand} = await import('../aws/sdk/elastic-beanstalk.ts')
  const out = await awsCall('elasticbeanstalk:DescribeConfigurationSettings', () =>
    eb.send(
      new DescribeConfigurationSettingsCommand({
        ApplicationName: env.applicationName,
        EnvironmentName: env.environmentName,
      }),
    ),
  )
  const settings: ConfigurationOptionSetting[] = out.ConfigurationSettings?.[0]?.OptionSettings ?? []
  return settings.map((s) => ({
    namespace: s.Namespace ?? '',
    optionName: s.OptionName ?? '',
    value: s.Value,
    resourceName: s.ResourceName,
  }))
}

/** The LoadBalancerType / EnvironmentType settings, which are authoritative over what the resource name suggests. */
export function loadBalancerKindFromSettings(settings: OptionSetting[]): LoadBalancerKind | undefined {
  const get = (name: string) =>
    settings.find((s) => s.namespace === 'aws:elasticbeanstalk:environment' && s.optionName === name)?.value
  if (get('EnvironmentType') === 'SingleInstance') return 'none'
  const type = get('LoadBalancerType')
  return type === 'classic' || type === 'application' || type === 'network' ? type : undefined
}

/** A clear error for environments ebws cannot work on (yet), saying what the environment is. */
export function requireClassicLoadBalancer(env: EnvironmentInfo, settings?: OptionSetting[]): string {
  const kind = (settings && loadBalancerKindFromSettings(settings)) ?? env.loadBalancerKind
  if (kind === 'classic' && env.loadBalancer) return env.loadBalancer
  if (kind === 'none') {
    throw badInput(
      'LB_TYPE_UNSUPPORTED',
      `Environment "${env.environmentName}" has no load balancer (${env.tier === 'Worker' ? 'a worker environment' : 'a single-instance environment'}).`,
      [
        'ebws configures Classic Load Balancer listeners. Use a load-balanced environment, or terminate TLS on the instance.',
      ],
    )
  }
  const what =
    kind === 'application'
      ? 'an Application Load Balancer (ALB)'
      : kind === 'network'
        ? 'a Network Load Balancer (NLB)'
        : 'no Classic Load Balancer'
  throw badInput(
    'LB_TYPE_UNSUPPORTED',
    `Environment "${env.environmentName}" uses ${what}, not a Classic Load Balancer.`,
    [
      kind === 'application'
        ? 'An ALB ends HTTP and adds X-Forwarded-For/Proto instead of Proxy Protocol; `ebws listeners show` and `ebws listeners fix` work on it.'
        : 'ebws currently supports Classic Load Balancer environments only.',
    ],
  )
}
