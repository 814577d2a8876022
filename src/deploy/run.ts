/**
 * `ebws deploy`: bundle → validate → pick or create the application version → wait for the environment to be Ready →
 * UpdateEnvironment(VersionLabel) → follow state and events to a verdict. Everything that can be bad input is checked
 * before the first write (S3 or Beanstalk); one deadline (--timeout) bounds the whole run.
 */
import {rmSync} from 'node:fs'
import {mkdtemp, open, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'

import type {AwsClients} from '../aws/clients.ts'
import {awsCall} from '../aws/errors.ts'
import {readCentralDirectory, readEntry} from '../bundle/archive.ts'
import {prepareBundle} from '../bundle/index.ts'
import type {PreparedBundle, SymlinkPolicy} from '../bundle/index.ts'
import {badInput, EbwsError, ErrorWithResult} from '../cli/errors.ts'
import {ExitCode} from '../cli/exit-codes.ts'
import {exitInterrupted, guardSignals} from '../cli/interrupt.ts'
import type {EnvironmentInfo} from '../environment/describe.ts'
import type {EnvironmentEvent} from '../environment/events.ts'
import {latestEventDate} from '../environment/events.ts'
import type {EnvironmentStatus} from '../environment/wait.ts'
import {describeEnvironmentStatus, isReady, pollEnvironment} from '../environment/wait.ts'
import {formatDuration} from '../duration.ts'
import type {
  BundleListenerOverride,
  RedirectOverrideStatus,
  RedirectOverrideTarget,
} from '../lb/application/bundle-override.ts'
import {
  bundleListenerOverride,
  decideRedirectOverride,
  REDIRECT_OVERRIDE_PATH,
  redirectOverrideHook,
  redirectOverrideTarget,
} from '../lb/application/bundle-override.ts'
import {firstRoundTrip} from '../lb/first-round-trip.ts'
import {gitRef, gitState} from './git.ts'
import {bundleKey, checkLabel, contentHashOf, defaultLabel, versionDescription} from './label.ts'
import {initialWatch, judgeDeployment} from './verdict.ts'
import type {Verdict, VerdictContext, WatchState} from './verdict.ts'
import type {KnownVersion, VersionPlan} from './versions.ts'
import {createVersion, listVersions, planVersion, processingState, waitProcessed} from './versions.ts'
import {copyBundle, existingObjectHash, partSize, storageBucket, uploadBundle} from './upload.ts'

export interface DeployInput {
  environmentName: string
  region?: string | undefined
  /** The app folder (default '.'), or a prebuilt zip. */
  dir?: string | undefined
  archive?: string | undefined
  label?: string | undefined
  bucket?: string | undefined
  includeNodeModules: boolean
  symlinks: SymlinkPolicy
  /** Bundle paths let through the secret check (--allow-secret). */
  allowSecret?: readonly string[] | undefined
  /** Symlinks that may point outside the app folder (--allow-link-outside). */
  allowLinkOutside?: readonly string[] | undefined
  waitReady: boolean
  timeoutMs: number
  healthGraceMs: number
  acceptYellow: boolean
  dryRun: boolean
  /**
   * --redirect-override (default true): a folder bundle for a dedicated ALB whose port-80 redirect is live-only gets
   * the .ebextensions override that keeps it (bundle-override.ts); false: the bundle is left as is, with a warning.
   */
  redirectOverride?: boolean | undefined
  /** Bundle size limit (default MAX_BUNDLE_BYTES; EBWS_MAX_BUNDLE_BYTES in the CLI, a test hook). */
  maxBundleBytes?: number | undefined
  say: (line: string) => void
  /** Asked with the plan (a 'planned' result) before the first write; throws to stop with nothing uploaded. */
  confirm?: ((plan: DeployResult) => Promise<void>) | undefined
}

export type DeployStatus = 'deployed' | 'failed' | 'timed-out' | 'planned'

export interface DeployResult {
  status: DeployStatus
  exitCode: number
  /** Why: the verdict's reason, or the plan. */
  reason: string
  environment: string
  application: string
  url?: string | undefined
  version: {
    label: string
    /** How the version came to be: a new upload, a server-side copy, an existing version reused. */
    source: 'uploaded' | 'already-in-s3' | 'copied' | 'reused' | 'planned-upload' | 'planned-copy' | 'planned-reuse'
    contentHash: string
    bucket?: string | undefined
    key?: string | undefined
    sizeBytes: number
    bundle: 'directory' | 'archive'
    multipart?: boolean | undefined
    /** The git commit the label names (`<sha>` or `<sha>-dirty` when the bundled files differ from it). */
    git?: string | undefined
  }
  /** The environment already ran this content, Ready and healthy: nothing was deployed (no UpdateEnvironment). */
  alreadyRunning?: boolean | undefined
  previousVersion?: string | undefined
  environmentStatus?: string | undefined
  health?: string | undefined
  healthStatus?: string | undefined
  durationSeconds: number
  /** The operation may still be running on AWS (timeout, or a failure seen while the environment was Updating). */
  stillRunning: boolean
  events: EnvironmentEvent[]
  /** The target's load balancer, as detected (DescribeEnvironmentResources, and settings for an ALB). */
  loadBalancer?: DeployLoadBalancer | undefined
  /**
   * Everything worth a look, also printed as `warning: ...` lines: bundle warnings (hooks made executable, links, a
   * dirty tree) and, on a dedicated ALB whose port-80 redirect exists only on the load balancer, that this update
   * drops it because the bundle lacks the .ebextensions `Resources` override of AWSEBV2LoadBalancerListener (with
   * the fix: `ebws listeners fix --emit-ebextensions DIR`, or leaving --redirect-override on).
   */
  warnings: string[]
}

export interface DeployLoadBalancer {
  type: 'classic' | 'application' | 'network' | 'none'
  /** A shared ALB (LoadBalancerIsShared): its listeners are not the environment's, nothing to keep. */
  shared: boolean
  /** Port 80's live default action redirects to HTTPS (ALB only; absent when not read). */
  liveRedirect?: boolean | undefined
  /** in-bundle, added (ebws shipped .ebextensions/ebws-alb-redirect.config), missing (warned), not-needed, unknown. */
  redirectOverride: RedirectOverrideStatus
}

/** A deploy that ran and did not succeed: the envelope's result is the full DeployResult (what was done). */
export class DeployError extends ErrorWithResult<DeployResult> {
  constructor(result: DeployResult, hint: string[]) {
    const message = `Deploy of ${result.version.label} to ${result.environment} ${result.status === 'timed-out' ? 'timed out' : 'failed'}: ${result.reason}`
    super(new EbwsError(result.status === 'timed-out' ? 'TIMEOUT' : 'DEPLOY_FAILED', message, {hint}), result)
    this.name = 'DeployError'
  }
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 2 : 1)} MB`

const urlOf = (s: {cname?: string | undefined; endpointUrl?: string | undefined}): string | undefined =>
  s.cname ? `http://${s.cname}` : s.endpointUrl ? `http://${s.endpointUrl}` : undefined

