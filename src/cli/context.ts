import {AwsClients} from '../aws/clients.ts'
import type {Target, TargetFlags} from '../environment/target.ts'
import {resolveTarget} from '../environment/target.ts'

/** The environment to work on and the AWS clients for its region and profile: what every AWS command starts with. */
export async function resolveContext(flags: TargetFlags): Promise<{target: Target; clients: AwsClients}> {
  const target = await resolveTarget(flags)
  return {target, clients: new AwsClients({region: target.region, profile: target.profile})}
}

/**
 * For commands where the environment is optional and only gives the region (`cert request`): the environment's
 * region with -e, else --region / the SDK's chain. Fails with REGION_MISSING before any call when there is none.
 */
export async function resolveRegionContext(
  flags: TargetFlags,
): Promise<{region: string; clients: AwsClients; environmentName?: string | undefined}> {
  const target = flags.environment ? await resolveTarget(flags) : undefined
  const clients = new AwsClients({region: target?.region ?? flags.region, profile: target?.profile ?? flags.profile})
  return {region: await clients.region(), clients, environmentName: target?.environmentName}
}
