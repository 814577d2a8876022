import {readFileSync} from 'node:fs'

import type {AwsClients} from '../aws/clients.ts'
import type {PortRule} from '../ec2/security-groups.ts'
import {authorizedRule, authorizeIngress, ingressCliCommand, revokeIngress} from '../ec2/security-groups.ts'
import {EbwsError, ErrorWithResult, badInput} from '../cli/errors.ts'
import {shellWord} from '../format/shell.ts'
import type {SignalGuard} from '../cli/interrupt.ts'
import {guardSignals} from '../cli/interrupt.ts'
import {defaultBackupPath, writeSnapshotFile} from '../lb/pipeline.ts'
import type {
  DescribedLoadBalancer,
  DetectedLoadBalancer,
  FirstRoundTrip,
  FixIntent,
  SnapshotRecords,
} from '../lb/types.ts'
import type {IngressStep, SecurityGroupsSnapshot} from './model.ts'
import {isOpen, planIngress, SECURITY_GROUPS_SNAPSHOT} from './model.ts'
import {readExposure} from './read.ts'
import type {FixOptions} from '../listeners/fix.ts'

/** The security-group part of a `listeners fix` result. */
export interface SecurityGroupFix {
  /** What the fix planned for the groups (one TCP rule from 0.0.0.0/0 per closed port). */
  steps: IngressStep[]
  /** The aws CLI commands that do the planned additions. */
  commands: string[]
  /** The rules ebws added; a rollback removes exactly these. */
  added: PortRule[]
  /** Ports Beanstalk opened on its managed group with the option settings (read back after the update). */
  openedByBeanstalk: number[]
  /** Ports still closed after the fix (empty once verified). */
  closedAfter: number[]
  /** Whether the groups were read back after the fix. */
  verified: boolean
  notes: string[]
  /**
   * The snapshot of the rules alone, saved when the listeners needed no change (so none was saved for them):
   * `ebws listeners restore --from` it removes the rules ebws added.
   */
  backupFile?: string | undefined
}

const describeRule = (r: PortRule) => `TCP ${r.port} from ${r.cidr} on ${r.groupId}`

/**
 * Records the rules ebws added in a snapshot that is already written (a rule added after the listeners changed),
 * so that `listeners restore --from` removes it too.
 */
function recordInSnapshot(file: string, records: SnapshotRecords): void {
  writeSnapshotFile(file, {...(JSON.parse(readFileSync(file, 'utf8')) as object), ...records})
}

/**
 * `listeners fix` around the adapter's fix, for every load balancer type: makes the ports the listeners will serve
 * reachable. Reads the groups and plans (pure) before anything is written; a closed port that only a group Beanstalk
 * does not manage could open is refused (exit 2, zero writes) unless `intent.openSecurityGroup`. Rules that Beanstalk
 * will not add itself are added right after the plan is confirmed, before the listeners change; a port Beanstalk opens
 * with the option settings the fix writes is left to it and read back after the update (and added then only if it is
 * still closed). If anything fails, the rules ebws added are removed, and only those.
 */