export async function deploy(clients: AwsClients, input: DeployInput): Promise<DeployResult> {
  const startedAt = Date.now()
  const deadline = startedAt + input.timeoutMs
  const say = input.say
  if (input.label !== undefined) checkLabel(input.label)
  const workDir = await mkdtemp(join(tmpdir(), 'ebws-deploy-'))
  // A signal (a cancelled CI job), wherever it comes (bundling, the upload, the wait for Ready, the deployment):
  // deploy has nothing to roll back, so it stops at once and says how far it got, as any error is reported (with
  // --json one envelope on stdout), exit 130.
  const stage: DeployStage = {env: input.environmentName, versionCreated: false, updateStarted: false}
  const guard = guardSignals({
    onFirst: (signal) => {
      // The bundle built in the work folder goes too: exiting here skips the finally below.
      rmSync(workDir, {recursive: true, force: true})
      exitInterrupted(interruptedDeployError(signal, stage))
    },
  })
  try {
    // The reads: round trip 1 (DescribeEnvironments + DescribeEnvironmentResources, which name the load balancer),
    // then one wave: the application's versions beside the ALB's listeners and settings (bundle-override.ts).
    // Started at most once: by the bundle hook below when the override decision needs it, else after bundling.
    let reads: Promise<TargetReads> | undefined
    const readTarget = (): Promise<TargetReads> => {
      reads ??= targetReads(clients, input.environmentName)
      reads.catch(() => undefined) // awaited later; a bundle error may come first
      return reads
    }
    // 1. Bundle and validate: all local, so bad input (secrets, invalid .ebextensions) fails before any AWS call.
    say(input.archive ? `Checking the archive ${input.archive}` : `Bundling ${resolve(input.dir ?? '.')}`)
    let own: BundleListenerOverride | undefined
    const keep = input.redirectOverride ?? true
    const hook = redirectOverrideHook({
      environmentName: input.environmentName,
      enabled: keep,
      workDir,
      target: async () => (await readTarget()).target,
      seen: (o) => (own = o),
    })
    const bundle: PreparedBundle = await prepareBundle(
      {
        dir: input.dir,
        archive: input.archive,
        includeNodeModules: input.includeNodeModules,
        symlinks: input.symlinks,
        allowSecret: input.allowSecret,
        allowLinkOutside: input.allowLinkOutside,
        maxBytes: input.maxBundleBytes,
        extraEntries: hook,
      },
      join(workDir, 'bundle.zip'),
    )
    own ??= await archiveListenerOverride(bundle.file, bundle.entries)
    for (const n of bundle.notices) say(n)
    for (const w of bundle.warnings) say(`warning: ${w}`)
    say(`Bundle: ${mb(bundle.sizeBytes)}, content sha256 ${bundle.contentHash.slice(0, 12)}…`)
    // The label names HEAD, marked -dirty when the bundled files are not HEAD's (git.ts).
    const git = input.archive
      ? await gitState(process.cwd())
      : await gitState(resolve(input.dir ?? '.'), new Set(bundle.entries.map((e) => e.path)))
    const ref = git ? gitRef(git) : undefined
    if (git?.dirty) {
      bundle.warnings.push(
        `the bundled files differ from HEAD ${git.sha} (${git.changed.join(', ')}): the version is labelled ${ref}`,
      )
      say(`warning: ${bundle.warnings.at(-1)!}`)
    }

    // 2. The environment, its application and versions: reads only. Unknown environment and label clash end here.
    const {env, versions, target} = await readTarget()
    const application = env.applicationName
    const redirect = decideRedirectOverride({
      environmentName: env.environmentName,
      target,
      bundle: own,
      enabled: keep,
      archive: bundle.kind === 'archive',
    })
    // The hook added the file when it decided to; the entries say whether it did.
    const status: RedirectOverrideStatus =
      redirect.status === 'added' && !bundle.entries.some((e) => e.path === REDIRECT_OVERRIDE_PATH)
        ? 'missing'
        : redirect.status
    if (status === 'added')
      say(
        `${REDIRECT_OVERRIDE_PATH} added to the bundle: the .ebextensions Resources override that keeps ${env.environmentName}'s live port-80 redirect across this update (--no-redirect-override leaves it out)`,
      )
    if (redirect.warning) {
      bundle.warnings.push(redirect.warning)
      say(`warning: ${redirect.warning}`)
    }
    const loadBalancer: DeployLoadBalancer = {
      type: target.loadBalancerType,
      shared: target.shared,
      ...(target.liveRedirect === undefined ? {} : {liveRedirect: target.liveRedirect}),
      redirectOverride: status,
    }
    const plan = planVersion({
      versions,
      contentHash: bundle.contentHash,
      requestedLabel: input.label,
      defaultLabel: defaultLabel({gitSha: ref, contentHash: bundle.contentHash, now: new Date(startedAt)}),
      runningLabel: env.versionLabel,
    })
    stage.label = plan.label
    stage.versionCreated = plan.kind === 'reuse'
    say(`Version ${plan.label}: ${plan.kind === 'reuse' ? 'reusing it' : 'creating it'} (${plan.why})`)

    const base = {
      environment: env.environmentName,
      application,
      url: urlOf(env),
      previousVersion: env.versionLabel,
      loadBalancer,
      warnings: bundle.warnings,
    }
    const versionInfo = (
      source: DeployResult['version']['source'],
      extra: Partial<DeployResult['version']> = {},
    ): DeployResult['version'] => ({
      label: plan.label,
      source,
      contentHash: bundle.contentHash,
      sizeBytes: bundle.sizeBytes,
      bundle: bundle.kind,
      ...(ref ? {git: ref} : {}),
      ...(plan.kind === 'reuse' ? {bucket: plan.version.bucket, key: plan.version.key} : {}),
      ...extra,
    })

    if (!isReady({status: env.status}) && !input.waitReady) {
      throw badInput(
        'ENV_NOT_READY',
        `Environment "${env.environmentName}" is ${env.status}, not Ready; Beanstalk accepts no deployment until it is. Nothing was uploaded.`,
        ['Leave out --no-wait to wait for it (within --timeout), or try again when it is Ready.'],
      )
    }

    // The same content already running, Ready and healthy: deploying it again would restart the app for nothing.
    // Only when no new version is asked for: a new --label is created and deployed, as asked.
    const running =
      plan.kind === 'reuse' && alreadyRunning(env, plan.label, versions, bundle.contentHash, input.acceptYellow)
    if (running) {
      say(
        `${env.environmentName} already runs ${env.versionLabel} with this content, Ready and ${env.health}: nothing to deploy`,
      )
      return {
        ...base,
        status: input.dryRun ? 'planned' : 'deployed',
        alreadyRunning: true,
        reason: `${env.environmentName} already runs this content (${env.versionLabel}), Ready and ${env.health}; nothing was deployed`,
        version: versionInfo(input.dryRun ? 'planned-reuse' : 'reused'),
        environmentStatus: env.status,
        health: env.health,
        healthStatus: env.healthStatus,
        durationSeconds: Math.round((Date.now() - startedAt) / 1000),
        exitCode: ExitCode.Ok,
        stillRunning: false,
        events: [],
      }
    }

    if (input.dryRun || input.confirm) {
      const steps = describePlan(plan, {
        redirectAdded: status === 'added',
        bucket: input.bucket,
        application,
        env: env.environmentName,
        ready: isReady({status: env.status}),
        status: env.status,
        sizeBytes: bundle.sizeBytes,
      })
      const planned: DeployResult = {
        ...base,
        status: 'planned',
        reason: steps.join('; '),
        version: versionInfo(
          plan.kind === 'reuse' ? 'planned-reuse' : plan.copyFrom ? 'planned-copy' : 'planned-upload',
          plan.kind === 'create' && input.bucket ? {bucket: input.bucket, key: bundleKey(application, plan.label)} : {},
        ),
        environmentStatus: env.status,
        health: env.health,
        healthStatus: env.healthStatus,
        durationSeconds: Math.round((Date.now() - startedAt) / 1000),
        exitCode: ExitCode.Ok,
        stillRunning: false,
        events: [],
      }
      if (input.dryRun) return planned
      await input.confirm?.(planned)
    }

    // 3. Wait for Ready first (no point uploading for an environment that will not take it in time).
    if (!isReady({status: env.status})) await waitForReady(clients, env.environmentName, env.status, deadline, say)

    // 4. The version: upload (or copy), create with Process=true, wait for Processed.
    let version: DeployResult['version']
    if (plan.kind === 'reuse') {
      version = versionInfo('reused')
      if (processingState(plan.version.status) !== 'usable')
        await waitProcessed(clients, {application, label: plan.label, deadline, say})
    } else {
      const bucket = input.bucket ?? (await storageBucket(clients))
      const key = bundleKey(application, plan.label)
      let source: DeployResult['version']['source']
      let multipart: boolean | undefined
      if (plan.copyFrom) {
        say(
          `Copying s3://${plan.copyFrom.bucket}/${plan.copyFrom.key} to s3://${bucket}/${key} (same content as ${plan.copyFrom.label})`,
        )
        await copyBundle(clients, {from: plan.copyFrom, bucket, key, contentHash: bundle.contentHash})
        source = 'copied'
      } else if ((await existingObjectHash(clients, bucket, key)) === bundle.contentHash) {
        say(`s3://${bucket}/${key} already holds this bundle: not uploading it again`)
        source = 'already-in-s3'
      } else {
        say(
          `Uploading ${mb(bundle.sizeBytes)} to s3://${bucket}/${key}${bundle.sizeBytes > partSize() ? ` (multipart, ${mb(partSize())} parts)` : ''}`,
        )
        let lastTenth = -1
        const result = await uploadBundle(clients, {
          file: bundle.file,
          sizeBytes: bundle.sizeBytes,
          bucket,
          key,
          contentHash: bundle.contentHash,
          deadline,
          onProgress: (p) => {
            const tenth = Math.floor((p.loaded / Math.max(1, p.total)) * 10)
            if (tenth > lastTenth && bundle.sizeBytes > partSize())
              say(`  uploaded ${mb(p.loaded)} of ${mb(p.total)} (${tenth * 10}%)`)
            lastTenth = Math.max(lastTenth, tenth)
          },
        })
        multipart = result.multipart
        source = 'uploaded'
      }
      say(`Creating application version ${plan.label}`)
      await createVersion(clients, {
        application,
        label: plan.label,
        bucket,
        key,
        description: versionDescription(bundle.contentHash, ref),
      })
      stage.versionCreated = true
      await waitProcessed(clients, {application, label: plan.label, deadline, say})
      version = versionInfo(source, {bucket, key, multipart})
    }
    say(`Version ${plan.label} is processed`)

    // 5. Deploy and judge.
    return await update(clients, input, {
      env: env.environmentName,
      label: plan.label,
      base,
      version,
      startedAt,
      deadline,
      stage,
    })
  } finally {
    guard.dispose()
    await rm(workDir, {recursive: true, force: true})
  }
}

