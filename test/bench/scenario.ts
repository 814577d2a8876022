// Scenario fixtures: one call builds an Elastic Beanstalk environment (EB fake) with a CLB (moto) in a given state,
// plus ACM certificates generated for the test.
import {ElasticLoadBalancingClient} from '@aws-sdk/client-elastic-load-balancing'

import {createCertificate, type BenchCertificate, type CertOptions} from './certificates.ts'
import {startEbFake, type EbFake} from './eb-fake/index.ts'
import {benchProcessEnv, startBench, type Bench} from './index.ts'

export interface FullBench extends Bench {
  eb: EbFake
}

/** moto + the EB fake + the fault proxy. EB steps are fast (stepMs) so environment updates finish in tests. */
export async function startFullBench(opts: {region?: string; stepMs?: number} = {}): Promise<FullBench> {
  const region = opts.region ?? 'us-east-1'
  let eb: EbFake | undefined
  const bench = await startBench({
    region,
    ebFake: async (motoUrl) => (eb = await startEbFake({motoUrl, region, stepMs: opts.stepMs ?? 10})),
  })
  const reset = bench.reset
  return Object.assign(bench, {
    eb: eb!,
    async reset() {
      await eb!.reset()
      await reset()
    },
  })
}

/**
 * The full bench and the environment a CLI child process needs to reach it, for a test file's before() hook.
 * EBWS_POLL_MS: waits for Ready poll every 25 ms rather than every few seconds (the EB fake steps every 10 ms).
 */
export async function startCliBench(
  opts: {stepMs?: number} = {},
): Promise<{bench: FullBench; env: Record<string, string>}> {
  const bench = await startFullBench(opts)
  return {bench, env: {...benchProcessEnv(bench), EBWS_POLL_MS: '25'}}
}

export type Setting = [namespace: string, option: string, value: string]

export interface ScenarioSpec {
  environment?: string
  application?: string
  loadBalancerType?: 'classic' | 'application' | 'network'
  environmentType?: 'LoadBalanced' | 'SingleInstance'
  status?: 'Ready' | 'Updating' | 'Launching'
  /** Certificates to create first (in the bench region unless they name another). */
  certificates?: Array<CertOptions & {region?: string}>
  /** The environment's option settings; the EB fake builds the CLB from them. */
  settings?: (certs: BenchCertificate[]) => Setting[]
  /** Out-of-band changes made straight on the CLB after the environment exists (live state != settings). */
  live?: (elb: ElasticLoadBalancingClient, loadBalancerName: string, certs: BenchCertificate[]) => Promise<void>
}

export interface Scenario {
  environmentName: string
  applicationName: string
  loadBalancerName: string
  certificates: BenchCertificate[]
  /** An ELB client straight to moto (no faults), for reading state back. */
  elb: ElasticLoadBalancingClient
}

export function directElb(bench: Bench): ElasticLoadBalancingClient {
  return new ElasticLoadBalancingClient({
    region: bench.region,
    endpoint: bench.direct.moto,
    credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'},
  })
}

let counter = 0

export async function createScenario(bench: FullBench, spec: ScenarioSpec = {}): Promise<Scenario> {
  const certificates: BenchCertificate[] = []
  for (const c of spec.certificates ?? [])
    certificates.push(await createCertificate({endpoint: bench.direct.moto, region: c.region ?? bench.region, ...c}))
  const environmentName = spec.environment ?? `ws-env-${++counter}`
  const applicationName = spec.application ?? 'ws-app'
  const settings = (spec.settings?.(certificates) ?? []).map(([Namespace, OptionName, Value]) => ({
    Namespace,
    OptionName,
    Value,
  }))
  const env = await bench.eb.createEnvironment({
    name: environmentName,
    application: applicationName,
    loadBalancerType: spec.loadBalancerType ?? 'classic',
    environmentType: spec.environmentType ?? 'LoadBalanced',
    status: spec.status ?? 'Ready',
    optionSettings: settings,
  })
  const elb = directElb(bench)
  const loadBalancerName = env.loadBalancerName ?? ''
  if (spec.live) await spec.live(elb, loadBalancerName, certificates)
  return {environmentName, applicationName, loadBalancerName, certificates, elb}
}

/** Listener settings for the layouts tests start from, written out by hand (not with the code under test). */
export const LAYOUT_SETTINGS = {
  websocket: (cert: string): Setting[] => [
    ['aws:elb:listener:443', 'ListenerProtocol', 'SSL'],
    ['aws:elb:listener:443', 'InstancePort', '80'],
    ['aws:elb:listener:443', 'InstanceProtocol', 'TCP'],
    ['aws:elb:listener:443', 'SSLCertificateId', cert],
    ['aws:elb:policies:tls', 'SSLReferencePolicy', 'ELBSecurityPolicy-TLS-1-2-2017-01'],
    ['aws:elb:policies:tls', 'LoadBalancerPorts', '443'],
  ],
  http: (cert: string): Setting[] => [
    ['aws:elb:listener:443', 'ListenerProtocol', 'HTTPS'],
    ['aws:elb:listener:443', 'InstancePort', '80'],
    ['aws:elb:listener:443', 'InstanceProtocol', 'HTTP'],
    ['aws:elb:listener:443', 'SSLCertificateId', cert],
  ],
  tcp80: (): Setting[] => [
    ['aws:elb:listener', 'ListenerProtocol', 'TCP'],
    ['aws:elb:listener', 'InstanceProtocol', 'TCP'],
  ],
  extraPorts: (): Setting[] => [
    ['aws:elb:listener:8080', 'ListenerProtocol', 'HTTP'],
    ['aws:elb:listener:8080', 'InstancePort', '8080'],
  ],
}
