import type {AwsClients} from '../aws/clients.ts'
import {awsCliCommand} from '../elb/apply-plan.ts'
import type {PlannedStep} from './fix.ts'
import {planRestore, readSnapshot, restoreSnapshot} from './snapshot.ts'

export interface RestoreResult {
  loadBalancerName: string
  region: string
  dryRun: boolean
  steps: PlannedStep[]
}

/** Restores a snapshot file (the snapshot names its region; --region overrides). */
export async function restoreListeners(clientsFor: (region: string) => AwsClients, file: string, o: {dryRun: boolean; progress?: (line: string) => void; confirm?: ((plan: RestoreResult) => Promise<void>) | undefined}): Promise<RestoreResult> {
  const snapshot = readSnapshot(file)
  const clients = clientsFor(snapshot.region)
  const {steps} = await planRestore(clients, snapshot)
  const planned = steps.map((s) => ({id: s.id, description: s.description, command: awsCliCommand(snapshot.loadBalancerName, snapshot.region, s.op), dependsOn: s.dependsOn}))
  const result: RestoreResult = {loadBalancerName: snapshot.loadBalancerName, region: snapshot.region, dryRun: o.dryRun, steps: planned}
  if (o.dryRun || steps.length === 0) return result
  await o.confirm?.({...result, dryRun: true})
  await restoreSnapshot(clients, snapshot, file, (s, st) => st === 'done' && o.progress?.(`✔ ${s.description}`))
  return result
}
