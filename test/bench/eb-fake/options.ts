// The configuration-option catalogue the fake knows, its validation, and the effective
// Classic Load Balancer configuration an environment's options describe.
// Reference: https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/command-options-general.html
import {elbv2NamespaceDefs} from './elbv2-options.ts'

export interface OptionSetting {
  Namespace: string
  OptionName: string
  Value?: string | undefined
  ResourceName?: string | undefined
}

export interface ValidationMessage {
  Message: string
  Severity: 'error' | 'warning'
  Namespace: string
  OptionName: string
}

type Rule =
  | {kind: 'enum'; values: string[]; ci?: boolean}
  | {kind: 'int'; min: number; max: number}
  | {kind: 'bool'}
  | {kind: 'string'}
  | {kind: 'ports'} // comma-separated ports or :all

interface OptionDef {
  rule: Rule
  /** Default shown by DescribeConfigurationSettings; undefined = no Value member. */
  default?: string
  /** EB tags load balancer options with the CloudFormation logical id of the resource. */
  resource?: string
}

const LB = 'AWSEBLoadBalancer'
const bool: Rule = {kind: 'bool'}
const str: Rule = {kind: 'string'}

const ENVIRONMENT: Record<string, OptionDef> = {
  EnvironmentType: {rule: {kind: 'enum', values: ['LoadBalanced', 'SingleInstance']}, default: 'LoadBalanced'},
  LoadBalancerType: {rule: {kind: 'enum', values: ['classic', 'application', 'network']}, default: 'classic'},
  ServiceRole: {rule: str},
  LoadBalancerIsShared: {rule: bool, default: 'false'},
}

const APPLICATION: Record<string, OptionDef> = {
  'Application Healthcheck URL': {rule: str, default: ''},
}

const HEALTHCHECK: Record<string, OptionDef> = {
  HealthyThreshold: {rule: {kind: 'int', min: 2, max: 10}, default: '3', resource: LB},
  Interval: {rule: {kind: 'int', min: 5, max: 300}, default: '10', resource: LB},
  Target: {rule: str, default: 'TCP:80', resource: LB},
  Timeout: {rule: {kind: 'int', min: 2, max: 60}, default: '5', resource: LB},
  UnhealthyThreshold: {rule: {kind: 'int', min: 2, max: 10}, default: '5', resource: LB},
}

const LOADBALANCER: Record<string, OptionDef> = {
  CrossZone: {rule: bool, default: 'false', resource: LB},
  SecurityGroups: {rule: str, resource: LB},
  ManagedSecurityGroup: {rule: str, resource: LB},
  LoadBalancerHTTPPort: {rule: {kind: 'enum', values: ['OFF', '80']}, default: '80', resource: LB},
  LoadBalancerPortProtocol: {rule: {kind: 'enum', values: ['HTTP', 'TCP']}, default: 'HTTP', resource: LB},
  LoadBalancerHTTPSPort: {rule: {kind: 'enum', values: ['OFF', '443', '8443']}, default: 'OFF', resource: LB},
  LoadBalancerSSLPortProtocol: {rule: {kind: 'enum', values: ['HTTPS', 'SSL']}, default: 'HTTPS', resource: LB},
  SSLCertificateId: {rule: str, resource: LB},
}

const ELB_POLICIES: Record<string, OptionDef> = {
  ConnectionDrainingEnabled: {rule: bool, default: 'false', resource: LB},
  ConnectionDrainingTimeout: {rule: {kind: 'int', min: 1, max: 3600}, default: '20', resource: LB},
  ConnectionSettingIdleTimeout: {rule: {kind: 'int', min: 1, max: 3600}, default: '60', resource: LB},
  LoadBalancerPorts: {rule: {kind: 'ports'}, resource: LB},
  'Stickiness Cookie Expiration': {rule: {kind: 'int', min: 0, max: 1000000}, default: '0', resource: LB},
  'Stickiness Policy': {rule: bool, default: 'false', resource: LB},
}

const NAMED_POLICY: Record<string, OptionDef> = {
  CookieName: {rule: str, resource: LB},
  InstancePorts: {rule: {kind: 'ports'}, resource: LB},
  LoadBalancerPorts: {rule: {kind: 'ports'}, resource: LB},
  ProxyProtocol: {rule: bool, resource: LB},
  PublicKey: {rule: str, resource: LB},
  PublicKeyPolicyNames: {rule: str, resource: LB},
  SSLProtocols: {rule: str, resource: LB},
  SSLReferencePolicy: {rule: str, resource: LB},
  'Stickiness Cookie Expiration': {rule: {kind: 'int', min: 0, max: 1000000}, resource: LB},
  'Stickiness Policy': {rule: bool, resource: LB},
}

const PROTOCOLS = ['HTTP', 'HTTPS', 'TCP', 'SSL']

