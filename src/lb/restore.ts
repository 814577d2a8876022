import {readFileSync} from 'node:fs'

import type {AwsClients} from '../aws/clients.ts'
import {EbwsError} from '../cli/errors.ts'
import type {OptionSetting} from '../environment/describe.ts'
import {describeOptionSettings} from '../environment/describe.ts'
import {updateEnvironmentSettings} from '../environment/update.ts'
import {isReady, pollEnvironment} from '../environment/wait.ts'
import type {RestoreResult} from '../listeners/restore.ts'
import {restoreListeners} from '../listeners/restore.ts'
import {albCliCommand, executeAlbSteps} from './application/apply.ts'
import type {AlbSnapshot} from './application/fix.ts'
import {planAlbRestore} from './application/plan.ts'
import {readElbv2State} from './application/read-state.ts'

const managed = (s: OptionSetting) =>
  s.namespace.startsWith('aws:elbv2:') || s.namespace.startsWith('aws:elasticbeanstalk:environment:process:')

function readKind(file: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as {kind?: string}).kind
  } catch {
    return undefined
  }
}

/**
 * `listeners restore --from FILE` for any snapshot: a CLB snapshot goes to the CLB code as before; an ALB snapshot
 * (kind ebws-lb-snapshot) puts back the aws:elbv2:* / process option settings (UpdateEnvironment, wait) and then
 * whatever of the live load balancer still differs (listeners, stickiness, idle timeout).
 */
export async function restoreAnyListeners(
  clientsFor: (region: string) => AwsClients,
  file: string,
  o: {
    dryRun: boolean
    timeoutMs?: number
    progress?: (line: string) => void
    confirm?: ((plan: RestoreResult) => Promise<void>) | undefined
  },
): Promise<RestoreResult> {
  if (readKind(file) !== 'ebws-lb-snapshot') return restoreListeners(clientsFor, file, o)
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as AlbSnapshot
  const clients = clientsFor(snapshot.region)
  const env = {applicationName: '', environmentName: snapshot.environmentName}
  const eb = await clients.elasticBeanstalk()
  const {DescribeEnvironmentsCommand} = await import('@aws-sdk/client-elastic-beanstalk')
  env.applicationName =
    (await eb.send(new DescribeEnvironmentsCommand({EnvironmentNames: [snapshot.environmentName]}))).Environments?.[0]
      ?.ApplicationName ?? ''
  const read = async () =>
    await readElbv2State(
      clients,
      snapshot.loadBalancerArn,
      () => describeOptionSettings(clients, env),
      (s) => s,
      snapshot.environmentName,
    )
  const {state: current, extra: settingsNow} = await read()
  const want = snapshot.optionSettings.filter(managed)
  const set = want.filter(
    (s) =>
      s.value !== undefined &&
      settingsNow.find((n) => n.namespace === s.namespace && n.optionName === s.optionName)?.value !== s.value,
  )
  const remove = settingsNow.filter(
    (n) =>
      managed(n) &&
      n.value !== undefined &&
      !want.some((s) => s.namespace === n.namespace && s.optionName === n.optionName),
  )
  const live = planAlbRestore(snapshot.state, current)
  const name = snapshot.state.name
  const steps = [
    ...(set.length + remove.length > 0
      ? [
          {
            id: 'settings',
            description: `put back ${set.length + remove.length} option setting(s) with UpdateEnvironment`,
            command: `aws elasticbeanstalk update-environment --environment-name ${snapshot.environmentName} ...`,
            dependsOn: [],
          },
        ]
      : []),
    ...live.map((s) => ({
      id: s.id,
      description: s.description,
      command: albCliCommand(snapshot.loadBalancerArn, snapshot.region, s.op),
      dependsOn: [],
    })),
  ]
  const result: RestoreResult = {
    loadBalancerName: name,
    region: snapshot.region,
    dryRun: o.dryRun,
    steps,
    optionSettingsToUpdate: set,
    optionSettingsToRemove: remove,
    leftAlone: [],
  }
  if (o.dryRun || steps.length === 0) return result
  await o.confirm?.({...result, dryRun: true})
  try {
    if (set.length + remove.length > 0) {
      await updateEnvironmentSettings(clients, snapshot.environmentName, set, remove)
      o.progress?.('✔ option settings put back; waiting for Ready')
      await pollEnvironment(clients, snapshot.environmentName, isReady, {timeoutMs: o.timeoutMs ?? 20 * 60_000})
    }
    await executeAlbSteps(
      clients,
      snapshot.loadBalancerArn,
      planAlbRestore(snapshot.state, (await read()).state),
      (s) => o.progress?.(`✔ ${s.description}`),
    )
  } catch (error) {
    throw new EbwsError(
      'ROLLBACK_FAILED',
      `Restoring ${name} failed: ${(error as Error).message}\nThe snapshot is in ${file}.`,
      {hint: [`Retry with: ebws listeners restore --from ${file}`], cause: error, details: {backupFile: file}},
    )
  }
  return result
}
