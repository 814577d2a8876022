import {AwsClients} from '../aws/clients.ts'
import type {Target, TargetFlags} from '../environment/target.ts'
import {resolveTarget} from '../environment/target.ts'

/** The environment to work on and the AWS clients for its region and profile: what every AWS command starts with. */
export async function resolveContext(flags: TargetFlags): Promise<{target: Target; clients: AwsClients}> {
  const target = await resolveTarget(flags)
  return {target, clients: new AwsClients({region: target.region, profile: target.profile})}
}