function listenerDefs(defaultPort: boolean): Record<string, OptionDef> {
  return {
    ListenerProtocol: {rule: {kind: 'enum', values: defaultPort ? ['HTTP', 'TCP'] : PROTOCOLS}, resource: LB},
    InstancePort: {rule: {kind: 'int', min: 1, max: 65535}, resource: LB},
    InstanceProtocol: {rule: {kind: 'enum', values: PROTOCOLS}, resource: LB},
    PolicyNames: {rule: str, resource: LB},
    SSLCertificateId: {rule: str, resource: LB},
    ListenerEnabled: {rule: bool, resource: LB},
  }
}

/** Namespaces accepted and stored but not acted on (kept small on purpose; see EB-FAKE.md). */
const PASSIVE: Record<string, Record<string, OptionDef>> = {
  'aws:elasticbeanstalk:command': {
    DeploymentPolicy: {
      rule: {
        kind: 'enum',
        values: ['AllAtOnce', 'Rolling', 'RollingWithAdditionalBatch', 'Immutable', 'TrafficSplitting'],
      },
      default: 'AllAtOnce',
    },
    Timeout: {rule: {kind: 'int', min: 1, max: 3600}, default: '600'},
    BatchSizeType: {rule: {kind: 'enum', values: ['Percentage', 'Fixed']}, default: 'Percentage'},
    BatchSize: {rule: {kind: 'int', min: 1, max: 10000}, default: '100'},
    IgnoreHealthCheck: {rule: bool, default: 'false'},
  },
  'aws:elasticbeanstalk:healthreporting:system': {
    SystemType: {rule: {kind: 'enum', values: ['basic', 'enhanced']}, default: 'enhanced'},
  },
  'aws:autoscaling:asg': {
    MinSize: {rule: {kind: 'int', min: 1, max: 10000}, default: '1'},
    MaxSize: {rule: {kind: 'int', min: 1, max: 10000}, default: '4'},
  },
  'aws:autoscaling:launchconfiguration': {
    InstanceType: {rule: str, default: 't3.micro'},
    IamInstanceProfile: {rule: str},
    EC2KeyName: {rule: str},
  },
}

export const DEFAULT_LISTENER_NS = 'aws:elb:listener:80'

/** `aws:elb:listener` (no port) is the default listener; EB reports it as `aws:elb:listener:80`. */
export function canonicalNamespace(ns: string): string {
  return ns === 'aws:elb:listener' ? DEFAULT_LISTENER_NS : ns
}

export function listenerPortOf(ns: string): number | undefined {
  const m = /^aws:elb:listener:(\d+)$/.exec(ns)
  return m ? Number(m[1]) : undefined
}

export function policyNameOf(ns: string): string | undefined {
  const m = /^aws:elb:policies:(.+)$/.exec(ns)
  return m ? m[1] : undefined
}

/** The option definitions of a namespace, or undefined if the fake does not know the namespace. */
export function namespaceDefs(ns: string): Record<string, OptionDef> | undefined {
  const c = canonicalNamespace(ns)
  const port = listenerPortOf(c)
  if (port !== undefined) return port >= 1 && port <= 65535 ? listenerDefs(port === 80) : undefined
  if (policyNameOf(c) !== undefined) return NAMED_POLICY
  switch (c) {
    case 'aws:elasticbeanstalk:environment':
      return ENVIRONMENT
    case 'aws:elasticbeanstalk:application':
      return APPLICATION
    case 'aws:elb:healthcheck':
      return HEALTHCHECK
    case 'aws:elb:loadbalancer':
      return LOADBALANCER
    case 'aws:elb:policies':
      return ELB_POLICIES
    default:
      return PASSIVE[c] ?? elbv2NamespaceDefs(c)
  }
}

const FREE_FORM = new Set(['aws:elasticbeanstalk:application:environment'])

export function optionKey(ns: string, name: string): string {
  return `${canonicalNamespace(ns)}\u0000${name}`
}

export function splitKey(key: string): [string, string] {
  const i = key.indexOf('\u0000')
  return [key.slice(0, i), key.slice(i + 1)]
}

function invalidValue(value: string, ns: string, name: string, why: string): string {
  return `Invalid option value: '${value}' (Namespace: '${ns}', OptionName: '${name}'): ${why}`
}

