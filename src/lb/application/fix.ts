import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describeCertificate, listCertificates} from '../../acm/certificates.ts'
import {certificateProblem, selectCertificate} from '../../acm/select.ts'
import type {AwsClients} from '../../aws/clients.ts'
import {badInput, EbwsError, ErrorWithResult} from '../../cli/errors.ts'
import type {SecurityGroupsRecord} from '../../ec2/security-groups.ts'
import type {CertificateInfo} from '../../elb/model.ts'
import type {OptionSetting} from '../../environment/describe.ts'
import {updateEnvironmentSettings, validateOptionSettings} from '../../environment/update.ts'
import {isReady, pollEnvironment} from '../../environment/wait.ts'
import {changedOptionSettings, ebextensionsConfig} from '../../listeners/durable-settings.ts'
import {checkFixInput} from '../../listeners/fix.ts'
import type {DetectedLoadBalancer, FirstRoundTrip, FixIntent} from '../types.ts'
import {albCliCommand, AlbStepFailed, executeAlbSteps, sslPolicyExists} from './apply.ts'
import type {Elbv2State} from './model.ts'
import {DEFAULT_SSL_POLICY} from './model.ts'
import type {AlbIntent, AlbStep} from './plan.ts'
import {AlbPlanError, albOptionSettings, planAlb, planAlbRestore} from './plan.ts'
import {REDIRECT_OVERRIDE_FILE, redirectOverrideConfig} from './bundle-override.ts'
import {defaultBackupPath, planned, readyOrWait, runChange, writeSnapshotFile} from '../pipeline.ts'
import {refreshElbv2State} from './read-state.ts'
import type {SharedFixSummary} from './shared-fix.ts'
import {checkSharedPlan, preferListenerCertificate, SHARED_FLAG, sharedContext, sharedWarnings} from './shared-fix.ts'
import {observeElbv2} from './show.ts'

export interface AlbFixResult {
  status: 'dry-run' | 'already-in-shape' | 'applied' | 'emitted'
  loadBalancerType: 'application'
  region: string
  environment: string
  loadBalancerArn: string
  redirect: 'lb' | 'app'
  certificate: {arn: string; reason: string; domainName?: string | undefined; notAfter?: string | undefined}
  sslPolicy: string
  /** `needsChangeSharedListeners`: a shared ALB's step that changes the load balancer itself (needs the flag). */
  steps: Array<{id: string; description: string; command: string; needsChangeSharedListeners?: true}>
  optionSettings: OptionSetting[]
  optionSettingsToUpdate: OptionSetting[]
  warnings: string[]
  backupFile?: string | undefined
  ebextensionsFiles?: string[] | undefined
  /** A shared ALB: the other environments, this environment's hosts, and the load-balancer changes (if any). */
  shared?: SharedFixSummary | undefined
}

/** What `fix` saves before its first write on an ALB (and `proxy-protocol` on an NLB), and what restores it. */
export interface Elbv2Snapshot {
  kind: 'ebws-lb-snapshot'
  version: 1
  loadBalancerType: 'application' | 'network'
  takenAt: string
  region: string
  environmentName: string
  loadBalancerArn: string
  state: Elbv2State
  optionSettings: OptionSetting[]
  /** The security-group rules `listeners fix` added (absent in older snapshots and proxy-protocol's). */
  securityGroups?: SecurityGroupsRecord | undefined
}
export type AlbSnapshot = Elbv2Snapshot

/** ALBs take RSA and EC certificates alike (CLB's RSA-only rule does not apply); the other rules stay. */
function albCertificateProblem(
  c: CertificateInfo,
  o: {region: string; now: Date; domain?: string | undefined},
): string | undefined {
  const why = certificateProblem(
    {...c, keyAlgorithm: c.keyAlgorithm?.startsWith('EC_') ? 'RSA_2048' : c.keyAlgorithm},
    o,
  )
  return why?.replace('(a CLB can only', '(a load balancer can only')
}

