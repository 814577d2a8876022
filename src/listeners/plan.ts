import type {ErrorCode} from '../cli/errors.ts'
import type {
  BackendServerPolicies,
  ElbOperation,
  HealthCheck,
  Listener,
  LoadBalancerState,
  PlanStep,
  Policy,
} from '../elb/model.ts'
import {isLayer7, isSecure} from '../elb/model.ts'
import type {LayoutMode, LayoutPorts} from './modes.ts'
import {targetListeners, usesProxyProtocol} from './modes.ts'
import {proxyProtocolPorts, SOCKET_IO_PING_INTERVAL_S, SOCKET_IO_PING_TIMEOUT_S} from './verdict.ts'

/**
 * The planner: observed CLB state + intent -> an ordered list of ELB operations with their dependencies.
 * Pure (no AWS imports): the executor runs independent steps concurrently, dependent ones in order.
 * API semantics relied on (ELB API reference, https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/):
 * - CreateLoadBalancerListeners fails with DuplicateListener if the port exists with other settings, so a
 *   listener whose protocol or instance side changes is deleted and created again (replace).
 * - SetLoadBalancerListenerSSLCertificate swaps a certificate in place.
 * - SetLoadBalancerPoliciesOfListener / SetLoadBalancerPoliciesForBackendServer *replace* the whole list.
 * - A new HTTPS/SSL listener without a policy gets the default ELBSecurityPolicy-2016-08.
 */

export type {ElbOperation, PlanStep} from '../elb/model.ts'

/** The exact state to reach on the ports we manage; anything not named here is left as it is. */
export interface DesiredState {
  listeners: Listener[]
  /** Load balancer ports whose listeners must not exist. */
  removePorts: number[]
  /** Policies that must exist (created when absent by name). */
  policies: Policy[]
  backendPolicies: BackendServerPolicies[]
  healthCheck?: HealthCheck | undefined
  idleTimeoutSeconds?: number | undefined
  /** Policies to delete once nothing uses them (restore: ebws-made policies that the snapshot did not have). */
  deletePolicies: string[]
}

export interface ListenerIntent {
  mode: LayoutMode
  ports: LayoutPorts
  certificateArn: string
  /** A predefined CLB security policy, e.g. ELBSecurityPolicy-TLS-1-2-2017-01. */
  tlsPolicy: string
  /** Remove listeners on other ports. */
  prune: boolean
  /** http mode: LB-cookie stickiness, which long-polling across several instances needs. */
  stickiness: boolean
  /** Explicit idle timeout; otherwise raised to 60 s only when too low for Socket.io. */
  idleTimeoutSeconds?: number | undefined
  /**
   * The name to give a new SSL negotiation policy. A durable fix passes the name of its aws:elb:policies:<name>
   * setting: Beanstalk then finds the policy it would create already there, instead of adding its own beside ours
   * and leaving ours unattached. Default: sslPolicyName(tlsPolicy).
   */
  sslPolicyName?: string | undefined
}

export const PROXY_POLICY_NAME = 'ebws-proxy-protocol'
export const STICKINESS_POLICY_NAME = 'ebws-lb-cookie'
export const sslPolicyName = (reference: string): string => `ebws-ssl-${reference.replace(/^ELBSecurityPolicy-/, '')}`
export const DEFAULT_IDLE_TIMEOUT_S = 60
export const isEbwsPolicy = (name: string): boolean => name.startsWith('ebws-')

export class PlanError extends Error {
  readonly suggestions: string[]
  /** The error code it is reported with (docs/cli-contract.md): a plan refused is bad input. */
  readonly code: ErrorCode
  constructor(message: string, suggestions: string[] = [], code: ErrorCode = 'BAD_FLAG') {
    super(message)
    this.code = code
    this.name = 'PlanError'
    this.suggestions = suggestions
  }
}

const sameListener = (a: Listener, b: Listener): boolean =>
  a.loadBalancerPort === b.loadBalancerPort &&
  a.protocol === b.protocol &&
  a.instancePort === b.instancePort &&
  a.instanceProtocol === b.instanceProtocol
const sameSet = (a: string[], b: string[]): boolean =>
  a.length === b.length && [...a].sort().join('\0') === [...b].sort().join('\0')