export async function fixWithReachablePorts<R>(
  clients: AwsClients,
  input: {first: FirstRoundTrip; detected: DetectedLoadBalancer; intent: FixIntent<FixOptions>},
  fix: (intent: FixIntent<FixOptions>) => Promise<R>,
): Promise<{result: R; securityGroups?: SecurityGroupFix | undefined}> {
  const {intent, first, detected} = input
  // Writing .ebextensions changes nothing in AWS; neither does this.
  if (intent.emitEbextensionsDir) return {result: await fix(intent)}
  const read = (described?: Promise<DescribedLoadBalancer | undefined>) =>
    readExposure(clients, {environmentId: first.environment.environmentId, detected, described})
  // The groups are read beside the adapter's own reads, taking what those found about the load balancer (a CLB's
  // DescribeLoadBalancers; an ALB's DescribeListeners) instead of describing it again, as `listeners show` does
  // (src/lb/show.ts). The adapter writes nothing before it confirms, and its confirm waits for this plan (wrap,
  // below): a refused plan still stops before the first write. An adapter that hands nothing (or settles, or
  // confirms first) leaves the read to describe the load balancer itself.
  let onDescribed!: (lb: DescribedLoadBalancer | undefined) => void
  const described = new Promise<DescribedLoadBalancer | undefined>((resolve) => (onDescribed = resolve))
  let plan!: ReturnType<typeof planIngress>
  let sg!: SecurityGroupFix
  let early!: IngressStep[]
  const planning = read(described).then((before) => {
    const ports = [...before.listenerPorts, intent.classic.ports.httpsPort, intent.classic.ports.httpPort]
    plan = planIngress(before, ports, {
      writesSettings: intent.classic.applyTo !== 'elb',
      openUnmanaged: Boolean(intent.openSecurityGroup),
    })
    if (plan.refused.length > 0) {
      const groups = [...new Set(plan.refused.map((r) => r.groupId))].join(', ')
      const list = plan.refused.map((r) => r.port).join(', ')
      throw badInput(
        'UNSAFE_CHANGE',
        `Port ${list} is not open to the internet on ${groups}, a security group Elastic Beanstalk does not manage (set through the SecurityGroups option). ebws does not change it without --open-security-group; nothing was changed.`,
        [
          `Re-run with --open-security-group to add ${plan.refused.map((r) => `TCP ${r.port} from 0.0.0.0/0`).join(' and ')} to ${groups}.`,
          ...plan.refused.map((r) => ingressCliCommand('authorize', {...r, cidr: '0.0.0.0/0'}, first.region)),
        ],
        {groups: plan.refused},
      )
    }
    sg = {
      steps: plan.steps,
      commands: plan.steps.map((s) => ingressCliCommand('authorize', s, first.region)),
      added: [],
      openedByBeanstalk: [],
      closedAfter: [],
      verified: false,
      notes: plan.notes.filter(Boolean),
    }
    early = plan.steps.filter((s) => s.when === 'before')
    if (!intent.dryRun && plan.steps.length > 0) for (const c of sg.commands) intent.say(`Security group plan: ${c}`)
  })
  planning.catch(() => undefined)
  // The adapter's snapshot records the rules ebws added (exactly as authorized), so `listeners restore` removes them.
  const records = (): SnapshotRecords => ({securityGroups: {added: sg.added.map(authorizedRule)}})

  const add = async (steps: IngressStep[]) => {
    for (const s of steps) {
      const rule = {groupId: s.groupId, port: s.port, cidr: s.cidr}
      if (await authorizeIngress(clients, rule)) {
        sg.added.push(rule)
        if (sg.backupFile) recordInSnapshot(sg.backupFile, records())
      }
      intent.say(`✔ security group: allowed ${describeRule(rule)}`)
    }
  }
  const removeAdded = async (error: unknown): Promise<never> => {
    const left: PortRule[] = []
    for (const r of [...sg.added].reverse()) {
      try {
        await revokeIngress(clients, r)
      } catch {
        left.push(r)
      }
    }
    if (left.length > 0) {
      throw new EbwsError(
        'ROLLBACK_FAILED',
        `${(error as Error).message}\nRemoving the security group rules ebws added failed too: ${left.map(describeRule).join('; ')}.`,
        {hint: left.map((r) => ingressCliCommand('revoke', r, first.region)), cause: error},
      )
    }
    if (sg.added.length > 0) intent.say(`Removed the security group rules ebws added (${sg.added.length})`)
    sg.added = []
    throw error
  }

  // While ebws writes its own rules, a signal stops at the next safe point (src/cli/interrupt.ts) and the rules it
  // added are removed again. While the adapter runs, the adapter's guard alone handles signals (it rolls back and
  // throws INTERRUPTED, and its second-signal words name its restore command); the rules then go on the way out.
  let guard: SignalGuard | undefined
  const startGuard = () => {
    guard ??= guardSignals({
      onFirst: (signal) =>
        intent.say(
          `Received ${signal}: stopping at the next safe point and restoring the load balancer (a second signal exits at once).`,
        ),
      lastWords: () => [
        'Security group rules ebws added may be left; remove them with:',
        ...sg.added.map((r) => ingressCliCommand('revoke', r, first.region)),
      ],
    })
  }
  const stopIfSignalled = () => {
    const signal = guard?.signal
    if (!signal) return
    throw new EbwsError(
      'INTERRUPTED',
      `Interrupted by ${signal} before the listeners changed: ${sg.added.length > 0 ? 'the security group rules ebws added were removed' : 'nothing had been changed'}.`,
      {details: {signal}},
    )
  }
  let opened = false
  const openEarly = async () => {
    if (opened) return
    opened = true
    startGuard()
    for (const step of early) {
      stopIfSignalled()
      await add([step])
    }
    stopIfSignalled()
  }
  const saveRulesSnapshot = () => {
    const file = intent.backupFile ?? defaultBackupPath(first.environment.environmentName, intent.now)
    const snapshot: SecurityGroupsSnapshot = {
      kind: SECURITY_GROUPS_SNAPSHOT,
      version: 1,
      takenAt: intent.now.toISOString(),
      region: first.region,
      environmentName: first.environment.environmentName,
      loadBalancerName: detected.type === 'classic' ? detected.id : (detected.id.split('/')[2] ?? detected.id),
      securityGroups: {added: []},
    }
    sg.backupFile = writeSnapshotFile(file, snapshot)
    intent.say(`Saved the security group rules ebws adds to ${file}`)
    sg.notes.push(`Undo the rules ebws added with: ebws listeners restore --from ${shellWord(file)}`)
  }
  // The adapter asks (on a terminal) right before its first write: the early rules go in once that is agreed.
  const wrap =
    <P>(confirm: ((plan: P) => Promise<void>) | undefined) =>
    async (p: P) => {
      onDescribed(undefined)
      await planning
      await confirm?.(p)
      await openEarly()
      // The adapter's own guard starts right after this returns (no await in between).
      guard?.dispose()
      guard = undefined
    }

  /** After the listeners changed: read the groups back. A signal now only stops the read-back: the change is made. */
  const verify = async (result: R): Promise<{result: R; securityGroups: SecurityGroupFix}> => {
    if (!intent.wait) {
      const later = plan.steps.filter((s) => s.when === 'beanstalk').map((s) => s.port)
      if (later.length > 0)
        sg.notes.push(
          `Beanstalk opens port ${later.join(', ')} on its security group with the environment update; check with: ebws listeners show -e ${first.environment.environmentName}`,
        )
      return {result, securityGroups: sg}
    }
    const stopped = () => {
      if (guard?.signal)
        sg.notes.push(`Interrupted by ${guard.signal}: the listeners were changed; the groups were not read back.`)
      return Boolean(guard?.signal)
    }
    if (stopped()) return {result, securityGroups: sg}
    try {
      let after = await read()
      sg.openedByBeanstalk = plan.steps
        .filter((s) => s.when === 'beanstalk' && isOpen(after.groups, s.port))
        .map((s) => s.port)
      const stillClosed = plan.steps.filter((s) => s.when === 'beanstalk' && !isOpen(after.groups, s.port))
      if (stillClosed.length > 0) {
        if (stopped()) return {result, securityGroups: sg}
        sg.notes.push(`Beanstalk did not open port ${stillClosed.map((s) => s.port).join(', ')}; ebws added the rule.`)
        await add(stillClosed)
        const backupFile = (result as {backupFile?: string | undefined}).backupFile
        if (backupFile && backupFile !== sg.backupFile) recordInSnapshot(backupFile, records())
        after = await read()
      }
      sg.closedAfter = plan.steps.map((s) => s.port).filter((p) => !isOpen(after.groups, p))
      sg.verified = true
    } catch (error) {
      return removeAdded(error)
    }
    return {result, securityGroups: sg}
  }

  const started = fix({
    ...intent,
    onDescribed,
    confirm: wrap(intent.confirm),
    snapshotRecords: records,
    classic: {...intent.classic, onDescribed, confirm: wrap(intent.classic.confirm), snapshotRecords: records},
  })
  started.then(
    () => onDescribed(undefined),
    () => onDescribed(undefined),
  )
  // A refused plan first (the adapter, waiting on it to confirm, then writes nothing), then the adapter's outcome.
  await planning
  if (intent.dryRun) {
    try {
      return {result: await started, securityGroups: sg}
    } catch (error) {
      // A plan refused once it was shown (a shared ALB without --change-shared-listeners) carries this step too.
      if (error instanceof ErrorWithResult && typeof error.result === 'object' && error.result !== null)
        Object.assign(error.result, {securityGroups: sg})
      throw error
    }
  }
  try {
    let result: R
    try {
      result = await started
      if (!opened && early.length > 0) {
        // The listeners needed no change, so nobody asked yet, and no snapshot was saved: save one of the rules
        // before the first write (each rule is recorded in it once added).
        await intent.confirmSecurityGroups?.(sg)
        if (!(result as {backupFile?: string | undefined}).backupFile) saveRulesSnapshot()
        await openEarly()
      }
    } catch (error) {
      return await removeAdded(error)
    }
    startGuard()
    return await verify(result)
  } finally {
    guard?.dispose()
  }
}
