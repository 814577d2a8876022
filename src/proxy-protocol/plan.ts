import type {OptionSetting} from '../environment/describe.ts'
import type {HealthCheck, Listener, LoadBalancerState, Policy} from '../elb/model.ts'
import {isLayer7, isSecure} from '../elb/model.ts'
import type {ConfiguredLoadBalancer} from '../listeners/option-settings.ts'
import type {DesiredState, PlanStep} from '../listeners/plan.ts'
import type {ApplyTo, PortStatus} from '../lb/types.ts'
import {PROXY_POLICY_NAME, planReconcile, planWaves} from '../listeners/plan.ts'

/**
 * Proxy Protocol on a Classic Load Balancer's backend (instance) port, as pure functions over the observed state.
 *
 * AWS: "Configure proxy protocol support for your Classic Load Balancer"
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/enable-proxy-protocol.html
 * - enable = CreateLoadBalancerPolicy (PolicyTypeName ProxyProtocolPolicyType, attribute ProxyProtocol=true), then
 *   SetLoadBalancerPoliciesForBackendServer on the instance port. That call sets the port's *whole* list ("the
 *   policies ... replace any existing policies"), so the list we send keeps every other policy already there.
 * - Proxy Protocol applies to TCP/SSL listeners only: "If your load balancer uses an HTTP or HTTPS listener, ... do
 *   not enable proxy protocol". An HTTP/HTTPS listener on the same instance port sends requests without the PROXY
 *   line, which a backend that expects it (nginx `listen ... proxy_protocol`) rejects.
 * - "Before using proxy protocol, verify that ... your instances can process the proxy protocol information": the
 *   backend first (the nginx config deployed), then the policy.
 * Durable form: the `aws:elb:policies:<name>` namespace, options ProxyProtocol and InstancePorts
 * https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/command-options-general.html#command-options-general-elbpolicies
 */

export const PROXY_POLICY_TYPE = 'ProxyProtocolPolicyType'
export const PROXY_SETTINGS_NAMESPACE = `aws:elb:policies:${PROXY_POLICY_NAME}`
const HEALTHCHECK_URL = {namespace: 'aws:elasticbeanstalk:application', optionName: 'Application Healthcheck URL'}
const HEALTHCHECK_TARGET = {namespace: 'aws:elb:healthcheck', optionName: 'Target'}

export type {ApplyTo}

export interface Blocker {
  code:
    'http-listener' | 'http-health-check' | 'configured-http-listener' | 'configured-http-health-check' | 'no-listener'
  message: string
  suggestions: string[]
}

export type {PortStatus}

const listenerText = (
  l: Pick<Listener, 'protocol' | 'loadBalancerPort' | 'instanceProtocol' | 'instancePort'>,
): string => `${l.protocol} ${l.loadBalancerPort} -> ${l.instanceProtocol} ${l.instancePort}`

export const isProxyOn = (p: Policy | undefined): boolean =>
  p?.typeName === PROXY_POLICY_TYPE &&
  p.attributes.some((a) => a.name === 'ProxyProtocol' && a.value.toLowerCase() === 'true')

export function backendPolicies(state: LoadBalancerState, port: number): string[] {
  return state.backendPolicies.find((b) => b.instancePort === port)?.policyNames ?? []
}

/** The ProxyProtocol=true policies attached to a port. */
export function proxyPoliciesOn(state: LoadBalancerState, port: number): string[] {
  const byName = new Map(state.policies.map((p) => [p.name, p]))
  return backendPolicies(state, port).filter((n) => isProxyOn(byName.get(n)))
}

/** The port a health check target checks: `HTTP:80/healthz` -> 80, `TCP:80` -> 80. */
export function healthCheckPort(target: string | undefined): number | undefined {
  const m = /^[A-Za-z]+:(\d+)/.exec(target ?? '')
  return m ? Number(m[1]) : undefined
}
const isHttpCheck = (target: string | undefined): boolean => /^HTTPS?:/i.test(target ?? '')

/**
 * The health check the environment's option settings produce: the deprecated aws:elb:healthcheck Target when set,
 * else `Application Healthcheck URL` (empty -> TCP:<port>, `/path` -> HTTP:<port>/path, `PROTO:PORT/path` as given).
 * https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/command-options-general.html#command-options-general-elasticbeanstalkapplication
 */
