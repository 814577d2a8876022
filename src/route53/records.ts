import {normalizeName} from '../dns/names.ts'
import type {RecordSet} from './zones.ts'

// How a record set reads and where it points: shared by `dns link` (its plan) and `listeners show` (the records
// that point at the environment).

export const describeRecord = (r: RecordSet): string =>
  r.alias ? `alias ${r.alias.dnsName} (zone ${r.alias.hostedZoneId})` : r.values.map(normalizeName).join(', ')

/** `dualstack.` names the same load balancer as the bare DNS name (it adds the IPv6 addresses). */
export const hostKey = (name: string): string => normalizeName(name).replace(/^dualstack\./, '')

/** Where a record points: its alias target or its CNAME value (A/AAAA values are addresses, which name no host). */
export const recordTargets = (r: RecordSet): string[] =>
  r.alias ? [hostKey(r.alias.dnsName)] : r.type === 'CNAME' ? r.values.map(hostKey) : []

/** Whether `r` points at one of `ours` (the environment's load balancer DNS name, its CNAME). */
export const pointsAt = (r: RecordSet, ours: readonly string[]): boolean => {
  const keys = new Set(ours.filter(Boolean).map(hostKey))
  return recordTargets(r).some((t) => keys.has(t))
}