function checkValue(rule: Rule, value: string): string | undefined {
  switch (rule.kind) {
    case 'enum':
      return rule.values.includes(value)
        ? undefined
        : `Value is not one of the allowed values: [${rule.values.join(', ')}]`
    case 'bool':
      return /^(true|false)$/i.test(value) ? undefined : 'Value is not one of the allowed values: [true, false]'
    case 'int': {
      if (!/^-?\d+$/.test(value.trim())) return 'Value is not an integer.'
      const n = Number(value)
      if (n < rule.min) return `Value is less than minimum allowed value: ${rule.min}`
      if (n > rule.max) return `Value is greater than maximum allowed value: ${rule.max}`
      return undefined
    }
    case 'ports':
      return value === ':all' ||
        value.split(',').every((p) => /^\s*\d+\s*$/.test(p) && Number(p) >= 1 && Number(p) <= 65535)
        ? undefined
        : 'Value must be a comma-separated list of ports or :all'
    case 'string':
      return undefined
  }
}

/**
 * Validate option settings one by one, as ValidateConfigurationSettings reports them: unknown namespaces or options,
 * and values outside the documented set or range. `effective` (the options after the change) is used for the
 * cross-option checks on listeners.
 */
export function validateSettings(settings: OptionSetting[], effective?: Map<string, string>): ValidationMessage[] {
  const messages: ValidationMessage[] = []
  for (const s of settings) {
    const defs = namespaceDefs(s.Namespace)
    if (FREE_FORM.has(s.Namespace)) continue
    const def = defs?.[s.OptionName]
    if (!def) {
      messages.push({
        Message: `Invalid option specification (Namespace: '${s.Namespace}', OptionName: '${s.OptionName}'): Unknown configuration setting.`,
        Severity: 'error',
        Namespace: s.Namespace,
        OptionName: s.OptionName,
      })
      continue
    }
    if (s.Value === undefined) continue
    const why = checkValue(def.rule, s.Value)
    if (why)
      messages.push({
        Message: invalidValue(s.Value, s.Namespace, s.OptionName, why),
        Severity: 'error',
        Namespace: s.Namespace,
        OptionName: s.OptionName,
      })
  }
  if (effective && messages.length === 0) messages.push(...validateListeners(effective))
  return messages
}

function validateListeners(effective: Map<string, string>): ValidationMessage[] {
  const out: ValidationMessage[] = []
  for (const l of effectiveListeners(effective)) {
    if (!l.enabled) continue
    const ns = `aws:elb:listener:${l.port}`
    if ((l.protocol === 'HTTPS' || l.protocol === 'SSL') && !l.sslCertificateId) {
      // Wording as the service reports it (the value quoted is the namespace).
      out.push({
        Message: invalidValue(ns, ns, 'ListenerProtocol', 'Secure Listeners need to specify a SSLCertificateId'),
        Severity: 'error',
        Namespace: ns,
        OptionName: 'ListenerProtocol',
      })
    }
    const appLayer = (p: string) => p === 'HTTP' || p === 'HTTPS'
    if (appLayer(l.protocol) !== appLayer(l.instanceProtocol)) {
      out.push({
        Message: invalidValue(
          l.instanceProtocol,
          ns,
          'InstanceProtocol',
          `InstanceProtocol must be at the same internet protocol layer as ListenerProtocol '${l.protocol}'.`,
        ),
        Severity: 'error',
        Namespace: ns,
        OptionName: 'InstanceProtocol',
      })
    }
  }
  return out
}

export interface EffectiveListener {
  port: number
  protocol: string
  instancePort: number
  instanceProtocol: string
  sslCertificateId?: string | undefined
  policyNames: string[]
  enabled: boolean
}

/** Every listener namespace the options mention (port 80 always), with documented defaults filled in. */
export function effectiveListeners(opts: Map<string, string>): EffectiveListener[] {
  const ports = new Set<number>([80])
  for (const key of opts.keys()) {
    const p = listenerPortOf(splitKey(key)[0])
    if (p !== undefined) ports.add(p)
  }
  const out: EffectiveListener[] = []
  for (const port of [...ports].sort((a, b) => a - b)) {
    const ns = `aws:elb:listener:${port}`
    const get = (name: string) => opts.get(optionKey(ns, name))
    const anySet = [
      'ListenerProtocol',
      'InstancePort',
      'InstanceProtocol',
      'PolicyNames',
      'SSLCertificateId',
      'ListenerEnabled',
    ].some((n) => get(n) !== undefined)
    const protocol = (get('ListenerProtocol') ?? 'HTTP').toUpperCase()
    const instanceProtocol = (
      get('InstanceProtocol') ?? (protocol === 'HTTP' || protocol === 'HTTPS' ? 'HTTP' : 'TCP')
    ).toUpperCase()
    // Default listener: enabled unless disabled. Others: "true if any other option is set, false otherwise".
    const enabledOpt = get('ListenerEnabled')
    const enabled = enabledOpt !== undefined ? enabledOpt.toLowerCase() === 'true' : port === 80 ? true : anySet
    out.push({
      port,
      protocol,
      instancePort: Number(get('InstancePort') ?? (port === 80 ? 80 : port)),
      instanceProtocol,
      sslCertificateId: get('SSLCertificateId') || undefined,
      policyNames: splitList(get('PolicyNames')),
      enabled,
    })
  }
  return out
}