/**
 * Whether an existing policy does what a wanted one does: same type and every wanted attribute with the same value.
 * A subset match on purpose: DescribeLoadBalancerPolicies expands a Reference-Security-Policy into all its
 * protocol and cipher attributes.
 */
const satisfies = (existing: Policy, wanted: Policy): boolean =>
  existing.typeName === wanted.typeName &&
  wanted.attributes.every((w) =>
    existing.attributes.some((a) => a.name === w.name && a.value.toLowerCase() === w.value.toLowerCase()),
  )
const listenerText = (l: Listener) => `${l.protocol} ${l.loadBalancerPort} -> ${l.instanceProtocol} ${l.instancePort}`

/**
 * An existing policy that does what `wanted` does (whatever its name, e.g. one Beanstalk made), preferring one
 * already attached where it is needed, or else `wanted` itself, to be created.
 */
function findOrDefine(state: LoadBalancerState, wanted: Policy, attachedNames: string[] = []): Policy {
  const matching = state.policies.filter((p) => satisfies(p, wanted))
  return matching.find((p) => attachedNames.includes(p.name)) ?? matching[0] ?? wanted
}

/** A policy cannot be changed: when the wanted name is taken by one that does other things, use ours. */
function newSslPolicyName(state: LoadBalancerState, intent: ListenerIntent): string {
  const wanted = intent.sslPolicyName
  return wanted && !state.policies.some((p) => p.name === wanted) ? wanted : sslPolicyName(intent.tlsPolicy)
}

/** Policies valid on a listener of this protocol: SSL negotiation on HTTPS/SSL; cookie stickiness on HTTP/HTTPS. */
function keepsOn(protocol: Listener['protocol'], policy: Policy | undefined): boolean {
  if (!policy) return false
  if (policy.typeName === 'SSLNegotiationPolicyType') return false // replaced by the one we choose
  if (policy.typeName.endsWith('CookieStickinessPolicyType')) return isLayer7(protocol)
  return true
}

