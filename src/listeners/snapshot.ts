import {readFileSync, statSync} from 'node:fs'

import type {AwsClients} from '../aws/clients.ts'
import {badInput, EbwsError} from '../cli/errors.ts'
import type {OptionSetting} from '../environment/describe.ts'
import {awsCliCommand, executePlan} from '../elb/apply-plan.ts'
import type {SecurityGroupsRecord} from '../ec2/security-groups.ts'
import type {LoadBalancerState} from '../elb/model.ts'
import {readLoadBalancerState} from '../elb/read-state.ts'
import type {PlanStep} from './plan.ts'
import {desiredStateFromSnapshot, planReconcile} from './plan.ts'
import {shellWord} from '../format/shell.ts'
import {defaultBackupPath, writeSnapshotFile} from '../lb/pipeline.ts'

/** What `fix` saves before its first write, and what `listeners restore --from` reads. */
export interface Snapshot {
  kind: 'ebws-listeners-snapshot'
  version: 1
  takenAt: string
  region: string
  environmentName?: string | undefined
  loadBalancerName: string
  state: LoadBalancerState
  optionSettings?: OptionSetting[] | undefined
  /** The security-group rules `listeners fix` added (absent in older snapshots and proxy-protocol's). */
  securityGroups?: SecurityGroupsRecord | undefined
}

export {defaultBackupPath}
export const writeSnapshot = (path: string, snapshot: Snapshot): string => writeSnapshotFile(path, snapshot)

export function readSnapshot(path: string): Snapshot {
  const hint = ['Pass the file that `ebws listeners fix` printed as its backup.']
  const stat = statSync(path, {throwIfNoEntry: false})
  if (!stat) throw badInput('FILE_NOT_FOUND', `No snapshot file at ${path}.`, hint, {path})
  if (!stat.isFile())
    throw badInput(
      'FILE_NOT_FOUND',
      `${path} is a ${stat.isDirectory() ? 'folder' : 'special file'}, not a snapshot file.`,
      hint,
      {path},
    )
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw badInput('FILE_NOT_FOUND', `Could not read the snapshot ${path}: ${(error as Error).message}`, [
      'Pass the file that `ebws listeners fix` printed as its backup.',
    ])
  }
  const s = parsed as Partial<Snapshot>
  if (
    s?.kind !== 'ebws-listeners-snapshot' ||
    s.version !== 1 ||
    !s.loadBalancerName ||
    !s.state ||
    !Array.isArray(s.state.listeners)
  ) {
    throw badInput('SNAPSHOT_INVALID', `${path} is not an ebws listeners snapshot.`, [
      'Pass the file that `ebws listeners fix` printed as its backup.',
    ])
  }
  return s as Snapshot
}

/** The steps that put the snapshot back, against the load balancer as it is now. */
export async function planRestore(
  clients: AwsClients,
  snapshot: Snapshot,
): Promise<{current: LoadBalancerState; steps: PlanStep[]}> {
  const current = await readLoadBalancerState(clients, snapshot.loadBalancerName)
  const desired = desiredStateFromSnapshot(snapshot.state, current)
  // A policy the snapshot's option settings name is Beanstalk's to manage (aws:elb:policies:<name>), not ours to delete.
  const settingsPolicies = new Set(
    (snapshot.optionSettings ?? []).map((s) => /^aws:elb:policies:(.+)$/.exec(s.namespace)?.[1]).filter(Boolean),
  )
  desired.deletePolicies = desired.deletePolicies.filter((n) => !settingsPolicies.has(n))
  return {current, steps: planReconcile(current, desired)}
}

/** Restores the snapshot; on failure, a ManualActionNeeded error with the exact commands left to run. */
export async function restoreSnapshot(
  clients: AwsClients,
  snapshot: Snapshot,
  backupFile: string,
  onStep?: (step: PlanStep, state: 'start' | 'done') => void,
): Promise<PlanStep[]> {
  let steps: PlanStep[] = []
  try {
    steps = (await planRestore(clients, snapshot)).steps
    await executePlan(clients, snapshot.loadBalancerName, steps, {onStep})
    return steps
  } catch (error) {
    const commands = steps.map((s) => awsCliCommand(snapshot.loadBalancerName, snapshot.region, s.op))
    throw new EbwsError(
      'ROLLBACK_FAILED',
      // Each path and command on a line of its own, so it pastes as printed (base-command prints them unwrapped).
      `Restoring the load balancer ${snapshot.loadBalancerName} failed too: ${(error as Error).message}\nThe snapshot is saved in:\n${backupFile}${commands.length > 0 ? `\nThese commands put it back:\n${commands.join('\n')}` : ''}`,
      {
        hint: [`Retry the restore with:\nebws listeners restore --from ${shellWord(backupFile)}`],
        cause: error,
        details: {backupFile, restoreCommands: commands},
      },
    )
  }
}
