import type {AwsClients} from '../aws/clients.ts'
import {EbwsError} from '../cli/errors.ts'
import {guardSignals} from '../cli/interrupt.ts'
import type {OptionSetting} from '../environment/describe.ts'
import {describeEnvironment, describeOptionSettings} from '../environment/describe.ts'
import {updateEnvironmentSettings} from '../environment/update.ts'
import {isReady, pollEnvironment} from '../environment/wait.ts'
import {awsCliCommand} from '../elb/apply-plan.ts'
import type {PlannedStep} from './fix.ts'
import {configuredFromOptionSettings} from './option-settings.ts'
import type {Snapshot} from './snapshot.ts'
import {planRestore, readSnapshot, restoreSnapshot} from './snapshot.ts'

export interface RestoreResult {
  loadBalancerName: string
  region: string
  dryRun: boolean
  steps: PlannedStep[]
  /** The environment's aws:elb:* option settings put back as the snapshot had them, and those it had not (removed). */
  optionSettingsToUpdate: OptionSetting[]
  optionSettingsToRemove: OptionSetting[]
  /** What restore could not put back, said plainly (e.g. a snapshot without option settings). */
  leftAlone: string[]
}

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
 * Restores a snapshot file (the snapshot names its region; --region overrides): the CLB, then the environment's
 * option settings `fix` wrote (else the next environment update would bring the fixed listeners back), then waits
 * for Ready. A first signal lets the restore finish (it is the way back to a known state); a second exits at once.
 */
export async function restoreListeners(
  clientsFor: (region: string) => AwsClients,
  file: string,
  o: {
    dryRun: boolean
    timeoutMs?: number
    progress?: (line: string) => void
    confirm?: ((plan: RestoreResult) => Promise<void>) | undefined
  },
): Promise<RestoreResult> {
  const say = o.progress ?? (() => {})
  const snapshot = readSnapshot(file)
  const clients = clientsFor(snapshot.region)
  const [{steps}, settings] = await Promise.all([planRestore(clients, snapshot), settingsChange(clients, snapshot)])
  const planned = steps.map((s) => ({
    id: s.id,
    description: s.description,
    command: awsCliCommand(snapshot.loadBalancerName, snapshot.region, s.op),
    dependsOn: s.dependsOn,
  }))
  const result: RestoreResult = {
    loadBalancerName: snapshot.loadBalancerName,
    region: snapshot.region,
    dryRun: o.dryRun,
    steps: planned,
    optionSettingsToUpdate: settings.set,
    optionSettingsToRemove: settings.remove,
    leftAlone: settings.leftAlone,
  }
  if (o.dryRun || (steps.length === 0 && settings.set.length + settings.remove.length === 0)) return result
  await o.confirm?.({...result, dryRun: true})
  const guard = guardSignals({
    onFirst: (signal) => say(`Received ${signal}: finishing the restore first (a second signal exits at once).`),
    lastWords: () => ['The restore did not finish. Run it again:', `ebws listeners restore --from ${file}`],
  })
  try {
    if (steps.length > 0)
      await restoreSnapshot(clients, snapshot, file, (s, st) => st === 'done' && say(`✔ ${s.description}`))
    if (settings.environmentName && settings.set.length + settings.remove.length > 0) {
      const timeoutMs = o.timeoutMs ?? 20 * 60_000
      const since = new Date(Date.now() - 1000)
      await pollEnvironment(clients, settings.environmentName, isReady, {timeoutMs, since})
      await updateEnvironmentSettings(clients, settings.environmentName, settings.set, settings.remove)
      say(
        `Putting back the environment's option settings (${settings.set.length + settings.remove.length}); waiting for Ready`,
      )
      await pollEnvironment(clients, settings.environmentName, isReady, {
        timeoutMs,
        since,
        onEvent: (e) => say(`${e.severity} ${e.message}`),
      })
    }
  } finally {
    guard.dispose()
  }
  if (guard.signal) {
    throw new EbwsError(
      'INTERRUPTED',
      `Interrupted by ${guard.signal}; the restore was finished first: ${snapshot.loadBalancerName} matches the snapshot ${file}.`,
      {details: {restored: true, signal: guard.signal}},
    )
  }
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