/** Pure: the state a mode wants, given what is there now. Throws PlanError for intents that cannot work. */
export function desiredStateFor(state: LoadBalancerState, intent: ListenerIntent): DesiredState {
  const {ports, mode} = intent
  if (ports.httpsPort === ports.httpPort)
    throw new PlanError(
      `--https-port and --http-port are both ${ports.httpsPort}: HTTPS and HTTP cannot share a load balancer port.`,
    )
  const [secureTarget, plainTarget] = targetListeners(mode, ports, intent.certificateArn) as [Listener, Listener]
  const managedPorts = new Set([ports.httpsPort, ports.httpPort])
  const others = state.listeners.filter((l) => !managedPorts.has(l.loadBalancerPort))
  const keptOthers = intent.prune ? [] : others

  // The API requires one security level per instance port across listeners (see InstanceProtocol in
  // https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/command-options-general.html#command-options-general-elblistener).
  for (const other of keptOthers) {
    if (other.instancePort === ports.instancePort && isSecure(other.instanceProtocol)) {
      throw new PlanError(
        `Listener ${listenerText(other)} already forwards to instance port ${ports.instancePort} over ${other.instanceProtocol}; the ${mode} layout forwards there unencrypted, and one instance port cannot take both.`,
        ['Pass --prune to remove that listener, or choose another --instance-port.'],
      )
    }
    if (usesProxyProtocol(mode) && other.instancePort === ports.instancePort && isLayer7(other.protocol)) {
      throw new PlanError(
        `Listener ${listenerText(other)} forwards to instance port ${ports.instancePort} as HTTP; with Proxy Protocol on that port its requests would arrive without the PROXY line and be rejected.`,
        ['Pass --prune to remove it, or use another --instance-port for the proxy layout.'],
      )
    }
  }

  const policies: Policy[] = []
  const attachedTo = (port: number) => state.listeners.find((l) => l.loadBalancerPort === port)?.policyNames ?? []
  const sslPolicy = findOrDefine(
    state,
    {
      name: newSslPolicyName(state, intent),
      typeName: 'SSLNegotiationPolicyType',
      attributes: [{name: 'Reference-Security-Policy', value: intent.tlsPolicy}],
    },
    attachedTo(ports.httpsPort),
  )
  policies.push(sslPolicy)
  const byName = new Map(state.policies.map((p) => [p.name, p]))
  const current = (port: number) => state.listeners.find((l) => l.loadBalancerPort === port)
  const carried = (port: number, protocol: Listener['protocol']) =>
    (current(port)?.policyNames ?? []).filter((n) => keepsOn(protocol, byName.get(n)))

  const secure: Listener = {
    ...secureTarget,
    policyNames: [...carried(ports.httpsPort, secureTarget.protocol), sslPolicy.name],
  }
  const plain: Listener = {...plainTarget, policyNames: carried(ports.httpPort, plainTarget.protocol)}
  if (mode === 'http' && intent.stickiness) {
    const sticky = findOrDefine(
      state,
      {name: STICKINESS_POLICY_NAME, typeName: 'LBCookieStickinessPolicyType', attributes: []},
      attachedTo(ports.httpsPort),
    )
    policies.push(sticky)
    for (const l of [secure, plain]) if (!l.policyNames.includes(sticky.name)) l.policyNames.push(sticky.name)
  }

  // Proxy Protocol on the instance port: on for the proxy layout, off otherwise (an HTTP listener there would
  // send requests without the PROXY line). Other backend policies on the port are kept.
  const proxyNames = new Set(state.policies.filter((p) => p.typeName === 'ProxyProtocolPolicyType').map((p) => p.name))
  const backendNow = state.backendPolicies.find((b) => b.instancePort === ports.instancePort)?.policyNames ?? []
  let backend = backendNow.filter((n) => !proxyNames.has(n))
  if (usesProxyProtocol(mode)) {
    const proxy = findOrDefine(
      state,
      {
        name: PROXY_POLICY_NAME,
        typeName: 'ProxyProtocolPolicyType',
        attributes: [{name: 'ProxyProtocol', value: 'true'}],
      },
      backendNow,
    )
    policies.push(proxy)
    backend = [...backend, proxy.name]
  }

  // With Proxy Protocol an HTTP health check on that port may arrive without the PROXY line; use TCP instead.
  let healthCheck: HealthCheck | undefined
  const hc = state.healthCheck
  if (
    usesProxyProtocol(mode) &&
    hc &&
    /^HTTPS?:/i.test(hc.target) &&
    Number(/:(\d+)/.exec(hc.target)?.[1]) === ports.instancePort
  ) {
    healthCheck = {...hc, target: `TCP:${ports.instancePort}`}
  }

  let idleTimeoutSeconds: number | undefined
  if (intent.idleTimeoutSeconds !== undefined) idleTimeoutSeconds = intent.idleTimeoutSeconds
  else if (
    state.idleTimeoutSeconds !== undefined &&
    state.idleTimeoutSeconds < SOCKET_IO_PING_INTERVAL_S + SOCKET_IO_PING_TIMEOUT_S
  )
    idleTimeoutSeconds = DEFAULT_IDLE_TIMEOUT_S

  return {
    listeners: [secure, plain, ...keptOthers],
    removePorts: intent.prune ? others.map((l) => l.loadBalancerPort) : [],
    policies,
    backendPolicies: [{instancePort: ports.instancePort, policyNames: backend}],
    healthCheck,
    idleTimeoutSeconds,
    deletePolicies: [],
  }
}

/**
 * Pure: the steps that take `state` to `desired`. Order and dependencies keep the window without a listener
 * short and the fix fast: policies, new ports and the first replacement start together, replaced ports go one at a
 * time (delete, create, attach policies), certificate swaps in place; removals last.
 */