interface TargetReads {
  env: EnvironmentInfo
  versions: KnownVersion[]
  target: RedirectOverrideTarget
}

/**
 * Round trip 1 as `listeners show` makes it (src/lb/first-round-trip.ts: the load balancer's type comes with the
 * environment), then one concurrent wave: the versions, and for an ALB its settings and listeners. Two dependent
 * round trips, as deploy made before it detected the load balancer.
 */
async function targetReads(clients: AwsClients, environmentName: string): Promise<TargetReads> {
  const {environment: env} = await firstRoundTrip(clients, environmentName)
  const [versions, target] = await Promise.all([
    listVersions(clients, env.applicationName),
    redirectOverrideTarget(clients, env),
  ])
  return {env, versions, target}
}

/** A prebuilt archive's own .ebextensions, read from its central directory (the hook runs for folders only). */
async function archiveListenerOverride(
  file: string,
  entries: PreparedBundle['entries'],
): Promise<BundleListenerOverride> {
  const fh = await open(file, 'r')
  try {
    const all = await readCentralDirectory(fh, (await fh.stat()).size)
    const byPath = new Map(all.map((e) => [e.path, e]))
    return await bundleListenerOverride(
      entries.filter((e) => e.kind === 'file').map((e) => e.path),
      async (path) => (await readEntry(fh, byPath.get(path)!)).toString('utf8'),
    )
  } finally {
    await fh.close()
  }
}

