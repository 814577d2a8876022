/**
 * One interface for every load-balancer type ebws works on. Each type (classic, application, network) is one
 * adapter registered in registry.ts; features (show.ts, fix.ts) dispatch through the registry and never branch on
 * the type themselves. Adapters sit below features and above the AWS clients.
 */
import type {AwsClients} from '../aws/clients.ts'
import type {EnvironmentInfo, OptionSetting} from '../environment/describe.ts'
import type {FixOptions} from '../listeners/fix.ts'
import type {ProxyChangeOptions, ProxyChangeResult, StatusResult} from '../proxy-protocol/run.ts'

export type LoadBalancerType = 'classic' | 'application' | 'network'

/** What detection found: the type, whether it is a shared ALB, and the name (CLB) or ARN (ALB/NLB). */
export interface DetectedLoadBalancer {
  type: LoadBalancerType
  shared: boolean
  id: string
}

// The CLB verdict's finding and drift shapes, shared (one definition, so the --json schemas have one name each).
import type {DriftItem, Finding} from '../listeners/verdict.ts'
export type {DriftItem, Finding, Severity} from '../listeners/verdict.ts'

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

export interface ShowInput {
  first: FirstRoundTrip
  detected: DetectedLoadBalancer
  now: Date
  /** For the classic adapter, which keeps its own port flags. */
  ports: {httpsPort: number; httpPort: number; instancePort: number}
}

/** The fix intent of every type: each adapter takes what applies to it and refuses what cannot work. */
export interface FixIntent {
  environmentName: string
  /** The Classic Load Balancer's own options (mode, ports, --apply-to, ...), handed to the CLB code unchanged. */
  classic: FixOptions
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
}

/**
 * A load-balancer type. `show` reads live state into the adapter's model and judges it (verdict rules); `fix` plans
 * from the intent (a pure planner inside), prints, snapshots, applies with rollback and writes the durable option
 * settings. Results are the adapter's own typed report; `format` renders it for people.
 */
export interface LoadBalancerAdapter<Report = unknown, FixReport = unknown> {
  type: LoadBalancerType
  show(clients: AwsClients, input: ShowInput): Promise<Report>
  format(report: Report, ctx: {ports: ShowInput['ports']; now: Date}): string
  fix?(
    clients: AwsClients,
    input: {first: FirstRoundTrip; detected: DetectedLoadBalancer; intent: FixIntent},
  ): Promise<FixReport>
  formatFix?(report: FixReport): string
  /** `proxy-protocol status|enable|disable` for types that do it their own way (the CLB keeps src/proxy-protocol). */
  proxyStatus?(
    clients: AwsClients,
    input: {first: FirstRoundTrip; detected: DetectedLoadBalancer},
    o: {instancePort?: number | undefined; skipAppCheck?: boolean | undefined},
  ): Promise<StatusResult>
  proxyChange?(
    clients: AwsClients,
    input: {first: FirstRoundTrip; detected: DetectedLoadBalancer},
    action: 'enable' | 'disable',
    o: ProxyChangeOptions,
  ): Promise<ProxyChangeResult>
}

export type {OptionSetting}