export function planReconcile(state: LoadBalancerState, desired: DesiredState): PlanStep[] {
  const steps: PlanStep[] = []
  const add = (id: string, op: ElbOperation, description: string, dependsOn: string[] = []) => {
    steps.push({id, op, description, dependsOn})
    return id
  }
  const existingPolicies = new Set(state.policies.map((p) => p.name))
  const policySteps = new Map<string, string>()
  for (const p of desired.policies) {
    if (existingPolicies.has(p.name)) continue
    const attrs = p.attributes.map((a) => `${a.name}=${a.value}`).join(', ')
    policySteps.set(
      p.name,
      add(
        `create-policy:${p.name}`,
        {kind: 'createPolicy', policy: p},
        `create policy ${p.name} (${p.typeName}${attrs ? `: ${attrs}` : ''})`,
      ),
    )
  }
  const needPolicies = (names: string[]) => names.map((n) => policySteps.get(n)).filter((x): x is string => Boolean(x))

  const current = new Map(state.listeners.map((l) => [l.loadBalancerPort, l]))
  const newOnes = desired.listeners.filter((l) => !current.has(l.loadBalancerPort))
  const creates: string[] = []
  if (newOnes.length > 0) {
    creates.push(
      add(
        `create-listeners:${newOnes.map((l) => l.loadBalancerPort).join(',')}`,
        {kind: 'createListeners', listeners: newOnes},
        `create listener${newOnes.length > 1 ? 's' : ''} ${newOnes.map(listenerText).join(', ')}`,
      ),
    )
  }
  for (const l of newOnes) {
    // A new HTTPS/SSL listener starts with ELB's default SSL policy; attach the wanted ones right after creation.
    if (l.policyNames.length > 0) {
      add(
        `set-listener-policies:${l.loadBalancerPort}`,
        {kind: 'setListenerPolicies', port: l.loadBalancerPort, policyNames: l.policyNames},
        `attach ${l.policyNames.join(', ')} to listener ${l.loadBalancerPort}`,
        [...creates, ...needPolicies(l.policyNames)],
      )
    }
  }

  // Replacements run one port at a time (never two ports down at once), and only after every call that touches no
  // live port (policies, new ports): if one of those fails, no port has been taken down. Each replaced port is down
  // for one round trip: the executor sends the re-create the moment the delete returns. This costs one round trip
  // per fix that replaces a port (the first delete waits for the policies), in exchange for no gap on a failure.
  const preparation = [...policySteps.values(), ...creates]
  let previousReplacement: string | undefined
  for (const want of desired.listeners) {
    const have = current.get(want.loadBalancerPort)
    if (!have) continue
    if (!sameListener(have, want)) {
      const del = add(
        `delete-listener:${want.loadBalancerPort}`,
        {kind: 'deleteListeners', ports: [want.loadBalancerPort]},
        `delete listener ${listenerText(have)} (to re-create it)`,
        previousReplacement ? [previousReplacement] : preparation,
      )
      const create = add(
        `create-listener:${want.loadBalancerPort}`,
        {kind: 'createListeners', listeners: [want]},
        `create listener ${listenerText(want)}`,
        [del],
      )
      let last = create
      if (want.policyNames.length > 0) {
        last = add(
          `set-listener-policies:${want.loadBalancerPort}`,
          {kind: 'setListenerPolicies', port: want.loadBalancerPort, policyNames: want.policyNames},
          `attach ${want.policyNames.join(', ')} to listener ${want.loadBalancerPort}`,
          [create, ...needPolicies(want.policyNames)],
        )
      }
      previousReplacement = last
      continue
    }
    if (isSecure(want.protocol) && want.sslCertificateId && want.sslCertificateId !== have.sslCertificateId) {
      add(
        `set-certificate:${want.loadBalancerPort}`,
        {kind: 'setListenerCertificate', port: want.loadBalancerPort, certificateArn: want.sslCertificateId},
        `swap the certificate on ${want.loadBalancerPort} to ${want.sslCertificateId}`,
      )
    }
    if (!sameSet(attachedPolicies(have, existingPolicies), want.policyNames)) {
      add(
        `set-listener-policies:${want.loadBalancerPort}`,
        {kind: 'setListenerPolicies', port: want.loadBalancerPort, policyNames: want.policyNames},
        want.policyNames.length > 0
          ? `set the policies of listener ${want.loadBalancerPort} to ${want.policyNames.join(', ')}`
          : `detach all policies from listener ${want.loadBalancerPort}`,
        needPolicies(want.policyNames),
      )
    }
  }

  const listenerSteps = steps.filter((s) => s.op.kind !== 'createPolicy').map((s) => s.id)
  for (const b of desired.backendPolicies) {
    const have = state.backendPolicies.find((x) => x.instancePort === b.instancePort)?.policyNames ?? []
    if (sameSet(have, b.policyNames)) continue
    const enablesProxy = b.policyNames.some((n) => !have.includes(n))
    // Turn Proxy Protocol on only after the listeners feeding the port are TCP/SSL; turn it off before they become HTTP.
    add(
      `set-backend-policies:${b.instancePort}`,
      {kind: 'setBackendPolicies', instancePort: b.instancePort, policyNames: b.policyNames},
      b.policyNames.length > 0
        ? `set the backend policies of instance port ${b.instancePort} to ${b.policyNames.join(', ')}`
        : `remove all backend policies from instance port ${b.instancePort}`,
      enablesProxy ? [...listenerSteps, ...needPolicies(b.policyNames)] : [],
    )
  }
  if (desired.healthCheck && desired.healthCheck.target !== state.healthCheck?.target) {
    add(
      'configure-health-check',
      {kind: 'configureHealthCheck', healthCheck: desired.healthCheck},
      `change the health check from ${state.healthCheck?.target ?? 'none'} to ${desired.healthCheck.target}`,
    )
  }
  if (desired.idleTimeoutSeconds !== undefined && desired.idleTimeoutSeconds !== state.idleTimeoutSeconds) {
    add(
      'set-idle-timeout',
      {kind: 'setIdleTimeout', seconds: desired.idleTimeoutSeconds},
      `set the idle timeout from ${state.idleTimeoutSeconds ?? '?'} s to ${desired.idleTimeoutSeconds} s`,
    )
  }
  const removals = desired.removePorts.filter((p) => current.has(p))
  if (removals.length > 0) {
    add(
      `delete-listeners:${removals.join(',')}`,
      {kind: 'deleteListeners', ports: removals},
      `delete listener${removals.length > 1 ? 's' : ''} on ${removals.join(', ')} (--prune)`,
      steps.map((s) => s.id),
    )
  }
  for (const name of desired.deletePolicies) {
    if (existingPolicies.has(name))
      add(
        `delete-policy:${name}`,
        {kind: 'deletePolicy', name},
        `delete policy ${name}`,
        steps.map((s) => s.id),
      )
  }
  return steps
}

