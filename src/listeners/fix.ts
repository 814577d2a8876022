import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {acmArnRegion, describeCertificate, isIamServerCertificate, listCertificates} from '../acm/certificates.ts'
import type {CertificateChoice} from '../acm/select.ts'
import {selectCertificate} from '../acm/select.ts'
import type {AwsClients} from '../aws/clients.ts'
import type {EbwsError} from '../cli/errors.ts'
import {badInput} from '../cli/errors.ts'
import type {EnvironmentInfo, OptionSetting} from '../environment/describe.ts'
import {validateOptionSettings} from '../environment/update.ts'
import {awsCliCommand} from '../elb/apply-plan.ts'
import {predefinedPolicyExists} from '../elb/read-state.ts'
import type {CertificateInfo} from '../elb/model.ts'
import {changeClb, ensureReady} from '../lb/classic/change.ts'
import {planned} from '../lb/pipeline.ts'
import type {ApplyTo, DescribedLoadBalancer, PlannedStep, SnapshotRecords} from '../lb/types.ts'
import {
  changedOptionSettings,
  ebextensionsConfig,
  optionSettingsForPlan,
  settingsTlsPolicyName,
} from './durable-settings.ts'
import type {ObservedEnvironment} from './inspect.ts'
import {observeEnvironment} from './inspect.ts'
import type {LayoutMode, LayoutPorts} from './modes.ts'
import type {ListenerIntent} from './plan.ts'
import {PlanError, planListenerChanges, unmetExpectations} from './plan.ts'
import type {Verdict} from './verdict.ts'
import {judgeListeners, RECOMMENDED_SSL_POLICY} from './verdict.ts'

export type {ApplyTo, PlannedStep}

export interface FixOptions {
  environmentName: string
  mode: LayoutMode
  ports: LayoutPorts
  tlsPolicy: string
  prune: boolean
  stickiness: boolean
  idleTimeoutSeconds?: number | undefined
  certificateArn?: string | undefined
  domain?: string | undefined
  applyTo: ApplyTo
  dryRun: boolean
  /** Wait for the environment to be Ready first instead of failing. */
  wait: boolean
  timeoutMs: number
  backupFile?: string | undefined
  emitEbextensionsDir?: string | undefined
  now?: Date
  progress?: (line: string) => void
  /** Asked with the plan before the first write; throws to stop with nothing changed. */
  confirm?: ((plan: FixResult) => Promise<void>) | undefined
  /** Round trip 1 already made by src/lb (load balancer detection), reused rather than repeated. */
  first?: {environment: EnvironmentInfo} | undefined
  /** What the snapshot records beside the CLB (FixIntent.snapshotRecords). */
  snapshotRecords?: (() => SnapshotRecords) | undefined
  /** Handed DescribeLoadBalancers' answer, for the security-groups read (FixIntent.onDescribed). */
  onDescribed?: ((lb: DescribedLoadBalancer) => void) | undefined
}

export interface FixResult {
  status: 'dry-run' | 'already-in-shape' | 'applied' | 'emitted'
  region: string
  environment: string
  loadBalancerName: string
  mode: LayoutMode
  certificate: {arn: string; reason: string; domainName?: string | undefined; notAfter?: string | undefined}
  elbSteps: PlannedStep[]
  /** The option settings that make the layout durable, and those of them that differ from the environment's now. */
  optionSettings: OptionSetting[]
  optionSettingsToUpdate: OptionSetting[]
  warnings: string[]
  backupFile?: string | undefined
  ebextensionsFile?: string | undefined
  verdictAfter?: Verdict | undefined
}

