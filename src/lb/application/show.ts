import {certificatesInUse} from '../../acm/certificates.ts'
import type {AwsClients} from '../../aws/clients.ts'
import type {CertificateInfo} from '../../elb/model.ts'
import type {EnvironmentInfo, OptionSetting} from '../../environment/describe.ts'
import {describeOptionSettings} from '../../environment/describe.ts'
import {detectLoadBalancer} from '../detect.ts'
import type {LbVerdict, ShowInput} from '../types.ts'
import {deployedBundleOverridesListener} from './bundle-override.ts'
import type {Elbv2Observed, Elbv2State, V2Action} from './model.ts'
import {readElbv2State} from './read-state.ts'
import {environmentHosts, ownRules} from './shared-plan.ts'
import {describeAction, judgeAlb, judgeNlb} from './verdict.ts'

export interface Elbv2ListenerView {
  port: number
  protocol: string
  sslPolicy?: string | undefined
  certificateArn?: string | undefined
  sniCertificateArns: string[]
  defaultAction: string
  defaultActions: V2Action[]
  rules: Array<{priority: string; conditions: string; action: string}>
}

export interface Elbv2Report {
  loadBalancerType: 'application' | 'network'
  region: string
  environment: EnvironmentInfo
  shared: boolean
  /** Environments whose target groups sit behind the same shared load balancer. */
  otherEnvironments: string[]
  loadBalancer: {
    arn: string
    name: string
    dnsName?: string | undefined
    idleTimeoutSeconds?: number | undefined
    listeners: Elbv2ListenerView[]
    targetGroups: Elbv2State['targetGroups']
  }
  certificates: CertificateInfo[]
  /** The aws:elbv2:* and aws:elasticbeanstalk:environment:process:* settings (what environment updates rebuild). */
  optionSettings: OptionSetting[]
  bundleOverridesListener?: boolean | undefined
  verdict: LbVerdict
}

/**
 * Reads an ALB/NLB environment: round trip 1 (environment, resources) is done by the caller; round trip 2
 * reads the load balancer with the option settings and the deployed version; round trip 3 the rules, certificates,
 * target group attributes and tags, with the deployed bundle (for the listener override) alongside.
 */
export async function observeElbv2(
  clients: AwsClients,
  input: Pick<ShowInput, 'first' | 'detected'>,
): Promise<Elbv2Observed & {settingsAll: OptionSetting[]}> {
  const {environment} = input.first
  const bundleOverride = deployedBundleOverridesListener(clients, environment.applicationName, environment.versionLabel)
  bundleOverride.catch(() => undefined)
  // The default certificates are looked up as soon as DescribeListeners names them, beside round trip 3; only SNI
  // certificates (known from DescribeListenerCertificates) wait for it.
  let early: {arns: string[]; certificates: Promise<CertificateInfo[]>} | undefined
  const {state, extra: settings} = await readElbv2State(
    clients,
    input.detected.id,
    () => describeOptionSettings(clients, environment),
    (s) => s,
    environment.environmentName,
    environment.endpointUrl,
    (arns) => {
      early = {arns, certificates: certificatesInUse(clients, arns, [])}
      early.certificates.catch(() => undefined)
    },
  )
  const certArns = [
    ...new Set(
      state.listeners
        .flatMap((l) => [l.certificateArn, ...l.sniCertificateArns])
        .filter((a): a is string => Boolean(a)),
    ),
  ]
  const rest = certArns.filter((a) => !early?.arns.includes(a))
  const [earlyCertificates, restCertificates, bundleOverridesListener] = await Promise.all([
    early?.certificates ?? [],
    certificatesInUse(clients, rest, []),
    bundleOverride,
  ])
  const byArn = new Map([...earlyCertificates, ...restCertificates].map((c) => [c.arn, c]))
  const certificates = certArns.map((a) => byArn.get(a)!).filter(Boolean)
  const shared = input.detected.shared || detectLoadBalancer(environment, settings).shared
  const otherEnvironments = [
    ...new Set(
      state.targetGroups
        .map((t) => t.environmentName)
        .filter((n): n is string => Boolean(n) && n !== environment.environmentName),
    ),
  ].sort()
  return {
    state,
    settings,
    settingsAll: settings,
    certificates,
    shared,
    otherEnvironments,
    bundleOverridesListener,
    cname: environment.cname,
  }
}

export async function showElbv2(clients: AwsClients, input: ShowInput): Promise<Elbv2Report> {
  const o = await observeElbv2(clients, input)
  const {state} = o
  // The listener ports, for the security-groups read (no DescribeListeners of its own); the groups and scheme are
  // not in these reads (no DescribeLoadBalancers here), so it describes the load balancer itself.
  input.onDescribed?.({listenerPorts: state.listeners.map((l) => l.port)})
  const tgName = (arn: string | undefined) => {
    const tg = state.targetGroups.find((t) => t.arn === arn)
    return tg
      ? `${tg.name}${tg.process ? ` (process ${tg.process})` : tg.environmentName ? ` (${tg.environmentName})` : ''}`
      : (arn ?? '?')
  }
  const hosts = o.shared ? environmentHosts(state, {cname: input.first.environment.cname}) : []
  const listeners: Elbv2ListenerView[] = state.listeners.map((l) => ({
    port: l.port,
    protocol: l.protocol,
    sslPolicy: l.sslPolicy,
    certificateArn: l.certificateArn,
    sniCertificateArns: l.sniCertificateArns,
    defaultAction: describeAction(l.defaultActions[0], tgName),
    defaultActions: l.defaultActions,
    // A shared ALB: only this environment's rules (those that forward to its own target groups, and its redirects).
    rules: (o.shared ? ownRules(l, state, hosts) : l.rules).map((r) => ({
      priority: r.priority,
      conditions: r.conditions.map((c) => `${c.field} ${c.values.join(',')}`).join(' and '),
      action: describeAction(r.actions[0], tgName),
    })),
  }))
  const verdict = state.type === 'network' ? judgeNlb(o, input.now) : judgeAlb(o, input.now)
  return {
    loadBalancerType: state.type,
    region: input.first.region,
    environment: input.first.environment,
    shared: o.shared,
    otherEnvironments: o.otherEnvironments,
    loadBalancer: {
      arn: state.arn,
      name: state.name,
      dnsName: state.dnsName,
      idleTimeoutSeconds: state.idleTimeoutSeconds,
      listeners,
      targetGroups: o.shared ? state.targetGroups.filter((t) => t.process !== undefined) : state.targetGroups,
    },
    certificates: o.certificates,
    optionSettings: o.settings.filter(
      (s) =>
        s.namespace.startsWith('aws:elbv2:') || s.namespace.startsWith('aws:elasticbeanstalk:environment:process:'),
    ),
    bundleOverridesListener: o.bundleOverridesListener,
    verdict,
  }
}