async function chooseAlbCertificate(
  clients: AwsClients,
  first: FirstRoundTrip,
  current: string | undefined,
  intent: FixIntent,
) {
  // ACM is searched only for --domain (or when nothing else names a certificate); an ARN is described directly.
  const candidates: CertificateInfo[] =
    intent.domain || (!intent.certificateArn && !current) ? await listCertificates(clients, first.region) : []
  const lookUp = async (arn: string) => {
    if (candidates.some((c) => c.arn === arn)) return
    try {
      candidates.push(await describeCertificate(clients, arn))
    } catch (error) {
      candidates.push({arn, subjectAlternativeNames: [], inUseBy: [], lookupError: (error as Error).message})
    }
  }
  const arn = intent.certificateArn ?? (intent.domain ? undefined : current)
  if (arn) await lookUp(arn)
  // EC keys are valid on an ALB: select as if they were RSA, then re-check with the ALB rules.
  const asRsa = candidates.map((c) => (c.keyAlgorithm?.startsWith('EC_') ? {...c, keyAlgorithm: 'RSA_2048'} : c))
  const choice = selectCertificate({
    candidates: asRsa,
    region: first.region,
    now: intent.now,
    arn: intent.certificateArn,
    domain: intent.domain,
    current: !intent.certificateArn && !intent.domain && current ? asRsa.find((c) => c.arn === current) : undefined,
  })
  const certificate = choice.certificate && candidates.find((c) => c.arn === choice.certificate!.arn)
  if (certificate && albCertificateProblem(certificate, {region: first.region, now: intent.now, domain: intent.domain}))
    return {...choice, certificate: undefined}
  return {...choice, certificate}
}

/**
 * `listeners fix` on an ALB. Reads (three round trips), checks every input (certificate, SSL policy, shared load
 * balancer, listener layout), plans (pure), then - unless dry-run - snapshots, writes the option settings through
 * UpdateEnvironment and waits (Beanstalk rebuilds the listeners from them), applies what settings cannot express
 * (the port-80 redirect) and whatever the rebuild left different, and verifies by planning again (no steps left).
 * A failed step puts the load balancer and the option settings back from the snapshot.
 */
