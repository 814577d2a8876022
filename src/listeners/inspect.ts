import {certificatesInUse} from '../acm/certificates.ts'
import type {AwsClients} from '../aws/clients.ts'
import type {EnvironmentInfo, OptionSetting} from '../environment/describe.ts'
import {describeEnvironment, describeOptionSettings, requireClassicLoadBalancer} from '../environment/describe.ts'
import type {LoadBalancerDescription} from '@aws-sdk/client-elastic-load-balancing'

import {readLoadBalancerState} from '../elb/read-state.ts'
import type {CertificateInfo, Listener, LoadBalancerState} from '../elb/model.ts'
import type {DescribedLoadBalancer} from '../lb/types.ts'
import type {LayoutPorts} from './modes.ts'
import {DEFAULT_PORTS} from './modes.ts'
import type {ConfiguredLoadBalancer} from './option-settings.ts'
import {configuredFromOptionSettings} from './option-settings.ts'
import {withScaleFindings} from './scale-warnings.ts'
import type {Verdict} from './verdict.ts'
import {judgeListeners, proxyProtocolPorts, sslReferencePolicy} from './verdict.ts'

export interface ListenerView extends Listener {
  sslPolicy?: string | undefined
  /** Whether Proxy Protocol is on for this listener's instance port (it only applies to TCP/SSL listeners). */
  proxyProtocol: boolean
}

export interface ListenersReport {
  region: string
  environment: EnvironmentInfo
  loadBalancer: Omit<LoadBalancerState, 'listeners'> & {listeners: ListenerView[]}
  certificates: CertificateInfo[]
  optionSettings: ConfiguredLoadBalancer
  verdict: Verdict
}

/** Everything `listeners show` reports, read with the fewest dependent round trips. */
export interface ObservedEnvironment {
  region: string
  environment: EnvironmentInfo
  loadBalancerName: string
  state: LoadBalancerState
  configured: ConfiguredLoadBalancer
  /** Every option setting of the environment (scale warnings read aws:autoscaling:asg and the properties). */
  settings: OptionSetting[]
}

/** What a CLB's DescribeLoadBalancers says about its exposure: listener ports, scheme, security groups (VPC only). */
export const describedClb = (lb: LoadBalancerDescription | undefined): DescribedLoadBalancer => ({
  listenerPorts: (lb?.ListenerDescriptions ?? []).map((d) => d.Listener?.LoadBalancerPort ?? 0).filter(Boolean),
  scheme: lb?.Scheme,
  securityGroupIds: lb?.SecurityGroups ?? [],
})

/**
 * Round trip 1: DescribeEnvironments + DescribeEnvironmentResources.
 * Round trip 2: DescribeConfigurationSettings + DescribeLoadBalancers + DescribeLoadBalancerPolicies +
 * DescribeLoadBalancerAttributes.
 * No ACM call: only a command that shows or chooses a certificate asks ACM, for the certificates it needs.
 */
export async function observeEnvironment(
  clients: AwsClients,
  environmentName: string,
  o: {
    /** Round trip 1 already made by src/lb (which read the environment to detect the load balancer type). */
    first?: {environment: EnvironmentInfo} | undefined
    onCertificateArns?: (arns: string[]) => void
    /** Called with DescribeLoadBalancers' answer (the security-groups read of `listeners show` takes it from here). */
    onDescribed?: ((lb: DescribedLoadBalancer) => void) | undefined
    prepareAcm?: boolean
  } = {},
): Promise<ObservedEnvironment> {
  const region = await clients.region()
  const roundTrip1 = o.first ? Promise.resolve(o.first.environment) : describeEnvironment(clients, environmentName)
  // Load the ELB client that round trip 2 needs while round trip 1 is on the wire (after its requests are sent:
  // loading first would delay them). Saves the client's load time from the critical path.
  setImmediate(() => (o.prepareAcm ? clients.prepare('elb', 'acm') : clients.prepare('elb')))
  const environment = await roundTrip1
  const loadBalancerName = requireClassicLoadBalancer(environment)
  const [settings, state] = await Promise.all([
    describeOptionSettings(clients, environment),
    readLoadBalancerState(clients, loadBalancerName, {
      // The certificates in use are known once DescribeLoadBalancers answers: their lookups need not wait for the rest.
      onDescribed: (lb) => {
        o.onCertificateArns?.(
          (lb.ListenerDescriptions ?? [])
            .map((d) => d.Listener?.SSLCertificateId)
            .filter((a): a is string => Boolean(a)),
        )
        o.onDescribed?.(describedClb(lb))
      },
    }),
  ])
  requireClassicLoadBalancer(environment, settings)
  return {region, environment, loadBalancerName, state, configured: configuredFromOptionSettings(settings), settings}
}

export async function inspectListeners(
  clients: AwsClients,
  environmentName: string,
  ports: LayoutPorts = DEFAULT_PORTS,
  now = new Date(),
  first?: {environment: EnvironmentInfo},
  onDescribed?: (lb: DescribedLoadBalancer) => void,
): Promise<ListenersReport> {
  // DescribeCertificate for each certificate shown (none without a secure listener), started as soon as
  // DescribeLoadBalancers names them, beside the other reads of round trip 2.
  let early: Promise<CertificateInfo[]> | undefined
  const observed = await observeEnvironment(clients, environmentName, {
    first,
    prepareAcm: true,
    onDescribed,
    onCertificateArns: (arns) => {
      early = certificatesInUse(clients, arns, [])
      early.catch(() => undefined)
    },
  })
  const {state} = observed
  const arns = state.listeners.map((l) => l.sslCertificateId).filter((a): a is string => Boolean(a))
  const certificates = early ? await early : await certificatesInUse(clients, arns, [])
  const proxyPorts = new Set(proxyProtocolPorts(state))
  return {
    region: observed.region,
    environment: observed.environment,
    loadBalancer: {
      ...state,
      listeners: state.listeners.map((l) => ({
        ...l,
        sslPolicy: sslReferencePolicy(l, state.policies),
        proxyProtocol: proxyPorts.has(l.instancePort) && (l.protocol === 'TCP' || l.protocol === 'SSL'),
      })),
    },
    certificates,
    optionSettings: observed.configured,
    verdict: withScaleFindings(
      judgeListeners({state, certificates, configured: observed.configured, ports, now}),
      observed.settings,
      state,
    ),
  }
}
