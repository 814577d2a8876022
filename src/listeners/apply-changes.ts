import type {AwsClients} from '../aws/clients.ts'
import {badInput, EbwsError} from '../cli/errors.ts'
import type {SignalGuard} from '../cli/interrupt.ts'
import {guardSignals} from '../cli/interrupt.ts'
import type {OptionSetting} from '../environment/describe.ts'
import {updateEnvironmentSettings} from '../environment/update.ts'
import {isReady, pollEnvironment} from '../environment/wait.ts'
import {executePlan, PlanStoppedError, StepFailedError} from '../elb/apply-plan.ts'
import type {LoadBalancerState} from '../elb/model.ts'
import {readLoadBalancerState} from '../elb/read-state.ts'
import type {ObservedEnvironment} from './inspect.ts'
import {observeEnvironment} from './inspect.ts'
import type {PlanStep} from './plan.ts'
import type {Snapshot} from './snapshot.ts'
import {defaultBackupPath, restoreSnapshot, writeSnapshot} from './snapshot.ts'

/**
 * The write half shared by every command that changes a CLB (`listeners fix`, `proxy-protocol enable|disable`):
 * snapshot, apply the ELB steps wave by wave, restore the snapshot if any step (or the UpdateEnvironment after them)
 * fails, write the option settings through UpdateEnvironment, wait for Ready, and verify by reading the CLB back.
 */
export interface ApplyChangesInput {
  observed: ObservedEnvironment
  elbSteps: PlanStep[]
  /** Option settings to set, and options to remove (OptionsToRemove), through one UpdateEnvironment. */
  settingsToUpdate: OptionSetting[]
  optionsToRemove?: OptionSetting[] | undefined
  /** What still differs on the CLB as read back afterwards (empty: verified). E.g. unmetExpectations(after, desired). */
  unmet: (after: LoadBalancerState) => string[]
  /** The command to suggest for inspecting the result. */
  inspectCommand: string
  backupFile?: string | undefined
  now: Date
  timeoutMs: number
  say: (line: string) => void
  /** Asks before the first write (a terminal without --yes); throws to stop with nothing changed. */
  confirm?: (() => Promise<void>) | undefined
}

export interface ApplyChangesResult {
  backupFile: string
  /** The CLB as read back after the changes. */
  after: LoadBalancerState
}

/** Fails (exit 2) unless the environment is Ready, or waits for it with `wait`; returns the fresh observation. */
export async function ensureReady(
  clients: AwsClients,
  observed: ObservedEnvironment,
  o: {wait: boolean; timeoutMs: number; say: (line: string) => void},
): Promise<ObservedEnvironment> {
  const env = observed.environment
  if (isReady({status: env.status})) return observed
  if (!o.wait) {
    throw badInput(
      'ENV_NOT_READY',
      `Environment "${env.environmentName}" is ${env.status}, not Ready; Beanstalk accepts no changes until it is.`,
      ['Leave out --no-wait to wait for it (within --timeout), or try again when it is Ready.'],
    )
  }
  o.say(`Waiting for ${env.environmentName} to be Ready (now ${env.status})`)
  await pollEnvironment(clients, env.environmentName, isReady, {
    timeoutMs: o.timeoutMs,
    onEvent: (e) => o.say(`${e.severity} ${e.message}`),
  })
  return observeEnvironment(clients, env.environmentName)
}

export async function applyChanges(clients: AwsClients, input: ApplyChangesInput): Promise<ApplyChangesResult> {
  const {observed, settingsToUpdate, say} = input
  const optionsToRemove = input.optionsToRemove ?? []
  const writesSettings = settingsToUpdate.length > 0 || optionsToRemove.length > 0

  await input.confirm?.()
  const backupPath = input.backupFile ?? defaultBackupPath(observed.loadBalancerName, input.now)
  const restoreCommand = `ebws listeners restore --from ${backupPath}`
  // From the first write on, a signal stops at the next safe point and rolls back (src/cli/interrupt.ts).
  const guard = guardSignals({
    onFirst: (signal) =>
      say(
        `Received ${signal}: stopping at the next safe point and restoring the load balancer (a second signal exits at once).`,
      ),
    lastWords: () => ['The load balancer may be half-changed. Put it back with:', restoreCommand],
  })
  try {
    return await applyGuarded(clients, input, {guard, backupPath, restoreCommand, writesSettings, optionsToRemove})
  } finally {
    guard.dispose()
  }
}

