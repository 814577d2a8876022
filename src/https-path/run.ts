import {describeValidation} from '../acm/request.ts'
import type {AwsClients} from '../aws/clients.ts'
import type {CertRequestResult} from '../cert/request.ts'
import {requestCertificateWithDns} from '../cert/request.ts'
import {badInput, EbwsError, ErrorWithResult} from '../cli/errors.ts'
import type {DnsLinkResult} from '../dns/link.ts'
import {linkDomain} from '../dns/link.ts'
import {certificateNameProblem, normalizeName} from '../dns/names.ts'
import {firstRoundTrip} from '../lb/first-round-trip.ts'
import {fixAnyListeners, type ListenersFixResult} from '../lb/fix.ts'
import type {FixIntent} from '../lb/types.ts'
import type {FixOptions} from '../listeners/fix.ts'

/**
 * `ebws listeners fix --domain D --request-certificate --link-dns`: the console recipe as one command. It composes
 * the features that exist (cert request, dns link, listeners fix; the security group is part of listeners fix) and
 * adds the order, one plan checked before any write, and a verified end state:
 *
 *   1. certificate: requested (or reused) in ACM, validated through Route 53, ISSUED;
 *   2. DNS: the domain aliased to the load balancer (or a CNAME to the environment);
 *   3. listeners (with the port opened): HTTPS 443 with that certificate, port 80 redirecting.
 *
 * Every step is planned from reads first; a bad input in any step (a record pointing elsewhere, a shared ALB, an
 * NLB, an unknown TLS policy) stops with exit 2 and nothing written anywhere. Each step is idempotent, so a second
 * run writes nothing. A failure in a step undoes that step's own writes (each feature's rollback); the earlier
 * steps' results are kept on purpose and said: an ISSUED certificate and a record that points the domain at this
 * environment harm nothing and make the next run shorter. A certificate left pending (its zone is not in Route 53)
 * stops before the DNS and listener steps with CERT_PENDING (exit 6) and the records to create.
 */

export interface HttpsPathOptions {
  environmentName: string
  domain: string
  requestCertificate: boolean
  linkDns: boolean
  /** The listener fix as the command parsed it; the certificate is filled in from step 1. */
  fix: FixIntent<FixOptions>
  progress?: (line: string) => void
  /** Asked once, with every step's plan, before the first write. */
  confirm?: ((plan: HttpsPathResult) => Promise<void>) | undefined
}

/** A domain whose zone is not in Route 53: the record to create at the DNS provider (ebws writes nothing). */
export interface DnsManualStep {
  domain: string
  manualRecord: string
  why: string
}

/** The listener step in a plan made before the certificate exists: it is planned once step 1 has issued it. */
export interface ListenersLaterStep {
  plannedAfterCertificate: string
}

export interface HttpsPathResult {
  /**
   * dry-run: plans only; applied: every step applied (or already right) and the end state verified; already-in-shape:
   * nothing to do in any step; pending-validation: stopped at step 1, the certificate waits for DNS; failed.
   */
  status: 'dry-run' | 'applied' | 'already-in-shape' | 'pending-validation' | 'failed'
  environment: string
  domain: string
  region: string
  steps: {
    certificate: CertRequestResult | null
    dns: DnsLinkResult | DnsManualStep | null
    listeners: ListenersFixResult | ListenersLaterStep | null
  }
  /** The end state read back after the last step (null before it). */
  verified: {
    certificateStatus: string | null
    dnsRecordPresent: boolean | null
    listenersInShape: boolean
  } | null
  /** What an earlier step left in place when a later one failed or stopped, and why that is safe. */
  kept: string[]
}

const isCode = (error: unknown, code: string): boolean => error instanceof EbwsError && error.code === code

