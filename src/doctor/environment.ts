import type {AwsClients} from '../aws/clients.ts'
import {describeEnvironment, describeOptionSettings, loadBalancerKindFromSettings} from '../environment/describe.ts'
import {configuredHealthCheckTarget} from '../proxy-protocol/plan.ts'

export interface EnvironmentEndpoint {
  name: string
  /** The environment's CNAME (what -e probes): https://<cname>/. */
  cname?: string | undefined
  /** EndpointURL: the load balancer's DNS name (or the instance's address for single-instance environments). */
  endpoint?: string | undefined
  /** The HTTP health check path, from the option settings. */
  healthPath?: string | undefined
  /** The load balancer type (LoadBalancerType setting, else what the resource name says); undefined: none or unknown. */
  loadBalancer?: 'classic' | 'application' | 'network' | undefined
}

/**
 * What doctor needs from an environment: its CNAME and load balancer name (DescribeEnvironments, through
 * describeEnvironment), then its health check path (the option settings). Read-only.
 */
export async function environmentEndpoint(clients: AwsClients, environmentName: string): Promise<EnvironmentEndpoint> {
  const env = await describeEnvironment(clients, environmentName)
  // The health path only adds a check (--health-path gives it too): without the settings, doctor still runs.
  const settings = await describeOptionSettings(clients, env).catch(() => [])
  const target = configuredHealthCheckTarget(settings)
  const path = /^HTTP:\d+(\/.*)$/i.exec(target)?.[1]
  const kind = loadBalancerKindFromSettings(settings) ?? env.loadBalancerKind
  return {
    name: env.environmentName,
    cname: env.cname,
    endpoint: env.endpointUrl,
    healthPath: path,
    loadBalancer: kind === 'none' ? undefined : kind,
  }
}