async function applyGuarded(
  clients: AwsClients,
  input: ApplyChangesInput,
  o: {
    guard: SignalGuard
    backupPath: string
    restoreCommand: string
    writesSettings: boolean
    optionsToRemove: OptionSetting[]
  },
): Promise<ApplyChangesResult> {
  const {observed, elbSteps, settingsToUpdate, say} = input
  const {guard, optionsToRemove} = o
  const env = observed.environment
  // Snapshot first, so any failure can put the CLB back.
  const snapshot: Snapshot = {
    kind: 'ebws-listeners-snapshot',
    version: 1,
    takenAt: input.now.toISOString(),
    region: observed.region,
    environmentName: env.environmentName,
    loadBalancerName: observed.loadBalancerName,
    state: observed.state,
    optionSettings: observed.configured.settings,
  }
  const backupFile = writeSnapshot(o.backupPath, snapshot)
  say(`Saved the current load balancer to ${backupFile}`)

  const rollback = async (error: unknown, what: string): Promise<never> => {
    say(`${what} failed; restoring the load balancer`)
    await restoreSnapshot(
      clients,
      snapshot,
      backupFile,
      (s, st) => st === 'done' && say(`  restored: ${s.description}`),
    )
    throw new EbwsError(
      'CHANGE_FAILED',
      `${what} failed: ${(error as Error).message}\nThe load balancer was restored to its previous state (snapshot: ${backupFile}).`,
      {
        cause: error,
        details: {backupFile, restored: true},
      },
    )
  }
  const interrupted = async (signal: NodeJS.Signals, completed: number): Promise<never> => {
    say(`Interrupted by ${signal}; restoring the load balancer`)
    if (completed > 0)
      await restoreSnapshot(
        clients,
        snapshot,
        backupFile,
        (s, st) => st === 'done' && say(`  restored: ${s.description}`),
      )
    throw new EbwsError(
      'INTERRUPTED',
      `Interrupted by ${signal} after ${completed} of ${elbSteps.length} load balancer step${elbSteps.length === 1 ? '' : 's'}: ${completed > 0 ? 'the load balancer was restored to its previous state' : 'nothing had been changed'}; the option settings were not changed.\nSnapshot: ${backupFile}`,
      {details: {backupFile, restored: completed > 0, signal, stepsCompleted: completed}},
    )
  }

  if (elbSteps.length > 0) {
    try {
      await executePlan(clients, observed.loadBalancerName, elbSteps, {
        onStep: (s, st) => st === 'done' && say(`✔ ${s.description}`),
        shouldStop: () => guard.signal !== undefined,
      })
    } catch (error) {
      if (error instanceof PlanStoppedError && guard.signal) await interrupted(guard.signal, error.completed.length)
      await rollback(
        error,
        error instanceof StepFailedError ? `Step "${error.step.description}"` : 'Changing the load balancer',
      )
    }
  }
  if (guard.signal) await interrupted(guard.signal, elbSteps.length)
  if (o.writesSettings) {
    const since = new Date(Date.now() - 1000)
    try {
      await updateEnvironmentSettings(clients, env.environmentName, settingsToUpdate, optionsToRemove)
    } catch (error) {
      if (elbSteps.length > 0) await rollback(error, 'UpdateEnvironment')
      throw error
    }
    say(
      `Updating the environment's option settings (${settingsToUpdate.length + optionsToRemove.length}); waiting for Ready`,
    )
    // Past this point the change is made (Beanstalk accepted the settings and applies them): a signal stops the wait only.
    guard.setLastWords(() => [
      'The change was made; the environment may still be Updating. To undo it:',
      o.restoreCommand,
    ])
    try {
      await pollEnvironment(clients, env.environmentName, isReady, {
        timeoutMs: input.timeoutMs,
        since,
        signal: guard.abortSignal,
        onEvent: (e) => say(`${e.severity} ${e.message}`),
        onStatus: (s) => say(`environment ${s.status}${s.health ? `, health ${s.health}` : ''}`),
      })
    } catch (error) {
      if (!guard.signal) throw error
      throw new EbwsError(
        'INTERRUPTED',
        `Interrupted by ${guard.signal} while waiting for ${env.environmentName} to be Ready: the load balancer changes were made and Elastic Beanstalk accepted the option settings, so the change is complete, but the environment may still be Updating.\nSnapshot of the previous state: ${backupFile}`,
        {
          hint: [
            `Check it with: ${input.inspectCommand}`,
            `Undo it (once the environment is Ready) with:\n${o.restoreCommand}`,
          ],
          details: {backupFile, restored: false, signal: guard.signal, changed: true},
        },
      )
    }
  }

  // Verify by reading the CLB back: what is there now must have the effect we planned.
  const after = await readLoadBalancerState(clients, observed.loadBalancerName)
  const remaining = input.unmet(after)
  if (remaining.length > 0) {
    throw new EbwsError(
      'VERIFY_FAILED',
      `The load balancer does not match the plan after applying it:\n  ${remaining.join('\n  ')}`,
      {
        hint: [`Inspect it with \`${input.inspectCommand}\`; the previous state is in ${backupFile}.`],
        details: {backupFile},
      },
    )
  }
  return {backupFile, after}
}
