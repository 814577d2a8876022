/**
 * Pure rules about DNS names, shared by `cert request` and `dns link`: syntax, wildcards, and which hosted zone
 * holds a name. No AWS imports.
 */

/** A Route 53 hosted zone as ebws needs it. */
export interface HostedZone {
  /** The zone id without the `/hostedzone/` prefix. */
  id: string
  /** The zone's name, lower case, without the trailing dot. */
  name: string
  privateZone: boolean
}

/** Lower case, no trailing dot: how names are compared everywhere. */
export const normalizeName = (name: string): string => name.trim().replace(/\.$/, '').toLowerCase()

// A hostname label: letters, digits and hyphens, not starting or ending with a hyphen, 1-63 characters.
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/

/**
 * Why `name` cannot be a certificate name, or undefined when it can. ACM's DomainName pattern allows a leading `*.`
 * only, and "the asterisk (*) must be in the leftmost position of the domain name and can protect only one subdomain
 * level" (https://docs.aws.amazon.com/acm/latest/userguide/acm-certificate.html); a name is at most 253 characters
 * (https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html).
 */
export function certificateNameProblem(raw: string): string | undefined {
  const name = normalizeName(raw)
  if (name.length === 0) return 'is empty'
  if (name.length > 253) return 'is longer than 253 characters'
  const labels = name.split('.')
  const wildcard = labels[0] === '*'
  if (name.includes('*') && (!wildcard || labels.slice(1).some((l) => l.includes('*')))) {
    return 'has a wildcard that is not the whole leftmost label: a wildcard covers one level only (*.example.com)'
  }
  const rest = wildcard ? labels.slice(1) : labels
  if (rest.length < 2)
    return wildcard
      ? 'is a wildcard directly on a top-level domain'
      : 'is not a fully qualified domain name (example.com)'
  const bad = rest.find((l) => !LABEL.test(l))
  if (bad !== undefined) return `has an invalid label "${bad}" (letters, digits and hyphens, 1-63 characters)`
  return undefined
}

/** The name a wildcard's validation and alias records live at: `*.example.com` -> `example.com`. */
export const baseName = (name: string): string => normalizeName(name).replace(/^\*\./, '')

/**
 * The public hosted zone that holds `name`: the one whose name is the longest suffix of it (a delegated
 * sub-zone such as app.example.com holds app.example.com's records, not example.com's). Private zones never answer
 * public DNS, so ACM and browsers never see them.
 */
export function zoneFor(name: string, zones: readonly HostedZone[]): HostedZone | undefined {
  const n = normalizeName(name)
  let best: HostedZone | undefined
  for (const z of zones) {
    if (z.privateZone) continue
    if ((n === z.name || n.endsWith(`.${z.name}`)) && (!best || z.name.length > best.name.length)) best = z
  }
  return best
}
