import type {AwsClients} from '../aws/clients.ts'
import {awsCall} from '../aws/errors.ts'
import type {Listener} from './model.ts'
import type {ElbOperation, PlanStep} from '../listeners/plan.ts'
import {planWaves} from '../listeners/plan.ts'

export class StepFailedError extends Error {
  readonly step: PlanStep
  readonly completed: PlanStep[]
  constructor(step: PlanStep, cause: unknown, completed: PlanStep[]) {
    super(`${step.description} failed: ${(cause as Error)?.message ?? String(cause)}`, {cause})
    this.name = 'StepFailedError'
    this.step = step
    this.completed = completed
  }
}

const toSdkListener = (l: Listener) => ({
  Protocol: l.protocol,
  LoadBalancerPort: l.loadBalancerPort,
  InstanceProtocol: l.instanceProtocol,
  InstancePort: l.instancePort,
  ...(l.sslCertificateId ? {SSLCertificateId: l.sslCertificateId} : {}),
})

/** The IAM action each operation needs, for error messages. */
export const actionOf = (op: ElbOperation): string =>
  `elasticloadbalancing:${
    {
      createPolicy: 'CreateLoadBalancerPolicy',
      createListeners: 'CreateLoadBalancerListeners',
      deleteListeners: 'DeleteLoadBalancerListeners',
      setListenerCertificate: 'SetLoadBalancerListenerSSLCertificate',
      setListenerPolicies: 'SetLoadBalancerPoliciesOfListener',
      setBackendPolicies: 'SetLoadBalancerPoliciesForBackendServer',
      configureHealthCheck: 'ConfigureHealthCheck',
      setIdleTimeout: 'ModifyLoadBalancerAttributes',
      deletePolicy: 'DeleteLoadBalancerPolicy',
    }[op.kind]
  }`

async function runOperation(clients: AwsClients, loadBalancerName: string, op: ElbOperation): Promise<void> {
  const elb = await clients.elb()
  const sdk = await import('@aws-sdk/client-elastic-load-balancing')
  const LoadBalancerName = loadBalancerName
  const call = <T>(request: () => Promise<T>): Promise<T> => awsCall(actionOf(op), request)
  switch (op.kind) {
    case 'createPolicy':
      // LBCookieStickinessPolicyType has its own API; the others go through CreateLoadBalancerPolicy.
      if (op.policy.typeName === 'LBCookieStickinessPolicyType') {
        const period = Number(op.policy.attributes.find((a) => a.name === 'CookieExpirationPeriod')?.value ?? '0')
        await call(() => elb.send(new sdk.CreateLBCookieStickinessPolicyCommand({LoadBalancerName, PolicyName: op.policy.name, ...(period > 0 ? {CookieExpirationPeriod: period} : {})})))
        return
      }
      await call(() => elb.send(new sdk.CreateLoadBalancerPolicyCommand({
          LoadBalancerName,
          PolicyName: op.policy.name,
          PolicyTypeName: op.policy.typeName,
          PolicyAttributes: op.policy.attributes.map((a) => ({AttributeName: a.name, AttributeValue: a.value})),
        }),
      ))
      return
    case 'createListeners':
      await call(() => elb.send(new sdk.CreateLoadBalancerListenersCommand({LoadBalancerName, Listeners: op.listeners.map(toSdkListener)})))
      return
    case 'deleteListeners':
      await call(() => elb.send(new sdk.DeleteLoadBalancerListenersCommand({LoadBalancerName, LoadBalancerPorts: op.ports})))
      return
    case 'setListenerCertificate':
      await call(() => elb.send(new sdk.SetLoadBalancerListenerSSLCertificateCommand({LoadBalancerName, LoadBalancerPort: op.port, SSLCertificateId: op.certificateArn})))
      return
    case 'setListenerPolicies':
      await call(() => elb.send(new sdk.SetLoadBalancerPoliciesOfListenerCommand({LoadBalancerName, LoadBalancerPort: op.port, PolicyNames: op.policyNames})))
      return
    case 'setBackendPolicies':
      await call(() => elb.send(new sdk.SetLoadBalancerPoliciesForBackendServerCommand({LoadBalancerName, InstancePort: op.instancePort, PolicyNames: op.policyNames})))
      return
    case 'configureHealthCheck': {
      const h = op.healthCheck
      await call(() => elb.send(new sdk.ConfigureHealthCheckCommand({
          LoadBalancerName,
          HealthCheck: {Target: h.target, Interval: h.intervalSeconds, Timeout: h.timeoutSeconds, HealthyThreshold: h.healthyThreshold, UnhealthyThreshold: h.unhealthyThreshold},
        }),
      ))
      return
    }
    case 'setIdleTimeout':
      await call(() => elb.send(new sdk.ModifyLoadBalancerAttributesCommand({LoadBalancerName, LoadBalancerAttributes: {ConnectionSettings: {IdleTimeout: op.seconds}}})))
      return
    case 'deletePolicy':
      await call(() => elb.send(new sdk.DeleteLoadBalancerPolicyCommand({LoadBalancerName, PolicyName: op.name})))
      return
  }
}