/** The desired state that puts a snapshot back exactly (listeners, policies, backend policies, health check, idle timeout). */
export function desiredStateFromSnapshot(snapshot: LoadBalancerState, current: LoadBalancerState): DesiredState {
  const snapshotPorts = new Set(snapshot.listeners.map((l) => l.loadBalancerPort))
  const backendPorts = new Set([...snapshot.backendPolicies, ...current.backendPolicies].map((b) => b.instancePort))
  const snapshotPolicies = new Set(snapshot.policies.map((p) => p.name))
  return {
    listeners: snapshot.listeners.map((l) => ({
      ...l,
      policyNames: l.policyNames.filter((n) => !n.startsWith('ELBSecurityPolicy-') || snapshotPolicies.has(n)),
    })),
    removePorts: current.listeners.filter((l) => !snapshotPorts.has(l.loadBalancerPort)).map((l) => l.loadBalancerPort),
    policies: snapshot.policies,
    backendPolicies: [...backendPorts].map((port) => ({
      instancePort: port,
      policyNames: snapshot.backendPolicies.find((b) => b.instancePort === port)?.policyNames ?? [],
    })),
    healthCheck: snapshot.healthCheck,
    idleTimeoutSeconds: snapshot.idleTimeoutSeconds,
    deletePolicies: current.policies
      .filter((p) => isEbwsPolicy(p.name) && !snapshotPolicies.has(p.name))
      .map((p) => p.name),
  }
}

export interface ListenerPlan {
  desired: DesiredState
  steps: PlanStep[]
  /** Proxy Protocol ports after the plan, for messages. */
  proxyProtocolPorts: number[]
}

export function planListenerChanges(state: LoadBalancerState, intent: ListenerIntent): ListenerPlan {
  const desired = desiredStateFor(state, intent)
  const steps = planReconcile(state, desired)
  return {
    desired,
    steps,
    proxyProtocolPorts: usesProxyProtocol(intent.mode)
      ? [intent.ports.instancePort]
      : proxyProtocolPorts(state).filter((p) => p !== intent.ports.instancePort),
  }
}

/**
 * A listener's policies that matter for comparison: a predefined name that is not defined on the load balancer
 * (the ELBSecurityPolicy-2016-08 that ELB attaches to a new secure listener by itself) is left out.
 */
