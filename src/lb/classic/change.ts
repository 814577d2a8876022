// The Classic Load Balancer's stages of the change pipeline (src/lb/pipeline.ts), shared by every command that
// changes a CLB (`listeners fix`, `proxy-protocol enable|disable`): the snapshot, the live ELB steps (a dependency
// graph, src/elb/apply-plan.ts) before the durable option settings, a rollback from the snapshot, the signal policy
// (a first signal stops at the next safe point and restores), and the check by reading the CLB back.
import type {AwsClients} from '../../aws/clients.ts'
import {EbwsError} from '../../cli/errors.ts'
import type {OptionSetting} from '../../environment/describe.ts'
import {executePlan, PlanStoppedError, StepFailedError} from '../../elb/apply-plan.ts'
import type {LoadBalancerState, PlanStep} from '../../elb/model.ts'
import {readLoadBalancerState} from '../../elb/read-state.ts'
import type {ObservedEnvironment} from '../../listeners/inspect.ts'
import {observeEnvironment} from '../../listeners/inspect.ts'
import {defaultBackupPath, restoreSnapshot, writeSnapshot} from '../../listeners/snapshot.ts'
import type {Snapshot} from '../../listeners/snapshot.ts'
import type {ChangeOutcome, StageContext, WriteStage} from '../pipeline.ts'
import type {SnapshotRecords} from '../types.ts'
import {readyOrWait, runChange, StageStopped} from '../pipeline.ts'

export interface ClbChangeInput {
  observed: ObservedEnvironment
  elbSteps: PlanStep[]
  /** Option settings to set, and options to remove (OptionsToRemove), through one UpdateEnvironment. */
  settingsToUpdate: OptionSetting[]
  optionsToRemove?: OptionSetting[] | undefined
  /** The plan's last checks, before the dry-run stop (validate the option settings, read the deployed app). */
  check?: (() => Promise<void>) | undefined
  dryRun: boolean
  /** After the dry-run stop: 'replan' when the state must be read again first (see the pipeline). */
  beforeConfirm?: (() => Promise<void | 'replan'>) | undefined
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
  /** What the snapshot records beside the CLB (the security-group rules `listeners fix` added). */
  snapshotRecords?: (() => SnapshotRecords) | undefined
}

/** Fails (exit 2) unless the environment is Ready, or waits for it with `wait`; returns the fresh observation. */
export async function ensureReady(
  clients: AwsClients,
  observed: ObservedEnvironment,
  o: {wait: boolean; timeoutMs: number; say: (line: string) => void},
): Promise<ObservedEnvironment> {
  const waited = await readyOrWait(clients, observed.environment, {...o, events: true})
  return waited ? observeEnvironment(clients, observed.environment.environmentName) : observed
}

