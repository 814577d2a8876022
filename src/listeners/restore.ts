import type {AwsClients} from '../aws/clients.ts'
import {EbwsError} from '../cli/errors.ts'
import type {OptionSetting} from '../environment/describe.ts'
import {describeEnvironment, describeOptionSettings} from '../environment/describe.ts'
import {awsCliCommand} from '../elb/apply-plan.ts'
import type {WriteStage} from '../lb/pipeline.ts'
import {planned, runChange} from '../lb/pipeline.ts'
import type {RestoreOptions, RestoreResult} from '../lb/types.ts'
import {configuredFromOptionSettings} from './option-settings.ts'
import type {Snapshot} from './snapshot.ts'
import {planRestore, readSnapshot, restoreSnapshot} from './snapshot.ts'

export type {RestoreResult}

const key = (s: OptionSetting) => `${s.namespace}\0${s.optionName}`

/** Pure: the option-settings change that takes `current` back to `snapshot` (both the load-balancer settings only). */
export function planSettingsRestore(
  snapshot: OptionSetting[],
  current: OptionSetting[],
): {set: OptionSetting[]; remove: OptionSetting[]} {
  const now = new Map(current.map((s) => [key(s), s.value ?? '']))
  const then = new Set(snapshot.map(key))
  return {
    set: snapshot.filter((s) => now.get(key(s)) !== (s.value ?? '')),
    remove: current.filter((s) => !then.has(key(s))).map((s) => ({namespace: s.namespace, optionName: s.optionName})),
  }
}

/**
 * Restores a snapshot file (the snapshot names its region; --region overrides): first the security-group rules `fix`
 * added (planned by the feature, `o.securityGroups`: a failing revoke then leaves everything as it was, and a later
 * failure authorizes them again), then the CLB, then the environment's option settings `fix` wrote (else the next
 * environment update would bring the fixed listeners back), then waits for Ready. A first signal lets the restore
 * finish (it is the way back to a known state); a second exits at once.
 */
export async function restoreListeners(
  clientsFor: (region: string) => AwsClients,
  file: string,
  o: RestoreOptions,
): Promise<RestoreResult> {
  const say = o.progress ?? (() => {})
  const snapshot = readSnapshot(file)
  const clients = clientsFor(snapshot.region)
  const [{steps}, settings] = await Promise.all([planRestore(clients, snapshot), settingsChange(clients, snapshot)])
  const sg = o.securityGroups ?? {remove: [], steps: [], leftAlone: []}
  const result: RestoreResult = {
    loadBalancerName: snapshot.loadBalancerName,
    region: snapshot.region,
    dryRun: o.dryRun,
    steps: [...sg.steps, ...planned(steps, (s) => awsCliCommand(snapshot.loadBalancerName, snapshot.region, s.op))],
    optionSettingsToUpdate: settings.set,
    optionSettingsToRemove: settings.remove,
    securityGroupRulesToRemove: sg.remove,
    leftAlone: [...settings.leftAlone, ...sg.leftAlone],
  }
  const stages: WriteStage[] = sg.stage ? [sg.stage] : []
  if (steps.length > 0)
    stages.push({
      kind: 'live',
      steps: steps.length,
      run: async () =>
        void (await restoreSnapshot(clients, snapshot, file, (s, st) => st === 'done' && say(`✔ ${s.description}`))),
      failure: () => `Restoring ${snapshot.loadBalancerName}`,
    })
  if (settings.environmentName && settings.set.length + settings.remove.length > 0)
    stages.push({
      kind: 'settings',
      environmentName: settings.environmentName,
      set: settings.set,
      remove: settings.remove,
      timeoutMs: o.timeoutMs ?? 20 * 60_000,
      // The restore may follow a failed change at once: let that update finish first.
      waitFirst: true,
      message: `Putting back the environment's option settings (${settings.set.length + settings.remove.length}); waiting for Ready`,
      events: true,
      statuses: false,
    })
  // A first signal lets the restore finish (it is the way back to a known state); a second exits at once.
  await runChange(clients, {
    say,
    nothingToDo: steps.length === 0 && settings.set.length + settings.remove.length === 0 && !sg.stage,
    dryRun: o.dryRun,
    confirm: o.confirm && (() => o.confirm!({...result, dryRun: true})),
    signals: {
      onFirst: (signal) => `Received ${signal}: finishing the restore first (a second signal exits at once).`,
      lastWords: () => ['The restore did not finish. Run it again:', `ebws listeners restore --from ${file}`],
      afterAll: (signal) =>
        new EbwsError(
          'INTERRUPTED',
          `Interrupted by ${signal}; the restore was finished first: ${snapshot.loadBalancerName} matches the snapshot ${file}.`,
          {details: {restored: true, signal}},
        ),
    },
    stages,
    // restoreSnapshot reports its own failure (ROLLBACK_FAILED with the commands left to run).
    onFailure: {kind: 'wrap', wrap: (error) => error},
  })
  return result
}

async function settingsChange(
  clients: AwsClients,
  snapshot: Snapshot,
): Promise<{environmentName?: string; set: OptionSetting[]; remove: OptionSetting[]; leftAlone: string[]}> {
  if (!snapshot.environmentName || !snapshot.optionSettings) {
    return {
      set: [],
      remove: [],
      leftAlone: [
        "the environment's option settings: the snapshot does not hold them (taken by an older ebws), so they were left as they are",
      ],
    }
  }
  const env = await describeEnvironment(clients, snapshot.environmentName)
  const current = configuredFromOptionSettings(await describeOptionSettings(clients, env)).settings
  return {environmentName: env.environmentName, ...planSettingsRestore(snapshot.optionSettings, current), leftAlone: []}
}
