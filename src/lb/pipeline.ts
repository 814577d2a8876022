/**
 * The one change pipeline every mutating load-balancer command goes through (`listeners fix`, `listeners restore`,
 * `proxy-protocol enable|disable`), for every load-balancer type:
 *
 *   plan -> print/confirm (a dry run stops here) -> snapshot -> write stages -> rollback on failure -> verify by effect
 *
 * The adapter plans (pure) and hands over its write stages as data, in the order its load balancer needs them: a
 * CLB changes the live load balancer first and then writes the durable option settings; an ALB writes the settings
 * first (Beanstalk rebuilds its listeners from them) and then applies what settings cannot express (the port-80
 * redirect). The pipeline never names a load-balancer type.
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import type {AwsClients} from '../aws/clients.ts'
import {badInput, EbwsError} from '../cli/errors.ts'
import type {SignalGuard} from '../cli/interrupt.ts'
import {guardSignals} from '../cli/interrupt.ts'
import type {OptionSetting} from '../environment/describe.ts'
import {updateEnvironmentSettings} from '../environment/update.ts'
import {isReady, pollEnvironment} from '../environment/wait.ts'

export type ChangeStatus = 'already-in-shape' | 'dry-run' | 'applied'

/** What a stage sees while it runs. */
export interface StageContext {
  say: (line: string) => void
  /** Present when the change guards signals: a first signal is recorded here, and aborts `guard.abortSignal`. */
  guard?: SignalGuard | undefined
  backupFile?: string | undefined
  /** The stages that have finished, in order. */
  completed: WriteStage[]
}

/** Thrown by a live stage that stopped at a signal before all of its steps ran. */
export class StageStopped extends Error {
  readonly completedSteps: number
  constructor(completedSteps: number) {
    super('stopped at a signal')
    this.completedSteps = completedSteps
  }
}

/** Steps on the live load balancer. */
export interface LiveStage {
  kind: 'live'
  /** How many steps it runs (known up front, or 0 when it plans them itself when it runs). */
  steps: number
  run(ctx: StageContext): Promise<void>
  /** What failed, for messages: `Step "…"`, or a description of the change. */
  failure(error: unknown): string
  /**
   * A change with no snapshot to roll back to (a restore, `onFailure` 'wrap'): puts back what this stage wrote when
   * a later stage fails, before the failure is reported. Throws its own error when it cannot.
   */
  undo?: ((ctx: StageContext, error: unknown) => Promise<void>) | undefined
}

/**
 * The durable option settings: one UpdateEnvironment (set + remove), then a wait for Ready. A failure of the
 * UpdateEnvironment call after an earlier stage wrote rolls back; a failed or interrupted wait does not (Beanstalk
 * accepted the settings: the change is made).
 */
export interface SettingsStage {
  kind: 'settings'
  environmentName: string
  set: OptionSetting[]
  remove: OptionSetting[]
  timeoutMs: number
  /** The progress line after UpdateEnvironment was accepted. */
  message: string
  /** Wait for Ready before the update too (a restore right after a failed change). */
  waitFirst?: boolean | undefined
  /** Which progress the wait reports: Beanstalk's events, status changes. */
  events: boolean
  statuses: boolean
  /** Since when events count (default: a second before the update). */
  since?: Date | undefined
  /** When the wait is interrupted by a signal: the error to report (default: the wait's own error). */
  interruptedWhileWaiting?: ((signal: NodeJS.Signals, ctx: StageContext) => EbwsError) | undefined
  /** What a second signal prints once Beanstalk has accepted the settings. */
  lastWordsAfterUpdate?: (() => string[]) | undefined
  /** Runs after the wait (e.g. read the load balancer Beanstalk rebuilt). */
  after?: (() => Promise<void>) | undefined
}

export type WriteStage = LiveStage | SettingsStage