/** A CLB change through the pipeline: the live ELB steps first, then the option settings; verified on the CLB. */
export async function changeClb(clients: AwsClients, input: ClbChangeInput): Promise<ChangeOutcome<LoadBalancerState>> {
  const {observed, elbSteps, settingsToUpdate, say} = input
  const optionsToRemove = input.optionsToRemove ?? []
  const env = observed.environment
  const backupPath = input.backupFile ?? defaultBackupPath(observed.loadBalancerName, input.now)
  const restoreCommand = `ebws listeners restore --from ${backupPath}`
  // Built when the snapshot is written (before any write), so a rollback can put the CLB back.
  let snapshot: Snapshot | undefined
  const restore = (backupFile: string) =>
    restoreSnapshot(clients, snapshot!, backupFile, (s, st) => st === 'done' && say(`  restored: ${s.description}`))

  const stages: WriteStage[] = []
  if (elbSteps.length > 0) {
    stages.push({
      kind: 'live',
      steps: elbSteps.length,
      run: async (ctx) => {
        try {
          await executePlan(clients, observed.loadBalancerName, elbSteps, {
            onStep: (s, st) => st === 'done' && say(`✔ ${s.description}`),
            shouldStop: () => ctx.guard?.signal !== undefined,
          })
        } catch (error) {
          if (error instanceof PlanStoppedError) throw new StageStopped(error.completed.length)
          throw error
        }
      },
      failure: (error) =>
        error instanceof StepFailedError ? `Step "${error.step.description}"` : 'Changing the load balancer',
    })
  }
  if (settingsToUpdate.length > 0 || optionsToRemove.length > 0) {
    stages.push({
      kind: 'settings',
      environmentName: env.environmentName,
      set: settingsToUpdate,
      remove: optionsToRemove,
      timeoutMs: input.timeoutMs,
      message: `Updating the environment's option settings (${settingsToUpdate.length + optionsToRemove.length}); waiting for Ready`,
      events: true,
      statuses: true,
      lastWordsAfterUpdate: () => [
        'The change was made; the environment may still be Updating. To undo it:',
        restoreCommand,
      ],
      interruptedWhileWaiting: (signal, ctx) =>
        new EbwsError(
          'INTERRUPTED',
          `Interrupted by ${signal} while waiting for ${env.environmentName} to be Ready: the load balancer changes were made and Elastic Beanstalk accepted the option settings, so the change is complete, but the environment may still be Updating.\nSnapshot of the previous state: ${ctx.backupFile}`,
          {
            hint: [
              `Check it with: ${input.inspectCommand}`,
              `Undo it (once the environment is Ready) with:\n${restoreCommand}`,
            ],
            details: {backupFile: ctx.backupFile, restored: false, signal, changed: true},
          },
        ),
    })
  }

  const interrupted = async (signal: NodeJS.Signals, completed: number, ctx: StageContext): Promise<never> => {
    say(`Interrupted by ${signal}; restoring the load balancer`)
    if (completed > 0) await restore(ctx.backupFile!)
    throw new EbwsError(
      'INTERRUPTED',
      `Interrupted by ${signal} after ${completed} of ${elbSteps.length} load balancer step${elbSteps.length === 1 ? '' : 's'}: ${completed > 0 ? 'the load balancer was restored to its previous state' : 'nothing had been changed'}; the option settings were not changed.\nSnapshot: ${ctx.backupFile}`,
      {details: {backupFile: ctx.backupFile, restored: completed > 0, signal, stepsCompleted: completed}},
    )
  }

  return runChange(clients, {
    say,
    nothingToDo: elbSteps.length === 0 && settingsToUpdate.length === 0 && optionsToRemove.length === 0,
    check: input.check,
    dryRun: input.dryRun,
    beforeConfirm: input.beforeConfirm,
    confirm: input.confirm,
    snapshot: () => {
      snapshot = {
        kind: 'ebws-listeners-snapshot',
        version: 1,
        takenAt: input.now.toISOString(),
        region: observed.region,
        environmentName: env.environmentName,
        loadBalancerName: observed.loadBalancerName,
        state: observed.state,
        optionSettings: observed.configured.settings,
        ...input.snapshotRecords?.(),
      }
      const backupFile = writeSnapshot(backupPath, snapshot)
      say(`Saved the current load balancer to ${backupFile}`)
      return backupFile
    },
    // From the first write on, a signal stops at the next safe point and rolls back (src/cli/interrupt.ts).
    signals: {
      onFirst: (signal) =>
        `Received ${signal}: stopping at the next safe point and restoring the load balancer (a second signal exits at once).`,
      lastWords: () => ['The load balancer may be half-changed. Put it back with:', restoreCommand],
      interrupted,
    },
    stages,
    onFailure: {kind: 'rollback', restore: async (ctx) => void (await restore(ctx.backupFile!))},
    verify: async () => {
      const after = await readLoadBalancerState(clients, observed.loadBalancerName)
      return {unmet: input.unmet(after), value: after}
    },
    inspectCommand: input.inspectCommand,
  })
}