/**
 * Whether the environment already runs this content: Ready, on the planned label or another label with the same
 * content hash, and healthy (Green, or Yellow with --accept-yellow). A Red or Grey environment gets the deployment.
 */
export function alreadyRunning(
  env: {status: string; versionLabel?: string | undefined; health?: string | undefined},
  label: string,
  versions: ReadonlyArray<{label: string; description?: string | undefined}>,
  contentHash: string,
  acceptYellow: boolean,
): boolean {
  if (env.status !== 'Ready' || !env.versionLabel) return false
  const runningHash =
    env.versionLabel === label
      ? contentHash
      : contentHashOf(versions.find((v) => v.label === env.versionLabel)?.description)
  if (runningHash !== contentHash) return false
  return env.health === 'Green' || (acceptYellow && env.health === 'Yellow')
}

interface DeployStage {
  env: string
  label?: string
  versionCreated: boolean
  updateRequested?: boolean
  updateStarted: boolean
}

/** INTERRUPTED (exit 130) for a deploy stopped by a signal: how far it got, in words and in `details`. */
export function interruptedDeployError(signal: string, st: DeployStage): EbwsError {
  return new EbwsError('INTERRUPTED', interruptedDeployMessage(signal, st), {
    details: {
      signal,
      label: st.label ?? null,
      versionCreated: st.versionCreated,
      updateRequested: st.updateRequested ?? false,
      updateStarted: st.updateStarted,
    },
  })
}

