/**
 * An Application or Network Load Balancer in our own terms: plain data, no SDK types, so the planner and the
 * verdict are pure functions over it. Field meanings follow the ELBv2 API reference:
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/Welcome.html
 */
import type {CertificateInfo} from '../../elb/model.ts'
import type {OptionSetting} from '../../environment/describe.ts'

export interface RedirectTarget {
  protocol: string
  port: string
  host: string
  path: string
  query: string
  statusCode: string
}

export interface V2Action {
  type: string
  targetGroupArn?: string | undefined
  redirect?: RedirectTarget | undefined
  fixedResponse?: {statusCode: string; contentType?: string | undefined; messageBody?: string | undefined} | undefined
}

export interface V2Rule {
  arn: string
  priority: string
  conditions: Array<{field: string; values: string[]}>
  actions: V2Action[]
}

export interface V2Listener {
  arn: string
  port: number
  protocol: string
  sslPolicy?: string | undefined
  /** The listener's default certificate. */
  certificateArn?: string | undefined
  /** Extra certificates served by SNI (DescribeListenerCertificates, IsDefault false). */
  sniCertificateArns: string[]
  defaultActions: V2Action[]
  /** Rules other than the default one. */
  rules: V2Rule[]
}

export interface V2TargetGroup {
  arn: string
  name: string
  port?: number | undefined
  protocol?: string | undefined
  healthCheck: {
    protocol?: string | undefined
    path?: string | undefined
    matcher?: string | undefined
    intervalSeconds?: number | undefined
    timeoutSeconds?: number | undefined
  }
  stickiness: {enabled: boolean; type?: string | undefined; durationSeconds?: number | undefined}
  deregistrationDelaySeconds?: number | undefined
  proxyProtocolV2?: boolean | undefined
  /** Tag elasticbeanstalk:environment-name: which environment owns the target group. */
  environmentName?: string | undefined
  /** The Beanstalk process it serves, matched from this environment's process settings. */
  process?: string | undefined
}

export interface Elbv2State {
  arn: string
  name: string
  type: 'application' | 'network'
  dnsName?: string | undefined
  idleTimeoutSeconds?: number | undefined
  listeners: V2Listener[]
  targetGroups: V2TargetGroup[]
  /** A shared ALB (LoadBalancerIsShared): the environment owns only its rules and target groups on it. */
  shared?: boolean | undefined
  /** Shared ALB, in a fix's snapshot: the host names this environment's rules match (what restore may touch). */
  hosts?: string[] | undefined
}

/** Everything `listeners show` reads on an ALB/NLB environment. */
export interface Elbv2Observed {
  state: Elbv2State
  settings: OptionSetting[]
  certificates: CertificateInfo[]
  shared: boolean
  /** Other environments whose target groups sit behind the same (shared) load balancer. */
  otherEnvironments: string[]
  /** The environment's CNAME: on a shared ALB, Beanstalk's host-header condition on its rules. */
  cname?: string | undefined
  /** Whether the deployed bundle's .ebextensions override AWSEBV2LoadBalancerListener's DefaultActions (undefined: unknown). */
  bundleOverridesListener?: boolean | undefined
}

export const DEFAULT_SSL_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06'

/** The port-80 redirect ebws sets: HTTPS:443, keeping host, path and query, permanent. */
export const HTTPS_REDIRECT: RedirectTarget = {
  protocol: 'HTTPS',
  port: '443',
  host: '#{host}',
  path: '/#{path}',
  query: '#{query}',
  statusCode: 'HTTP_301',
}

export const setting = (settings: OptionSetting[], namespace: string, optionName: string): string | undefined =>
  settings.find((s) => s.namespace === namespace && s.optionName === optionName)?.value

/** aws:elbv2:listener:default is the port-80 listener. */
export const listenerNamespace = (port: number): string =>
  port === 80 ? 'aws:elbv2:listener:default' : `aws:elbv2:listener:${port}`
export const processNamespace = (name: string): string => `aws:elasticbeanstalk:environment:process:${name}`

/** The target group serving a process (the default process if none is matched). */
export function targetGroupOf(state: Elbv2State, process = 'default'): V2TargetGroup | undefined {
  return (
    state.targetGroups.find((t) => t.process === process) ??
    (process === 'default' ? state.targetGroups.find((t) => t.process === undefined) : undefined)
  )
}

export const isRedirectToHttps = (a: V2Action | undefined): boolean =>
  a?.type === 'redirect' &&
  a.redirect?.protocol === 'HTTPS' &&
  (a.redirect.port === '443' || a.redirect.port === '#{port}')
