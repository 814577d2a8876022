// `listeners restore`'s security-group part, for every load balancer type: the rules `listeners fix` added (the
// snapshot records each exactly as fix authorized it, src/security-groups/fix.ts) are revoked again, and only those.
// Planned here (read the groups, pure planner in model.ts) and handed to the adapter as a stage that runs before its
// own; the stage puts back what it revoked when it, or a later stage, fails.
import type {AwsClients} from '../aws/clients.ts'
import {badInput, EbwsError} from '../cli/errors.ts'
import type {AuthorizedRule, SecurityGroup, SecurityGroupsRecord} from '../ec2/security-groups.ts'
import {authorizeIngress, describeSecurityGroups, ingressCliCommand, revokeIngress} from '../ec2/security-groups.ts'
import {shellWord} from '../format/shell.ts'
import type {LiveStage, StageContext} from '../lb/pipeline.ts'
import {runChange} from '../lb/pipeline.ts'
import type {RestoreOptions, RestoreResult, SecurityGroupsRestore} from '../lb/types.ts'
import type {SecurityGroupsSnapshot} from './model.ts'
import {planRevokes, SECURITY_GROUPS_SNAPSHOT} from './model.ts'

const describeRule = (r: AuthorizedRule) =>
  `TCP ${r.fromPort === r.toPort ? r.fromPort : `${r.fromPort}-${r.toPort}`} from ${r.cidrIp} on ${r.groupId}`

const isRule = (r: unknown): r is AuthorizedRule => {
  const x = r as Partial<AuthorizedRule> | null
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof x.groupId === 'string' &&
    /^sg-[0-9a-f]+$/.test(x.groupId) &&
    x.ipProtocol === 'tcp' &&
    Number.isInteger(x.fromPort) &&
    Number.isInteger(x.toPort) &&
    x.fromPort! >= 0 &&
    x.fromPort! <= x.toPort! &&
    x.toPort! <= 65535 &&
    typeof x.cidrIp === 'string' &&
    /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(x.cidrIp) &&
    typeof x.description === 'string'
  )
}

/**
 * The snapshot's security-group record, checked before anything is read or written: undefined when the snapshot
 * has none (an older ebws, or a command that changes no security group); SNAPSHOT_INVALID (exit 2) when malformed.
 */
export function securityGroupsRecordOf(
  snapshot: {securityGroups?: unknown},
  file: string,
): SecurityGroupsRecord | undefined {
  const record = snapshot.securityGroups
  if (record === undefined) return undefined
  const added = (record as {added?: unknown} | null)?.added
  if (!Array.isArray(added) || !added.every(isRule)) {
    throw badInput(
      'SNAPSHOT_INVALID',
      `${file}: its securityGroups section is not what \`ebws listeners fix\` writes (securityGroups.added: rules with groupId, ipProtocol "tcp", fromPort, toPort, cidrIp and description); nothing was changed.`,
      ['Pass the file that `ebws listeners fix` printed as its backup, unedited.'],
      {path: file},
    )
  }
  return {added}
}

/** The groups the rules name, as they are; a group that no longer exists is left out (its rules are gone with it). */
async function readGroups(clients: AwsClients, ids: string[]): Promise<SecurityGroup[]> {
  try {
    return await describeSecurityGroups(clients, {ids})
  } catch (error) {
    if (!(error instanceof EbwsError) || error.code !== 'LB_NOT_FOUND' || ids.length === 1) {
      if (error instanceof EbwsError && error.code === 'LB_NOT_FOUND') return []
      throw error
    }
    return (await Promise.all(ids.map((id) => readGroups(clients, [id])))).flat()
  }
}

/**
 * Plans the removal of the rules the snapshot says `listeners fix` added, against the groups as they are now (a
 * second restore finds them gone and plans nothing). An absent record removes nothing and says so.
 */
export async function planSecurityGroupsRestore(
  clients: AwsClients,
  record: SecurityGroupsRecord | undefined,
  o: {region: string; file: string},
): Promise<SecurityGroupsRestore> {
  if (!record) {
    return {
      remove: [],
      steps: [],
      leftAlone: [
        'security group rules: the snapshot does not record any that ebws added (taken by an older ebws, or by a command that changes no security group), so none were removed',
      ],
    }
  }
  if (record.added.length === 0) return {remove: [], steps: [], leftAlone: []}
  const groups = await readGroups(clients, [...new Set(record.added.map((r) => r.groupId))])
  const plan = planRevokes(record.added, groups)
  const leftAlone = plan.changed.map(
    (r) =>
      `security group rule ${describeRule(r)}: its description is no longer the one ebws gave it ("${r.description}"), so it is someone else's now and was kept`,
  )
  const steps = plan.remove.map((r, i) => ({
    id: `security-group-${i + 1}`,
    description: `remove ${describeRule(r)} (added by ebws listeners fix)`,
    command: ingressCliCommand('revoke', r, o.region),
    dependsOn: [],
  }))
  return {
    remove: plan.remove,
    steps,
    stage: plan.remove.length > 0 ? revokeStage(clients, plan.remove, o) : undefined,
    leftAlone,
  }
}

