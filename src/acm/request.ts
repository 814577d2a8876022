import {randomBytes} from 'node:crypto'

import type {AwsClients} from '../aws/clients.ts'
import {awsCall} from '../aws/errors.ts'
import {EbwsError} from '../cli/errors.ts'
import {normalizeName} from '../dns/names.ts'

/** ACM calls of `cert request`: request, read the validation records, delete (rollback), wait for ISSUED. */

export interface ValidationOption {
  domainName: string
  status?: string | undefined
  record?: {name: string; type: string; value: string} | undefined
}

export interface RequestedCertificate {
  arn: string
  status?: string | undefined
  validation: ValidationOption[]
}

/**
 * One idempotency token per run: "If you call RequestCertificate multiple times with the same idempotency token
 * within one hour, ACM recognizes that you are requesting only one certificate" (1-32 characters, \w+;
 * https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html), so the SDK's own retries of
 * the call never make a second certificate. Not derived from the names: a later run after a rollback deleted the
 * certificate must get a new one, not the deleted ARN; reuse across runs comes from finding the certificate.
 */
const newIdempotencyToken = (): string => randomBytes(16).toString('hex')

export async function requestCertificate(
  clients: AwsClients,
  names: readonly string[],
  region: string,
): Promise<string> {
  const acm = await clients.acm(region)
  const {RequestCertificateCommand} = await import('../aws/sdk/acm.ts')
  const [domain, ...sans] = names
  const out = await awsCall('acm:RequestCertificate', () =>
    acm.send(
      new RequestCertificateCommand({
        DomainName: domain,
        // The SAN list includes the domain name itself, as ACM reports it back.
        SubjectAlternativeNames: sans.length > 0 ? [...names] : undefined,
        ValidationMethod: 'DNS',
        IdempotencyToken: newIdempotencyToken(),
        Tags: [{Key: 'created-by', Value: 'ebws'}],
      }),
    ),
  )
  if (!out.CertificateArn) throw new EbwsError('AWS_CALL_FAILED', 'acm:RequestCertificate returned no certificate ARN.')
  return out.CertificateArn
}

export async function describeValidation(
  clients: AwsClients,
  arn: string,
  region: string,
): Promise<RequestedCertificate> {
  const acm = await clients.acm(region)
  const {DescribeCertificateCommand} = await import('../aws/sdk/acm.ts')
  const out = await awsCall('acm:DescribeCertificate', () =>
    acm.send(new DescribeCertificateCommand({CertificateArn: arn})),
  )
  const c = out.Certificate
  return {
    arn,
    status: c?.Status,
    validation: (c?.DomainValidationOptions ?? []).map((o) => ({
      domainName: normalizeName(o.DomainName ?? ''),
      status: o.ValidationStatus,
      record:
        o.ResourceRecord?.Name && o.ResourceRecord.Value
          ? {
              name: normalizeName(o.ResourceRecord.Name),
              type: o.ResourceRecord.Type ?? 'CNAME',
              value: normalizeName(o.ResourceRecord.Value),
            }
          : undefined,
    })),
  }
}

/**
 * ACM fills in DomainValidationOptions[].ResourceRecord shortly after RequestCertificate returns, not at once
 * (https://docs.aws.amazon.com/acm/latest/APIReference/API_DescribeCertificate.html: "ResourceRecord ... may not
 * be present immediately"), so the records are read until every name has one, within `timeoutMs`.
 */
export async function waitForValidationRecords(
  clients: AwsClients,
  arn: string,
  region: string,
  timeoutMs: number,
): Promise<RequestedCertificate> {
  const deadline = Date.now() + timeoutMs
  for (let delay = 250; ; delay = Math.min(delay * 2, 3000)) {
    const c = await describeValidation(clients, arn, region)
    if (c.validation.length > 0 && c.validation.every((o) => o.record)) return c
    if (Date.now() + delay > deadline) {
      throw new EbwsError(
        'TIMEOUT',
        `ACM gave no DNS validation records for ${arn} within ${Math.round(timeoutMs / 1000)} s.`,
        {
          hint: 'Run the same command again: it reuses the pending certificate.',
          details: {certificateArn: arn},
        },
      )
    }
    await new Promise((r) => setTimeout(r, delay))
  }
}

export async function deleteCertificate(clients: AwsClients, arn: string, region: string): Promise<void> {
  const acm = await clients.acm(region)
  const {DeleteCertificateCommand} = await import('../aws/sdk/acm.ts')
  await awsCall('acm:DeleteCertificate', () => acm.send(new DeleteCertificateCommand({CertificateArn: arn})))
}

/** Waits for ISSUED with the SDK's waiter (polls DescribeCertificate), bounded by `timeoutMs`. */
export async function waitIssued(
  clients: AwsClients,
  arn: string,
  region: string,
  timeoutMs: number,
): Promise<'issued' | 'timed-out' | 'failed'> {
  const acm = await clients.acm(region)
  const {waitUntilCertificateValidated} = await import('../aws/sdk/acm.ts')
  try {
    await waitUntilCertificateValidated(
      {client: acm, maxWaitTime: Math.max(1, Math.round(timeoutMs / 1000)), minDelay: 1, maxDelay: 10},
      {CertificateArn: arn},
    )
    return 'issued'
  } catch (error) {
    const state = (error as {result?: {state?: string}}).result?.state
    if (state === 'TIMEOUT' || (error as Error).name === 'TimeoutError') return 'timed-out'
    if (state === 'FAILURE') return 'failed'
    throw error
  }
}
