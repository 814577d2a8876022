import type {OptionSetting} from '../environment/describe.ts'
import type {Listener, ListenerProtocol} from '../elb/model.ts'

/**
 * The CLB layout as Elastic Beanstalk option settings describe it. Beanstalk re-applies these on environment
 * updates, so they, not the live CLB, are what lasts.
 * Namespaces and defaults: https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/command-options-general.html
 * - aws:elb:listener         the default listener, port 80 (ListenerProtocol HTTP|TCP, InstancePort default 80)
 * - aws:elb:listener:<port>  other listeners (InstancePort defaults to the listener port itself; ListenerEnabled
 *                            defaults to true if any other option of the port is set)
 * - aws:elb:policies:<name>  ProxyProtocol + InstancePorts, SSLReferencePolicy + LoadBalancerPorts, ...
 * - aws:elb:policies         ConnectionSettingIdleTimeout (default 60)
 */
/** A listener as the option settings describe it: the CLB's listener fields, plus whether it is enabled. */
export interface ConfiguredListener extends Listener {
  enabled: boolean
  /** The namespace the values came from, or 'default' when Beanstalk's default port-80 listener applies. */
  source: string
}

export interface ConfiguredPolicy {
  name: string
  proxyProtocol?: boolean | undefined
  instancePorts: number[] | 'all'
  loadBalancerPorts: number[] | 'all'
  sslReferencePolicy?: string | undefined
  sslProtocols?: string | undefined
}

export interface ConfiguredLoadBalancer {
  listeners: ConfiguredListener[]
  policies: ConfiguredPolicy[]
  idleTimeoutSeconds?: number | undefined
  /** Raw aws:elb:* and related settings, for display. */
  settings: OptionSetting[]
}

const LISTENER_NS = /^aws:elb:listener(?::(\d+))?$/
const POLICY_NS = /^aws:elb:policies:(.+)$/
const PROTOCOLS = new Set(['HTTP', 'HTTPS', 'TCP', 'SSL'])

const toProtocol = (v: string | undefined): ListenerProtocol | undefined => {
  const upper = v?.trim().toUpperCase()
  return upper && PROTOCOLS.has(upper) ? (upper as ListenerProtocol) : undefined
}
const toPorts = (v: string | undefined): number[] | 'all' => {
  if (!v) return []
  if (v.trim() === ':all') return 'all'
  return v
    .split(',')
    .map((p) => Number(p.trim()))
    .filter((n) => Number.isInteger(n) && n > 0)
}
const toList = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)

export function isLoadBalancerSetting(s: OptionSetting): boolean {
  return (
    s.namespace.startsWith('aws:elb:') ||
    (s.namespace === 'aws:elasticbeanstalk:environment' &&
      (s.optionName === 'LoadBalancerType' || s.optionName === 'EnvironmentType')) ||
    (s.namespace === 'aws:elasticbeanstalk:application' && s.optionName === 'Application Healthcheck URL')
  )
}

export function configuredFromOptionSettings(settings: OptionSetting[]): ConfiguredLoadBalancer {
  const listenerOptions = new Map<number, {ns: string; values: Map<string, string | undefined>}>()
  const policyOptions = new Map<string, Map<string, string | undefined>>()
  let idleTimeoutSeconds: number | undefined

  for (const s of settings) {
    const listener = LISTENER_NS.exec(s.namespace)
    if (listener) {
      const port = listener[1] ? Number(listener[1]) : 80
      // aws:elb:listener:80 is more specific than the default-listener namespace; let it win.
      const entry = listenerOptions.get(port) ?? {ns: s.namespace, values: new Map()}
      if (listener[1] || !entry.values.has(s.optionName)) entry.values.set(s.optionName, s.value)
      if (listener[1]) entry.ns = s.namespace
      listenerOptions.set(port, entry)
      continue
    }
    const policy = POLICY_NS.exec(s.namespace)
    if (policy?.[1]) {
      const values = policyOptions.get(policy[1]) ?? new Map()
      values.set(s.optionName, s.value)
      policyOptions.set(policy[1], values)
      continue
    }
    if (s.namespace === 'aws:elb:policies' && s.optionName === 'ConnectionSettingIdleTimeout' && s.value) {
      const n = Number(s.value)
      if (Number.isFinite(n)) idleTimeoutSeconds = n
    }
  }

  const listeners: ConfiguredListener[] = []
  // Beanstalk creates an HTTP 80 -> HTTP 80 listener unless configured otherwise.
  if (!listenerOptions.has(80)) {
    listeners.push({
      loadBalancerPort: 80,
      protocol: 'HTTP',
      instancePort: 80,
      instanceProtocol: 'HTTP',
      policyNames: [],
      enabled: true,
      source: 'default',
    })
  }
  for (const [port, {ns, values}] of listenerOptions) {
    const isDefaultNs = ns === 'aws:elb:listener'
    const protocol = toProtocol(values.get('ListenerProtocol')) ?? 'HTTP'
    const layer7 = protocol === 'HTTP' || protocol === 'HTTPS'
    const instancePort = Number(values.get('InstancePort') ?? (isDefaultNs ? 80 : port))
    const enabledValue = values.get('ListenerEnabled')
    listeners.push({
      loadBalancerPort: port,
      protocol,
      instancePort,
      instanceProtocol: toProtocol(values.get('InstanceProtocol')) ?? (layer7 ? 'HTTP' : 'TCP'),
      sslCertificateId: values.get('SSLCertificateId') || undefined,
      policyNames: toList(values.get('PolicyNames')),
      enabled: enabledValue === undefined ? true : enabledValue.trim().toLowerCase() !== 'false',
      source: ns,
    })
  }
  listeners.sort((a, b) => a.loadBalancerPort - b.loadBalancerPort)

  const policies: ConfiguredPolicy[] = [...policyOptions].map(([name, values]) => {
    const proxy = values.get('ProxyProtocol')
    return {
      name,
      proxyProtocol: proxy === undefined ? undefined : proxy.trim().toLowerCase() === 'true',
      instancePorts: toPorts(values.get('InstancePorts')),
      loadBalancerPorts: toPorts(values.get('LoadBalancerPorts')),
      sslReferencePolicy: values.get('SSLReferencePolicy') || undefined,
      sslProtocols: values.get('SSLProtocols') || undefined,
    }
  })

  return {listeners, policies, idleTimeoutSeconds, settings: settings.filter(isLoadBalancerSetting)}
}

const covers = (ports: number[] | 'all', port: number) => ports === 'all' || ports.includes(port)

/** Instance ports on which the settings ask for Proxy Protocol. */
export function configuredProxyProtocolPorts(configured: ConfiguredLoadBalancer, allInstancePorts: number[]): number[] {
  const ports = new Set<number>()
  for (const p of configured.policies) {
    if (!p.proxyProtocol) continue
    for (const port of p.instancePorts === 'all' ? allInstancePorts : p.instancePorts) ports.add(port)
  }
  return [...ports].sort((a, b) => a - b)
}

/** The SSL reference policy the settings attach to a listener port, if any. */
export function configuredSslReferencePolicy(
  configured: ConfiguredLoadBalancer,
  loadBalancerPort: number,
): string | undefined {
  return configured.policies.find((p) => p.sslReferencePolicy && covers(p.loadBalancerPorts, loadBalancerPort))
    ?.sslReferencePolicy
}
