import type {CertificateDetail, CertificateSummary} from '@aws-sdk/client-acm'

import type {AwsClients} from '../aws/clients.ts'
import {awsCall} from '../aws/errors.ts'
import type {CertificateInfo} from '../elb/model.ts'

/**
 * ListCertificates returns only RSA_1024 and RSA_2048 certificates unless Includes.keyTypes names others, so we
 * ask for every key type: EC and RSA-4096 certificates must be seen to be reported as unusable on a CLB.
 * https://docs.aws.amazon.com/acm/latest/APIReference/API_ListCertificates.html
 */
export const ALL_KEY_TYPES = [
  'RSA_1024',
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'EC_prime256v1',
  'EC_secp384r1',
  'EC_secp521r1',
] as const

const iso = (d: Date | undefined): string | undefined =>
  d instanceof Date && !Number.isNaN(d.getTime()) ? d.toISOString() : undefined

export function fromSummary(s: CertificateSummary): CertificateInfo {
  return {
    arn: s.CertificateArn ?? '',
    domainName: s.DomainName,
    subjectAlternativeNames: s.SubjectAlternativeNameSummaries ?? [],
    status: s.Status,
    notBefore: iso(s.NotBefore),
    notAfter: iso(s.NotAfter),
    keyAlgorithm: s.KeyAlgorithm,
    type: s.Type,
    inUseBy: [],
  }
}

export function fromDetail(c: CertificateDetail): CertificateInfo {
  return {
    arn: c.CertificateArn ?? '',
    domainName: c.DomainName,
    subjectAlternativeNames: c.SubjectAlternativeNames ?? [],
    status: c.Status,
    notBefore: iso(c.NotBefore),
    notAfter: iso(c.NotAfter),
    keyAlgorithm: c.KeyAlgorithm,
    type: c.Type,
    inUseBy: c.InUseBy ?? [],
  }
}

/** arn:aws:acm:<region>:<account>:certificate/<id>; undefined for anything else (e.g. IAM server certificates). */
export function acmArnRegion(arn: string): string | undefined {
  const m = /^arn:aws[a-zA-Z-]*:acm:([a-z0-9-]+):\d{12}:certificate\/[A-Za-z0-9-]+$/.exec(arn)
  return m?.[1]
}

export const isIamServerCertificate = (arn: string): boolean =>
  /^arn:aws[a-zA-Z-]*:iam::\d{12}:server-certificate\//.test(arn)

/** Every ACM certificate in the region (all key types and statuses), following pagination. */
export async function listCertificates(clients: AwsClients, region?: string): Promise<CertificateInfo[]> {
  const acm = await clients.acm(region)
  const {ListCertificatesCommand} = await import('../aws/sdk/acm.ts')
  const out: CertificateInfo[] = []
  let NextToken: string | undefined
  do {
    const page = await awsCall('acm:ListCertificates', () =>
      acm.send(new ListCertificatesCommand({Includes: {keyTypes: [...ALL_KEY_TYPES]}, MaxItems: 1000, NextToken})),
    )
    for (const s of page.CertificateSummaryList ?? []) out.push(fromSummary(s))
    NextToken = page.NextToken
  } while (NextToken)
  return out
}

export async function describeCertificate(clients: AwsClients, arn: string): Promise<CertificateInfo> {
  // The client for the ARN's region; the default one (already prepared, connections warm) when that is ours.
  const region = acmArnRegion(arn)
  const acm = await clients.acm(region && region !== (await clients.region()) ? region : undefined)
  const {DescribeCertificateCommand} = await import('../aws/sdk/acm.ts')
  const out = await awsCall('acm:DescribeCertificate', () =>
    acm.send(new DescribeCertificateCommand({CertificateArn: arn})),
  )
  return out.Certificate
    ? fromDetail(out.Certificate)
    : {arn, subjectAlternativeNames: [], inUseBy: [], lookupError: 'ACM returned no certificate'}
}

/**
 * Details of the certificates the listeners use. Those in `listed` (from ListCertificates, fetched concurrently
 * with other reads) cost nothing more; the rest (another region, IAM, not found) are looked up or explained.
 */
export async function certificatesInUse(
  clients: AwsClients,
  arns: string[],
  listed: CertificateInfo[] | Error,
): Promise<CertificateInfo[]> {
  const byArn = new Map(Array.isArray(listed) ? listed.map((c) => [c.arn, c]) : [])
  return Promise.all(
    [...new Set(arns)].map(async (arn): Promise<CertificateInfo> => {
      const known = byArn.get(arn)
      if (known) return known
      if (isIamServerCertificate(arn))
        return {
          arn,
          subjectAlternativeNames: [],
          inUseBy: [],
          type: 'IAM',
          lookupError: 'an IAM server certificate, not managed by ACM',
        }
      try {
        return await describeCertificate(clients, arn)
      } catch (error) {
        return {arn, subjectAlternativeNames: [], inUseBy: [], lookupError: (error as Error).message}
      }
    }),
  )
}
