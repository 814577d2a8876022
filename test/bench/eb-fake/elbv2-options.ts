// The ALB/NLB option namespaces the fake knows, with their documented defaults, and the load balancer they describe.
// References (Elastic Beanstalk general options, "aws:elbv2:*" and "aws:elasticbeanstalk:environment:process:*"):
// https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/command-options-general.html#command-options-general-elbv2-listener
// https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/environments-cfg-alb.html

type Rule =
  {kind: 'enum'; values: string[]} | {kind: 'int'; min: number; max: number} | {kind: 'bool'} | {kind: 'string'}
interface OptionDef {
  rule: Rule
  default?: string
  resource?: string
}

const bool: Rule = {kind: 'bool'}
const str: Rule = {kind: 'string'}

function listenerDefs(network: boolean | undefined): Record<string, OptionDef> {
  return {
    DefaultProcess: {rule: str, default: 'default'},
    ListenerEnabled: {rule: bool, default: 'true'},
    // ALB listeners are HTTP or HTTPS; Beanstalk's NLB listeners are TCP only.
    Protocol: {
      rule: {
        kind: 'enum',
        values: network === undefined ? ['HTTP', 'HTTPS', 'TCP'] : network ? ['TCP'] : ['HTTP', 'HTTPS'],
      },
      default: network ? 'TCP' : 'HTTP',
    },
    Rules: {rule: str},
    SSLCertificateArns: {rule: str},
    SSLPolicy: {rule: str},
  }
}

export const PROCESS_DEFS: Record<string, OptionDef> = {
  DeregistrationTimeout: {rule: {kind: 'int', min: 0, max: 3600}, default: '20'},
  HealthCheckInterval: {rule: {kind: 'int', min: 5, max: 300}, default: '15'},
  HealthCheckPath: {rule: str, default: '/'},
  HealthCheckTimeout: {rule: {kind: 'int', min: 1, max: 60}, default: '5'},
  HealthyThresholdCount: {rule: {kind: 'int', min: 2, max: 10}, default: '3'},
  MatcherHTTPCode: {rule: str, default: '200'},
  Port: {rule: {kind: 'int', min: 1, max: 65535}, default: '80'},
  Protocol: {rule: {kind: 'enum', values: ['HTTP', 'HTTPS', 'TCP']}, default: 'HTTP'},
  StickinessEnabled: {rule: bool, default: 'false'},
  StickinessLBCookieDuration: {rule: {kind: 'int', min: 1, max: 604800}, default: '86400'},
  StickinessType: {rule: {kind: 'enum', values: ['lb_cookie']}, default: 'lb_cookie'},
  UnhealthyThresholdCount: {rule: {kind: 'int', min: 2, max: 10}, default: '5'},
}

const LOADBALANCER: Record<string, OptionDef> = {
  AccessLogsS3Bucket: {rule: str},
  AccessLogsS3Enabled: {rule: bool, default: 'false'},
  AccessLogsS3Prefix: {rule: str},
  IdleTimeout: {rule: {kind: 'int', min: 1, max: 3600}, default: '60'},
  ManagedSecurityGroup: {rule: str},
  SecurityGroups: {rule: str},
  SharedLoadBalancer: {rule: str},
}

const LISTENER_RULE: Record<string, OptionDef> = {
  HostHeaders: {rule: str},
  PathPatterns: {rule: str},
  Priority: {rule: {kind: 'int', min: 1, max: 1000}, default: '1'},
  Process: {rule: str, default: 'default'},
}

/** `aws:elbv2:listener:default` is the port-80 listener; `aws:elbv2:listener:80` is taken to mean the same. */
export function elbv2ListenerPort(ns: string): number | undefined {
  if (ns === 'aws:elbv2:listener:default') return 80
  const m = /^aws:elbv2:listener:(\d+)$/.exec(ns)
  return m ? Number(m[1]) : undefined
}
export const processNameOf = (ns: string): string | undefined =>
  /^aws:elasticbeanstalk:environment:process:(.+)$/.exec(ns)?.[1]

export function elbv2NamespaceDefs(ns: string, network?: boolean): Record<string, OptionDef> | undefined {
  if (elbv2ListenerPort(ns) !== undefined) return listenerDefs(network)
  if (processNameOf(ns) !== undefined) return PROCESS_DEFS
  if (/^aws:elbv2:listenerrule:.+$/.test(ns)) return LISTENER_RULE
  if (ns === 'aws:elbv2:loadbalancer') return LOADBALANCER
  return undefined
}

export interface DesiredListener {
  port: number
  protocol: string
  defaultProcess: string
  certificates: string[]
  sslPolicy?: string | undefined
  /** Taken from the bundle's `Resources` override of AWSEBV2LoadBalancerListener (port 80 only). */
  overrideActions?: unknown[] | undefined
}

