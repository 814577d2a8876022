/**
 * One interface for every load-balancer type ebws works on. Each type (classic, application, network) is one
 * adapter registered in registry.ts; features (show.ts, fix.ts, restore.ts, src/proxy-protocol/run.ts) dispatch
 * through the registry and never branch on the type themselves. Every change goes through pipeline.ts. Adapters sit
 * below features and above the AWS clients; this file (and the shapes several adapters share) sits below them
 * (test/unit/lb/import-direction.test.ts checks that imports only go down).
 */
import type {AwsClients} from '../aws/clients.ts'
import type {AuthorizedRule, SecurityGroupsRecord} from '../ec2/security-groups.ts'
import type {EnvironmentInfo, OptionSetting} from '../environment/describe.ts'
import type {LiveStage} from './pipeline.ts'

export type LoadBalancerType = 'classic' | 'application' | 'network'

// What an adapter hands the change pipeline: its write stages (live steps, durable option settings) in the order its
// type needs, its snapshot, rollback and check by effect (declared beside the pipeline that runs them).
export type {ChangeSpec, LiveStage, SettingsStage, StageContext, WriteStage} from './pipeline.ts'

/** What detection found: the type, whether it is a shared ALB, and the name (CLB) or ARN (ALB/NLB). */
export interface DetectedLoadBalancer {
  type: LoadBalancerType
  shared: boolean
  id: string
}

// The verdict's finding and drift shapes, shared by every type (one definition, so the --json schemas have one name
// each); they live here, below the adapters that use them.
export type Severity = 'error' | 'warning' | 'info'

export interface Finding {
  code: string
  severity: Severity
  message: string
}

export interface DriftItem {
  /** e.g. "listener 443", "proxy protocol on instance port 80", "idle timeout" */
  subject: string
  configured: string
  live: string
  /** What the next environment update will do. */
  consequence: string
}

// Where a change goes: the live load balancer, the environment's option settings, or both (the default).
export type ApplyTo = 'elb' | 'environment' | 'both'

// A planned step as results report it: what it does, the same with the AWS CLI, what it waits for.
export interface PlannedStep {
  id: string
  description: string
  command: string
  dependsOn: string[]
}

export interface LbVerdict {
  ok: boolean
  layout: string
  findings: Finding[]
  drift: DriftItem[]
}

/**
 * Round trip 1, shared by every type: the environment and its load balancer. No ACM call: a command asks ACM only
 * for the certificates it shows or chooses.
 */
export interface FirstRoundTrip {
  region: string
  environment: EnvironmentInfo
}

/**
 * What an adapter's own reads found about the load balancer's exposure, handed to the security-groups read of
 * `listeners show` and `fix` (src/security-groups/read.ts) through ShowInput.onDescribed (FixIntent.onDescribed), so
 * that it does not describe the load balancer a second time: the listener ports always; the scheme and security
 * groups when the adapter's reads name them (a CLB's DescribeLoadBalancers does; an ALB's or NLB's reads do not, and
 * the security-groups read describes it itself).
 */
export interface DescribedLoadBalancer {
  listenerPorts: number[]
  scheme?: string | undefined
  securityGroupIds?: string[] | undefined
}

export interface ShowInput {
  first: FirstRoundTrip
  detected: DetectedLoadBalancer
  now: Date
  /** For the classic adapter, which keeps its own port flags. */
  ports: {httpsPort: number; httpPort: number; instancePort: number}
  /** Called once, as soon as the adapter's reads know the load balancer's listener ports (and groups, if they name them). */
  onDescribed?: ((lb: DescribedLoadBalancer) => void) | undefined
}

/**
 * The fix intent of every type: each adapter takes what applies to it and refuses what cannot work. `Classic` is the
 * Classic Load Balancer's own options type (src/listeners/fix.ts), named by the layers above the adapters.
 */
