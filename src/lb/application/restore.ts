// `listeners restore --from FILE` for an ELBv2 snapshot (kind ebws-lb-snapshot: an ALB's `listeners fix`, an NLB's
// `proxy-protocol`), through the change pipeline: the aws:elbv2:* / process option settings first (UpdateEnvironment,
// wait: Beanstalk rebuilds the listeners from them), then whatever of the live load balancer still differs
// (listeners, stickiness, idle timeout, target group attributes), planned from what the rebuild left.
import {readFileSync} from 'node:fs'

import type {AwsClients} from '../../aws/clients.ts'
import {EbwsError} from '../../cli/errors.ts'
import type {OptionSetting} from '../../environment/describe.ts'
import {describeOptionSettings} from '../../environment/describe.ts'
import type {WriteStage} from '../pipeline.ts'
import {runChange} from '../pipeline.ts'
import type {RestoreOptions, RestoreResult} from '../types.ts'
import {albCliCommand, executeAlbSteps} from './apply.ts'
import type {Elbv2Snapshot} from './fix.ts'
import {planAlbRestore} from './plan.ts'
import {readElbv2State} from './read-state.ts'

const managed = (s: OptionSetting) =>
  s.namespace.startsWith('aws:elbv2:') || s.namespace.startsWith('aws:elasticbeanstalk:environment:process:')

export const isElbv2Snapshot = (s: {kind?: unknown}): boolean => s.kind === 'ebws-lb-snapshot'

export async function restoreElbv2(
  clientsFor: (region: string) => AwsClients,
  file: string,
  o: RestoreOptions,
): Promise<RestoreResult> {
  const say = o.progress ?? (() => {})
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as Elbv2Snapshot
  const clients = clientsFor(snapshot.region)
  const env = {applicationName: '', environmentName: snapshot.environmentName}
  const eb = await clients.elasticBeanstalk()
  const {DescribeEnvironmentsCommand} = await import('../../aws/sdk/elastic-beanstalk.ts')
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
  // The security-group rules fix added (planned by the feature) go first: a failing revoke then changes nothing.
  const sg = o.securityGroups ?? {remove: [], steps: [], leftAlone: []}
  const steps = [
    ...sg.steps,
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
    securityGroupRulesToRemove: sg.remove,
    leftAlone: sg.leftAlone,
  }
  const stages: WriteStage[] = [
    ...(sg.stage ? [sg.stage] : []),
    ...(set.length + remove.length > 0
      ? [
          {
            kind: 'settings' as const,
            environmentName: snapshot.environmentName,
            set,
            remove,
            timeoutMs: o.timeoutMs ?? 20 * 60_000,
            message: '✔ option settings put back; waiting for Ready',
            events: false,
            statuses: false,
          },
        ]
      : []),
    {
      kind: 'live',
      steps: 0,
      run: async () =>
        await executeAlbSteps(
          clients,
          snapshot.loadBalancerArn,
          planAlbRestore(snapshot.state, (await read()).state),
          (s) => say(`✔ ${s.description}`),
        ),
      failure: () => `Restoring ${name}`,
    },
  ]
  await runChange(clients, {
    say,
    nothingToDo: steps.length === 0,
    dryRun: o.dryRun,
    confirm: o.confirm && (() => o.confirm!({...result, dryRun: true})),
    stages,
    onFailure: {
      kind: 'wrap',
      // A failure that changed nothing (a revoke that failed first, src/security-groups/restore.ts) says so itself.
      wrap: (error) =>
        error instanceof EbwsError && error.details?.changed === false
          ? error
          : new EbwsError(
              'ROLLBACK_FAILED',
              `Restoring ${name} failed: ${(error as Error).message}\nThe snapshot is in ${file}.`,
              {hint: [`Retry with: ebws listeners restore --from ${file}`], cause: error, details: {backupFile: file}},
            ),
    },
  })
  return result
}