export function splitList(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

/** The full OptionSettings list DescribeConfigurationSettings returns: defaults overlaid with the environment's values. */
export function describeSettings(opts: Map<string, string>, classic: boolean): OptionSetting[] {
  const out: OptionSetting[] = []
  const seen = new Set<string>()
  const push = (ns: string, name: string, def: OptionDef | undefined, value: string | undefined) => {
    seen.add(optionKey(ns, name))
    const s: OptionSetting = {Namespace: ns, OptionName: name}
    if (def?.resource) s.ResourceName = def.resource
    if (value !== undefined) s.Value = value
    out.push(s)
  }
  const withDefaults = (ns: string, defs: Record<string, OptionDef>) => {
    for (const [name, def] of Object.entries(defs)) push(ns, name, def, opts.get(optionKey(ns, name)) ?? def.default)
  }
  withDefaults('aws:elasticbeanstalk:application', APPLICATION)
  withDefaults('aws:elasticbeanstalk:environment', ENVIRONMENT)
  for (const [ns, defs] of Object.entries(PASSIVE)) withDefaults(ns, defs)
  if (classic) {
    withDefaults('aws:elb:healthcheck', HEALTHCHECK)
    // Target follows Application Healthcheck URL unless set explicitly (the deprecated option).
    const target = out.find((s) => s.Namespace === 'aws:elb:healthcheck' && s.OptionName === 'Target')
    if (target && !opts.has(optionKey('aws:elb:healthcheck', 'Target'))) target.Value = healthCheckTarget(opts)
    for (const l of effectiveListeners(opts)) {
      const ns = `aws:elb:listener:${l.port}`
      const defs = listenerDefs(l.port === 80)
      push(ns, 'InstancePort', defs.InstancePort, String(l.instancePort))
      push(ns, 'InstanceProtocol', defs.InstanceProtocol, l.instanceProtocol)
      push(ns, 'ListenerEnabled', defs.ListenerEnabled, String(l.enabled))
      push(ns, 'ListenerProtocol', defs.ListenerProtocol, l.protocol)
      push(ns, 'PolicyNames', defs.PolicyNames, opts.get(optionKey(ns, 'PolicyNames')))
      push(ns, 'SSLCertificateId', defs.SSLCertificateId, l.sslCertificateId)
    }
    withDefaults('aws:elb:loadbalancer', LOADBALANCER)
    withDefaults('aws:elb:policies', ELB_POLICIES)
    for (const name of namedPolicies(opts)) {
      const ns = `aws:elb:policies:${name}`
      for (const [opt, def] of Object.entries(NAMED_POLICY)) {
        const v = opts.get(optionKey(ns, opt))
        if (v !== undefined) push(ns, opt, def, v)
      }
    }
  }
  // Anything else the environment carries (application environment properties, ELB options kept on a
  // non-classic environment).
  for (const [key, value] of opts) {
    if (seen.has(key)) continue
    const [ns, name] = splitKey(key)
    push(ns, name, namespaceDefs(ns)?.[name], value)
  }
  // Plain code-unit order, as the service sorts (SSLCertificateId before SecurityGroups).
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0)
  return out.sort((a, b) => cmp(a.Namespace, b.Namespace) || cmp(a.OptionName, b.OptionName))
}

export function namedPolicies(opts: Map<string, string>): string[] {
  const names = new Set<string>()
  for (const key of opts.keys()) {
    const n = policyNameOf(splitKey(key)[0])
    if (n !== undefined) names.add(n)
  }
  return [...names].sort()
}

/**
 * The ELB health check target: `aws:elb:healthcheck` Target if set, else from `Application Healthcheck URL`
 * (empty: TCP to the default listener's instance port; `/path`: HTTP GET; `PROTO:PORT/path`: as given).
 */
export function healthCheckTarget(opts: Map<string, string>): string {
  const explicit = opts.get(optionKey('aws:elb:healthcheck', 'Target'))
  if (explicit) return explicit
  const instancePort = effectiveListeners(opts).find((l) => l.port === 80)?.instancePort ?? 80
  const url = opts.get(optionKey('aws:elasticbeanstalk:application', 'Application Healthcheck URL')) ?? ''
  if (url === '') return `TCP:${instancePort}`
  if (url.startsWith('/')) return `HTTP:${instancePort}${url}`
  const m = /^(HTTP|HTTPS|TCP|SSL):(\d+)(\/.*)?$/i.exec(url)
  if (m) return `${m[1]!.toUpperCase()}:${m[2]}${m[3] ?? ''}`
  return `HTTP:${instancePort}/${url}`
}