/**
 * Runs a plan wave by wave: a wave's steps concurrently, waves in order. Stops at the first failure (after the SDK's
 * own retries) once the wave's other steps have settled, and reports what had completed.
 */
export async function executePlan(
  clients: AwsClients,
  loadBalancerName: string,
  steps: PlanStep[],
  hooks: {onStep?: (step: PlanStep, state: 'start' | 'done') => void} = {},
): Promise<PlanStep[]> {
  const completed: PlanStep[] = []
  for (const wave of planWaves(steps)) {
    const results = await Promise.allSettled(
      wave.map(async (step) => {
        hooks.onStep?.(step, 'start')
        await runOperation(clients, loadBalancerName, step.op)
        completed.push(step)
        hooks.onStep?.(step, 'done')
      }),
    )
    const failed = results.findIndex((r) => r.status === 'rejected')
    if (failed >= 0) throw new StepFailedError(wave[failed]!, (results[failed] as PromiseRejectedResult).reason, completed)
  }
  return completed
}

const q = (s: string) => (/^[A-Za-z0-9_.:/=,-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`)

/** The same operation as an `aws elb` command line, for manual recovery and for people who want to see it. */
export function awsCliCommand(loadBalancerName: string, region: string, op: ElbOperation): string {
  const base = `aws elb --region ${region}`
  const lb = `--load-balancer-name ${q(loadBalancerName)}`
  const listener = (l: Listener) =>
    `Protocol=${l.protocol},LoadBalancerPort=${l.loadBalancerPort},InstanceProtocol=${l.instanceProtocol},InstancePort=${l.instancePort}${l.sslCertificateId ? `,SSLCertificateId=${l.sslCertificateId}` : ''}`
  switch (op.kind) {
    case 'createPolicy':
      if (op.policy.typeName === 'LBCookieStickinessPolicyType') return `${base} create-lb-cookie-stickiness-policy ${lb} --policy-name ${q(op.policy.name)}`
      return `${base} create-load-balancer-policy ${lb} --policy-name ${q(op.policy.name)} --policy-type-name ${op.policy.typeName} --policy-attributes ${op.policy.attributes.map((a) => `AttributeName=${q(a.name)},AttributeValue=${q(a.value)}`).join(' ')}`
    case 'createListeners':
      return `${base} create-load-balancer-listeners ${lb} --listeners ${op.listeners.map(listener).join(' ')}`
    case 'deleteListeners':
      return `${base} delete-load-balancer-listeners ${lb} --load-balancer-ports ${op.ports.join(' ')}`
    case 'setListenerCertificate':
      return `${base} set-load-balancer-listener-ssl-certificate ${lb} --load-balancer-port ${op.port} --ssl-certificate-id ${op.certificateArn}`
    case 'setListenerPolicies':
      return `${base} set-load-balancer-policies-of-listener ${lb} --load-balancer-port ${op.port} --policy-names ${op.policyNames.map(q).join(' ') || '[]'}`
    case 'setBackendPolicies':
      return `${base} set-load-balancer-policies-for-backend-server ${lb} --instance-port ${op.instancePort} --policy-names ${op.policyNames.map(q).join(' ') || '[]'}`
    case 'configureHealthCheck': {
      const h = op.healthCheck
      return `${base} configure-health-check ${lb} --health-check Target=${q(h.target)},Interval=${h.intervalSeconds},Timeout=${h.timeoutSeconds},HealthyThreshold=${h.healthyThreshold},UnhealthyThreshold=${h.unhealthyThreshold}`
    }
    case 'setIdleTimeout':
      return `${base} modify-load-balancer-attributes ${lb} --load-balancer-attributes '{"ConnectionSettings":{"IdleTimeout":${op.seconds}}}'`
    case 'deletePolicy':
      return `${base} delete-load-balancer-policy ${lb} --policy-name ${q(op.name)}`
  }
}
