// A stateful Elastic Beanstalk fake speaking the real Query protocol, for the ebws bench.
// What it models and where it departs from AWS: EB-FAKE.md beside this file.

import {createServer} from 'node:http'
import type {IncomingMessage, Server, ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {randomBytes} from 'node:crypto'

import {CreateBucketCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, S3Client} from '@aws-sdk/client-s3'
import type {BucketLocationConstraint} from '@aws-sdk/client-s3'

import {ClbApplier} from './clb.ts'
import {listenerOverrideOf} from './bundle-resources.ts'
import {Elbv2Applier} from './elbv2.ts'
import {describeElbv2Settings, desiredElbv2, elbv2NamespaceDefs} from './elbv2-options.ts'
import {
  canonicalNamespace,
  describeSettings,
  effectiveListeners,
  namespaceDefs,
  optionKey,
  validateSettings,
} from './options.ts'
import {SecurityGroupApplier} from './security-groups.ts'
import type {EnvSecurityGroups} from './security-groups.ts'
import type {OptionSetting, ValidationMessage} from './options.ts'
import {
  EbError,
  QueryParams,
  errorXml,
  invalidParameterValue,
  missingParameter,
  newRequestId,
  successXml,
} from './wire.ts'
import type {XmlValue} from './wire.ts'

export type {OptionSetting, ValidationMessage} from './options.ts'

export type EnvironmentStatus =
  'Aborting' | 'Launching' | 'Updating' | 'LinkingFrom' | 'LinkingTo' | 'Ready' | 'Terminating' | 'Terminated'
export type EnvironmentHealth = 'Green' | 'Yellow' | 'Red' | 'Grey'
export type EnvironmentHealthStatus =
  'NoData' | 'Unknown' | 'Pending' | 'Ok' | 'Info' | 'Warning' | 'Degraded' | 'Severe' | 'Suspended'
export type LoadBalancerType = 'classic' | 'application' | 'network'
export type EnvironmentType = 'LoadBalanced' | 'SingleInstance'
export type EventSeverity = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL'
export type ApplicationVersionStatus = 'Processed' | 'Unprocessed' | 'Failed' | 'Processing' | 'Building'

/** How the next deployment (UpdateEnvironment with VersionLabel) ends. */
export type DeploymentOutcome =
  | 'success' // version deployed, health Green/Ok
  | 'fail' // ERROR events, version label reverted, health Red/Degraded
  | 'health-red' // version deployed but health Red/Severe
  | 'stuck' // stays Updating forever (until setEnvironment changes it)

export interface ScriptedDeployment {
  outcome: DeploymentOutcome
  /** Only for this environment (default: the next deployment anywhere). */
  environment?: string
  /** Health after the deployment, overriding the outcome's. */
  health?: EnvironmentHealth
  healthStatus?: EnvironmentHealthStatus
}

export interface EbFakeOptions {
  motoUrl: string
  region?: string
  port?: number
  /** Delay between the steps of an environment update, in ms (default 20). */
  stepMs?: number
}

export interface CreateEnvironmentSpec {
  name: string
  application: string
  /** Link this CLB (or ALB/NLB ARN); created in moto if it does not exist there (classic only). Default: a new awseb-… CLB. */
  loadBalancerName?: string
  loadBalancerType?: LoadBalancerType
  environmentType?: EnvironmentType
  status?: EnvironmentStatus
  health?: EnvironmentHealth
  healthStatus?: EnvironmentHealthStatus
  versionLabel?: string
  /** ALB only: use this shared load balancer (from `createSharedLoadBalancer`) instead of a dedicated one. */
  sharedLoadBalancerArn?: string
  /** Same shape as the SDK's ConfigurationOptionSetting; validated like UpdateEnvironment's. */
  optionSettings?: Array<{Namespace?: string; OptionName?: string; Value?: string; ResourceName?: string}>
  /** Solution stack name. */
  platform?: string
  platformArn?: string
  description?: string
  cname?: string
}

export interface EnvironmentPatch {
  status?: EnvironmentStatus
  health?: EnvironmentHealth
  healthStatus?: EnvironmentHealthStatus
  versionLabel?: string | undefined
  abortableOperationInProgress?: boolean
}

export interface EnvironmentSnapshot {
  id: string
  name: string
  application: string
  status: EnvironmentStatus
  health: EnvironmentHealth
  healthStatus: EnvironmentHealthStatus
  versionLabel: string | undefined
  loadBalancerName: string | undefined
  loadBalancerType: LoadBalancerType
  environmentType: EnvironmentType
  cname: string
  endpointUrl: string
  /** The option values set on the environment (not defaults), as `Namespace` → `OptionName` → value. */
  options: Record<string, Record<string, string>>
  dateCreated: Date
  dateUpdated: Date
}

export interface EventRecord {
  date: Date
  message: string
  severity: EventSeverity
  applicationName: string
  environmentName?: string | undefined
  versionLabel?: string | undefined
  requestId?: string | undefined
}

export interface CallRecord {
  action: string
  mutating: boolean
  params: Record<string, string>
  requestId: string
  at: Date
  /** The error code answered, if any. */
  error?: string
}

export interface EbFake {
  url: string
  region: string
  accountId: string
  stop(): Promise<void>
  /** Forget all EB state, scripts and the call log; pending updates are abandoned. moto is not touched. */
  reset(): Promise<void>
  setTiming(t: {stepMs: number}): void

  createApplication(name: string, opts?: {description?: string}): void
  createApplicationVersion(
    application: string,
    label: string,
    opts?: {status?: ApplicationVersionStatus; s3Bucket?: string; s3Key?: string; description?: string},
  ): void
  createEnvironment(spec: CreateEnvironmentSpec): Promise<EnvironmentSnapshot>
  /** Change status/health/version directly. Leaving Updating cancels the steps still pending for the environment. */
  setEnvironment(name: string, patch: EnvironmentPatch): EnvironmentSnapshot
  /** Terminate (kept for DescribeEnvironments IncludeDeleted). */
  terminateEnvironment(name: string): void
  environment(name: string): EnvironmentSnapshot
  /** A shared ALB (Beanstalk never changes its listeners): port 80 answers a fixed 404 until environments add rules. */
  createSharedLoadBalancer(
    name: string,
    opts?: {listeners?: Array<{port: number; protocol: 'HTTP' | 'HTTPS'; certificateArn?: string}>},
  ): Promise<{arn: string; dnsName: string}>
  scriptNextDeployment(outcome: DeploymentOutcome | ScriptedDeployment): void
  /** The next CreateApplicationVersion with Process=true ends Failed instead of Processed. */
  scriptNextVersionProcessing(outcome: 'processed' | 'failed'): void
  /** Events, newest first (as DescribeEvents returns them); all environments when no name. */
  events(environment?: string): EventRecord[]
  calls(): CallRecord[]
  clearCalls(): void
  /** Resolves when the environment reaches the status (default Ready). */
  waitForStatus(name: string, status?: EnvironmentStatus, timeoutMs?: number): Promise<EnvironmentSnapshot>
  /** Resolves when no update or version processing step is pending (stuck updates excluded). */
  idle(timeoutMs?: number): Promise<void>
}

interface AppState {
  name: string
  description?: string | undefined
  created: Date
  updated: Date
  versions: Map<string, VersionState>
}

interface VersionState {
  label: string
  application: string
  description?: string | undefined
  s3Bucket?: string | undefined
  s3Key?: string | undefined
  status: ApplicationVersionStatus
  created: Date
  updated: Date
}

interface EnvState {
  id: string
  name: string
  application: string
  description?: string | undefined
  status: EnvironmentStatus
  health: EnvironmentHealth
  healthStatus: EnvironmentHealthStatus
  versionLabel: string | undefined
  loadBalancerName: string | undefined
  loadBalancerType: LoadBalancerType
  environmentType: EnvironmentType
  solutionStack: string
  platformArn: string
  cname: string
  endpointUrl: string
  created: Date
  updated: Date
  abortable: boolean
  options: Map<string, string>
  sharedLoadBalancer: boolean
  /** The deployed bundle's `Resources` override of the port-80 ALB listener's DefaultActions. */
  listenerOverride?: unknown[] | undefined
  /** Bumped whenever pending steps must be abandoned. */
  generation: number
  instanceId: string
  autoScalingGroup: string
  launchTemplateId: string
  /** The load balancer's security groups (CLB and dedicated ALB; an NLB has none). */
  securityGroups?: EnvSecurityGroups | undefined
}

interface StoredEvent extends EventRecord {
  seq: number
}

const ACCOUNT_ID = '123456789012'
const DEFAULT_STACK = '64bit Amazon Linux 2023 v6.6.0 running Node.js 22'
const SEVERITIES: EventSeverity[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']

const MUTATING = new Set(['UpdateEnvironment', 'CreateStorageLocation', 'CreateApplicationVersion'])

const HEALTH_OF: Record<EnvironmentHealthStatus, EnvironmentHealth> = {
  Ok: 'Green',
  Info: 'Green',
  Warning: 'Yellow',
  Degraded: 'Red',
  Severe: 'Red',
  NoData: 'Grey',
  Unknown: 'Grey',
  Pending: 'Grey',
  Suspended: 'Grey',
}
const STATUS_OF: Record<EnvironmentHealth, EnvironmentHealthStatus> = {
  Green: 'Ok',
  Yellow: 'Warning',
  Red: 'Degraded',
  Grey: 'Unknown',
}

function rand(n: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'): string {
  const bytes = randomBytes(n)
  let s = ''
  for (const b of bytes) s += alphabet[b % alphabet.length]
  return s
}

function optionsToRecord(opts: Map<string, string>): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {}
  for (const [key, value] of opts) {
    const i = key.indexOf('\u0000')
    const ns = key.slice(0, i)
    ;(out[ns] ??= {})[key.slice(i + 1)] = value
  }
  return out
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function validationError(member: string, value: string, constraint: string): EbError {
  return new EbError(
    'ValidationError',
    `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: ${constraint}`,
  )
}

export async function startEbFake(opts: EbFakeOptions): Promise<EbFake> {
  const region = opts.region ?? 'us-east-1'
  let stepMs = opts.stepMs ?? 20
  const clb = new ClbApplier(opts.motoUrl, region)
  const elbv2 = new Elbv2Applier(opts.motoUrl, region)
  const securityGroups = new SecurityGroupApplier(opts.motoUrl, region)
  const s3 = new S3Client({
    endpoint: opts.motoUrl,
    region,
    forcePathStyle: true,
    credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'},
  })

  let apps = new Map<string, AppState>()
  let envs: EnvState[] = []
  let events: StoredEvent[] = []
  let calls: CallRecord[] = []
  let deployScripts: ScriptedDeployment[] = []
  let versionScripts: Array<'processed' | 'failed'> = []
  let seq = 0
  let epoch = 0 // bumped by reset(): abandons everything pending
  const pending = new Set<Promise<unknown>>()
  const timers = new Set<NodeJS.Timeout>()

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t)
        resolve()
      }, ms)
      timers.add(t)
    })

  function track(p: Promise<unknown>): void {
    const q = p.catch((e: unknown) => {
      // Background work must never crash the test process; surface it as an event instead.
      addEvent({applicationName: '', severity: 'ERROR', message: `eb-fake internal error: ${String(e)}`})
    })
    pending.add(q)
    void q.finally(() => pending.delete(q))
  }

  function addEvent(e: Omit<EventRecord, 'date'> & {date?: Date}): void {
    // Strictly increasing timestamps, so newest-first order and StartTime filters are unambiguous.
    const last = events[events.length - 1]
    let date = e.date ?? new Date()
    if (last && date.getTime() <= last.date.getTime()) date = new Date(last.date.getTime() + 1)
    events.push({...e, date, seq: ++seq})
  }

  function envEvent(env: EnvState, message: string, severity: EventSeverity = 'INFO', requestId?: string): void {
    addEvent({
      applicationName: env.application,
      environmentName: env.name,
      message,
      severity,
      requestId,
      versionLabel: undefined,
    })
  }

  function liveEnv(name: string): EnvState | undefined {
    return envs.find((e) => e.name === name && e.status !== 'Terminated')
  }

  function mustEnv(name: string): EnvState {
    const e = liveEnv(name)
    if (!e) throw new Error(`eb-fake: no environment named ${name}`)
    return e
  }

  function snapshot(e: EnvState): EnvironmentSnapshot {
    return {
      id: e.id,
      name: e.name,
      application: e.application,
      status: e.status,
      health: e.health,
      healthStatus: e.healthStatus,
      versionLabel: e.versionLabel,
      loadBalancerName: e.loadBalancerName,
      loadBalancerType: e.loadBalancerType,
      environmentType: e.environmentType,
      cname: e.cname,
      endpointUrl: e.endpointUrl,
      options: optionsToRecord(e.options),
      dateCreated: e.created,
      dateUpdated: e.updated,
    }
  }

  function isClassic(e: EnvState): boolean {
    return e.environmentType === 'LoadBalanced' && e.loadBalancerType === 'classic' && e.loadBalancerName !== undefined
  }

  function isElbv2(e: EnvState): boolean {
    return e.environmentType === 'LoadBalanced' && e.loadBalancerType !== 'classic' && e.loadBalancerName !== undefined
  }

  /** One adapter call for either family: true when the load balancer had to change. */
  /** The listener ports of the option settings (what the stack's security group ingress follows). */
  function listenerPorts(options: Map<string, string>, type: LoadBalancerType): number[] {
    return type === 'classic'
      ? effectiveListeners(options)
          .filter((l) => l.enabled)
          .map((l) => l.port)
      : desiredElbv2(options, type === 'network').listeners.map((l) => l.port)
  }

  async function applyLoadBalancer(e: EnvState): Promise<boolean> {
    const changed = await applyListeners(e)
    const groupsChanged = e.securityGroups
      ? await securityGroups.sync(e.securityGroups, listenerPorts(e.options, e.loadBalancerType))
      : false
    return changed || groupsChanged
  }

  async function applyListeners(e: EnvState): Promise<boolean> {
    if (isClassic(e)) return clb.apply(e.loadBalancerName!, e.options)
    return elbv2.apply({
      id: e.id,
      name: e.name,
      cname: e.cname,
      type: e.loadBalancerType as 'application' | 'network',
      loadBalancerArn: e.loadBalancerName!,
      shared: e.sharedLoadBalancer,
      options: e.options,
      listenerOverride: e.listenerOverride as never,
    })
  }

  // ---- wire shapes -------------------------------------------------------------------------------------------

  function envXml(e: EnvState): {[k: string]: XmlValue} {
    return {
      EnvironmentName: e.name,
      EnvironmentId: e.id,
      ApplicationName: e.application,
      VersionLabel: e.versionLabel,
      SolutionStackName: e.solutionStack,
      PlatformArn: e.platformArn,
      Description: e.description,
      EndpointURL: e.endpointUrl,
      CNAME: e.cname,
      DateCreated: e.created,
      DateUpdated: e.updated,
      Status: e.status,
      AbortableOperationInProgress: e.abortable,
      Health: e.health,
      HealthStatus: e.healthStatus,
      Tier: {Name: 'WebServer', Type: 'Standard', Version: '1.0'},
      EnvironmentLinks: [],
      EnvironmentArn: `arn:aws:elasticbeanstalk:${region}:${ACCOUNT_ID}:environment/${e.application}/${e.name}`,
    }
  }

  function versionXml(v: VersionState): {[k: string]: XmlValue} {
    return {
      ApplicationVersionArn: `arn:aws:elasticbeanstalk:${region}:${ACCOUNT_ID}:applicationversion/${v.application}/${v.label}`,
      ApplicationName: v.application,
      Description: v.description,
      VersionLabel: v.label,
      SourceBundle: v.s3Bucket !== undefined ? {S3Bucket: v.s3Bucket, S3Key: v.s3Key} : undefined,
      DateCreated: v.created,
      DateUpdated: v.updated,
      Status: v.status,
    }
  }

  // ---- option handling ---------------------------------------------------------------------------------------

  function toSettings(list: Array<Record<string, string>> | undefined): OptionSetting[] {
    return (list ?? []).map((m) => ({
      Namespace: m.Namespace ?? '',
      OptionName: m.OptionName ?? '',
      Value: m.Value,
      ResourceName: m.ResourceName,
    }))
  }

  /** New option map after settings and removals, or the validation messages that stop it. */
  function mergeOptions(
    e: {options: Map<string, string>; loadBalancerType: LoadBalancerType; environmentType: EnvironmentType},
    settings: OptionSetting[],
    removals: OptionSetting[],
  ): {next: Map<string, string>; messages: ValidationMessage[]} {
    const messages = validateSettings([...settings, ...removals.map((r) => ({...r, Value: undefined}))])
    const next = new Map(e.options)
    if (messages.length > 0) return {next, messages}
    for (const r of removals) next.delete(optionKey(r.Namespace, r.OptionName))
    for (const s of settings) next.set(optionKey(s.Namespace, s.OptionName), s.Value ?? '')
    for (const [opt, current] of [
      ['LoadBalancerType', e.loadBalancerType],
      ['EnvironmentType', e.environmentType],
    ] as const) {
      const v = next.get(optionKey('aws:elasticbeanstalk:environment', opt))
      if (v !== undefined && v !== current) {
        messages.push({
          Message: `Invalid option value: '${v}' (Namespace: 'aws:elasticbeanstalk:environment', OptionName: '${opt}'): ${opt} of a running environment cannot be changed by this fake.`,
          Severity: 'error',
          Namespace: 'aws:elasticbeanstalk:environment',
          OptionName: opt,
        })
      }
    }
    if (messages.length === 0 && e.loadBalancerType === 'classic') messages.push(...validateSettings([], next))
    if (messages.length === 0 && e.loadBalancerType !== 'classic')
      messages.push(...validateElbv2(next, e.loadBalancerType === 'network'))
    if (
      messages.length === 0 &&
      e.options.get(optionKey('aws:elasticbeanstalk:environment', 'LoadBalancerIsShared')) === 'true'
    )
      messages.push(...validateShared(settings))
    return {next, messages}
  }

  /**
   * A shared ALB takes, of the load-balancer namespaces, only `Rules` on a listener and SharedLoadBalancer /
   * SecurityGroups in aws:elbv2:loadbalancer (general options, aws:elbv2:listener:listener_port and
   * aws:elbv2:loadbalancer); the message wording is the fake's (see Departures).
   */
  function validateShared(settings: OptionSetting[]): ValidationMessage[] {
    return settings
      .filter(
        (s) =>
          (s.Namespace.startsWith('aws:elbv2:listener:') && s.OptionName !== 'Rules') ||
          (s.Namespace === 'aws:elbv2:loadbalancer' &&
            !['SharedLoadBalancer', 'SecurityGroups'].includes(s.OptionName)),
      )
      .map((s) => ({
        Message: `Invalid option specification (Namespace: '${s.Namespace}', OptionName: '${s.OptionName}'): this option does not apply to an environment with a shared load balancer.`,
        Severity: 'error' as const,
        Namespace: s.Namespace,
        OptionName: s.OptionName,
      }))
  }

  /** ALB/NLB cross-option checks: the listener protocol this load balancer type takes, a certificate on HTTPS. */
  function validateElbv2(next: Map<string, string>, network: boolean): ValidationMessage[] {
    const out: ValidationMessage[] = []
    for (const [key, value] of next) {
      const [ns, name] = [key.slice(0, key.indexOf('\u0000')), key.slice(key.indexOf('\u0000') + 1)]
      const defs = elbv2NamespaceDefs(ns, network)
      if (!defs || name !== 'Protocol' || !ns.startsWith('aws:elbv2:listener')) continue
      const rule = defs.Protocol!.rule as {values: string[]}
      if (!rule.values.includes(value)) {
        out.push({
          Message: `Invalid option value: '${value}' (Namespace: '${ns}', OptionName: 'Protocol'): Value is not one of the allowed values: [${rule.values.join(', ')}]`,
          Severity: 'error',
          Namespace: ns,
          OptionName: 'Protocol',
        })
      }
      if (value === 'HTTPS' && !next.get(`${ns}\u0000SSLCertificateArns`)) {
        out.push({
          Message: `Invalid option value: '${ns}' (Namespace: '${ns}', OptionName: 'Protocol'): Secure Listeners need to specify a SSLCertificateArns`,
          Severity: 'error',
          Namespace: ns,
          OptionName: 'Protocol',
        })
      }
    }
    return out
  }

  // ---- environment updates -----------------------------------------------------------------------------------

  function nextDeployment(env: EnvState): ScriptedDeployment {
    const i = deployScripts.findIndex((s) => s.environment === undefined || s.environment === env.name)
    if (i < 0) return {outcome: 'success'}
    return deployScripts.splice(i, 1)[0]!
  }

  async function runUpdate(
    env: EnvState,
    requestId: string,
    plan: {
      config: boolean
      previousOptions: Map<string, string>
      deploy?: {label: string; previous: string | undefined; script: ScriptedDeployment}
    },
  ): Promise<void> {
    const gen = env.generation
    const myEpoch = epoch
    const alive = () => env.generation === gen && epoch === myEpoch
    const step = async () => {
      await sleep(stepMs)
      return alive()
    }
    const finish = (health?: EnvironmentHealth, healthStatus?: EnvironmentHealthStatus) => {
      env.status = 'Ready'
      env.abortable = false
      if (healthStatus) {
        env.healthStatus = healthStatus
        env.health = health ?? HEALTH_OF[healthStatus]
      } else if (health) {
        env.health = health
        env.healthStatus = STATUS_OF[health]
      }
      env.updated = new Date()
    }

    if (plan.deploy && isElbv2(env) && env.loadBalancerType === 'application') {
      // The new bundle's .ebextensions `Resources` override is part of the template from this update on.
      env.listenerOverride = await bundleListenerOverride(env.application, plan.deploy.label)
    }
    if (plan.config || isClassic(env) || isElbv2(env)) {
      if (!(await step())) return
      if (plan.config) envEvent(env, `Updating environment ${env.name}'s configuration settings.`, 'INFO', requestId)
      if (isClassic(env) || isElbv2(env)) {
        try {
          if (!(await step())) return
          const changed = await applyLoadBalancer(env)
          if (!alive()) return
          if (changed) envEvent(env, `Updating load balancer named: ${env.loadBalancerName}`, 'INFO', requestId)
        } catch (e) {
          if (!alive()) return
          const reason = (e as Error).message
          envEvent(
            env,
            `Updating load balancer named: ${env.loadBalancerName} failed Reason: ${reason}`,
            'ERROR',
            requestId,
          )
          envEvent(env, 'Failed to deploy configuration.', 'ERROR', requestId)
          env.options = new Map(plan.previousOptions)
          try {
            await applyLoadBalancer(env)
          } catch {
            // the rollback is best effort, as a CloudFormation rollback can fail too
          }
          if (!alive()) return
          envEvent(env, 'The environment was reverted to the previous configuration setting.', 'INFO', requestId)
          if (plan.deploy) env.versionLabel = plan.deploy.previous
          finish()
          return
        }
      }
      if (plan.config) {
        if (!(await step())) return
        envEvent(env, 'Successfully deployed new configuration to environment.', 'INFO', requestId)
      }
    }

    if (plan.deploy) {
      const {script} = plan.deploy
      if (!(await step())) return
      envEvent(env, 'Deploying new version to instance(s).', 'INFO', requestId)
      if (script.outcome === 'stuck') return // Updating forever; AbortableOperationInProgress stays true
      if (!(await step())) return
      if (script.outcome === 'fail') {
        envEvent(env, `Instance deployment failed. For details, see 'eb-engine.log'.`, 'ERROR', requestId)
        envEvent(
          env,
          `[Instance: ${env.instanceId}] Command failed on instance. Return code: 1 Output: Engine execution has encountered an error..`,
          'ERROR',
          requestId,
        )
        envEvent(
          env,
          `Unsuccessful command execution on instance id(s) '${env.instanceId}'. Aborting the operation.`,
          'ERROR',
          requestId,
        )
        envEvent(env, 'Failed to deploy application.', 'ERROR', requestId)
        envEvent(
          env,
          'During an aborted deployment, some instances may have deployed the new application version. To ensure all instances are running the same version, re-deploy the appropriate application version.',
          'ERROR',
          requestId,
        )
        env.versionLabel = plan.deploy.previous
        finish(script.health ?? 'Red', script.healthStatus ?? (script.health ? undefined : 'Degraded'))
        return
      }
      envEvent(env, 'Instance deployment completed successfully.', 'INFO', requestId)
      envEvent(env, 'New application version was deployed to running EC2 instances.', 'INFO', requestId)
      if (script.outcome === 'health-red') {
        const from = env.healthStatus
        envEvent(
          env,
          `Environment health has transitioned from ${from} to Severe. 100.0 % of the requests are failing with HTTP 5xx.`,
          'WARN',
          requestId,
        )
        envEvent(env, 'Environment update completed successfully.', 'INFO', requestId)
        finish(script.health ?? 'Red', script.healthStatus ?? (script.health ? undefined : 'Severe'))
        return
      }
      envEvent(env, 'Environment update completed successfully.', 'INFO', requestId)
      finish(script.health ?? 'Green', script.healthStatus ?? (script.health ? undefined : 'Ok'))
      return
    }

    if (!(await step())) return
    envEvent(env, 'Environment update completed successfully.', 'INFO', requestId)
    finish()
  }

  async function bundleListenerOverride(application: string, label: string): Promise<unknown[] | undefined> {
    const v = apps.get(application)?.versions.get(label)
    if (!v?.s3Bucket || !v.s3Key) return undefined
    try {
      const out = await s3.send(new GetObjectCommand({Bucket: v.s3Bucket, Key: v.s3Key}))
      return listenerOverrideOf(Buffer.from(await out.Body!.transformToByteArray()))
    } catch {
      return undefined
    }
  }

  // ---- actions -----------------------------------------------------------------------------------------------

  function findEnvForRequest(p: QueryParams): EnvState {
    const name = p.str('EnvironmentName')
    const id = p.str('EnvironmentId')
    if (name === undefined && id === undefined) {
      throw new EbError('MissingRequiredParameter', 'Either EnvironmentName or EnvironmentId must be specified.')
    }
    const env = envs.find((e) => e.status !== 'Terminated' && (id !== undefined ? e.id === id : e.name === name))
    if (!env) {
      throw invalidParameterValue(
        id !== undefined
          ? `No Environment found for EnvironmentId = '${id}'.`
          : `No Environment found for EnvironmentName = '${name}'.`,
      )
    }
    return env
  }

  function checkMaxRecords(p: QueryParams, max: number): number | undefined {
    const n = p.int('MaxRecords')
    if (n === undefined) return undefined
    if (!Number.isInteger(n) || n < 1)
      throw validationError(
        'maxRecords',
        String(p.str('MaxRecords')),
        'Member must have value greater than or equal to 1',
      )
    if (n > max) throw validationError('maxRecords', String(n), `Member must have value less than or equal to ${max}`)
    return n
  }

  const token = (n: number) => Buffer.from(`eb-fake:${n}`).toString('base64')

  /** MaxRecords/NextToken paging of a list (offset tokens), as DescribeEnvironments and DescribeApplicationVersions page. */
  function pageOf<T>(p: QueryParams, list: T[]): {items: T[]; next: string | undefined} {
    const max = checkMaxRecords(p, 1000)
    const start = p.str('NextToken') ? untoken(p.str('NextToken')!) : 0
    const rest = list.slice(start)
    if (max === undefined || rest.length <= max) return {items: rest, next: undefined}
    return {items: rest.slice(0, max), next: token(start + max)}
  }
  function untoken(t: string): number {
    const m = /^eb-fake:(\d+)$/.exec(Buffer.from(t, 'base64').toString('utf8'))
    if (!m) throw invalidParameterValue('Invalid NextToken.')
    return Number(m[1])
  }

  async function handle(
    action: string,
    p: QueryParams,
    requestId: string,
  ): Promise<{[k: string]: XmlValue} | undefined> {
    switch (action) {
      case 'DescribeEnvironments': {
        const names = p.list('EnvironmentNames')
        const ids = p.list('EnvironmentIds')
        const app = p.str('ApplicationName')
        const label = p.str('VersionLabel')
        const includeDeleted = p.bool('IncludeDeleted') ?? false
        const backTo = p.str('IncludedDeletedBackTo')
        const since = backTo ? new Date(backTo) : undefined
        const list = envs.filter((e) => {
          if (e.status === 'Terminated') {
            if (!includeDeleted) return false
            if (since && e.updated < since) return false
          }
          if (names && names.length > 0 && !names.includes(e.name)) return false
          if (ids && ids.length > 0 && !ids.includes(e.id)) return false
          if (app !== undefined && e.application !== app) return false
          if (label !== undefined && e.versionLabel !== label) return false
          return true
        })
        const {items, next} = pageOf(p, list)
        return {Environments: items.map(envXml), NextToken: next}
      }

      case 'DescribeEnvironmentResources': {
        const env = findEnvForRequest(p)
        const lbs = env.environmentType === 'LoadBalanced' && env.loadBalancerName ? [{Name: env.loadBalancerName}] : []
        return {
          EnvironmentResources: {
            EnvironmentName: env.name,
            AutoScalingGroups: [{Name: env.autoScalingGroup}],
            Instances: [{Id: env.instanceId}],
            LaunchConfigurations: [],
            LaunchTemplates: [{Id: env.launchTemplateId}],
            LoadBalancers: lbs,
            Triggers: [],
            Queues: [],
          },
        }
      }

      case 'DescribeConfigurationSettings': {
        const appName = p.str('ApplicationName')
        if (appName === undefined) throw missingParameter('ApplicationName')
        const app = apps.get(appName)
        if (!app) throw invalidParameterValue(`No Application named '${appName}' found.`)
        const envName = p.str('EnvironmentName')
        const template = p.str('TemplateName')
        if (envName !== undefined && template !== undefined)
          throw new EbError(
            'InvalidParameterCombination',
            'You cannot specify both a TemplateName and an EnvironmentName.',
          )
        if (template !== undefined)
          throw invalidParameterValue(`No Configuration Template named '${appName}/${template}' found.`)
        if (envName === undefined)
          throw new EbError('MissingRequiredParameter', 'Either TemplateName or EnvironmentName must be specified.')
        const env = envs.find((e) => e.name === envName && e.application === appName && e.status !== 'Terminated')
        if (!env) throw invalidParameterValue(`No Environment found for EnvironmentName = '${envName}'.`)
        const settings = describeSettings(
          env.options,
          isClassic(env) || (env.environmentType === 'LoadBalanced' && env.loadBalancerType === 'classic'),
        )
        if (isElbv2(env)) {
          for (const s of describeElbv2Settings(env.options, env.loadBalancerType === 'network')) {
            const i = settings.findIndex((x) => x.Namespace === s.Namespace && x.OptionName === s.OptionName)
            if (i >= 0) settings[i] = s
            else settings.push(s)
          }
          settings.sort((a, b) =>
            a.Namespace < b.Namespace
              ? -1
              : a.Namespace > b.Namespace
                ? 1
                : a.OptionName < b.OptionName
                  ? -1
                  : a.OptionName > b.OptionName
                    ? 1
                    : 0,
          )
        }
        for (const s of settings) {
          if (s.Namespace === 'aws:elasticbeanstalk:environment' && s.OptionName === 'LoadBalancerType')
            s.Value = env.loadBalancerType
          if (s.Namespace === 'aws:elasticbeanstalk:environment' && s.OptionName === 'EnvironmentType')
            s.Value = env.environmentType
        }
        return {
          ConfigurationSettings: [
            {
              SolutionStackName: env.solutionStack,
              PlatformArn: env.platformArn,
              ApplicationName: env.application,
              Description: env.description,
              EnvironmentName: env.name,
              DeploymentStatus: 'deployed',
              DateCreated: env.created,
              DateUpdated: env.updated,
              OptionSettings: settings.map((s) => ({
                ResourceName: s.ResourceName,
                Namespace: s.Namespace,
                OptionName: s.OptionName,
                Value: s.Value,
              })),
            },
          ],
        }
      }

      case 'ValidateConfigurationSettings': {
        const appName = p.str('ApplicationName')
        if (appName === undefined) throw missingParameter('ApplicationName')
        const settings = p.structList('OptionSettings')
        if (settings === undefined) throw missingParameter('OptionSettings')
        if (!apps.has(appName)) throw invalidParameterValue(`No Application named '${appName}' found.`)
        const envName = p.str('EnvironmentName')
        const template = p.str('TemplateName')
        if (template !== undefined)
          throw invalidParameterValue(`No Configuration Template named '${appName}/${template}' found.`)
        if (envName === undefined)
          throw new EbError('MissingRequiredParameter', 'Either TemplateName or EnvironmentName must be specified.')
        const env = envs.find((e) => e.name === envName && e.application === appName && e.status !== 'Terminated')
        if (!env) throw invalidParameterValue(`No Environment found for EnvironmentName = '${envName}'.`)
        const {messages} = mergeOptions(env, toSettings(settings), [])
        return {
          Messages: messages.map((m) => ({
            Message: m.Message,
            Severity: m.Severity,
            Namespace: m.Namespace,
            OptionName: m.OptionName,
          })),
        }
      }

      case 'UpdateEnvironment': {
        const env = findEnvForRequest(p)
        const appName = p.str('ApplicationName')
        if (appName !== undefined && appName !== env.application)
          throw invalidParameterValue(`No Environment found for EnvironmentName = '${env.name}'.`)
        if (env.status !== 'Ready')
          throw invalidParameterValue(
            `Environment named ${env.name} is in an invalid state for this operation. Must be Ready.`,
          )
        if (p.str('TemplateName') !== undefined)
          throw invalidParameterValue(
            `No Configuration Template named '${env.application}/${p.str('TemplateName')}' found.`,
          )
        const label = p.str('VersionLabel')
        if (label !== undefined) {
          const v = apps.get(env.application)?.versions.get(label)
          if (!v) throw invalidParameterValue(`No Application Version named '${label}' found.`)
          if (v.status === 'Failed')
            throw invalidParameterValue(`Application Version ${label} is in the Failed state and cannot be deployed.`)
        }
        const settings = toSettings(p.structList('OptionSettings'))
        const removals = toSettings(p.structList('OptionsToRemove'))
        const {next, messages} = mergeOptions(env, settings, removals)
        const firstError = messages.find((m) => m.Severity === 'error')
        if (firstError)
          throw new EbError(
            'ConfigurationValidationException',
            `Configuration validation exception: ${firstError.Message}`,
          )

        const previousOptions = env.options
        const config = settings.length > 0 || removals.length > 0
        env.options = next
        if (p.str('Description') !== undefined) env.description = p.str('Description')
        if (p.str('SolutionStackName') !== undefined) env.solutionStack = p.str('SolutionStackName')!
        if (p.str('PlatformArn') !== undefined) env.platformArn = p.str('PlatformArn')!
        env.generation++
        env.status = 'Updating'
        env.updated = new Date()
        let deploy: {label: string; previous: string | undefined; script: ScriptedDeployment} | undefined
        if (label !== undefined) {
          deploy = {label, previous: env.versionLabel, script: nextDeployment(env)}
          env.versionLabel = label
          env.abortable = true
        }
        envEvent(env, 'Environment update is starting.', 'INFO', requestId)
        // Every update, a deployment too, re-applies the whole load balancer configuration (see EB-FAKE.md).
        track(runUpdate(env, requestId, {config, previousOptions, deploy}))
        return envXml(env)
      }

      case 'CreateStorageLocation': {
        const bucket = `elasticbeanstalk-${region}-${ACCOUNT_ID}`
        let exists = true
        try {
          await s3.send(new HeadBucketCommand({Bucket: bucket}))
        } catch {
          exists = false
        }
        if (!exists) {
          await s3.send(
            new CreateBucketCommand({
              Bucket: bucket,
              CreateBucketConfiguration:
                region === 'us-east-1' ? undefined : {LocationConstraint: region as BucketLocationConstraint},
            }),
          )
        }
        return {S3Bucket: bucket}
      }

      case 'CreateApplicationVersion': {
        const appName = p.str('ApplicationName')
        const label = p.str('VersionLabel')
        if (appName === undefined) throw missingParameter('ApplicationName')
        if (label === undefined) throw missingParameter('VersionLabel')
        if (label.length > 100)
          throw validationError('versionLabel', label, 'Member must have length less than or equal to 100')
        let app = apps.get(appName)
        if (!app) {
          if (!p.bool('AutoCreateApplication')) throw invalidParameterValue(`No Application named '${appName}' found.`)
          app = newApp(appName)
        }
        if (app.versions.has(label)) throw invalidParameterValue(`Application Version ${label} already exists.`)
        const bundle = p.struct('SourceBundle')
        if (bundle) {
          const bucket = bundle.S3Bucket ?? ''
          const key = bundle.S3Key ?? ''
          try {
            await s3.send(new HeadObjectCommand({Bucket: bucket, Key: key}))
          } catch (e) {
            const status = (e as {$metadata?: {httpStatusCode?: number}}).$metadata?.httpStatusCode
            const reason = status === 403 ? 'Forbidden' : status === 301 ? 'Moved Permanently' : 'Not Found'
            throw new EbError(
              'InvalidParameterCombination',
              `Unable to download from S3 location (Bucket: ${bucket}  Key: ${key}). Reason: ${reason}`,
            )
          }
        }
        const now = new Date()
        const process = p.bool('Process') ?? false
        const v: VersionState = {
          label,
          application: appName,
          description: p.str('Description'),
          s3Bucket: bundle?.S3Bucket,
          s3Key: bundle?.S3Key,
          status: process ? 'Processing' : 'Unprocessed',
          created: now,
          updated: now,
        }
        app.versions.set(label, v)
        app.updated = now
        if (process) {
          const outcome = versionScripts.shift() ?? 'processed'
          const myEpoch = epoch
          track(
            (async () => {
              await sleep(stepMs)
              if (epoch !== myEpoch) return
              v.status = outcome === 'failed' ? 'Failed' : 'Processed'
              v.updated = new Date()
              if (outcome === 'failed') {
                addEvent({
                  applicationName: appName,
                  versionLabel: label,
                  severity: 'ERROR',
                  message: `Failed to process application version ${label}.`,
                  requestId,
                })
              }
            })(),
          )
        }
        return {ApplicationVersion: versionXml(v)}
      }

      case 'DescribeApplicationVersions': {
        const appName = p.str('ApplicationName')
        const labels = p.list('VersionLabels')
        const list = [...apps.values()]
          .filter((a) => appName === undefined || a.name === appName)
          .flatMap((a) => [...a.versions.values()])
          .filter((v) => !labels || labels.length === 0 || labels.includes(v.label))
          .sort((a, b) => b.created.getTime() - a.created.getTime())
        const {items, next} = pageOf(p, list)
        return {ApplicationVersions: items.map(versionXml), NextToken: next}
      }

      case 'DescribeApplications': {
        const names = p.list('ApplicationNames')
        const list = [...apps.values()].filter((a) => !names || names.length === 0 || names.includes(a.name))
        return {
          Applications: list.map((a) => ({
            ApplicationArn: `arn:aws:elasticbeanstalk:${region}:${ACCOUNT_ID}:application/${a.name}`,
            ApplicationName: a.name,
            Description: a.description,
            DateCreated: a.created,
            DateUpdated: a.updated,
            Versions: [...a.versions.keys()],
            ConfigurationTemplates: [],
          })),
        }
      }

      case 'DescribeEvents': {
        const max = checkMaxRecords(p, 1000) ?? 1000
        const severity = p.str('Severity')
        if (severity !== undefined && !SEVERITIES.includes(severity as EventSeverity)) {
          throw validationError('severity', severity, `Member must satisfy enum value set: [${SEVERITIES.join(', ')}]`)
        }
        const minSev = severity === undefined ? 0 : SEVERITIES.indexOf(severity as EventSeverity)
        const start = p.str('StartTime') ? new Date(p.str('StartTime')!) : undefined
        const end = p.str('EndTime') ? new Date(p.str('EndTime')!) : undefined
        const envName = p.str('EnvironmentName')
        const envId = p.str('EnvironmentId')
        const idName = envId !== undefined ? (envs.find((e) => e.id === envId)?.name ?? '\u0000none') : undefined
        const app = p.str('ApplicationName')
        const label = p.str('VersionLabel')
        const reqId = p.str('RequestId')
        const before = p.str('NextToken') ? untoken(p.str('NextToken')!) : Number.POSITIVE_INFINITY
        const matching = events
          .filter(
            (e) =>
              e.seq < before &&
              (envName === undefined || e.environmentName === envName) &&
              (idName === undefined || e.environmentName === idName) &&
              (app === undefined || e.applicationName === app) &&
              (label === undefined || e.versionLabel === label) &&
              (reqId === undefined || e.requestId === reqId) &&
              SEVERITIES.indexOf(e.severity) >= minSev &&
              (start === undefined || e.date.getTime() >= start.getTime()) &&
              (end === undefined || e.date.getTime() < end.getTime()),
          )
          .reverse()
        const page = matching.slice(0, max)
        const next = matching.length > max ? token(page[page.length - 1]!.seq) : undefined
        return {
          Events: page.map((e) => ({
            EventDate: e.date,
            Message: e.message,
            ApplicationName: e.applicationName,
            VersionLabel: e.versionLabel,
            EnvironmentName: e.environmentName,
            RequestId: e.requestId,
            Severity: e.severity,
          })),
          NextToken: next,
        }
      }

      default:
        throw new EbError('InvalidAction', `Could not find operation ${action} for version 2010-12-01`)
    }
  }

  // ---- HTTP --------------------------------------------------------------------------------------------------

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newRequestId()
    const body = await readBody(req)
    const query = (req.url ?? '').includes('?') ? (req.url ?? '').slice((req.url ?? '').indexOf('?') + 1) : ''
    const p = new QueryParams(body !== '' ? body : query)
    const action = p.str('Action') ?? ''
    const record: CallRecord = {action, mutating: MUTATING.has(action), params: p.toObject(), requestId, at: new Date()}
    delete record.params.Action
    delete record.params.Version
    calls.push(record)
    let status = 200
    let xml: string
    try {
      if (action === '') throw new EbError('MissingAction', 'Missing Action')
      const result = await handle(action, p, requestId)
      xml = successXml(action, result, requestId)
    } catch (e) {
      if (e instanceof EbError) {
        status = e.status
        record.error = e.code
        xml = errorXml(e.code, e.message, requestId)
      } else {
        status = 500
        record.error = 'InternalFailure'
        xml = errorXml('InternalFailure', `eb-fake: ${(e as Error).stack ?? String(e)}`, requestId, 'Receiver')
      }
    }
    res.writeHead(status, {
      'Content-Type': 'text/xml',
      'x-amzn-RequestId': requestId,
      'Content-Length': Buffer.byteLength(xml),
    })
    res.end(xml)
  }

  const server: Server = createServer((req, res) => {
    serve(req, res).catch((e: unknown) => {
      res.writeHead(500)
      res.end(String(e))
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as AddressInfo).port

  // ---- control API -------------------------------------------------------------------------------------------

  function newApp(name: string, description?: string): AppState {
    const now = new Date()
    const app: AppState = {name, description, created: now, updated: now, versions: new Map()}
    apps.set(name, app)
    return app
  }

  async function lbEndpoint(name: string): Promise<string> {
    try {
      const {DescribeLoadBalancersCommand} = await import('@aws-sdk/client-elastic-load-balancing')
      const out = await clb.elb.send(new DescribeLoadBalancersCommand({LoadBalancerNames: [name]}))
      return out.LoadBalancerDescriptions?.[0]?.DNSName ?? `${name}.${region}.elb.amazonaws.com`
    } catch {
      return `${name}.${region}.elb.amazonaws.com`
    }
  }

  const fake: EbFake = {
    url: `http://127.0.0.1:${port}`,
    region,
    accountId: ACCOUNT_ID,

    async stop() {
      epoch++
      for (const t of timers) clearTimeout(t)
      timers.clear()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      clb.elb.destroy()
      securityGroups.ec2.destroy()
      elbv2.client.destroy()
      s3.destroy()
    },

    async reset() {
      epoch++
      for (const t of timers) clearTimeout(t)
      timers.clear()
      apps = new Map()
      envs = []
      events = []
      calls = []
      deployScripts = []
      versionScripts = []
    },

    setTiming(t) {
      stepMs = t.stepMs
    },

    createApplication(name, o) {
      if (apps.has(name)) throw new Error(`eb-fake: application ${name} already exists`)
      newApp(name, o?.description)
    },

    createApplicationVersion(application, label, o) {
      const app = apps.get(application) ?? newApp(application)
      if (app.versions.has(label)) throw new Error(`eb-fake: version ${label} already exists`)
      const now = new Date()
      app.versions.set(label, {
        label,
        application,
        description: o?.description,
        s3Bucket: o?.s3Bucket,
        s3Key: o?.s3Key,
        status: o?.status ?? 'Processed',
        created: now,
        updated: now,
      })
    },

    async createEnvironment(spec) {
      if (liveEnv(spec.name)) throw new Error(`eb-fake: environment ${spec.name} already exists`)
      const app = apps.get(spec.application) ?? newApp(spec.application)
      if (spec.versionLabel !== undefined && !app.versions.has(spec.versionLabel)) {
        this.createApplicationVersion(spec.application, spec.versionLabel)
      }
      const loadBalancerType = spec.loadBalancerType ?? 'classic'
      const environmentType = spec.environmentType ?? 'LoadBalanced'
      const settings: OptionSetting[] = (spec.optionSettings ?? []).map((s) => ({
        Namespace: canonicalNamespace(s.Namespace ?? ''),
        OptionName: s.OptionName ?? '',
        Value: s.Value,
      }))
      const shell = {options: new Map<string, string>(), loadBalancerType, environmentType}
      const {next, messages} = mergeOptions(shell, settings, [])
      if (messages.length > 0)
        throw new Error(`eb-fake: invalid optionSettings: ${messages.map((m) => m.Message).join('; ')}`)
      for (const s of settings)
        if (!namespaceDefs(s.Namespace) && s.Namespace !== 'aws:elasticbeanstalk:application:environment')
          throw new Error(`eb-fake: unknown namespace ${s.Namespace}`)
      const id = `e-${rand(10)}`
      let lbName = spec.loadBalancerName
      let groups: EnvSecurityGroups | undefined
      const makeGroups = async (namespace: string) =>
        (groups = await securityGroups.create(
          {id, name: spec.name},
          next.get(optionKey(namespace, 'SecurityGroups')),
          listenerPorts(next, loadBalancerType),
        ))
      if (environmentType === 'LoadBalanced' && loadBalancerType === 'classic') {
        lbName ??= `awseb-${id}-AWSEBLoa-${rand(13, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}`.replace(
          /^awseb-e-(.).{9}-/,
          'awseb-e-$1-',
        )
        if (!(await clb.exists(lbName))) await clb.create(lbName, next, (await makeGroups('aws:elb:loadbalancer')).ids)
      } else if (environmentType === 'SingleInstance') {
        lbName = undefined
      } else if (spec.sharedLoadBalancerArn) {
        lbName = spec.sharedLoadBalancerArn
        next.set(optionKey('aws:elasticbeanstalk:environment', 'LoadBalancerIsShared'), 'true')
        next.set(optionKey('aws:elbv2:loadbalancer', 'SharedLoadBalancer'), lbName)
      } else {
        lbName ??= (
          await elbv2.createLoadBalancer(
            `awseb-AWSEB-${rand(10).toUpperCase()}`,
            loadBalancerType as 'application' | 'network',
            {'elasticbeanstalk:environment-name': spec.name, 'elasticbeanstalk:environment-id': id},
            // Beanstalk's NLB has no security group: traffic reaches the instances' group directly.
            loadBalancerType === 'application' ? (await makeGroups('aws:elbv2:loadbalancer')).ids : undefined,
          )
        ).arn
      }
      if (environmentType === 'LoadBalanced' && loadBalancerType !== 'classic')
        next.set(optionKey('aws:elasticbeanstalk:environment', 'LoadBalancerType'), loadBalancerType)
      const now = new Date()
      const health = spec.health ?? (spec.healthStatus ? HEALTH_OF[spec.healthStatus] : 'Green')
      const env: EnvState = {
        id,
        name: spec.name,
        application: spec.application,
        description: spec.description,
        status: spec.status ?? 'Ready',
        health,
        healthStatus: spec.healthStatus ?? STATUS_OF[health],
        versionLabel: spec.versionLabel,
        loadBalancerName: lbName,
        loadBalancerType,
        environmentType,
        solutionStack: spec.platform ?? DEFAULT_STACK,
        platformArn:
          spec.platformArn ??
          `arn:aws:elasticbeanstalk:${region}::platform/Node.js 22 running on 64bit Amazon Linux 2023/6.6.0`,
        cname: spec.cname ?? `${spec.name}.eba-${rand(8)}.${region}.elasticbeanstalk.com`,
        endpointUrl:
          lbName && loadBalancerType === 'classic'
            ? await lbEndpoint(lbName)
            : lbName && environmentType === 'LoadBalanced'
              ? ((await elbv2.dnsName(lbName).catch(() => undefined)) ?? lbName)
              : `${10 + (randomBytes(1)[0]! % 200)}.0.${randomBytes(1)[0]! % 250}.${randomBytes(1)[0]! % 250}`,
        created: now,
        updated: now,
        abortable: false,
        options: next,
        sharedLoadBalancer: Boolean(spec.sharedLoadBalancerArn),
        generation: 0,
        instanceId: `i-0${rand(16, '0123456789abcdef')}`,
        autoScalingGroup: `awseb-${id}-stack-AWSEBAutoScalingGroup-${rand(12, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}`,
        launchTemplateId: `lt-0${rand(16, '0123456789abcdef')}`,
        securityGroups: groups,
      }
      envs.push(env)
      if (isElbv2(env)) await applyLoadBalancer(env)
      envEvent(env, 'createEnvironment is starting.')
      if (env.status !== 'Launching') envEvent(env, `Successfully launched environment: ${env.name}`)
      return snapshot(env)
    },

    setEnvironment(name, patch) {
      const env = mustEnv(name)
      if (patch.status !== undefined && patch.status !== env.status) {
        env.generation++ // abandon pending steps
        env.status = patch.status
        if (patch.status !== 'Updating') env.abortable = false
      }
      if (patch.healthStatus !== undefined) {
        env.healthStatus = patch.healthStatus
        env.health = patch.health ?? HEALTH_OF[patch.healthStatus]
      } else if (patch.health !== undefined) {
        env.health = patch.health
        env.healthStatus = STATUS_OF[patch.health]
      }
      if ('versionLabel' in patch) env.versionLabel = patch.versionLabel
      if (patch.abortableOperationInProgress !== undefined) env.abortable = patch.abortableOperationInProgress
      env.updated = new Date()
      return snapshot(env)
    },

    terminateEnvironment(name) {
      const env = mustEnv(name)
      env.generation++
      env.status = 'Terminated'
      env.health = 'Grey'
      env.healthStatus = 'Unknown'
      env.updated = new Date()
      envEvent(env, `terminateEnvironment completed successfully.`)
    },

    environment(name) {
      return snapshot(mustEnv(name))
    },

    async createSharedLoadBalancer(name, o) {
      const lb = await elbv2.createLoadBalancer(name, 'application')
      const {CreateListenerCommand} = await import('@aws-sdk/client-elastic-load-balancing-v2')
      for (const l of o?.listeners ?? [{port: 80, protocol: 'HTTP' as const}]) {
        await elbv2.client.send(
          new CreateListenerCommand({
            LoadBalancerArn: lb.arn,
            Port: l.port,
            Protocol: l.protocol,
            DefaultActions: [
              {
                Type: 'fixed-response',
                FixedResponseConfig: {StatusCode: '404', ContentType: 'text/plain', MessageBody: 'Not found'},
              },
            ],
            ...(l.certificateArn
              ? {Certificates: [{CertificateArn: l.certificateArn}], SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06'}
              : {}),
          }),
        )
      }
      return lb
    },

    scriptNextDeployment(outcome) {
      deployScripts.push(typeof outcome === 'string' ? {outcome} : {...outcome})
    },

    scriptNextVersionProcessing(outcome) {
      versionScripts.push(outcome)
    },

    events(environment) {
      return events
        .filter((e) => environment === undefined || e.environmentName === environment)
        .reverse()
        .map(({seq: _seq, ...e}) => e)
    },

    calls() {
      return calls.map((c) => ({...c, params: {...c.params}}))
    },

    clearCalls() {
      calls = []
    },

    async waitForStatus(name, status = 'Ready', timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const env = mustEnv(name)
        if (env.status === status) return snapshot(env)
        if (Date.now() > deadline)
          throw new Error(`eb-fake: ${name} still ${env.status} after ${timeoutMs} ms (waiting for ${status})`)
        await new Promise((r) => setTimeout(r, 5))
      }
    },

    async idle(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      while (pending.size > 0) {
        if (Date.now() > deadline) throw new Error('eb-fake: still busy')
        await Promise.race([Promise.allSettled([...pending]), new Promise((r) => setTimeout(r, 50))])
      }
    },
  }
  return fake
}