export interface DesiredProcess {
  name: string
  port: number
  protocol: string
  healthCheckPath: string
  matcher: string
  stickiness: boolean
  stickinessDuration: number
  deregistrationDelay: number
  healthCheckInterval: number
  healthCheckTimeout: number
  healthyThreshold: number
  unhealthyThreshold: number
}

export interface DesiredElbv2 {
  listeners: DesiredListener[]
  processes: DesiredProcess[]
  idleTimeout: number
}

const split = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)

/** The load balancer an environment's options describe (documented defaults filled in). */
export function desiredElbv2(opts: Map<string, string>, network: boolean): DesiredElbv2 {
  const byNs = new Map<string, Map<string, string>>()
  for (const [key, value] of opts) {
    const i = key.indexOf('\u0000')
    const ns = key.slice(0, i) === 'aws:elbv2:listener:80' ? 'aws:elbv2:listener:default' : key.slice(0, i)
    if (!byNs.has(ns)) byNs.set(ns, new Map())
    byNs.get(ns)!.set(key.slice(i + 1), value)
  }
  const get = (ns: string, name: string, def?: string) => byNs.get(ns)?.get(name) ?? def
  const listeners: DesiredListener[] = []
  const ports = new Set<string>(['aws:elbv2:listener:default'])
  const procs = new Set<string>(['default'])
  for (const ns of byNs.keys()) {
    if (elbv2ListenerPort(ns) !== undefined) ports.add(ns)
    const p = processNameOf(ns)
    if (p) procs.add(p)
  }
  for (const ns of ports) {
    if ((get(ns, 'ListenerEnabled', 'true') ?? 'true').toLowerCase() !== 'true') continue
    listeners.push({
      port: elbv2ListenerPort(ns)!,
      protocol: (get(ns, 'Protocol', network ? 'TCP' : 'HTTP') ?? 'HTTP').toUpperCase(),
      defaultProcess: get(ns, 'DefaultProcess', 'default')!,
      certificates: split(get(ns, 'SSLCertificateArns')),
      sslPolicy: get(ns, 'SSLPolicy'),
    })
  }
  listeners.sort((a, b) => a.port - b.port)
  const processes: DesiredProcess[] = [...procs].sort().map((name) => {
    const ns = `aws:elasticbeanstalk:environment:process:${name}`
    const n = (opt: string) => Number(get(ns, opt, PROCESS_DEFS[opt]!.default))
    return {
      name,
      port: n('Port'),
      protocol: (get(ns, 'Protocol', network ? 'TCP' : 'HTTP') ?? 'HTTP').toUpperCase(),
      healthCheckPath: get(ns, 'HealthCheckPath', '/')!,
      matcher: get(ns, 'MatcherHTTPCode', '200')!,
      stickiness: (get(ns, 'StickinessEnabled', 'false') ?? 'false').toLowerCase() === 'true',
      stickinessDuration: n('StickinessLBCookieDuration'),
      deregistrationDelay: n('DeregistrationTimeout'),
      healthCheckInterval: n('HealthCheckInterval'),
      healthCheckTimeout: n('HealthCheckTimeout'),
      healthyThreshold: n('HealthyThresholdCount'),
      unhealthyThreshold: n('UnhealthyThresholdCount'),
    }
  })
  return {listeners, processes, idleTimeout: Number(get('aws:elbv2:loadbalancer', 'IdleTimeout', '60'))}
}

/** DescribeConfigurationSettings entries for an ALB/NLB environment: documented defaults overlaid with the values. */
export function describeElbv2Settings(
  opts: Map<string, string>,
  network: boolean,
): Array<{Namespace: string; OptionName: string; Value?: string | undefined; ResourceName?: string | undefined}> {
  const out: Array<{
    Namespace: string
    OptionName: string
    Value?: string | undefined
    ResourceName?: string | undefined
  }> = []
  const withDefaults = (ns: string, defs: Record<string, OptionDef>) => {
    for (const [name, def] of Object.entries(defs)) {
      const value =
        opts.get(`${ns}\u0000${name}`) ??
        (ns === 'aws:elbv2:listener:default' ? opts.get(`aws:elbv2:listener:80\u0000${name}`) : undefined) ??
        def.default
      out.push({Namespace: ns, OptionName: name, ...(value !== undefined ? {Value: value} : {})})
    }
  }
  const desired = desiredElbv2(opts, network)
  withDefaults('aws:elbv2:listener:default', listenerDefs(network))
  for (const key of opts.keys()) {
    const ns = key.slice(0, key.indexOf('\u0000'))
    const port = elbv2ListenerPort(ns)
    if (port !== undefined && port !== 80 && !out.some((s) => s.Namespace === ns))
      withDefaults(ns, listenerDefs(network))
  }
  for (const p of desired.processes) withDefaults(`aws:elasticbeanstalk:environment:process:${p.name}`, PROCESS_DEFS)
  withDefaults('aws:elbv2:loadbalancer', LOADBALANCER)
  return out
}