function interruptedDeployMessage(signal: string, st: DeployStage): string {
  const version = st.label
    ? `application version ${st.label} ${st.versionCreated ? 'exists' : 'was not created'}`
    : 'no application version was created'
  const update = st.updateStarted
    ? `the deployment to ${st.env} was started and goes on without ebws: the environment may still be Updating (check it with \`aws elasticbeanstalk describe-environments --environment-names ${st.env}\`)`
    : st.updateRequested
      ? `UpdateEnvironment was sent to ${st.env} without an answer yet: the deployment may have started (check it with \`aws elasticbeanstalk describe-environments --environment-names ${st.env}\`)`
      : `nothing was deployed to ${st.env}`
  return `Interrupted by ${signal}: ${version}; ${update}.`
}

function describePlan(
  plan: VersionPlan,
  o: {
    bucket?: string | undefined
    application: string
    env: string
    ready: boolean
    status: string
    sizeBytes: number
    redirectAdded: boolean
  },
): string[] {
  const where = o.bucket
    ? `s3://${o.bucket}/${bundleKey(o.application, plan.label)}`
    : `s3://<the Elastic Beanstalk bucket>/${bundleKey(o.application, plan.label)}`
  const steps: string[] = []
  if (!o.ready) steps.push(`wait for ${o.env} to be Ready (now ${o.status})`)
  if (o.redirectAdded)
    steps.push(
      `ship ${REDIRECT_OVERRIDE_PATH} in the bundle (keeps ${o.env}'s live port-80 redirect across the update)`,
    )
  if (plan.kind === 'reuse') steps.push(`reuse application version ${plan.label} (${plan.why}); nothing to upload`)
  else if (plan.copyFrom)
    steps.push(`copy the bundle of ${plan.copyFrom.label} to ${where}`, `create application version ${plan.label}`)
  else
    steps.push(
      `upload ${mb(o.sizeBytes)} to ${where}`,
      `create application version ${plan.label} (Process=true) and wait for Processed`,
    )
  steps.push(`deploy ${plan.label} to ${o.env} and wait for Ready, health Green`)
  return steps
}