/**
 * Revokes the rules one by one (RevokeSecurityGroupIngress with the exact permission). If one fails, those revoked
 * before it are authorized again, so a failing revoke leaves everything as it was; `undo` does the same when a
 * later stage of the restore fails.
 */
function revokeStage(clients: AwsClients, rules: AuthorizedRule[], o: {region: string; file: string}): LiveStage {
  let revoked: AuthorizedRule[] = []
  const retry = `Retry the restore with:\nebws listeners restore --from ${shellWord(o.file)}`
  const putBack = async (ctx: StageContext, why: unknown): Promise<void> => {
    const left: AuthorizedRule[] = []
    for (const r of [...revoked].reverse()) {
      try {
        await authorizeIngress(clients, r)
        ctx.say(`  put back: ${describeRule(r)}`)
      } catch {
        left.push(r)
      }
    }
    revoked = []
    if (left.length > 0) {
      throw new EbwsError(
        'ROLLBACK_FAILED',
        `${(why as Error).message}\nPutting back the security group rules the restore had removed failed too: ${left.map(describeRule).join('; ')}.\nThese commands put them back:\n${left.map((r) => ingressCliCommand('authorize', r, o.region)).join('\n')}`,
        {hint: [retry], cause: why, details: {backupFile: o.file}},
      )
    }
  }
  return {
    kind: 'live',
    steps: rules.length,
    run: async (ctx) => {
      revoked = []
      for (const r of rules) {
        try {
          if (await revokeIngress(clients, r)) revoked.push(r)
        } catch (error) {
          const had = revoked.length
          const failed = new EbwsError(
            error instanceof EbwsError ? error.code : 'AWS_CALL_FAILED',
            `Removing the security group rule ${describeRule(r)} failed: ${(error as Error).message}\nNothing was changed${had > 0 ? ` (the ${had} rule${had === 1 ? '' : 's'} removed before it ${had === 1 ? 'was' : 'were'} put back)` : ''}: the load balancer and its option settings were not touched.`,
            {
              hint: [retry],
              cause: error,
              details: {...(error instanceof EbwsError ? error.details : {}), backupFile: o.file, changed: false},
            },
          )
          await putBack(ctx, failed)
          throw failed
        }
        ctx.say(`✔ security group: removed ${describeRule(r)}`)
      }
    },
    undo: async (ctx, error) => {
      if (revoked.length === 0) return
      ctx.say(
        `The restore failed after removing the security group rules ebws had added; putting them back (${revoked.length})`,
      )
      await putBack(ctx, error)
    },
    failure: () => 'Removing the security group rules ebws added',
  }
}

export const isSecurityGroupsSnapshot = (head: {kind?: unknown}): boolean => head.kind === SECURITY_GROUPS_SNAPSHOT

/**
 * `listeners restore --from` a snapshot of security-group rules alone (`listeners fix` saved it when the listeners
 * needed no change): the rules ebws added are revoked, through the change pipeline like every restore.
 */
export async function restoreSecurityGroupsOnly(
  clientsFor: (region: string) => AwsClients,
  file: string,
  head: Partial<SecurityGroupsSnapshot>,
  o: RestoreOptions,
): Promise<RestoreResult> {
  if (head.version !== 1 || typeof head.region !== 'string' || typeof head.loadBalancerName !== 'string')
    throw badInput('SNAPSHOT_INVALID', `${file} is not an ebws security-group snapshot.`, [
      'Pass the file that `ebws listeners fix` printed as its backup.',
    ])
  const record = securityGroupsRecordOf(head, file) ?? {added: []}
  const clients = clientsFor(head.region)
  const sg = await planSecurityGroupsRestore(clients, record, {region: head.region, file})
  const result: RestoreResult = {
    loadBalancerName: head.loadBalancerName,
    region: head.region,
    dryRun: o.dryRun,
    steps: sg.steps,
    optionSettingsToUpdate: [],
    optionSettingsToRemove: [],
    securityGroupRulesToRemove: sg.remove,
    leftAlone: sg.leftAlone,
  }
  const say = o.progress ?? (() => {})
  await runChange(clients, {
    say,
    nothingToDo: !sg.stage,
    dryRun: o.dryRun,
    confirm: o.confirm && (() => o.confirm!({...result, dryRun: true})),
    signals: {
      onFirst: (signal) => `Received ${signal}: finishing the restore first (a second signal exits at once).`,
      lastWords: () => [
        'The restore did not finish. Run it again:',
        `ebws listeners restore --from ${shellWord(file)}`,
      ],
      afterAll: (signal) =>
        new EbwsError('INTERRUPTED', `Interrupted by ${signal}; the restore was finished first (${file}).`, {
          details: {restored: true, signal},
        }),
    },
    stages: sg.stage ? [sg.stage] : [],
    // The stage says what failed and puts back what it had revoked.
    onFailure: {kind: 'wrap', wrap: (error) => error},
  })
  return result
}