export function configuredHealthCheckTarget(settings: OptionSetting[], defaultPort = 80): string {
  const get = (k: {namespace: string; optionName: string}) =>
    settings.find((s) => s.namespace === k.namespace && s.optionName === k.optionName)?.value?.trim()
  const target = get(HEALTHCHECK_TARGET)
  if (target) return target
  const url = get(HEALTHCHECK_URL) ?? ''
  if (!url) return `TCP:${defaultPort}`
  if (url.startsWith('/')) return `HTTP:${defaultPort}${url}`
  return url
}

/**
 * Why Proxy Protocol on `port` would break traffic, before any change. `healthCheckTcp`: the user asked to switch an
 * HTTP health check on the port to TCP, which removes that blocker. `checkConfigured`: also judge what the option
 * settings will re-apply (when the environment is written too).
 */
export function blockers(
  state: LoadBalancerState,
  configured: ConfiguredLoadBalancer | undefined,
  port: number,
  o: {healthCheckTcp?: boolean; checkConfigured?: boolean; suggestFor?: {environmentName: string; region: string}} = {},
): Blocker[] {
  const out: Blocker[] = []
  // A suggestion runs as printed (docs/cli-contract.md): the environment, and the certificate listeners fix needs.
  const cert = state.listeners.find((l) => isSecure(l.protocol) && l.sslCertificateId)?.sslCertificateId
  const fixCommand =
    o.suggestFor && cert
      ? `Run \`ebws listeners fix -e ${o.suggestFor.environmentName} --region ${o.suggestFor.region} --mode proxy --certificate-arn ${cert} --dry-run\``
      : 'Run listeners fix with --mode proxy (and --domain for its certificate)'
  const listenerAdvice = (l: string) => [
    `${fixCommand}, which makes ${l.split(' ')[1]} a TCP listener and turns Proxy Protocol on in one go.`,
    `Or point that listener at another instance port, and enable Proxy Protocol only on the port the TCP/SSL listeners use (--instance-port).`,
  ]
  for (const l of state.listeners.filter((x) => x.instancePort === port && isLayer7(x.protocol))) {
    const text = listenerText(l)
    out.push({
      code: 'http-listener',
      message: `Listener ${text} forwards to instance port ${port} as ${l.protocol}: the load balancer sends its requests without a PROXY line, and nginx listening with proxy_protocol rejects them (400).`,
      suggestions: listenerAdvice(text),
    })
  }
  if (o.checkConfigured && configured) {
    for (const l of configured.listeners.filter((x) => x.enabled && x.instancePort === port && isLayer7(x.protocol))) {
      if (
        state.listeners.some(
          (x) => x.loadBalancerPort === l.loadBalancerPort && x.instancePort === port && isLayer7(x.protocol),
        )
      )
        continue
      const text = listenerText(l)
      out.push({
        code: 'configured-http-listener',
        message: `The environment's option settings (${l.source}) make listener ${text} ${l.protocol}: the next environment update would put it back, and its requests would reach the Proxy Protocol port without a PROXY line.`,
        suggestions: listenerAdvice(text),
      })
    }
  }
  // Proxy Protocol on a port no listener forwards to changes nothing for any client: almost surely a wrong --instance-port.
  const fed = [...new Set(state.listeners.map((l) => l.instancePort))].sort((a, b) => a - b)
  if (!fed.includes(port)) {
    out.push({
      code: 'no-listener',
      message: `No listener forwards to instance port ${port} (the listeners forward to ${fed.join(', ') || 'no port'}), so Proxy Protocol there would do nothing.`,
      suggestions: [
        `Pass the instance port the TCP/SSL listeners use, e.g. --instance-port ${fed[0] ?? 80}; see \`ebws proxy-protocol status\`.`,
      ],
    })
  }
  const hcAdvice = [
    `Pass --health-check tcp to switch it to TCP:${port} first (a TCP check needs no PROXY line).`,
    'Or check another port: the shipped proxy-protocol nginx.conf serves HTTP:81/healthz without Proxy Protocol.',
  ]
  const live = state.healthCheck?.target
  if (!o.healthCheckTcp && isHttpCheck(live) && healthCheckPort(live) === port) {
    out.push({
      code: 'http-health-check',
      message: `The health check ${live} is HTTP on instance port ${port}: with Proxy Protocol it may arrive without the PROXY line, be rejected, and mark every instance unhealthy.`,
      suggestions: hcAdvice,
    })
  }
  if (!o.healthCheckTcp && o.checkConfigured && configured) {
    const target = configuredHealthCheckTarget(configured.settings)
    if (
      isHttpCheck(target) &&
      healthCheckPort(target) === port &&
      !(isHttpCheck(live) && healthCheckPort(live) === port)
    ) {
      out.push({
        code: 'configured-http-health-check',
        message: `The environment's option settings make the health check ${target}, HTTP on instance port ${port}: the next environment update would put it back.`,
        suggestions: hcAdvice,
      })
    }
  }
  return out
}

