import type {HostedZone} from '../dns/names.ts'
import {baseName, certificateNameProblem, normalizeName, zoneFor} from '../dns/names.ts'

/**
 * The pure half of `ebws cert request`: which names, whether an existing certificate serves, and what each
 * validation record needs. No AWS imports; the tests feed it observed state.
 */

/** ACM's default quota: 10 domain names per certificate (https://docs.aws.amazon.com/acm/latest/userguide/acm-limits.html). */
export const MAX_NAMES = 10

export type NameCheck = {names: string[]} | {problem: string}

/** The certificate's names: the domain first, then the SANs, normalised and without duplicates; or why not. */
export function certificateNames(domain: string, sans: readonly string[]): NameCheck {
  const names: string[] = []
  for (const raw of [domain, ...sans]) {
    const problem = certificateNameProblem(raw)
    if (problem) return {problem: `"${raw}" ${problem}`}
    const n = normalizeName(raw)
    if (!names.includes(n)) names.push(n)
  }
  if (names.length > MAX_NAMES)
    return {problem: `${names.length} names: an ACM certificate holds at most ${MAX_NAMES} by default`}
  return {names}
}

export interface ExistingCertificate {
  arn: string
  status?: string | undefined
  type?: string | undefined
  names: string[]
  notAfter?: string | undefined
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean => {
  const x = new Set(a.map(normalizeName))
  const y = new Set(b.map(normalizeName))
  return x.size === y.size && [...x].every((n) => y.has(n))
}

/**
 * An ACM-issued certificate for exactly these names that is ISSUED (and not expired) or PENDING_VALIDATION:
 * requesting again would only make a duplicate. ISSUED wins over pending; among equals, the one valid longest.
 */
export function reusableCertificate(
  existing: readonly ExistingCertificate[],
  names: readonly string[],
  now: Date,
): ExistingCertificate | undefined {
  const rank = (c: ExistingCertificate) => (c.status === 'ISSUED' ? 0 : 1)
  return existing
    .filter((c) => c.type === 'AMAZON_ISSUED' && sameSet(c.names, names))
    .filter(
      (c) =>
        c.status === 'PENDING_VALIDATION' ||
        (c.status === 'ISSUED' && (!c.notAfter || Date.parse(c.notAfter) > now.getTime())),
    )
    .sort((a, b) => rank(a) - rank(b) || (b.notAfter ?? '').localeCompare(a.notAfter ?? ''))[0]
}

export interface ValidationRecordPlan {
  /** The certificate names this record validates (a wildcard shares its base name's record). */
  domains: string[]
  name: string
  type: string
  value: string
  zone: HostedZone | null
  /** upsert: ebws writes it; present: already there with this value; manual: no Route 53 zone holds it. */
  action: 'upsert' | 'present' | 'manual'
  /** A record at this name with another value (never overwritten without asking). */
  conflicting?: string[] | undefined
}

/**
 * One entry per distinct validation record, with the zone that holds it and what to do. `existing` maps a record
 * name to the values of the CNAME there now (read from Route 53).
 */
export function planValidationRecords(
  options: ReadonlyArray<{domainName: string; record?: {name: string; type: string; value: string} | undefined}>,
  zones: readonly HostedZone[],
  existing: ReadonlyMap<string, readonly string[]>,
): ValidationRecordPlan[] {
  const byName = new Map<string, ValidationRecordPlan>()
  for (const o of options) {
    if (!o.record) continue
    const name = normalizeName(o.record.name)
    const known = byName.get(name)
    if (known) {
      known.domains.push(o.domainName)
      continue
    }
    const value = normalizeName(o.record.value)
    // The record lives under the certificate name's zone (validation records are <token>.<base name>).
    const zone = zoneFor(name, zones) ?? null
    const now = (existing.get(name) ?? []).map(normalizeName)
    const action = !zone ? 'manual' : now.length === 1 && now[0] === value ? 'present' : 'upsert'
    const conflicting = zone && now.length > 0 && !now.includes(value) ? [...now] : undefined
    byName.set(name, {domains: [o.domainName], name, type: o.record.type, value, zone, action, conflicting})
  }
  return [...byName.values()]
}

/** For a dry run before anything is requested: which zone will hold each name's record. */
export function zonesForNames(
  names: readonly string[],
  zones: readonly HostedZone[],
): Array<{name: string; zone: HostedZone | null}> {
  return names.map((n) => ({name: n, zone: zoneFor(baseName(n), zones) ?? null}))
}
