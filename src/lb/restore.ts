import {readFileSync} from 'node:fs'

import type {AwsClients} from '../aws/clients.ts'
import {badInput} from '../cli/errors.ts'
import type {SecurityGroupsSnapshot} from '../security-groups/model.ts'
import {
  isSecurityGroupsSnapshot,
  planSecurityGroupsRestore,
  restoreSecurityGroupsOnly,
  securityGroupsRecordOf,
} from '../security-groups/restore.ts'
import {adapterForSnapshot} from './registry.ts'
import type {RestoreOptions, RestoreResult} from './types.ts'

const HINT = 'Pass the file that `ebws listeners fix` printed as its backup, unedited.'

interface Head {
  kind?: unknown
  loadBalancerType?: unknown
  region?: unknown
  securityGroups?: unknown
}

function readHead(file: string): Head {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown
    return typeof parsed === 'object' && parsed !== null ? (parsed as Head) : {}
  } catch {
    return {}
  }
}

/**
 * `listeners restore --from FILE` for any snapshot: the adapter whose type wrote it puts it back through the change
 * pipeline (a file no adapter owns goes to the one whose reader says what is wrong with it). The security-group rules
 * `listeners fix` added (recorded in the snapshot) are planned here, for every type, and handed to the adapter,
 * which lists them first in its plan and removes them in its first stage.
 */
export async function restoreAnyListeners(
  clientsFor: (region: string) => AwsClients,
  file: string,
  o: RestoreOptions,
): Promise<RestoreResult> {
  const head = readHead(file)
  // The rules alone (fix added rules and the listeners needed no change): no load balancer to put back.
  if (isSecurityGroupsSnapshot(head))
    return restoreSecurityGroupsOnly(clientsFor, file, head as Partial<SecurityGroupsSnapshot>, o)
  const adapter = adapterForSnapshot(head)
  // A file that is no snapshot at all is the adapter's reader's to refuse (exit 2), before anything is read.
  if (!adapter.ownsSnapshot(head)) return adapter.restore(clientsFor, file, o)
  // An NLB snapshot is proxy-protocol's (fix refuses NLBs): it changes no security group, so there is nothing to say.
  const record = securityGroupsRecordOf(head, file) ?? (head.loadBalancerType === 'network' ? {added: []} : undefined)
  if (typeof head.region !== 'string') {
    if (record?.added.length) throw badInput('SNAPSHOT_INVALID', `${file} names no region.`, [HINT])
    return adapter.restore(clientsFor, file, o)
  }
  const securityGroups = await planSecurityGroupsRestore(clientsFor(head.region), record, {region: head.region, file})
  return adapter.restore(clientsFor, file, {...o, securityGroups})
}