export async function runHttpsPath(clients: AwsClients, o: HttpsPathOptions): Promise<HttpsPathResult> {
  const say = o.progress ?? (() => {})
  const problem = certificateNameProblem(o.domain)
  if (problem || o.domain.includes('*'))
    throw badInput(
      'BAD_FLAG',
      `--domain "${o.domain}" ${problem ?? 'is a wildcard: the one-command path links and certifies one name'}.`,
      'Pass the name clients use, such as app.example.com.',
    )
  if (o.requestCertificate && o.fix.certificateArn)
    throw badInput(
      'BAD_FLAG',
      '--certificate-arn and --request-certificate name the certificate twice.',
      'Leave out one of them.',
    )
  const domain = normalizeName(o.domain)
  const deadline = Date.now() + o.fix.timeoutMs
  const left = () => Math.max(1000, deadline - Date.now())
  const intentWith = (certificateArn: string | undefined, dryRun: boolean): FixIntent<FixOptions> => {
    // Step 1's certificate; without step 1, the one the user named (--certificate-arn), else the one --domain finds.
    const arn = certificateArn ?? (o.requestCertificate ? undefined : o.fix.certificateArn)
    const cert = arn ? {certificateArn: arn, domain: undefined} : {certificateArn: undefined, domain}
    return {
      ...o.fix,
      ...cert,
      dryRun,
      timeoutMs: left(),
      confirm: undefined,
      classic: {...o.fix.classic, ...cert, dryRun, timeoutMs: left(), confirm: undefined},
    }
  }

  // Plan: reads only. The environment and its region first (the certificate must be in the load balancer's).
  const {region, environment: env} = await firstRoundTrip(clients, o.environmentName)
  const result: HttpsPathResult = {
    status: 'dry-run',
    environment: env.environmentName,
    domain,
    region,
    steps: {certificate: null, dns: null, listeners: null},
    verified: null,
    kept: [],
  }
  const manualDns = (): DnsManualStep => ({
    domain,
    manualRecord: `${domain}.  CNAME  ${env.cname ?? "<the environment's CNAME>"}.`,
    why: 'no public Route 53 hosted zone of this account holds the domain: create the record at your DNS provider',
  })
  const planDns = async (): Promise<DnsLinkResult | DnsManualStep> => {
    try {
      return await linkDomain(clients, {
        environmentName: env.environmentName,
        domain,
        replace: false,
        dryRun: true,
        refuseConflicts: true,
      })
    } catch (error) {
      if (isCode(error, 'ZONE_NOT_FOUND')) return manualDns()
      if (isCode(error, 'UNSAFE_CHANGE'))
        throw new EbwsError('UNSAFE_CHANGE', (error as EbwsError).message, {
          hint: [
            `Take the name over first with \`ebws dns link -e ${env.environmentName} --domain ${domain} --replace\` (or use another name), then run this command again.`,
          ],
          details: (error as EbwsError).details,
        })
      throw error
    }
  }
  const certificateStep = (dryRun: boolean) =>
    requestCertificateWithDns(clients, {
      domain,
      sans: [],
      region,
      dryRun,
      wait: o.fix.wait,
      timeoutMs: left(),
      progress: say,
    })
  const [certPlan, dnsPlan] = await Promise.all([
    o.requestCertificate ? certificateStep(true) : null,
    o.linkDns ? planDns() : null,
  ])
  // The listener fix's own checks (load balancer type, shared ALB, TLS policy, idle timeout) run now too. Until the
  // certificate exists it cannot be chosen, so "no certificate" is expected then, and every other refusal stands.
  const issuedArn = certPlan?.status === 'issued' ? (certPlan.certificateArn ?? undefined) : undefined
  // (Another certificate that covers the domain may exist, an imported one say: the plan would show it, but step 3
  // uses step 1's, so the listener plan is then left for after step 1 too.)
  const later = o.requestCertificate && !issuedArn
  let listenersPlan: ListenersFixResult | ListenersLaterStep = {
    plannedAfterCertificate: `planned once the certificate for ${domain} is issued (step 1): HTTPS 443 with it, port 80 redirected`,
  }
  try {
    const planned = (await fixAnyListeners(clients, intentWith(issuedArn, true))).result as ListenersFixResult
    if (!later) listenersPlan = planned
  } catch (error) {
    if (!(later && isCode(error, 'CERT_NOT_FOUND'))) throw error
  }
  result.steps = {certificate: certPlan, dns: dnsPlan, listeners: listenersPlan}
  if (o.fix.dryRun) return result
  await o.confirm?.(result)

  // Apply, in order.
  const fail = (error: unknown, status: HttpsPathResult['status'] = 'failed'): never => {
    result.status = status
    const e = error instanceof EbwsError ? error : new EbwsError('CHANGE_FAILED', (error as Error).message)
    const keptNote =
      result.kept.length > 0 ? `\nKept from the earlier steps (safe to keep):\n  ${result.kept.join('\n  ')}` : ''
    throw new ErrorWithResult(
      new EbwsError(e.code, `${e.message}${keptNote}`, {hint: e.hints, cause: e.cause ?? error, details: e.details}),
      result,
    )
  }

  let certificateArn: string | undefined
  if (o.requestCertificate) {
    say(`Step 1/3: the certificate for ${domain}`)
    try {
      result.steps.certificate = await certificateStep(false)
    } catch (error) {
      const partial = error instanceof ErrorWithResult ? (error.result as CertRequestResult) : null
      if (partial) result.steps.certificate = partial
      if (isCode(error, 'CERT_PENDING') || isCode(error, 'TIMEOUT')) {
        const e = error as EbwsError
        const dns = result.steps.dns
        if (partial?.certificateArn)
          result.kept.push(`the pending certificate ${partial.certificateArn} (ACM issues it once its records resolve)`)
        return fail(
          new EbwsError(
            e.code,
            `${e.message}\nStopped before the DNS record and the listeners; nothing else was changed.`,
            {
              hint: [
                ...e.hints,
                ...(isManualDns(dns) ? [`Point the domain at the environment there too: ${dns.manualRecord}`] : []),
                'Then run the same command again: it reuses the certificate and goes on from there.',
              ].join('\n'),
              details: e.details,
            },
          ),
          'pending-validation',
        )
      }
      return fail(error)
    }
    const cert = result.steps.certificate
    if (cert.status !== 'issued') {
      if (cert.certificateArn) result.kept.push(`the pending certificate ${cert.certificateArn}`)
      return fail(
        new EbwsError(
          'CERT_PENDING',
          `The certificate ${cert.certificateArn} is ${cert.status}: its validation records are in Route 53, but ACM has not issued it yet (--no-wait). Stopped before the DNS record and the listeners.`,
          {hint: 'Run the same command again (with --wait, the default, it waits for ISSUED within --timeout).'},
        ),
        'pending-validation',
      )
    }
    certificateArn = cert.certificateArn ?? undefined
    result.kept.push(
      `the ISSUED certificate ${certificateArn}${cert.reused ? ' (reused)' : ''}, with its validation record(s): unused until a listener uses it, and ACM renews it while the records stay`,
    )
  }

  if (o.linkDns) {
    say(`Step 2/3: pointing ${domain} at ${env.environmentName}`)
    const planned = result.steps.dns
    if (isManualDns(planned)) {
      say(`${domain} is not in a Route 53 zone of this account; create at your DNS provider: ${planned.manualRecord}`)
    } else {
      try {
        result.steps.dns = await linkDomain(clients, {
          environmentName: env.environmentName,
          domain,
          replace: false,
          dryRun: false,
          progress: say,
        })
      } catch (error) {
        return fail(error)
      }
      result.kept.push(
        `the record(s) pointing ${domain} at ${env.environmentName}: the environment serves them already (over HTTP until the listeners are fixed)`,
      )
    }
  }

  say(`Step 3/3: the listeners of ${env.environmentName}`)
  try {
    result.steps.listeners = (await fixAnyListeners(clients, intentWith(certificateArn, false)))
      .result as ListenersFixResult
  } catch (error) {
    return fail(error)
  }

  // Verify the end state by reading it back.
  const dns = result.steps.dns
  const [certificateStatus, dnsRecordPresent, listeners] = await Promise.all([
    certificateArn ? describeValidation(clients, certificateArn, region).then((c) => c.status ?? 'UNKNOWN') : null,
    dns && !isManualDns(dns)
      ? linkDomain(clients, {environmentName: env.environmentName, domain, replace: false, dryRun: true}).then(
          (r) => r.status === 'already-linked',
        )
      : null,
    fixAnyListeners(clients, intentWith(certificateArn, true)).then(
      (f) => (f.result as {status: string}).status === 'already-in-shape',
    ),
  ])
  result.verified = {certificateStatus, dnsRecordPresent, listenersInShape: listeners}
  if ((certificateStatus !== null && certificateStatus !== 'ISSUED') || dnsRecordPresent === false || !listeners) {
    result.status = 'failed'
    throw new ErrorWithResult(
      new EbwsError(
        'VERIFY_FAILED',
        `The end state does not read back as planned: certificate ${certificateStatus ?? 'n/a'}, DNS record ${dnsRecordPresent ?? 'n/a'}, listeners ${listeners ? 'right' : 'not right'}.`,
        {hint: `Inspect with \`ebws listeners show -e ${env.environmentName}\`, then run the same command again.`},
      ),
      result,
    )
  }
  const nothingToDo =
    (result.steps.certificate?.writes ?? 0) === 0 &&
    (dns === null || isManualDns(dns) || dns.status === 'already-linked') &&
    (result.steps.listeners as {status?: string}).status === 'already-in-shape'
  result.status = nothingToDo ? 'already-in-shape' : 'applied'
  result.kept = []
  return result
}

export const isManualDns = (d: HttpsPathResult['steps']['dns']): d is DnsManualStep => d !== null && 'manualRecord' in d
export const isListenersLater = (l: HttpsPathResult['steps']['listeners']): l is ListenersLaterStep =>
  l !== null && 'plannedAfterCertificate' in l