const ACM_ARN = /^arn:aws[a-zA-Z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/

/** Checks that need no AWS call: they fail before anything is read, let alone written. */
export function checkFixInput(
  o: Pick<FixOptions, 'certificateArn' | 'domain' | 'ports' | 'mode' | 'stickiness'>,
): void {
  checkCertificateInput(o)
  const {httpsPort, httpPort} = o.ports
  if (httpsPort === httpPort)
    throw badInput(
      'BAD_FLAG',
      `--https-port and --http-port are both ${httpsPort}: HTTPS and HTTP cannot share a load balancer port.`,
    )
  if (o.stickiness && o.mode !== 'http')
    throw badInput(
      'BAD_FLAG',
      '--stickiness applies to --mode http only: TCP/SSL listeners cannot carry cookie stickiness.',
    )
}

/** The certificate flags, for every load balancer type: checked before any call. */
export function checkCertificateInput(o: Pick<FixOptions, 'certificateArn' | 'domain'>): void {
  // IAM server certificates are refused rather than checked: ebws checks every certificate before writing and
  // reads ACM only (an IAM lookup would need iam:GetServerCertificate and another SDK client for a legacy path).
  if (o.certificateArn && isIamServerCertificate(o.certificateArn)) {
    throw badInput(
      'CERT_NOT_FOUND',
      `${o.certificateArn} is an IAM server certificate; ebws takes ACM certificates only, which it can check before writing.`,
      [
        'Import it into ACM (aws acm import-certificate --certificate fileb://cert.pem --private-key fileb://key.pem --certificate-chain fileb://chain.pem) and pass the ACM ARN.',
      ],
    )
  }
  if (o.certificateArn && !ACM_ARN.test(o.certificateArn)) {
    throw badInput('BAD_FLAG', `"${o.certificateArn}" is not a certificate ARN.`, [
      'An ACM certificate ARN looks like arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-....',
    ])
  }
  if (o.domain !== undefined && !/^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?$/i.test(o.domain)) {
    throw badInput('BAD_FLAG', `"${o.domain}" is not a domain name.`, [
      'Pass the name clients use, such as example.com or app.example.com.',
    ])
  }
}

/**
 * The ACM calls a fix needs, started with the first reads rather than after them: ListCertificates only for
 * --domain (the one case that must search), DescribeCertificate for --certificate-arn.
 */
function earlyCertificateCalls(
  clients: AwsClients,
  o: FixOptions,
): {listing?: Promise<CertificateInfo[]>; described?: Promise<CertificateInfo>} {
  const out: {listing?: Promise<CertificateInfo[]>; described?: Promise<CertificateInfo>} = {}
  if (o.domain) out.listing = listCertificates(clients)
  else if (o.certificateArn && !isIamServerCertificate(o.certificateArn))
    out.described = describeCertificate(clients, o.certificateArn)
  out.listing?.catch(() => undefined)
  out.described?.catch(() => undefined)
  return out
}

async function chooseCertificate(
  clients: AwsClients,
  observed: ObservedEnvironment,
  o: FixOptions,
  now: Date,
  early: ReturnType<typeof earlyCertificateCalls>,
): Promise<CertificateChoice> {
  const current = observed.state.listeners.find((l) => l.loadBalancerPort === o.ports.httpsPort)?.sslCertificateId
  const candidates: CertificateInfo[] = early.listing ? [...(await early.listing)] : []
  const lookUp = async (arn: string) => {
    if (candidates.some((c) => c.arn === arn)) return
    if (isIamServerCertificate(arn)) {
      candidates.push({arn, subjectAlternativeNames: [], inUseBy: [], status: 'ISSUED', type: 'IAM'})
      return
    }
    try {
      candidates.push(
        await (arn === o.certificateArn && early.described ? early.described : describeCertificate(clients, arn)),
      )
    } catch (error) {
      const code = (error as EbwsError).details?.awsError
      const region = acmArnRegion(arn)
      candidates.push({
        arn,
        subjectAlternativeNames: [],
        inUseBy: [],
        lookupError:
          code === 'ResourceNotFoundException'
            ? `not found in ACM${region ? ` (${region})` : ''}`
            : (error as Error).message,
      })
    }
  }
  if (o.certificateArn) await lookUp(o.certificateArn)
  if (!o.certificateArn && !o.domain && current) await lookUp(current)
  return selectCertificate({
    candidates,
    region: observed.region,
    now,
    arn: o.certificateArn,
    domain: o.domain,
    current: !o.certificateArn && !o.domain && current ? candidates.find((c) => c.arn === current) : undefined,
  })
}

/**
 * Plans and applies a listener layout: read (two round trips), choose the certificate, plan (pure), validate the
 * option settings, then - unless dry-run - snapshot, apply to the CLB wave by wave, write the option settings through
 * UpdateEnvironment, wait for Ready, and verify by reading the CLB back. Any failed CLB step restores the snapshot.
 */
export async function fixListeners(clients: AwsClients, o: FixOptions): Promise<FixResult> {
  const now = o.now ?? new Date()
  const say = o.progress ?? (() => {})
  checkFixInput(o)
  // The CLB's ConnectionSettings.IdleTimeout is 1-3600 (botocore elb model); --idle-timeout allows up to the ALB's 4000.
  if (o.idleTimeoutSeconds !== undefined && o.idleTimeoutSeconds > 3600) {
    throw badInput(
      'BAD_FLAG',
      `--idle-timeout ${o.idleTimeoutSeconds} s is above a Classic Load Balancer's 3600 s maximum.`,
      'Pass 3600 s or less.',
    )
  }

  // A --tls-policy other than the recommended one (which exists) is checked in the same round trip as the reads.
  const tlsCheck = o.tlsPolicy === RECOMMENDED_SSL_POLICY ? undefined : predefinedPolicyExists(clients, o.tlsPolicy)
  tlsCheck?.catch(() => undefined)
  const early = earlyCertificateCalls(clients, o)
  let observed = await observeEnvironment(clients, o.environmentName, {first: o.first, onDescribed: o.onDescribed})
  if (tlsCheck && !(await tlsCheck)) {
    throw badInput(
      'TLS_POLICY_UNKNOWN',
      `"${o.tlsPolicy}" is not a predefined SSL security policy of Classic Load Balancers.`,
      [
        `List them with: aws elb describe-load-balancer-policies --region ${observed.region} --query 'PolicyDescriptions[?PolicyTypeName==\`SSLNegotiationPolicyType\`].PolicyName'`,
        `Or leave out --tls-policy for ${RECOMMENDED_SSL_POLICY}.`,
      ],
    )
  }
  if (!o.emitEbextensionsDir)
    observed = await ensureReady(clients, observed, {wait: o.wait, timeoutMs: o.timeoutMs, say})
  const env = observed.environment

  const choice = await chooseCertificate(clients, observed, o, now, early)
  if (!choice.certificate) {
    throw badInput(
      'CERT_NOT_FOUND',
      `No usable certificate: ${choice.reason}.${choice.rejected.length > 0 ? `\n  ${choice.rejected.map((r) => `${r.arn}: ${r.why}`).join('\n  ')}` : ''}`,
      [
        "Pass --certificate-arn with an ISSUED RSA-2048 ACM certificate in the load balancer's region, or --domain to find one.",
      ],
      {rejected: choice.rejected},
    )
  }
  const certificate = choice.certificate
  const intent: ListenerIntent = {
    mode: o.mode,
    ports: o.ports,
    certificateArn: certificate.arn,
    tlsPolicy: o.tlsPolicy,
    prune: o.prune,
    stickiness: o.stickiness,
    idleTimeoutSeconds: o.idleTimeoutSeconds,
    // Durable: name our SSL policy as the settings will, so Beanstalk re-applying them adds no second one.
    sslPolicyName: o.applyTo === 'elb' ? undefined : settingsTlsPolicyName(observed.configured, o.ports.httpsPort),
  }
  let plan
  try {
    plan = planListenerChanges(observed.state, intent)
  } catch (error) {
    if (error instanceof PlanError) throw badInput(error.code, error.message, error.suggestions)
    throw error
  }
  const settings = optionSettingsForPlan(intent, plan.desired, observed.configured)
  const warnings: string[] = []
  if (o.mode === 'http') {
    warnings.push('CLB HTTPS/HTTP listeners do not pass WebSocket upgrades: Socket.io will use HTTP long-polling.')
    if (!o.stickiness)
      warnings.push(
        'Long-polling across several instances needs stickiness: pass --stickiness, or run a single instance.',
      )
  }
  if (o.mode === 'proxy')
    warnings.push(
      'Deploy the nginx Proxy Protocol config (.platform/nginx) before traffic arrives with PROXY lines; see `ebws proxy-protocol status`.',
    )
  const base = {
    region: observed.region,
    environment: env.environmentName,
    loadBalancerName: observed.loadBalancerName,
    mode: o.mode,
    certificate: {
      arn: certificate.arn,
      reason: choice.reason,
      domainName: certificate.domainName,
      notAfter: certificate.notAfter,
    },
    optionSettings: settings,
    warnings,
  }

  if (o.emitEbextensionsDir) {
    mkdirSync(o.emitEbextensionsDir, {recursive: true})
    const file = join(o.emitEbextensionsDir, 'ebws-listeners.config')
    writeFileSync(
      file,
      ebextensionsConfig(settings, [
        `Generated by ebws listeners fix --mode ${o.mode} for ${env.environmentName}.`,
        'Beanstalk re-applies these on every environment update.',
      ]),
    )
    return {...base, status: 'emitted', elbSteps: [], optionSettingsToUpdate: [], ebextensionsFile: file}
  }

  const elbSteps = o.applyTo === 'environment' ? [] : plan.steps
  const settingsToUpdate = o.applyTo === 'elb' ? [] : changedOptionSettings(settings, observed.configured.settings)
  if (o.applyTo === 'elb' && changedOptionSettings(settings, observed.configured.settings).length > 0) {
    warnings.push(
      "--apply-to elb: the environment's option settings still describe the old layout, so the next environment update will undo this change (drift). Run again with --apply-to both to make it last.",
    )
  }
  const result = (status: FixResult['status'], extra: Partial<FixResult> = {}): FixResult => ({
    ...base,
    status,
    elbSteps: planned(elbSteps, (s) => awsCliCommand(observed.loadBalancerName, observed.region, s.op)),
    optionSettingsToUpdate: settingsToUpdate,
    ...extra,
  })
  // The pipeline: snapshot, apply, roll back on failure, write the settings, wait, verify.
  const outcome = await changeClb(clients, {
    observed,
    elbSteps,
    settingsToUpdate,
    check: async () => {
      if (settingsToUpdate.length > 0)
        for (const w of await validateOptionSettings(clients, env, settings)) warnings.push(w)
    },
    dryRun: o.dryRun,
    unmet: (after) => unmetExpectations(after, plan.desired),
    inspectCommand: `ebws listeners show -e ${env.environmentName}`,
    backupFile: o.backupFile,
    now,
    timeoutMs: o.timeoutMs,
    say,
    confirm: o.confirm && (() => o.confirm!(result('dry-run'))),
    snapshotRecords: o.snapshotRecords,
  })
  if (outcome.status !== 'applied') return result(outcome.status as FixResult['status'])
  const {backupFile, verified: after} = outcome
  const verdictAfter = judgeListeners({state: after!, certificates: [certificate], ports: o.ports, now})
  return result('applied', {backupFile, verdictAfter})
}
