// Applies an environment's aws:elb:* options to its Classic Load Balancer in moto, through the ELB API,
// the way Beanstalk's CloudFormation stack does: the whole configured state is (re)applied on each update,
// so changes made to the load balancer behind Beanstalk's back are overwritten.

import {
  ConfigureHealthCheckCommand,
  CreateAppCookieStickinessPolicyCommand,
  CreateLBCookieStickinessPolicyCommand,
  CreateLoadBalancerCommand,
  CreateLoadBalancerListenersCommand,
  CreateLoadBalancerPolicyCommand,
  DeleteLoadBalancerListenersCommand,
  DeleteLoadBalancerPolicyCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancerPoliciesCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingClient,
  ModifyLoadBalancerAttributesCommand,
  SetLoadBalancerPoliciesForBackendServerCommand,
  SetLoadBalancerPoliciesOfListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing'
import type {Listener, LoadBalancerDescription} from '@aws-sdk/client-elastic-load-balancing'

import {effectiveListeners, healthCheckTarget, namedPolicies, optionKey, splitList} from './options.ts'
import type {EffectiveListener} from './options.ts'

export interface DesiredPolicy {
  name: string
  type: string
  attributes: Array<{name: string; value: string}>
  listenerPorts: number[]
  instancePorts: number[]
  /** LB cookie stickiness expiration, or the app cookie name, for the dedicated create calls. */
  cookieExpiration?: number | undefined
  cookieName?: string | undefined
}

export interface DesiredClb {
  listeners: EffectiveListener[]
  policies: DesiredPolicy[]
  healthCheck: {Target: string; Interval: number; Timeout: number; HealthyThreshold: number; UnhealthyThreshold: number}
  attributes: {crossZone: boolean; drainingEnabled: boolean; drainingTimeout: number; idleTimeout: number}
}

function ports(value: string | undefined, all: number[]): number[] {
  if (value === undefined) return []
  if (value.trim() === ':all') return all
  return splitList(value).map(Number)
}

export function desiredClb(opts: Map<string, string>): DesiredClb {
  const get = (ns: string, name: string) => opts.get(optionKey(ns, name))
  const listeners = effectiveListeners(opts).filter((l) => l.enabled)
  const allListenerPorts = listeners.map((l) => l.port)
  const allInstancePorts = [...new Set(listeners.map((l) => l.instancePort))]
  const policies: DesiredPolicy[] = []
  for (const name of namedPolicies(opts)) {
    const ns = `aws:elb:policies:${name}`
    const lbPorts = ports(get(ns, 'LoadBalancerPorts'), allListenerPorts)
    const instPorts = ports(get(ns, 'InstancePorts'), allInstancePorts)
    const base = {name, listenerPorts: lbPorts, instancePorts: instPorts}
    if (get(ns, 'ProxyProtocol') !== undefined) {
      policies.push({
        ...base,
        type: 'ProxyProtocolPolicyType',
        attributes: [{name: 'ProxyProtocol', value: String(get(ns, 'ProxyProtocol')!.toLowerCase() === 'true')}],
      })
    } else if (get(ns, 'SSLReferencePolicy') !== undefined || get(ns, 'SSLProtocols') !== undefined) {
      const attributes: Array<{name: string; value: string}> = []
      const ref = get(ns, 'SSLReferencePolicy')
      if (ref) attributes.push({name: 'Reference-Security-Policy', value: ref})
      for (const p of splitList(get(ns, 'SSLProtocols'))) attributes.push({name: p, value: 'true'})
      policies.push({...base, type: 'SSLNegotiationPolicyType', attributes})
    } else if (get(ns, 'CookieName') !== undefined) {
      policies.push({
        ...base,
        type: 'AppCookieStickinessPolicyType',
        attributes: [{name: 'CookieName', value: get(ns, 'CookieName')!}],
        cookieName: get(ns, 'CookieName'),
      })
    } else if ((get(ns, 'Stickiness Policy') ?? '').toLowerCase() === 'true') {
      const exp = Number(get(ns, 'Stickiness Cookie Expiration') ?? '0')
      policies.push({
        ...base,
        type: 'LBCookieStickinessPolicyType',
        attributes: exp ? [{name: 'CookieExpirationPeriod', value: String(exp)}] : [],
        cookieExpiration: exp || undefined,
      })
    } else if (get(ns, 'PublicKey') !== undefined) {
      policies.push({
        ...base,
        type: 'PublicKeyPolicyType',
        attributes: [{name: 'PublicKey', value: get(ns, 'PublicKey')!}],
      })
    } else if (get(ns, 'PublicKeyPolicyNames') !== undefined) {
      policies.push({
        ...base,
        type: 'BackendServerAuthenticationPolicyType',
        attributes: splitList(get(ns, 'PublicKeyPolicyNames')).map((n) => ({name: 'PublicKeyPolicyName', value: n})),
      })
    }
  }
  // The default stickiness policy of aws:elb:policies.
  if ((get('aws:elb:policies', 'Stickiness Policy') ?? '').toLowerCase() === 'true') {
    const exp = Number(get('aws:elb:policies', 'Stickiness Cookie Expiration') ?? '0')
    const lbPorts = get('aws:elb:policies', 'LoadBalancerPorts')
    policies.push({
      name: 'AWSEB-ELB-StickinessPolicy',
      type: 'LBCookieStickinessPolicyType',
      attributes: exp ? [{name: 'CookieExpirationPeriod', value: String(exp)}] : [],
      cookieExpiration: exp || undefined,
      listenerPorts:
        lbPorts === undefined
          ? listeners.filter((l) => l.protocol === 'HTTP' || l.protocol === 'HTTPS').map((l) => l.port)
          : ports(lbPorts, allListenerPorts),
      instancePorts: [],
    })
  }
  const num = (ns: string, name: string, d: number) => Number(get(ns, name) ?? d)
  return {
    listeners,
    policies,
    healthCheck: {
      Target: healthCheckTarget(opts),
      Interval: num('aws:elb:healthcheck', 'Interval', 10),
      Timeout: num('aws:elb:healthcheck', 'Timeout', 5),
      HealthyThreshold: num('aws:elb:healthcheck', 'HealthyThreshold', 3),
      UnhealthyThreshold: num('aws:elb:healthcheck', 'UnhealthyThreshold', 5),
    },
    attributes: {
      crossZone: (get('aws:elb:loadbalancer', 'CrossZone') ?? 'false').toLowerCase() === 'true',
      drainingEnabled: (get('aws:elb:policies', 'ConnectionDrainingEnabled') ?? 'false').toLowerCase() === 'true',
      drainingTimeout: num('aws:elb:policies', 'ConnectionDrainingTimeout', 20),
      idleTimeout: num('aws:elb:policies', 'ConnectionSettingIdleTimeout', 60),
    },
  }
}

function toSdkListener(l: EffectiveListener): Listener {
  const out: Listener = {
    Protocol: l.protocol,
    LoadBalancerPort: l.port,
    InstancePort: l.instancePort,
    InstanceProtocol: l.instanceProtocol,
  }
  if (l.sslCertificateId) out.SSLCertificateId = l.sslCertificateId
  return out
}

export class ClbApplier {
  readonly elb: ElasticLoadBalancingClient
  readonly region: string

  constructor(motoUrl: string, region: string) {
    this.region = region
    this.elb = new ElasticLoadBalancingClient({
      endpoint: motoUrl,
      region,
      credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'},
      maxAttempts: 3,
    })
  }

  async exists(name: string): Promise<boolean> {
    try {
      await this.elb.send(new DescribeLoadBalancersCommand({LoadBalancerNames: [name]}))
      return true
    } catch (e) {
      if (
        (e as {name?: string}).name === 'LoadBalancerNotFound' ||
        (e as {name?: string}).name === 'AccessPointNotFoundException'
      )
        return false
      throw e
    }
  }

  /** Creates the CLB with the configured listeners, then applies the rest of the configuration. */
  async create(name: string, opts: Map<string, string>, securityGroups?: string[]): Promise<void> {
    const d = desiredClb(opts)
    await this.elb.send(
      new CreateLoadBalancerCommand({
        LoadBalancerName: name,
        Listeners: d.listeners.map(toSdkListener),
        AvailabilityZones: [`${this.region}a`, `${this.region}b`],
        // In the default VPC (EC2-Classic is retired), with the environment's load balancer security group.
        ...(securityGroups?.length ? {SecurityGroups: securityGroups} : {}),
        Tags: [{Key: 'elasticbeanstalk:environment-name', Value: name}],
      }),
    )
    await this.apply(name, opts)
  }

  private async describe(name: string): Promise<LoadBalancerDescription> {
    const out = await this.elb.send(new DescribeLoadBalancersCommand({LoadBalancerNames: [name]}))
    const lb = out.LoadBalancerDescriptions?.[0]
    if (!lb) throw new Error(`Load balancer ${name} not found`)
    return lb
  }

  /**
   * Reconciles the CLB with the options. Returns whether anything had to change.
   * Listeners, listener policies, backend policies, health check and attributes are all set to the configured state.
   */
  async apply(name: string, opts: Map<string, string>): Promise<boolean> {
    const d = desiredClb(opts)
    let changed = false
    let lb = await this.describe(name)

    // 1. Listeners: delete those that differ or are not configured, create the missing ones.
    const current = (lb.ListenerDescriptions ?? []).map((x) => x.Listener!).filter(Boolean)
    const same = (c: Listener, l: EffectiveListener) =>
      c.LoadBalancerPort === l.port &&
      c.Protocol?.toUpperCase() === l.protocol &&
      c.InstancePort === l.instancePort &&
      (c.SSLCertificateId ?? undefined) === (l.sslCertificateId ?? undefined) &&
      (c.InstanceProtocol === undefined ||
        c.InstanceProtocol.toUpperCase() === l.instanceProtocol ||
        this.instanceProtocolUnreliable(c, l))
    for (const c of current) {
      if (!d.listeners.some((l) => same(c, l))) {
        // One port per call: moto mishandles several ports in one DeleteLoadBalancerListeners.
        await this.elb.send(
          new DeleteLoadBalancerListenersCommand({LoadBalancerName: name, LoadBalancerPorts: [c.LoadBalancerPort!]}),
        )
        changed = true
      }
    }
    const missing = d.listeners.filter((l) => !current.some((c) => same(c, l)))
    if (missing.length > 0) {
      await this.elb.send(
        new CreateLoadBalancerListenersCommand({LoadBalancerName: name, Listeners: missing.map(toSdkListener)}),
      )
      changed = true
    }

    // 2. Policies: (re)create those whose type or attributes differ.
    const existing =
      (await this.elb.send(new DescribeLoadBalancerPoliciesCommand({LoadBalancerName: name}))).PolicyDescriptions ?? []
    lb = await this.describe(name)
    const stale: string[] = []
    const toCreate: DesiredPolicy[] = []
    for (const p of d.policies) {
      const e = existing.find((x) => x.PolicyName === p.name)
      if (!e) {
        toCreate.push(p)
        continue
      }
      const attrs = (e.PolicyAttributeDescriptions ?? [])
        .map((a) => `${a.AttributeName}=${a.AttributeValue}`)
        .sort()
        .join('\n')
      const want = p.attributes
        .map((a) => `${a.name}=${a.value}`)
        .sort()
        .join('\n')
      const typeMatches = e.PolicyTypeName === undefined || e.PolicyTypeName === p.type
      if (
        !typeMatches ||
        (p.type !== 'LBCookieStickinessPolicyType' && p.type !== 'AppCookieStickinessPolicyType' && attrs !== want)
      ) {
        stale.push(p.name)
        toCreate.push(p)
      }
    }
    if (stale.length > 0) {
      // Detach everywhere before deleting.
      for (const l of lb.ListenerDescriptions ?? []) {
        const names = l.PolicyNames ?? []
        if (names.some((n) => stale.includes(n))) {
          await this.elb.send(
            new SetLoadBalancerPoliciesOfListenerCommand({
              LoadBalancerName: name,
              LoadBalancerPort: l.Listener!.LoadBalancerPort!,
              PolicyNames: names.filter((n) => !stale.includes(n)),
            }),
          )
        }
      }
      for (const b of lb.BackendServerDescriptions ?? []) {
        const names = b.PolicyNames ?? []
        if (names.some((n) => stale.includes(n))) {
          await this.elb.send(
            new SetLoadBalancerPoliciesForBackendServerCommand({
              LoadBalancerName: name,
              InstancePort: b.InstancePort!,
              PolicyNames: names.filter((n) => !stale.includes(n)),
            }),
          )
        }
      }
      for (const n of stale)
        await this.elb.send(new DeleteLoadBalancerPolicyCommand({LoadBalancerName: name, PolicyName: n}))
    }
    for (const p of toCreate) {
      if (p.type === 'LBCookieStickinessPolicyType') {
        await this.elb.send(
          new CreateLBCookieStickinessPolicyCommand({
            LoadBalancerName: name,
            PolicyName: p.name,
            CookieExpirationPeriod: p.cookieExpiration,
          }),
        )
      } else if (p.type === 'AppCookieStickinessPolicyType') {
        await this.elb.send(
          new CreateAppCookieStickinessPolicyCommand({
            LoadBalancerName: name,
            PolicyName: p.name,
            CookieName: p.cookieName!,
          }),
        )
      } else {
        await this.elb.send(
          new CreateLoadBalancerPolicyCommand({
            LoadBalancerName: name,
            PolicyName: p.name,
            PolicyTypeName: p.type,
            PolicyAttributes: p.attributes.map((a) => ({AttributeName: a.name, AttributeValue: a.value})),
          }),
        )
      }
      changed = true
    }

    // 3. Policy attachments: listeners get exactly their configured policies, backends likewise.
    lb = await this.describe(name)
    for (const l of d.listeners) {
      const want = [
        ...new Set([
          ...l.policyNames,
          ...d.policies.filter((p) => p.listenerPorts.includes(l.port)).map((p) => p.name),
        ]),
      ]
      const have = lb.ListenerDescriptions?.find((x) => x.Listener?.LoadBalancerPort === l.port)?.PolicyNames ?? []
      if ([...want].sort().join(',') !== [...have].sort().join(',')) {
        await this.elb.send(
          new SetLoadBalancerPoliciesOfListenerCommand({
            LoadBalancerName: name,
            LoadBalancerPort: l.port,
            PolicyNames: want,
          }),
        )
        changed = true
      }
    }
    const backendPorts = new Set<number>([
      ...(lb.BackendServerDescriptions ?? []).map((b) => b.InstancePort!),
      ...d.policies.flatMap((p) => p.instancePorts),
    ])
    for (const port of backendPorts) {
      const want = d.policies.filter((p) => p.instancePorts.includes(port)).map((p) => p.name)
      const have = lb.BackendServerDescriptions?.find((b) => b.InstancePort === port)?.PolicyNames ?? []
      if ([...want].sort().join(',') !== [...have].sort().join(',')) {
        await this.elb.send(
          new SetLoadBalancerPoliciesForBackendServerCommand({
            LoadBalancerName: name,
            InstancePort: port,
            PolicyNames: want,
          }),
        )
        changed = true
      }
    }

    // 4. Health check.
    const hc = lb.HealthCheck
    const h = d.healthCheck
    if (
      !hc ||
      hc.Target !== h.Target ||
      hc.Interval !== h.Interval ||
      hc.Timeout !== h.Timeout ||
      hc.HealthyThreshold !== h.HealthyThreshold ||
      hc.UnhealthyThreshold !== h.UnhealthyThreshold
    ) {
      await this.elb.send(new ConfigureHealthCheckCommand({LoadBalancerName: name, HealthCheck: h}))
      changed = true
    }

    // 5. Attributes: cross-zone, connection draining, idle timeout.
    const attrs = (await this.elb.send(new DescribeLoadBalancerAttributesCommand({LoadBalancerName: name})))
      .LoadBalancerAttributes
    const a = d.attributes
    if (
      attrs?.CrossZoneLoadBalancing?.Enabled !== a.crossZone ||
      attrs?.ConnectionDraining?.Enabled !== a.drainingEnabled ||
      (a.drainingEnabled && attrs?.ConnectionDraining?.Timeout !== a.drainingTimeout) ||
      attrs?.ConnectionSettings?.IdleTimeout !== a.idleTimeout
    ) {
      await this.elb.send(
        new ModifyLoadBalancerAttributesCommand({
          LoadBalancerName: name,
          LoadBalancerAttributes: {
            CrossZoneLoadBalancing: {Enabled: a.crossZone},
            ConnectionDraining: {Enabled: a.drainingEnabled, Timeout: a.drainingTimeout},
            ConnectionSettings: {IdleTimeout: a.idleTimeout},
          },
        }),
      )
      changed = true
    }
    return changed
  }

  /**
   * Unpatched moto echoes the front-end protocol as InstanceProtocol. When the read-back InstanceProtocol is just the
   * listener protocol and everything else matches, don't churn the listener over it.
   */
  private instanceProtocolUnreliable(c: Listener, l: EffectiveListener): boolean {
    return c.InstanceProtocol?.toUpperCase() === c.Protocol?.toUpperCase() && c.Protocol?.toUpperCase() === l.protocol
  }
}