export async function fixAlb(
  clients: AwsClients,
  input: {first: FirstRoundTrip; detected: DetectedLoadBalancer; intent: FixIntent},
): Promise<AlbFixResult> {
  const {first, intent} = input
  const env = first.environment
  checkFixInput({
    certificateArn: intent.certificateArn,
    domain: intent.domain,
    ports: {httpsPort: 443, httpPort: 80, instancePort: 80},
    mode: 'http',
    stickiness: intent.stickiness,
  })
  const say = intent.say
  const sslPolicy = intent.sslPolicy ?? DEFAULT_SSL_POLICY
  const [observed, policyKnown] = await Promise.all([
    // The listener ports, for the security-groups read (src/security-groups/fix.ts), as showElbv2 hands them.
    observeElbv2(clients, input).then((o) => {
      intent.onDescribed?.({listenerPorts: o.state.listeners.map((l) => l.port)})
      return o
    }),
    sslPolicyExists(clients, sslPolicy),
  ])
  // A shared ALB: this environment's rules change; its listeners only with --change-shared-listeners (shared-fix.ts).
  const shared = observed.shared ? sharedContext(observed, env, intent) : undefined
  if (!policyKnown) {
    throw badInput('TLS_POLICY_UNKNOWN', `"${sslPolicy}" is not an ELBv2 security policy.`, [
      `Leave out --tls-policy for ${DEFAULT_SSL_POLICY} (TLS 1.3 and 1.2), or list the names with \`aws elbv2 describe-ssl-policies --query 'SslPolicies[].Name'\`.`,
    ])
  }
  const current443 = observed.state.listeners.find((l) => l.port === 443)?.certificateArn
  const choice = await chooseAlbCertificate(
    clients,
    first,
    current443,
    shared
      ? preferListenerCertificate(observed, intent, (arn) => {
          const c = observed.certificates.find((x) => x.arn === arn)
          return !!c && !albCertificateProblem(c, {region: first.region, now: intent.now, domain: intent.domain})
        })
      : intent,
  )
  if (!choice.certificate) {
    const rejected = choice.rejected.map((r) => ({
      ...r,
      why: r.why.replace('(a CLB can only', '(a load balancer can only'),
    }))
    throw badInput(
      'CERT_NOT_FOUND',
      `No usable certificate: ${choice.reason.replace('(a CLB can only', '(a load balancer can only')}.${rejected.length > 0 ? `\n  ${rejected.map((r) => `${r.arn}: ${r.why}`).join('\n  ')}` : ''}`,
      [
        "Pass --certificate-arn with an ISSUED ACM certificate (RSA or EC) in the load balancer's region, or --domain to find one.",
      ],
      {rejected},
    )
  }
  const certificate = choice.certificate
  const albIntent: AlbIntent = {
    certificateArn: certificate.arn,
    sslPolicy,
    redirect: intent.redirect,
    stickiness: intent.stickiness,
    idleTimeoutSeconds: intent.idleTimeoutSeconds,
    ...(shared ? {shared} : {}),
  }
  let steps: AlbStep[]
  let sharedPlan: ReturnType<typeof checkSharedPlan> | undefined
  try {
    // A shared ALB's plan is planSharedAlb's (what planAlb gives it), or in a refused dry run the whole plan.
    sharedPlan = shared && checkSharedPlan(observed, env, {...albIntent, shared}, {dryRun: intent.dryRun})
    steps = sharedPlan ? sharedPlan.plan.steps : planAlb(observed.state, albIntent)
  } catch (error) {
    if (error instanceof AlbPlanError) throw badInput(error.code, error.message, error.hints)
    throw error
  }
  const settings = albOptionSettings(observed.state, albIntent)
  const toUpdate = changedOptionSettings(settings, observed.settings)
  const warnings: string[] = []
  if (sharedPlan) warnings.push(...sharedWarnings(sharedPlan.plan, sharedPlan.summary))
  else if (intent.redirect === 'lb' && observed.bundleOverridesListener !== true) {
    warnings.push(
      'The port-80 redirect has no option setting: Beanstalk replaces it on the next environment update unless your bundle carries the .ebextensions override. Write it with --emit-ebextensions .ebextensions and deploy.',
    )
  }
  const base = {
    loadBalancerType: 'application' as const,
    region: first.region,
    environment: env.environmentName,
    loadBalancerArn: observed.state.arn,
    redirect: intent.redirect,
    certificate: {
      arn: certificate.arn,
      reason: choice.reason,
      domainName: certificate.domainName,
      notAfter: certificate.notAfter,
    },
    // A shared listener keeps its policy unless --tls-policy names one.
    sslPolicy:
      (shared && !intent.sslPolicy && observed.state.listeners.find((l) => l.port === 443)?.sslPolicy) || sslPolicy,
    optionSettings: settings,
    warnings,
    ...(sharedPlan ? {shared: sharedPlan.summary} : {}),
  }
  const needsFlag = new Set(sharedPlan?.plan.loadBalancerStepIds)
  const plannedSteps = (s: AlbStep[]) =>
    planned(s, (x) => albCliCommand(observed.state.arn, first.region, x.op)).map((p) =>
      needsFlag.has(p.id) ? {...p, needsChangeSharedListeners: true as const} : p,
    )

  if (intent.emitEbextensionsDir && sharedPlan)
    return emitSharedEbextensions(intent.emitEbextensionsDir, env, base, settings, steps)
  if (intent.emitEbextensionsDir) {
    mkdirSync(intent.emitEbextensionsDir, {recursive: true})
    const files = [join(intent.emitEbextensionsDir, 'ebws-alb-listeners.config')]
    writeFileSync(
      files[0]!,
      ebextensionsConfig(settings, [
        `Generated by ebws listeners fix for ${env.environmentName} (Application Load Balancer).`,
        'Beanstalk re-applies these on every environment update.',
      ]),
    )
    if (intent.redirect === 'lb') {
      // The same file, byte for byte, that deploy/bundle ship for an ALB target (bundle-override.ts).
      files.push(join(intent.emitEbextensionsDir, REDIRECT_OVERRIDE_FILE))
      writeFileSync(files[1]!, redirectOverrideConfig())
    }
    return {
      ...base,
      status: 'emitted',
      steps: [],
      optionSettingsToUpdate: [],
      warnings: warnings.filter((w) => !w.includes('--emit-ebextensions')),
      ebextensionsFiles: files,
    }
  }
  const result = (status: AlbFixResult['status'], extra: Partial<AlbFixResult> = {}): AlbFixResult => ({
    ...base,
    status,
    steps: plannedSteps(steps),
    optionSettingsToUpdate: toUpdate,
    ...extra,
  })
  // The pipeline: the option settings first (Beanstalk rebuilds the listeners from them), then what settings cannot
  // express (the redirect) and whatever the rebuild left different, planned again from the rebuilt load balancer.
  const read = () => refreshElbv2State(clients, observed.state)
  let state = observed.state
  const outcome = await runChange(clients, {
    say,
    nothingToDo: steps.length === 0 && toUpdate.length === 0,
    check: async () => {
      if (toUpdate.length > 0) for (const w of await validateOptionSettings(clients, env, settings)) warnings.push(w)
    },
    dryRun: intent.dryRun,
    beforeConfirm: async () =>
      void (await readyOrWait(clients, env, {
        wait: intent.wait,
        timeoutMs: intent.timeoutMs,
        say,
        events: false,
      })),
    confirm: intent.confirm && (() => intent.confirm!(result('dry-run'))),
    snapshot: () => {
      const backupFile = intent.backupFile ?? defaultBackupPath(observed.state.name, intent.now)
      writeElbv2Snapshot(backupFile, {
        kind: 'ebws-lb-snapshot',
        version: 1,
        loadBalancerType: 'application',
        takenAt: intent.now.toISOString(),
        region: first.region,
        environmentName: env.environmentName,
        loadBalancerArn: observed.state.arn,
        state: observed.state,
        optionSettings: observed.settings,
        ...intent.snapshotRecords?.(),
      })
      say(`Saved the current load balancer and option settings to ${backupFile}`)
      return backupFile
    },
    stages: [
      ...(toUpdate.length > 0
        ? [
            {
              kind: 'settings' as const,
              environmentName: env.environmentName,
              set: toUpdate,
              remove: [],
              timeoutMs: intent.timeoutMs,
              message: `Updating the environment's option settings (${toUpdate.length}); waiting for Ready`,
              events: true,
              statuses: false,
              after: async () => {
                state = await read()
              },
            },
          ]
        : []),
      {
        kind: 'live',
        steps: 0,
        run: async () => {
          const live = planAlb(state, albIntent)
          if (live.length > 0) await executeAlbSteps(clients, state.arn, live, (s) => say(`✔ ${s.description}`))
        },
        failure: (error) =>
          error instanceof AlbStepFailed ? `Step "${error.step.description}"` : 'Changing the load balancer',
      },
    ],
    onFailure: {
      kind: 'rollback',
      restore: async (ctx, failed) => {
        try {
          if (ctx.completed.some((s) => s.kind === 'settings')) {
            const previous = toUpdate
              .map((s) => observed.settings.find((p) => p.namespace === s.namespace && p.optionName === s.optionName))
              .filter((p): p is OptionSetting => p?.value !== undefined)
            const removed = toUpdate.filter(
              (s) => !previous.some((p) => p.namespace === s.namespace && p.optionName === s.optionName),
            )
            await updateEnvironmentSettings(clients, env.environmentName, previous, removed)
            await pollEnvironment(clients, env.environmentName, isReady, {timeoutMs: intent.timeoutMs})
          }
          await executeAlbSteps(clients, observed.state.arn, planAlbRestore(observed.state, await read()))
        } catch (restoreError) {
          throw new EbwsError(
            'ROLLBACK_FAILED',
            `${failed.what} failed (${(failed.error as Error).message}), and restoring failed too: ${(restoreError as Error).message}\nThe snapshot is saved in ${ctx.backupFile}.`,
            {
              hint: [`Retry with: ebws listeners restore --from ${ctx.backupFile}`],
              cause: restoreError,
              details: {backupFile: ctx.backupFile},
            },
          )
        }
      },
    },
    verify: async () => ({unmet: planAlb(await read(), albIntent).map((s) => s.description), value: undefined}),
    inspectCommand: `ebws listeners show -e ${env.environmentName}`,
  })
  // A refused dry run on a shared ALB: the plan was shown in full; it ends as the real run would (exit 2).
  if (sharedPlan?.refusal) throw new ErrorWithResult(sharedPlan.refusal, result('dry-run'))
  return result(outcome.status as AlbFixResult['status'], outcome.backupFile ? {backupFile: outcome.backupFile} : {})
}