export interface ChangeSpec<V> {
  say: (line: string) => void
  /** Nothing differs: stop before any write ('already-in-shape'). */
  nothingToDo: boolean
  /** The last checks of the plan, before the dry-run stop (e.g. validate the option settings; read the app). */
  check?: (() => Promise<void>) | undefined
  dryRun: boolean
  /**
   * After the dry-run stop and before asking, e.g. wait for the environment to be Ready. 'replan': the state may
   * have changed meanwhile, so the caller plans again from a fresh read (nothing was written).
   */
  beforeConfirm?: (() => Promise<void | 'replan'>) | undefined
  /** Asks with the plan printed (a terminal without --yes); throws to stop with nothing changed. */
  confirm?: (() => Promise<void>) | undefined
  /** Saves what a rollback or `listeners restore` puts back; returns the file. Absent: a restore (its input is the snapshot). */
  snapshot?: (() => string) | undefined
  /** Guard signals while writing (src/cli/interrupt.ts). Absent: signals keep Node's default. */
  signals?:
    | {
        onFirst: (signal: NodeJS.Signals) => string
        lastWords: (backupFile: string | undefined) => string[]
        /** A signal arrived between or inside live stages: the error to report (after putting things back). Absent: finish first. */
        interrupted?: (signal: NodeJS.Signals, completedSteps: number, ctx: StageContext) => Promise<never>
        /** The stages ran to the end but a signal came meanwhile (a restore finishes first): the error to report. */
        afterAll?: ((signal: NodeJS.Signals) => EbwsError) | undefined
      }
    | undefined
  stages: WriteStage[]
  /**
   * What a failed stage does. `rollback`: put back what the completed stages (and the failed one) wrote; it throws
   * ROLLBACK_FAILED (exit 5, the commands that finish the job) when it cannot. `none`: one step, nothing else was
   * changed. `wrap`: any failure of the stages becomes this error (a restore: there is nothing to roll back to).
   */
  onFailure:
    | {
        kind: 'rollback'
        restore: (ctx: StageContext, failed: {stage: WriteStage; what: string; error: unknown}) => Promise<void>
      }
    | {kind: 'none'}
    | {kind: 'wrap'; wrap: (error: unknown) => unknown}
  /** Reads back and names what still differs from the plan (empty: verified); may throw its own VERIFY_FAILED. */
  verify?: ((ctx: StageContext) => Promise<{unmet: string[]; value: V}>) | undefined
  /** What the VERIFY_FAILED hint suggests running. */
  inspectCommand?: string | undefined
}

export interface ChangeOutcome<V> {
  status: ChangeStatus | 'replan'
  backupFile?: string | undefined
  verified?: V | undefined
}

const hasWrites = (s: WriteStage) => (s.kind === 'live' ? s.steps > 0 : s.set.length + s.remove.length > 0)

export async function runChange<V>(clients: AwsClients, spec: ChangeSpec<V>): Promise<ChangeOutcome<V>> {
  if (spec.nothingToDo) return {status: 'already-in-shape'}
  await spec.check?.()
  if (spec.dryRun) return {status: 'dry-run'}
  if ((await spec.beforeConfirm?.()) === 'replan') return {status: 'replan'}
  await spec.confirm?.()
  let ctx: StageContext = {say: spec.say, completed: []}
  const guard =
    spec.signals &&
    guardSignals({
      onFirst: (signal) => spec.say(spec.signals!.onFirst(signal)),
      lastWords: () => spec.signals!.lastWords(ctx.backupFile),
    })
  try {
    // Snapshot first, so any failure can put the load balancer back.
    ctx = {...ctx, guard, backupFile: spec.snapshot?.()}
    return await runStages(clients, spec, ctx)
  } finally {
    guard?.dispose()
  }
}

async function runStages<V>(clients: AwsClients, spec: ChangeSpec<V>, ctx: StageContext): Promise<ChangeOutcome<V>> {
  const {say, guard} = ctx
  const wrap = spec.onFailure.kind === 'wrap' ? spec.onFailure.wrap : undefined
  const stepsDone = () => ctx.completed.reduce((n, s) => n + (s.kind === 'live' ? s.steps : 0), 0)
  const stopIfSignalled = async () => {
    if (guard?.signal && spec.signals?.interrupted) await spec.signals.interrupted(guard.signal, stepsDone(), ctx)
  }
  const fail = async (error: unknown, what: string, stage: WriteStage): Promise<never> => {
    const failure = spec.onFailure
    if (failure.kind === 'wrap') throw error
    if (failure.kind === 'none') {
      throw new EbwsError(
        'CHANGE_FAILED',
        `${what} failed: ${(error as Error).message}\nNothing else was changed (snapshot: ${ctx.backupFile}).`,
        {cause: error, details: {backupFile: ctx.backupFile}},
      )
    }
    say(`${what} failed; restoring the load balancer`)
    await failure.restore(ctx, {stage, what, error})
    throw new EbwsError(
      'CHANGE_FAILED',
      `${what} failed: ${(error as Error).message}\nThe load balancer was restored to its previous state (snapshot: ${ctx.backupFile}).`,
      {cause: error, details: {backupFile: ctx.backupFile, restored: true}},
    )
  }

  try {
    for (const stage of spec.stages) await runStage(stage)
  } catch (error) {
    if (wrap)
      for (const done of [...ctx.completed].reverse())
        if (done.kind === 'live' && done.undo) await done.undo(ctx, error)
    throw wrap ? wrap(error) : error
  }
  async function runStage(stage: WriteStage): Promise<void> {
    if (stage.kind === 'live') {
      try {
        await stage.run(ctx)
      } catch (error) {
        if (error instanceof StageStopped && guard?.signal && spec.signals?.interrupted)
          await spec.signals.interrupted(guard.signal, stepsDone() + error.completedSteps, ctx)
        await fail(error, stage.failure(error), stage)
      }
      ctx.completed.push(stage)
      await stopIfSignalled()
      return
    }
    await stopIfSignalled()
    await runSettings(clients, stage, ctx, {
      updateFailed: (error) =>
        ctx.completed.some(hasWrites) ? fail(error, 'UpdateEnvironment', stage) : Promise.reject(error),
    })
    ctx.completed.push(stage)
  }
  if (guard?.signal && spec.signals?.afterAll) throw spec.signals.afterAll(guard.signal)

  // Verify by reading back: what is there now must have the effect we planned.
  const checked = await spec.verify?.(ctx)
  if (checked && checked.unmet.length > 0) {
    throw new EbwsError(
      'VERIFY_FAILED',
      `The load balancer does not match the plan after applying it:\n  ${checked.unmet.join('\n  ')}`,
      {
        hint: [`Inspect it with \`${spec.inspectCommand}\`; the previous state is in ${ctx.backupFile}.`],
        details: {backupFile: ctx.backupFile},
      },
    )
  }
  return {status: 'applied', backupFile: ctx.backupFile, verified: checked?.value}
}