/** Instance ports the option settings turn Proxy Protocol on for. */
function configuredProxyPorts(configured: ConfiguredLoadBalancer, instancePorts: number[]): Set<number> {
  const out = new Set<number>()
  for (const p of configured.policies) {
    if (p.proxyProtocol !== true) continue
    for (const port of p.instancePorts === 'all' ? instancePorts : p.instancePorts) out.add(port)
  }
  return out
}

/** Pure: Proxy Protocol per instance port (every port a listener forwards to, or with backend policies). */
export function proxyProtocolStatus(
  state: LoadBalancerState,
  configured: ConfiguredLoadBalancer | undefined,
  only?: number,
): PortStatus[] {
  const listenerPorts = state.listeners.map((l) => l.instancePort)
  const ports = new Set([
    ...listenerPorts,
    ...state.backendPolicies.filter((b) => b.policyNames.length > 0).map((b) => b.instancePort),
  ])
  const wanted = configured ? configuredProxyPorts(configured, [...new Set(listenerPorts)]) : new Set<number>()
  for (const p of wanted) ports.add(p)
  if (only !== undefined) {
    ports.clear()
    ports.add(only)
  }
  return [...ports]
    .sort((a, b) => a - b)
    .map((port) => {
      const proxy = proxyPoliciesOn(state, port)
      const problems = blockers(state, configured, port, {checkConfigured: true}).map((b) => b.message)
      const hc = state.healthCheck?.target
      return {
        instancePort: port,
        enabled: proxy.length > 0,
        proxyPolicies: proxy,
        otherPolicies: backendPolicies(state, port).filter((n) => !proxy.includes(n)),
        listeners: state.listeners.filter((l) => l.instancePort === port).map(listenerText),
        healthCheck: healthCheckPort(hc) === port ? hc : undefined,
        configured: wanted.has(port),
        safe: problems.length === 0,
        problems,
      }
    })
}

export interface ProxyPlan {
  desired: DesiredState
  steps: PlanStep[]
}

/**
 * Pure: the ELB steps that turn Proxy Protocol on for `port`, keeping the port's other backend policies. Reuses a
 * ProxyProtocol=true policy that already exists (ours first); an `ebws-proxy-protocol` that exists with
 * ProxyProtocol=false (Beanstalk makes one from settings with `ProxyProtocol: false`) is detached and deleted first,
 * then created again as true. With `healthCheckTcp`, an HTTP health check on the port becomes TCP:<port> before the
 * policy is attached.
 */