function attachedPolicies(listener: Listener, defined: Set<string>): string[] {
  return listener.policyNames.filter((n) => defined.has(n) || !n.startsWith('ELBSecurityPolicy-'))
}

/** Topological waves: each wave's steps depend only on earlier waves, so a wave runs concurrently. */
export function planWaves(steps: PlanStep[]): PlanStep[][] {
  const done = new Set<string>()
  const waves: PlanStep[][] = []
  let left = [...steps]
  while (left.length > 0) {
    const wave = left.filter((s) => s.dependsOn.every((d) => done.has(d) || !steps.some((x) => x.id === d)))
    if (wave.length === 0) throw new Error(`cycle in plan: ${left.map((s) => s.id).join(', ')}`)
    for (const s of wave) done.add(s.id)
    left = left.filter((s) => !done.has(s.id))
    waves.push(wave)
  }
  return waves
}

/**
 * Pure: what still differs between a load balancer and a desired state, judged by effect rather than by policy
 * names (Beanstalk names the policies it creates from option settings its own way).
 */
export function unmetExpectations(state: LoadBalancerState, desired: DesiredState): string[] {
  const out: string[] = []
  const policies = [...desired.policies, ...state.policies]
  // The effect of a policy list, per type: the TLS reference policy, Proxy Protocol on/off, stickiness present.
  const KEY_ATTRIBUTE: Record<string, string> = {
    SSLNegotiationPolicyType: 'Reference-Security-Policy',
    ProxyProtocolPolicyType: 'ProxyProtocol',
    LBCookieStickinessPolicyType: 'CookieExpirationPeriod',
  }
  const effectOf = (names: string[], typeName: string, all: Policy[]) =>
    names
      .map((n) => all.find((p) => p.name === n))
      .filter((p): p is Policy => p?.typeName === typeName)
      .map((p) =>
        typeName === 'LBCookieStickinessPolicyType'
          ? 'sticky'
          : (p.attributes.find((a) => a.name === KEY_ATTRIBUTE[typeName])?.value ?? '').toLowerCase(),
      )
      .filter((v, i, all) => all.indexOf(v) === i)
      .sort()
      .join(';')
  for (const want of desired.listeners) {
    const have = state.listeners.find((l) => l.loadBalancerPort === want.loadBalancerPort)
    if (!have) {
      out.push(`listener ${want.loadBalancerPort} is missing`)
      continue
    }
    if (!sameListener(have, want))
      out.push(`listener ${want.loadBalancerPort} is ${listenerText(have)}, not ${listenerText(want)}`)
    if (isSecure(want.protocol) && want.sslCertificateId && have.sslCertificateId !== want.sslCertificateId)
      out.push(`listener ${want.loadBalancerPort} has certificate ${have.sslCertificateId ?? 'none'}`)
    for (const type of ['SSLNegotiationPolicyType', 'LBCookieStickinessPolicyType']) {
      if (effectOf(have.policyNames, type, state.policies) !== effectOf(want.policyNames, type, policies))
        out.push(`listener ${want.loadBalancerPort} does not have the wanted ${type}`)
    }
  }
  for (const port of desired.removePorts)
    if (state.listeners.some((l) => l.loadBalancerPort === port)) out.push(`listener ${port} still exists`)
  for (const b of desired.backendPolicies) {
    const have = state.backendPolicies.find((x) => x.instancePort === b.instancePort)?.policyNames ?? []
    if (
      effectOf(have, 'ProxyProtocolPolicyType', state.policies) !==
      effectOf(b.policyNames, 'ProxyProtocolPolicyType', policies)
    )
      out.push(`Proxy Protocol on instance port ${b.instancePort} is not as wanted`)
  }
  if (desired.healthCheck && state.healthCheck?.target !== desired.healthCheck.target)
    out.push(`the health check is ${state.healthCheck?.target ?? 'none'}, not ${desired.healthCheck.target}`)
  if (desired.idleTimeoutSeconds !== undefined && state.idleTimeoutSeconds !== desired.idleTimeoutSeconds)
    out.push(`the idle timeout is ${state.idleTimeoutSeconds} s, not ${desired.idleTimeoutSeconds} s`)
  return out
}