/**
 * Beanstalk accepts no changes unless the environment is Ready: with --wait, wait for it (true: waited, so read
 * again); with --no-wait, fail with exit 2 before the first write.
 */
export async function readyOrWait(
  clients: AwsClients,
  env: {environmentName: string; status: string},
  o: {wait: boolean; timeoutMs: number; say: (line: string) => void; events: boolean},
): Promise<boolean> {
  if (isReady({status: env.status})) return false
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
    ...(o.events ? {onEvent: (e) => o.say(`${e.severity} ${e.message}`)} : {}),
  })
  return true
}

/** The durable option settings: UpdateEnvironment, then wait for Ready (the "durable settings -> wait" stages). */
async function runSettings(
  clients: AwsClients,
  stage: SettingsStage,
  ctx: StageContext,
  o: {updateFailed: (error: unknown) => Promise<never>},
): Promise<void> {
  const {say, guard} = ctx
  const since = stage.since ?? new Date(Date.now() - 1000)
  if (stage.waitFirst)
    await pollEnvironment(clients, stage.environmentName, isReady, {timeoutMs: stage.timeoutMs, since})
  try {
    await updateEnvironmentSettings(clients, stage.environmentName, stage.set, stage.remove)
  } catch (error) {
    await o.updateFailed(error)
  }
  say(stage.message)
  // Past this point the change is made (Beanstalk accepted the settings and applies them): a signal stops the wait only.
  if (guard && stage.lastWordsAfterUpdate) guard.setLastWords(stage.lastWordsAfterUpdate)
  try {
    await pollEnvironment(clients, stage.environmentName, isReady, {
      timeoutMs: stage.timeoutMs,
      since,
      ...(guard && stage.interruptedWhileWaiting ? {signal: guard.abortSignal} : {}),
      ...(stage.events ? {onEvent: (e) => say(`${e.severity} ${e.message}`)} : {}),
      ...(stage.statuses
        ? {onStatus: (s) => say(`environment ${s.status}${s.health ? `, health ${s.health}` : ''}`)}
        : {}),
    })
  } catch (error) {
    if (!guard?.signal || !stage.interruptedWhileWaiting) throw error
    throw stage.interruptedWhileWaiting(guard.signal, ctx)
  }
  await stage.after?.()
}

/** Where a snapshot goes unless --backup-file says: the temp dir, named by the load balancer and the time. */
export const defaultBackupPath = (loadBalancerName: string, now = new Date()): string =>
  join(tmpdir(), `ebws-backup-${loadBalancerName}-${now.toISOString().replace(/[:.]/g, '-')}.json`)

/** Writes a snapshot (any type's) as `listeners restore --from` reads it: JSON, 0600 (it names the account's ARNs). */
export function writeSnapshotFile(path: string, snapshot: object): string {
  mkdirSync(dirname(path), {recursive: true})
  writeFileSync(path, `${JSON.stringify(snapshot, null, 2)}\n`, {mode: 0o600})
  return path
}

/** A planned step as the result reports it: what it does and the same with the AWS CLI (for --dry-run, recovery). */
export type Planned<S> = {id: string; description: string; command: string} & (S extends {dependsOn: string[]}
  ? {dependsOn: string[]}
  : unknown)

/** The one mapping from an adapter's plan steps to the steps a result reports. */
export function planned<S extends {id: string; description: string; dependsOn?: string[]}>(
  steps: S[],
  command: (step: S) => string,
): Array<Planned<S>> {
  return steps.map(
    (s) =>
      ({
        id: s.id,
        description: s.description,
        command: command(s),
        ...(s.dependsOn ? {dependsOn: s.dependsOn} : {}),
      }) as Planned<S>,
  )
}
