import type {RecordSet} from '../route53/zones.ts'
import {describeRecord, pointsAt} from '../route53/records.ts'
import {normalizeName} from './names.ts'

export {describeRecord, pointsAt}

/**
 * The pure half of `ebws dns link`: from what is at the name now and where it should point, the Route 53 changes
 * (one atomic batch) and what each record does. No AWS imports.
 */

export type LinkTarget =
  /** An alias to the load balancer: no charge for queries, works at the zone apex, follows the LB's addresses. */
  | {kind: 'alias'; dnsName: string; hostedZoneId: string; ipv4: boolean; ipv6: boolean; why: string}
  /** A CNAME to the environment's CNAME: where no load balancer can be aliased (a single-instance environment). */
  | {kind: 'cname'; value: string; why: string}

export interface LinkRecordPlan {
  type: string
  action: 'create' | 'update' | 'delete' | 'unchanged'
  /** What the record points at now ('' when new). */
  old: string
  /** What it will point at ('' when deleted). */
  new: string
}

export interface LinkPlan {
  changes: Array<{action: 'CREATE' | 'UPSERT' | 'DELETE'; record: RecordSet}>
  records: LinkRecordPlan[]
  /** Records that point elsewhere (not at this environment) and would be replaced: refused unless --replace. */
  conflicts: LinkRecordPlan[]
}

/** The records `target` needs at `name`. */
export function desiredRecords(name: string, target: LinkTarget): RecordSet[] {
  if (target.kind === 'cname') return [{name, type: 'CNAME', ttl: 300, values: [`${normalizeName(target.value)}.`]}]
  const alias = {dnsName: normalizeName(target.dnsName), hostedZoneId: target.hostedZoneId, evaluateTargetHealth: true}
  return [
    ...(target.ipv4 ? [{name, type: 'A', values: [], alias}] : []),
    ...(target.ipv6 ? [{name, type: 'AAAA', values: [], alias}] : []),
  ]
}

const same = (a: RecordSet, b: RecordSet): boolean =>
  a.type === b.type &&
  (a.alias && b.alias
    ? a.alias.dnsName === b.alias.dnsName && a.alias.hostedZoneId === b.alias.hostedZoneId
    : !a.alias && !b.alias && a.values.map(normalizeName).join() === b.values.map(normalizeName).join())

/**
 * A CNAME cannot share its name with any other record (RFC 1034 3.6.2; Route 53 refuses it), so a CNAME replaces
 * the name's A/AAAA records and an alias A replaces a CNAME. Only the address types and CNAME are ours to judge;
 * other types at the name (MX, TXT) are left alone, and block a CNAME.
 */
export function planLink(
  name: string,
  target: LinkTarget,
  existing: readonly RecordSet[],
  /** Hosts that are this environment (its LB DNS name, its CNAME): records pointing there are ours to update. */
  ours: readonly string[] = [],
): LinkPlan {
  const mine = (r: RecordSet) => pointsAt(r, [...ours, target.kind === 'alias' ? target.dnsName : target.value])
  const want = desiredRecords(name, target)
  const changes: LinkPlan['changes'] = []
  const records: LinkRecordPlan[] = []
  const conflicts: LinkRecordPlan[] = []
  const addressTypes = new Set(['A', 'AAAA', 'CNAME'])
  for (const w of want) {
    const now = existing.find((e) => e.type === w.type)
    if (now && same(now, w)) {
      records.push({type: w.type, action: 'unchanged', old: describeRecord(now), new: describeRecord(w)})
      continue
    }
    const entry: LinkRecordPlan = {
      type: w.type,
      action: now ? 'update' : 'create',
      old: now ? describeRecord(now) : '',
      new: describeRecord(w),
    }
    records.push(entry)
    if (now && !mine(now)) conflicts.push(entry)
    changes.push({action: now ? 'UPSERT' : 'CREATE', record: w})
  }
  const wantTypes = new Set(want.map((w) => w.type))
  for (const e of existing) {
    if (wantTypes.has(e.type)) continue
    // A CNAME wanted: the A/AAAA there go. An alias wanted: a CNAME there goes, and an A/AAAA the target cannot
    // serve (an IPv4-only load balancer has no AAAA).
    if (!addressTypes.has(e.type)) continue
    const entry: LinkRecordPlan = {type: e.type, action: 'delete', old: describeRecord(e), new: ''}
    records.push(entry)
    if (!mine(e)) conflicts.push(entry)
    // Deletes first in the batch: Route 53 applies a batch as one change, but a CNAME may not coexist with others.
    changes.unshift({action: 'DELETE', record: e})
  }
  return {changes, records, conflicts}
}