async function waitForReady(
  clients: AwsClients,
  environmentName: string,
  status: string,
  deadline: number,
  say: (line: string) => void,
): Promise<void> {
  say(`Waiting for ${environmentName} to be Ready (now ${status}) before deploying`)
  try {
    await pollEnvironment(clients, environmentName, isReady, {
      timeoutMs: Math.max(0, deadline - Date.now()),
      onEvent: (e) => say(`event ${e.severity} ${e.message}`),
    })
  } catch (error) {
    if (error instanceof EbwsError && error.exitCode === ExitCode.Timeout) {
      throw new EbwsError(
        'TIMEOUT',
        `Timed out waiting for ${environmentName} to be Ready before deploying: ${error.message} Nothing was deployed.`,
        {details: error.details},
      )
    }
    throw error
  }
}

async function update(
  clients: AwsClients,
  input: DeployInput,
  o: {
    env: string
    label: string
    base: Omit<
      DeployResult,
      'status' | 'exitCode' | 'reason' | 'version' | 'durationSeconds' | 'stillRunning' | 'events'
    >
    version: DeployResult['version']
    startedAt: number
    deadline: number
    stage?: DeployStage
  },
): Promise<DeployResult> {
  const say = input.say
  // Something else may have started an update while we uploaded.
  const before = await describeEnvironmentStatus(clients, o.env)
  if (before && !isReady(before)) {
    if (!input.waitReady)
      throw badInput(
        'ENV_NOT_READY',
        `Environment "${o.env}" became ${before.status} while the version was prepared; it was not deployed.`,
        ['Deploy again when it is Ready.'],
      )
    await waitForReady(clients, o.env, before.status, o.deadline, say)
  }
  const previousVersion = before?.versionLabel ?? o.base.previousVersion
  // Follow events from just after the newest one already there (AWS's clock), so earlier operations' events are
  // neither printed nor judged; with no events yet, from a little before now (local clock, skew absorbed).
  const newest = await latestEventDate(clients, o.env)
  const eb = await clients.elasticBeanstalk()
  const {UpdateEnvironmentCommand} = await import('../aws/sdk/elastic-beanstalk.ts')
  const requestedAt = Date.now()
  say(`Deploying ${o.label} to ${o.env}${previousVersion ? ` (was ${previousVersion})` : ''}`)
  // UpdateEnvironment answers at once (Status Updating); the deployment runs afterwards and is followed by polling.
  // https://docs.aws.amazon.com/elasticbeanstalk/latest/api/API_UpdateEnvironment.html
  if (o.stage) o.stage.updateRequested = true
  const response = await awsCall('elasticbeanstalk:UpdateEnvironment', () =>
    eb.send(new UpdateEnvironmentCommand({EnvironmentName: o.env, VersionLabel: o.label})),
  )
  if (o.stage) o.stage.updateStarted = true

  const since = newest ? newest.getTime() + 1 : requestedAt - 5000
  const ctx: VerdictContext = {
    label: o.label,
    previousLabel: previousVersion,
    requestId: response.$metadata.requestId,
    since,
    deadline: o.deadline,
    healthGraceMs: input.healthGraceMs,
    acceptYellow: input.acceptYellow,
  }
  let watch: WatchState = initialWatch(response.Status === 'Updating')
  let verdict: Verdict = {outcome: 'pending', waitingFor: 'the first poll'}
  let last: EnvironmentStatus | undefined
  let lastWaiting = ''
  const events: EnvironmentEvent[] = []
  const done = (status: EnvironmentStatus, fresh: EnvironmentEvent[]): boolean => {
    last = status
    const r = judgeDeployment(watch, {status, events: fresh, now: Date.now()}, ctx)
    watch = r.state
    verdict = r.verdict
    if (
      verdict.outcome === 'pending' &&
      verdict.waitingFor !== lastWaiting &&
      /health/.test(verdict.waitingFor) &&
      status.status === 'Ready'
    )
      say(`Waiting for ${verdict.waitingFor}`)
    if (verdict.outcome === 'pending') lastWaiting = verdict.waitingFor
    return (
      verdict.outcome === 'success' ||
      verdict.outcome === 'timeout' ||
      (verdict.outcome === 'failure' && verdict.settled)
    )
  }
  try {
    await pollEnvironment(clients, o.env, done, {
      timeoutMs: Math.max(0, o.deadline - Date.now()),
      since: new Date(since),
      onEvent: (e) => {
        events.push(e)
        say(`event ${e.severity} ${e.message}`)
      },
      onStatus: (s) =>
        say(`${o.env}: ${s.status}, health ${s.health ?? 'unknown'}${s.healthStatus ? ` (${s.healthStatus})` : ''}`),
    })
  } catch (error) {
    // pollEnvironment's own bound; our verdict already says timeout or an unsettled failure.
    if (!(error instanceof EbwsError && error.exitCode === ExitCode.Timeout)) throw error
    const v = verdict as Verdict
    if (v.outcome !== 'failure')
      verdict = {
        outcome: 'timeout',
        reason: `the --timeout was reached (${v.outcome === 'pending' ? v.waitingFor : v.reason}); the deployment of ${o.label} may still be running on AWS`,
      }
  }

  const final = verdict as Verdict
  const status: DeployStatus =
    final.outcome === 'success'
      ? 'deployed'
      : final.outcome === 'timeout' || final.outcome === 'pending'
        ? 'timed-out'
        : 'failed'
  const result: DeployResult = {
    ...o.base,
    url: last ? (urlOf(last) ?? o.base.url) : o.base.url,
    previousVersion,
    status,
    exitCode: status === 'deployed' ? ExitCode.Ok : status === 'failed' ? ExitCode.Failed : ExitCode.Timeout,
    reason: final.outcome === 'pending' ? `still waiting for ${final.waitingFor}` : final.reason,
    version: o.version,
    environmentStatus: last?.status,
    health: last?.health,
    healthStatus: last?.healthStatus,
    durationSeconds: Math.round((Date.now() - o.startedAt) / 1000),
    stillRunning: status === 'timed-out' || (final.outcome === 'failure' && !final.settled),
    events,
  }
  if (status === 'deployed') {
    say(
      `Deployed ${o.label} to ${o.env} in ${formatDuration(Date.now() - o.startedAt)}: ${final.outcome === 'success' ? final.reason : ''}`,
    )
    return result
  }
  throw new DeployError(
    result,
    status === 'timed-out'
      ? [
          `The deployment may still be running: check \`aws elasticbeanstalk describe-environments --environment-names ${o.env}\` or the console; raise --timeout to wait longer.`,
        ]
      : [
          result.stillRunning
            ? `The environment is still ${result.environmentStatus}: Beanstalk is rolling back.`
            : `The environment runs ${last?.versionLabel ?? 'no version'} now.`,
          'See the events above and the instance logs (`eb logs`, or Request logs in the console).',
        ],
  )
}