export function planEnable(state: LoadBalancerState, port: number, o: {healthCheckTcp?: boolean} = {}): ProxyPlan {
  const byName = new Map(state.policies.map((p) => [p.name, p]))
  const now = backendPolicies(state, port)
  const pre: PlanStep[] = []
  let base = state
  let proxy =
    now.find((n) => isProxyOn(byName.get(n))) ??
    (isProxyOn(byName.get(PROXY_POLICY_NAME)) ? PROXY_POLICY_NAME : undefined)
  proxy ??= state.policies.find((p) => isProxyOn(p))?.name
  if (!proxy) {
    proxy = PROXY_POLICY_NAME
    if (byName.has(PROXY_POLICY_NAME)) {
      // Ours exists but does not turn Proxy Protocol on: take it off every port, delete it, create it anew.
      const detach: string[] = []
      for (const b of state.backendPolicies.filter((x) => x.policyNames.includes(PROXY_POLICY_NAME))) {
        const id = `detach-stale:${b.instancePort}`
        const names = b.policyNames.filter((n) => n !== PROXY_POLICY_NAME)
        pre.push({
          id,
          op: {kind: 'setBackendPolicies', instancePort: b.instancePort, policyNames: names},
          dependsOn: [],
          description: `detach ${PROXY_POLICY_NAME} (ProxyProtocol=false) from instance port ${b.instancePort}`,
        })
        detach.push(id)
      }
      pre.push({
        id: 'delete-stale-policy',
        op: {kind: 'deletePolicy', name: PROXY_POLICY_NAME},
        dependsOn: detach,
        description: `delete policy ${PROXY_POLICY_NAME} (ProxyProtocol=false), to create it as true`,
      })
      base = {
        ...state,
        policies: state.policies.filter((p) => p.name !== PROXY_POLICY_NAME),
        backendPolicies: state.backendPolicies.map((b) => ({
          ...b,
          policyNames: b.policyNames.filter((n) => n !== PROXY_POLICY_NAME),
        })),
      }
    }
  }
  const policy: Policy =
    byName.get(proxy) && isProxyOn(byName.get(proxy))
      ? byName.get(proxy)!
      : {name: proxy, typeName: PROXY_POLICY_TYPE, attributes: [{name: 'ProxyProtocol', value: 'true'}]}
  let healthCheck: HealthCheck | undefined
  const hc = state.healthCheck
  if (o.healthCheckTcp && hc && isHttpCheck(hc.target) && healthCheckPort(hc.target) === port)
    healthCheck = {...hc, target: `TCP:${port}`}
  const desired: DesiredState = {
    listeners: [],
    removePorts: [],
    policies: [policy],
    backendPolicies: [
      {instancePort: port, policyNames: [...backendPolicies(base, port).filter((n) => n !== proxy), proxy]},
    ],
    healthCheck,
    deletePolicies: [],
  }
  const steps = planReconcile(base, desired).map((s) => ({...s}))
  const preIds = pre.map((s) => s.id)
  const hcStep = steps.find((s) => s.op.kind === 'configureHealthCheck')?.id
  for (const s of steps) {
    if (s.op.kind === 'createPolicy') s.dependsOn = [...s.dependsOn, ...preIds]
    // The health check must not depend on the PROXY line by the time the line is sent.
    if (s.op.kind === 'setBackendPolicies' && hcStep) s.dependsOn = [...s.dependsOn, hcStep]
  }
  // Listed in the order they run (wave by wave), so the printed plan reads as what happens.
  return {desired, steps: planWaves([...pre, ...steps]).flat()}
}

/**
 * Pure: the ELB steps that turn Proxy Protocol off for `port`: every ProxyProtocol=true policy leaves the port (other
 * policies stay); `ebws-proxy-protocol` is deleted once no port and no listener uses it.
 */
export function planDisable(state: LoadBalancerState, port: number): ProxyPlan {
  const byName = new Map(state.policies.map((p) => [p.name, p]))
  const remaining = backendPolicies(state, port).filter((n) => !isProxyOn(byName.get(n)))
  const stillUsed =
    state.backendPolicies.some((b) => b.instancePort !== port && b.policyNames.includes(PROXY_POLICY_NAME)) ||
    remaining.includes(PROXY_POLICY_NAME) ||
    state.listeners.some((l) => l.policyNames.includes(PROXY_POLICY_NAME))
  const desired: DesiredState = {
    listeners: [],
    removePorts: [],
    policies: [],
    backendPolicies: [{instancePort: port, policyNames: remaining}],
    deletePolicies: isProxyOn(byName.get(PROXY_POLICY_NAME)) && !stillUsed ? [PROXY_POLICY_NAME] : [],
  }
  return {desired, steps: planReconcile(state, desired)}
}

export interface SettingsChange {
  /** Options to set (only those that differ from the environment's now). */
  set: OptionSetting[]
  /** Options to remove (OptionsToRemove), only those the environment has. */
  remove: OptionSetting[]
}

const hasSetting = (settings: OptionSetting[], ns: string, name: string) =>
  settings.some((s) => s.namespace === ns && s.optionName === name)
const portsText = (ports: number[]) => [...new Set(ports)].sort((a, b) => a - b).join(',')

function diff(settings: OptionSetting[], wanted: OptionSetting[], remove: OptionSetting[]): SettingsChange {
  const have = new Map(settings.map((s) => [`${s.namespace}\0${s.optionName}`, s.value ?? '']))
  return {
    set: wanted.filter((s) => have.get(`${s.namespace}\0${s.optionName}`) !== s.value),
    remove: remove.filter((s) => hasSetting(settings, s.namespace, s.optionName)),
  }
}