/** Writes an ELBv2 snapshot (ALB or NLB) 0600, as `listeners restore --from` reads it. */
export const writeElbv2Snapshot = (file: string, snapshot: Elbv2Snapshot): string => writeSnapshotFile(file, snapshot)

/**
 * --emit-ebextensions on a shared ALB: only the process settings (stickiness) have an option setting. The rule
 * changes have none after environment creation and no documented Resources override (the rules Beanstalk made are
 * not named in its docs), so the result says they need the live change.
 */
function emitSharedEbextensions(
  dir: string,
  env: FirstRoundTrip['environment'],
  base: Omit<AlbFixResult, 'status' | 'steps' | 'optionSettingsToUpdate'>,
  settings: OptionSetting[],
  steps: AlbStep[],
): AlbFixResult {
  const files: string[] = []
  if (settings.length > 0) {
    mkdirSync(dir, {recursive: true})
    files.push(join(dir, 'ebws-alb-listeners.config'))
    writeFileSync(
      files[0]!,
      ebextensionsConfig(settings, [
        `Generated by ebws listeners fix for ${env.environmentName} (shared Application Load Balancer).`,
        'Beanstalk re-applies these process settings on every environment update.',
      ]),
    )
  }
  const rules = steps.some((s) => s.op.kind !== 'target-group-attributes')
  return {
    ...base,
    status: 'emitted',
    steps: [],
    optionSettingsToUpdate: [],
    warnings: [
      ...base.warnings.filter((w) => !w.startsWith('On a shared load balancer Beanstalk')),
      ...(rules
        ? [
            "Not written: this environment's rule changes on the shared load balancer. Beanstalk takes no rule settings after environment creation and documents no override for its rules; run listeners fix without --emit-ebextensions to make them (environment updates leave them alone).",
          ]
        : []),
    ],
    ebextensionsFiles: files,
  }
}

