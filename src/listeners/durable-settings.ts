import type {OptionSetting} from '../environment/describe.ts'
import {targetListeners, usesProxyProtocol} from './modes.ts'
import type {ConfiguredLoadBalancer} from './option-settings.ts'
import type {DesiredState, ListenerIntent} from './plan.ts'
import {PROXY_POLICY_NAME} from './plan.ts'

/** The settings policy that carries the TLS reference policy; a fixed name so a later --tls-policy replaces it. */
export const SETTINGS_TLS_POLICY = 'ebws-tls'

/** Reuse a settings policy that already carries the TLS policy for this port: two would compete for the listener. */
export const settingsTlsPolicyName = (configured: ConfiguredLoadBalancer | undefined, httpsPort: number): string =>
  configured?.policies.find(
    (p) => p.sslReferencePolicy && (p.loadBalancerPorts === 'all' || p.loadBalancerPorts.includes(httpsPort)),
  )?.name ?? SETTINGS_TLS_POLICY

/**
 * The Elastic Beanstalk option settings that make a layout durable: Beanstalk re-applies them on every environment
 * update. One source for `fix` (UpdateEnvironment), `fix --emit-ebextensions` and the shipped .ebextensions files.
 * Namespaces: https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/command-options-general.html
 * - every listener in `aws:elb:listener:<port>` (Beanstalk reports the default port-80 listener there too),
 *   always with InstancePort (it defaults to the listener port).
 * - `aws:elasticbeanstalk:application` `Application Healthcheck URL` takes `TCP:80` for a TCP health check.
 */
export function optionSettingsForLayout(
  intent: Omit<ListenerIntent, 'prune'> & {prune?: boolean},
  extra: {
    configured?: ConfiguredLoadBalancer | undefined
    idleTimeoutSeconds?: number | undefined
    tcpHealthCheck?: boolean
  } = {},
): OptionSetting[] {
  const out: OptionSetting[] = []
  const set = (namespace: string, optionName: string, value: string) => out.push({namespace, optionName, value})
  const listenerNamespace = (port: number) => `aws:elb:listener:${port}`
  for (const l of targetListeners(intent.mode, intent.ports, intent.certificateArn)) {
    const namespaces = [listenerNamespace(l.loadBalancerPort)]
    // Settings kept in the default-listener namespace would compete with aws:elb:listener:80: keep them consistent.
    if (l.loadBalancerPort === 80 && extra.configured?.settings.some((s) => s.namespace === 'aws:elb:listener'))
      namespaces.push('aws:elb:listener')
    for (const ns of namespaces) {
      set(ns, 'ListenerProtocol', l.protocol)
      set(ns, 'InstancePort', String(l.instancePort))
      set(ns, 'InstanceProtocol', l.instanceProtocol)
      if (l.sslCertificateId) set(ns, 'SSLCertificateId', l.sslCertificateId)
      set(ns, 'ListenerEnabled', 'true')
    }
  }
  const tlsPolicyName = settingsTlsPolicyName(extra.configured, intent.ports.httpsPort)
  set(`aws:elb:policies:${tlsPolicyName}`, 'SSLReferencePolicy', intent.tlsPolicy)
  set(`aws:elb:policies:${tlsPolicyName}`, 'LoadBalancerPorts', String(intent.ports.httpsPort))

  if (usesProxyProtocol(intent.mode)) {
    set(`aws:elb:policies:${PROXY_POLICY_NAME}`, 'ProxyProtocol', 'true')
    set(`aws:elb:policies:${PROXY_POLICY_NAME}`, 'InstancePorts', String(intent.ports.instancePort))
  } else {
    // Proxy Protocol on the instance port would break the HTTP listener: switch off any configured policy covering it.
    for (const p of extra.configured?.policies ?? []) {
      if (p.proxyProtocol && (p.instancePorts === 'all' || p.instancePorts.includes(intent.ports.instancePort)))
        set(`aws:elb:policies:${p.name}`, 'ProxyProtocol', 'false')
    }
  }
  if (intent.mode === 'http' && intent.stickiness) {
    set('aws:elb:policies', 'Stickiness Policy', 'true')
    set('aws:elb:policies', 'LoadBalancerPorts', `${intent.ports.httpsPort},${intent.ports.httpPort}`)
  }
  if (extra.idleTimeoutSeconds !== undefined)
    set('aws:elb:policies', 'ConnectionSettingIdleTimeout', String(extra.idleTimeoutSeconds))
  if (extra.tcpHealthCheck)
    set('aws:elasticbeanstalk:application', 'Application Healthcheck URL', `TCP:${intent.ports.instancePort}`)
  if (intent.prune) {
    const managed = new Set([intent.ports.httpsPort, intent.ports.httpPort])
    for (const l of extra.configured?.listeners ?? []) {
      if (!managed.has(l.loadBalancerPort) && l.enabled && l.source !== 'default')
        set(listenerNamespace(l.loadBalancerPort), 'ListenerEnabled', 'false')
    }
  }
  return out
}

/** The settings for a fix: the layout plus what the ELB plan decided (idle timeout, TCP health check). */
export function optionSettingsForPlan(
  intent: ListenerIntent,
  desired: DesiredState,
  configured: ConfiguredLoadBalancer,
): OptionSetting[] {
  return optionSettingsForLayout(intent, {
    configured,
    idleTimeoutSeconds: desired.idleTimeoutSeconds ?? configured.idleTimeoutSeconds,
    tcpHealthCheck: desired.healthCheck?.target.startsWith('TCP:') ?? false,
  })
}

/** The settings that differ from what the environment has now (an empty list: nothing to update). */
export function changedOptionSettings(wanted: OptionSetting[], current: OptionSetting[]): OptionSetting[] {
  const have = new Map(current.map((s) => [`${s.namespace}\0${s.optionName}`, s.value ?? '']))
  return wanted.filter((s) => (have.get(`${s.namespace}\0${s.optionName}`) ?? undefined) !== s.value)
}

/** An .ebextensions config file holding the settings, in the namespace-map form the docs show. */
export function ebextensionsConfig(settings: OptionSetting[], header: string[]): string {
  const byNamespace = new Map<string, OptionSetting[]>()
  for (const s of settings) byNamespace.set(s.namespace, [...(byNamespace.get(s.namespace) ?? []), s])
  const quote = (v: string) =>
    /^[A-Za-z0-9_.:/-]+$/.test(v) && !/^(true|false|yes|no|on|off|null|~|\d+(\.\d+)?)$/i.test(v) ? v : JSON.stringify(v)
  const lines = [...header.map((h) => `# ${h}`.trimEnd()), 'option_settings:']
  for (const [ns, list] of byNamespace) {
    lines.push(`  ${ns}:`)
    for (const s of list)
      lines.push(
        `    ${/^[A-Za-z0-9]+$/.test(s.optionName) ? s.optionName : JSON.stringify(s.optionName)}: ${quote(s.value ?? '')}`,
      )
  }
  return `${lines.join('\n')}\n`
}