/**
 * Pure: the option settings that make Proxy Protocol on `port` durable: `aws:elb:policies:ebws-proxy-protocol`
 * ProxyProtocol true + InstancePorts (the ports it already covers, plus this one). Nothing when another configured
 * policy already turns it on there. With `healthCheckTcp`, the health check settings become TCP:<port> too.
 */
export function settingsForEnable(
  configured: ConfiguredLoadBalancer,
  port: number,
  o: {healthCheckTcp?: boolean} = {},
): SettingsChange {
  const wanted: OptionSetting[] = []
  const ours = configured.policies.find((p) => p.name === PROXY_POLICY_NAME)
  const instancePorts = configured.listeners.filter((l) => l.enabled).map((l) => l.instancePort)
  const coveredByOther = configured.policies.some(
    (p) =>
      p.name !== PROXY_POLICY_NAME &&
      p.proxyProtocol === true &&
      (p.instancePorts === 'all' || p.instancePorts.includes(port)),
  )
  if (!coveredByOther || ours?.proxyProtocol === true) {
    const ourPorts =
      ours?.proxyProtocol === true ? (ours.instancePorts === 'all' ? instancePorts : ours.instancePorts) : []
    wanted.push({namespace: PROXY_SETTINGS_NAMESPACE, optionName: 'ProxyProtocol', value: 'true'})
    wanted.push({
      namespace: PROXY_SETTINGS_NAMESPACE,
      optionName: 'InstancePorts',
      value: ours?.instancePorts === 'all' && ours.proxyProtocol === true ? ':all' : portsText([...ourPorts, port]),
    })
  }
  if (o.healthCheckTcp) {
    const target = configuredHealthCheckTarget(configured.settings)
    if (isHttpCheck(target) && healthCheckPort(target) === port) {
      wanted.push({...HEALTHCHECK_URL, value: `TCP:${port}`})
      if (hasSetting(configured.settings, HEALTHCHECK_TARGET.namespace, HEALTHCHECK_TARGET.optionName))
        wanted.push({...HEALTHCHECK_TARGET, value: `TCP:${port}`})
    }
  }
  return diff(configured.settings, wanted, [])
}

/**
 * Pure: the option settings that keep Proxy Protocol off `port`: our namespace's options are removed when it covers
 * only this port (else InstancePorts loses the port); another policy covering the port gets ProxyProtocol false, or
 * loses the port from its InstancePorts when it covers others too.
 */
export function settingsForDisable(configured: ConfiguredLoadBalancer, port: number): SettingsChange {
  const wanted: OptionSetting[] = []
  const remove: OptionSetting[] = []
  for (const p of configured.policies) {
    if (p.proxyProtocol !== true || (p.instancePorts !== 'all' && !p.instancePorts.includes(port))) continue
    const ns = `aws:elb:policies:${p.name}`
    const rest = p.instancePorts === 'all' ? [] : p.instancePorts.filter((x) => x !== port)
    if (rest.length > 0) wanted.push({namespace: ns, optionName: 'InstancePorts', value: portsText(rest)})
    else if (p.name === PROXY_POLICY_NAME)
      remove.push({namespace: ns, optionName: 'ProxyProtocol'}, {namespace: ns, optionName: 'InstancePorts'})
    else wanted.push({namespace: ns, optionName: 'ProxyProtocol', value: 'false'})
  }
  return diff(configured.settings, wanted, remove)
}

/**
 * Pure: verification by effect after enable/disable (Beanstalk may have re-made the policies under its own names, or
 * left a ProxyProtocol=false policy attached): Proxy Protocol on the port is on or off as wanted, and the health check
 * is the one planned.
 */
export function unmetProxy(
  after: LoadBalancerState,
  action: 'enable' | 'disable',
  port: number,
  healthCheckTarget?: string,
): string[] {
  const out: string[] = []
  const on = proxyPoliciesOn(after, port).length > 0
  if (on !== (action === 'enable')) out.push(`Proxy Protocol on instance port ${port} is ${on ? 'on' : 'off'}`)
  if (healthCheckTarget && after.healthCheck?.target !== healthCheckTarget)
    out.push(`the health check is ${after.healthCheck?.target ?? 'none'}, not ${healthCheckTarget}`)
  return out
}
