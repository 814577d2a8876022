import type {CertificateInfo} from '../elb/model.ts'
import {clbKeyProblem} from '../elb/model.ts'
import {acmArnRegion} from './certificates.ts'
import {compareAscii} from '../compare.ts'

/**
 * Whether a certificate name covers a domain. A wildcard covers exactly one label and not the apex:
 * *.example.com covers www.example.com, not example.com nor a.b.example.com.
 * https://docs.aws.amazon.com/acm/latest/userguide/acm-certificate.html (wildcard names)
 */
export function nameCovers(name: string, domain: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '')
  const d = domain.toLowerCase().replace(/\.$/, '')
  if (n === d) return true
  if (!n.startsWith('*.')) return false
  const suffix = n.slice(1) // ".example.com"
  if (!d.endsWith(suffix)) return false
  const label = d.slice(0, -suffix.length)
  return label.length > 0 && !label.includes('.')
}

export const certificateNames = (c: CertificateInfo): string[] => [
  ...new Set([c.domainName, ...c.subjectAlternativeNames].filter((x): x is string => Boolean(x))),
]
export const certificateCovers = (c: CertificateInfo, domain: string): boolean =>
  certificateNames(c).some((n) => nameCovers(n, domain))

/** Why a certificate cannot serve this load balancer (undefined: it can). */
export function certificateProblem(
  c: CertificateInfo,
  opts: {region: string; now: Date; domain?: string | undefined},
): string | undefined {
  if (c.lookupError) return c.lookupError
  const region = acmArnRegion(c.arn)
  if (region && region !== opts.region)
    return `it is in ${region}, but the load balancer is in ${opts.region} (a CLB can only use ACM certificates from its own region)`
  if (c.status !== 'ISSUED') return `its status is ${c.status ?? 'unknown'}, not ISSUED`
  if (c.notAfter && new Date(c.notAfter).getTime() <= opts.now.getTime())
    return `it expired on ${c.notAfter.slice(0, 10)}`
  const key = clbKeyProblem(c.keyAlgorithm)
  if (key) return key
  if (opts.domain && !certificateCovers(c, opts.domain))
    return `it does not cover ${opts.domain} (it names ${certificateNames(c).join(', ') || 'nothing'})`
  return undefined
}

export interface CertificateChoice {
  certificate?: CertificateInfo | undefined
  /** How it was chosen, for the user. */
  reason: string
  rejected: Array<{arn: string; why: string}>
}

/**
 * Pure: pick the certificate for the secure listener.
 * - an explicit ARN must be usable;
 * - a domain: every ISSUED, unexpired, CLB-usable certificate of the region that covers it; several: the one that
 *   expires last; none: each candidate with the reason it was rejected;
 * - neither: reuse the listener's current certificate while it is usable.
 */
export function selectCertificate(input: {
  candidates: CertificateInfo[]
  region: string
  now: Date
  arn?: string | undefined
  domain?: string | undefined
  current?: CertificateInfo | undefined
}): CertificateChoice {
  const {region, now, domain} = input
  if (input.arn) {
    const c = input.candidates.find((x) => x.arn === input.arn) ?? {
      arn: input.arn,
      subjectAlternativeNames: [],
      inUseBy: [],
      lookupError: 'not found in ACM',
    }
    const why = certificateProblem(c, {region, now, domain})
    return why
      ? {reason: `${input.arn} cannot be used: ${why}`, rejected: [{arn: c.arn, why}]}
      : {certificate: c, reason: 'given with --certificate-arn', rejected: []}
  }
  if (domain) {
    const covering = input.candidates.filter((c) => certificateCovers(c, domain))
    const rejected: Array<{arn: string; why: string}> = []
    const usable: CertificateInfo[] = []
    for (const c of covering) {
      const why = certificateProblem(c, {region, now, domain})
      if (why) rejected.push({arn: c.arn, why})
      else usable.push(c)
    }
    usable.sort((a, b) => compareAscii(b.notAfter ?? '', a.notAfter ?? '') || compareAscii(a.arn, b.arn))
    const best = usable[0]
    if (!best) {
      return {
        reason:
          covering.length === 0
            ? `no ACM certificate in ${region} covers ${domain}`
            : `none of the ${covering.length} ACM certificate${covering.length === 1 ? '' : 's'} covering ${domain} can be used`,
        rejected,
      }
    }
    const others =
      usable.length > 1
        ? `; ${usable.length} certificates qualify, this one expires last (${best.notAfter?.slice(0, 10)})`
        : ''
    return {certificate: best, reason: `covers ${domain}${others}`, rejected}
  }
  if (input.current) {
    const why = certificateProblem(input.current, {region, now})
    return why
      ? {
          reason: `the current certificate ${input.current.arn} cannot be kept: ${why}`,
          rejected: [{arn: input.current.arn, why}],
        }
      : {certificate: input.current, reason: "the listener's current certificate, still valid", rejected: []}
  }
  return {reason: 'no certificate given and the load balancer has none to reuse', rejected: []}
}