export interface FixIntent<Classic = unknown> {
  environmentName: string
  /** The Classic Load Balancer's own options (mode, ports, --apply-to, ...), handed to the CLB code unchanged. */
  classic: Classic
  certificateArn?: string | undefined
  domain?: string | undefined
  sslPolicy?: string | undefined
  redirect: 'lb' | 'app'
  stickiness: boolean
  idleTimeoutSeconds?: number | undefined
  /** --change-shared-listeners: on a shared ALB, also change the listeners and attributes every environment uses. */
  allowShared: boolean
  dryRun: boolean
  wait: boolean
  timeoutMs: number
  backupFile?: string | undefined
  emitEbextensionsDir?: string | undefined
  now: Date
  say: (line: string) => void
  confirm?: ((plan: unknown) => Promise<void>) | undefined
  /** Add the listener ports to a security group Beanstalk does not manage (`--open-security-group`). */
  openSecurityGroup?: boolean | undefined
  /** Asks before security-group rules are added when the listeners themselves need no change. */
  confirmSecurityGroups?: ((plan: unknown) => Promise<void>) | undefined
  /** What the snapshot records besides the load balancer, read when the adapter writes it (before its first write). */
  snapshotRecords?: (() => SnapshotRecords) | undefined
  /** As ShowInput.onDescribed: `listeners fix`'s security-groups read takes what the adapter's reads found. */
  onDescribed?: ((lb: DescribedLoadBalancer) => void) | undefined
}

/**
 * What features record in an adapter's snapshot beside its own state: the security-group rules `listeners fix`
 * added (src/security-groups), which `listeners restore` removes again.
 */
export interface SnapshotRecords {
  securityGroups?: SecurityGroupsRecord | undefined
}

/**
 * A load-balancer type. `show` reads live state into the adapter's model and judges it (verdict rules); `fix`,
 * `restore` and `proxyChange` plan from the intent (a pure planner inside) and hand their stages (snapshot, live
 * steps, durable option settings, rollback, verify) to the change pipeline (pipeline.ts), in the order the type needs.
 * Results are the adapter's own typed report; `format` renders it for people.
 */
export interface LoadBalancerAdapter<Report = unknown, FixReport = unknown, Classic = unknown> {
  type: LoadBalancerType
  show(clients: AwsClients, input: ShowInput): Promise<Report>
  format(report: Report, ctx: {ports: ShowInput['ports']; now: Date}): string
  fix(
    clients: AwsClients,
    input: {first: FirstRoundTrip; detected: DetectedLoadBalancer; intent: FixIntent<Classic>},
  ): Promise<FixReport>
  formatFix?(report: FixReport): string
  /** Whether a snapshot file's content is one this type wrote (`listeners restore` picks the adapter by it). */
  ownsSnapshot(snapshot: {kind?: unknown; loadBalancerType?: unknown}): boolean
  /** `listeners restore --from FILE`: put the load balancer (and its option settings) back as the snapshot has it. */
  restore(clientsFor: (region: string) => AwsClients, file: string, o: RestoreOptions): Promise<RestoreResult>
  /** `proxy-protocol status|enable|disable`: each type answers its own way, or refuses with the reason. */
  proxyStatus(
    clients: AwsClients,
    input: {first: FirstRoundTrip; detected: DetectedLoadBalancer},
    o: {instancePort?: number | undefined; skipAppCheck?: boolean | undefined},
  ): Promise<StatusResult>
  proxyChange(
    clients: AwsClients,
    input: {first: FirstRoundTrip; detected: DetectedLoadBalancer},
    action: 'enable' | 'disable',
    o: ProxyChangeOptions,
  ): Promise<ProxyChangeResult>
}

// The shapes of `proxy-protocol status|enable|disable`, which the CLB and NLB adapters both produce.
/**
 * "Is the backend ready for the PROXY line?": the deployed application version's source bundle must contain an nginx
 * config that listens on the instance port with `proxy_protocol` (ours: .platform/nginx/nginx.conf from
 * .platform/variants/proxy-protocol). Beanstalk platforms read `.platform/nginx/nginx.conf` (replaces the default)
 * and `.platform/nginx/conf.d/*.conf`:
 * https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/platforms-linux-extend.proxy.html
 *
 * The bundle is read in place with ranged S3 GETs (the zip's tail, its central directory, then only the nginx files),
 * never downloaded whole: bundles can be hundreds of MB.
 */