export function formatAlbFix(r: AlbFixResult): string {
  const out: string[] = []
  out.push(
    `${r.environment} · ${r.shared ? 'shared ' : ''}Application Load Balancer · ${r.region} · redirect ${r.redirect}`,
  )
  if (r.shared) {
    out.push(
      `Shared with: ${r.shared.otherEnvironments.length > 0 ? r.shared.otherEnvironments.join(', ') : 'no other environment'} · this environment's hosts: ${r.shared.hosts.join(', ')}`,
    )
    if (r.shared.loadBalancerChanges.length > 0)
      out.push(
        `Changes to the shared load balancer itself${r.shared.affectedEnvironments.length > 0 ? ` (they affect ${r.shared.affectedEnvironments.join(', ')})` : ''}: ${r.shared.loadBalancerChanges.join('; ')}`,
      )
  }
  out.push(`Certificate ${r.certificate.arn}`)
  out.push(
    `  ${r.certificate.domainName ?? ''}${r.certificate.notAfter ? `, expires ${r.certificate.notAfter.slice(0, 10)}` : ''} (${r.certificate.reason}) · SSL policy ${r.sslPolicy}`,
  )
  if (r.status === 'emitted')
    out.push(
      `Wrote ${r.ebextensionsFiles?.join(' and ')}: commit them with your app; Beanstalk applies them on the next deploy.`,
    )
  else if (r.status === 'already-in-shape') out.push('Already in shape: nothing to change.')
  else {
    out.push('')
    out.push(r.status === 'dry-run' ? 'Plan (dry run, nothing changed):' : 'Applied:')
    if (r.optionSettingsToUpdate.length > 0) {
      out.push("  1. update the environment's option settings (Beanstalk rebuilds the listeners from them):")
      for (const s of r.optionSettingsToUpdate) out.push(`       ${s.namespace} ${s.optionName} = ${s.value}`)
    }
    const offset = r.optionSettingsToUpdate.length > 0 ? 2 : 1
    r.steps.forEach((s, i) =>
      out.push(`  ${i + offset}. ${s.description}${s.needsChangeSharedListeners ? ` [needs ${SHARED_FLAG}]` : ''}`),
    )
    if (r.status === 'dry-run' && r.steps.length > 0) {
      out.push('')
      out.push('The same with the AWS CLI (on the load balancer as it is now):')
      for (const s of r.steps) out.push(`  ${s.command}`)
    }
  }
  for (const w of r.warnings) out.push(`! ${w}`)
  if (r.backupFile) out.push(`Snapshot of the previous state: ${r.backupFile}`)
  return out.join('\n')
}