export interface AppCheck {
  ok: boolean
  versionLabel?: string | undefined
  bundle?: string | undefined
  /** The bundle file that turns Proxy Protocol on, when found. */
  file?: string | undefined
  reason: string
}

export interface PortStatus {
  instancePort: number
  /** Proxy Protocol is on for this port on the live load balancer. */
  enabled: boolean
  /** The attached ProxyProtocol=true policies, and the port's other backend policies. */
  proxyPolicies: string[]
  otherPolicies: string[]
  /** The listeners forwarding to this port, e.g. "SSL 443 -> TCP 80". */
  listeners: string[]
  /** The health check target, when it checks this port. */
  healthCheck?: string | undefined
  /** The environment's option settings ask for Proxy Protocol here (what the next environment update applies). */
  configured: boolean
  /** Whether Proxy Protocol on this port is (or would be) safe: no HTTP/HTTPS listener, no HTTP health check. */
  safe: boolean
  problems: string[]
}

export interface ProxyChangeOptions {
  environmentName: string
  instancePort: number
  applyTo: ApplyTo
  dryRun: boolean
  wait: boolean
  timeoutMs: number
  backupFile?: string | undefined
  /** enable only */
  healthCheckTcp?: boolean
  skipAppCheck?: boolean
  now?: Date
  progress?: (line: string) => void
  /** Asked with the plan before the first write; throws to stop with nothing changed. */
  confirm?: ((plan: ProxyChangeResult) => Promise<void>) | undefined
}

export interface ProxyChangeResult {
  action: 'enable' | 'disable'
  status: 'dry-run' | 'already-in-shape' | 'applied'
  region: string
  environment: string
  loadBalancerName: string
  instancePort: number
  elbSteps: PlannedStep[]
  optionSettingsToUpdate: OptionSetting[]
  optionSettingsToRemove: OptionSetting[]
  appCheck?: AppCheck | undefined
  warnings: string[]
  backupFile?: string | undefined
  /** The port as read back afterwards (or as it is, for dry runs and no-ops). */
  portAfter: PortStatus
}

export interface StatusResult {
  region: string
  environment: string
  loadBalancerName: string
  ports: PortStatus[]
  appCheck?: AppCheck | undefined
}

// `listeners restore --from FILE`: every type's snapshot is put back through the same options and result.
export interface RestoreResult {
  loadBalancerName: string
  region: string
  dryRun: boolean
  steps: PlannedStep[]
  /** The environment's aws:elb:* option settings put back as the snapshot had them, and those it had not (removed). */
  optionSettingsToUpdate: OptionSetting[]
  optionSettingsToRemove: OptionSetting[]
  /** The security-group rules `listeners fix` added that restore removes (exactly as fix authorized them). */
  securityGroupRulesToRemove: AuthorizedRule[]
  /** What restore could not put back, said plainly (e.g. a snapshot without option settings). */
  leftAlone: string[]
}

/**
 * The security-group part of a restore, planned by the feature (src/security-groups/restore.ts) from the snapshot's
 * record and the groups as they are, and handed to the adapter: its steps come first in the plan and its stage runs
 * before the adapter's own (a failing revoke then leaves everything as it was; a later failure re-authorizes what
 * the stage revoked, through LiveStage.undo).
 */
export interface SecurityGroupsRestore {
  remove: AuthorizedRule[]
  steps: PlannedStep[]
  /** Absent when there is nothing to remove. */
  stage?: LiveStage | undefined
  leftAlone: string[]
}

export interface RestoreOptions {
  dryRun: boolean
  timeoutMs?: number
  progress?: (line: string) => void
  confirm?: ((plan: RestoreResult) => Promise<void>) | undefined
  securityGroups?: SecurityGroupsRestore | undefined
}

export type {OptionSetting, SecurityGroupsRecord}
