import type {AwsClients} from '../aws/clients.ts'
import {awsCall, describeAwsError, isRetryable} from '../aws/errors.ts'
import type {ElbOperation, Listener, PlanStep} from './model.ts'

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
  const sdk = await import('../aws/sdk/elb.ts')
  const LoadBalancerName = loadBalancerName
  const call = <T>(request: () => Promise<T>): Promise<T> => awsCall(actionOf(op), request)
  switch (op.kind) {
    case 'createPolicy':
      // LBCookieStickinessPolicyType has its own API; the others go through CreateLoadBalancerPolicy.
      if (op.policy.typeName === 'LBCookieStickinessPolicyType') {
        const period = Number(op.policy.attributes.find((a) => a.name === 'CookieExpirationPeriod')?.value ?? '0')
        await call(() =>
          elb.send(
            new sdk.CreateLBCookieStickinessPolicyCommand({
              LoadBalancerName,
              PolicyName: op.policy.name,
              ...(period > 0 ? {CookieExpirationPeriod: period} : {}),
            }),
          ),
        )
        return
      }
      await call(() =>
        elb.send(
          new sdk.CreateLoadBalancerPolicyCommand({
            LoadBalancerName,
            PolicyName: op.policy.name,
            PolicyTypeName: op.policy.typeName,
            PolicyAttributes: op.policy.attributes.map((a) => ({AttributeName: a.name, AttributeValue: a.value})),
          }),
        ),
      )
      return
    case 'createListeners':
      await call(() =>
        elb.send(
          new sdk.CreateLoadBalancerListenersCommand({LoadBalancerName, Listeners: op.listeners.map(toSdkListener)}),
        ),
      )
      return
    case 'deleteListeners':
      await call(() =>
        elb.send(new sdk.DeleteLoadBalancerListenersCommand({LoadBalancerName, LoadBalancerPorts: op.ports})),
      )
      return
    case 'setListenerCertificate':
      await call(() =>
        elb.send(
          new sdk.SetLoadBalancerListenerSSLCertificateCommand({
            LoadBalancerName,
            LoadBalancerPort: op.port,
            SSLCertificateId: op.certificateArn,
          }),
        ),
      )
      return
    case 'setListenerPolicies':
      await call(() =>
        elb.send(
          new sdk.SetLoadBalancerPoliciesOfListenerCommand({
            LoadBalancerName,
            LoadBalancerPort: op.port,
            PolicyNames: op.policyNames,
          }),
        ),
      )
      return
    case 'setBackendPolicies':
      await call(() =>
        elb.send(
          new sdk.SetLoadBalancerPoliciesForBackendServerCommand({
            LoadBalancerName,
            InstancePort: op.instancePort,
            PolicyNames: op.policyNames,
          }),
        ),
      )
      return
    case 'configureHealthCheck': {
      const h = op.healthCheck
      await call(() =>
        elb.send(
          new sdk.ConfigureHealthCheckCommand({
            LoadBalancerName,
            HealthCheck: {
              Target: h.target,
              Interval: h.intervalSeconds,
              Timeout: h.timeoutSeconds,
              HealthyThreshold: h.healthyThreshold,
              UnhealthyThreshold: h.unhealthyThreshold,
            },
          }),
        ),
      )
      return
    }
    case 'setIdleTimeout':
      await call(() =>
        elb.send(
          new sdk.ModifyLoadBalancerAttributesCommand({
            LoadBalancerName,
            LoadBalancerAttributes: {ConnectionSettings: {IdleTimeout: op.seconds}},
          }),
        ),
      )
      return
    case 'deletePolicy':
      await call(() => elb.send(new sdk.DeleteLoadBalancerPolicyCommand({LoadBalancerName, PolicyName: op.name})))
      return
  }
}

/** Raised when a stop was requested (a signal): no new step was started; the ones in flight finished. */
export class PlanStoppedError extends Error {
  readonly completed: PlanStep[]
  constructor(completed: PlanStep[]) {
    super('stopped before the plan was complete')
    this.name = 'PlanStoppedError'
    this.completed = completed
  }
}

export interface ExecuteHooks {
  onStep?: (step: PlanStep, state: 'start' | 'done') => void
  /** Asked before each step starts; true: start no new step (in-flight ones and re-creates of deleted ports finish). */
  shouldStop?: () => boolean
}

/**
 * A re-create: a createListeners step that puts back a port a deleteListeners step it depends on took down. Once
 * that delete is done the port is down, so the re-create runs at once, whatever else happens (a failure elsewhere,
 * a signal), and retries throttling quickly (recreateListeners).
 */
function recreatedAfter(step: PlanStep, byId: Map<string, PlanStep>): PlanStep | undefined {
  if (step.op.kind !== 'createListeners') return undefined
  const ports = new Set(step.op.listeners.map((l) => l.loadBalancerPort))
  return step.dependsOn
    .map((d) => byId.get(d))
    .find((d) => d?.op.kind === 'deleteListeners' && d.op.ports.some((p) => ports.has(p)))
}

/**
 * Runs a plan as a dependency graph: each step starts as soon as the steps it depends on are done (not wave by
 * wave, so a throttled call never holds back an unrelated one: a deleted port's re-create follows its delete
 * directly). After the first failure (after the SDK's own retries) or a stop request no new step starts, except the
 * re-create of a port already deleted; once the steps in flight settle, it reports what had completed.
 */
export async function executePlan(
  clients: AwsClients,
  loadBalancerName: string,
  steps: PlanStep[],
  hooks: ExecuteHooks = {},
): Promise<PlanStep[]> {
  const byId = new Map(steps.map((s) => [s.id, s]))
  const completed: PlanStep[] = []
  const done = new Set<string>()
  const started = new Set<string>()
  const inFlight = new Set<Promise<void>>()
  let failure: {step: PlanStep; error: unknown} | undefined
  let stopped = false
  const launch = (step: PlanStep, urgent: boolean) => {
    started.add(step.id)
    hooks.onStep?.(step, 'start')
    const run =
      urgent && step.op.kind === 'createListeners'
        ? recreateListeners(clients, loadBalancerName, step.op)
        : runOperation(clients, loadBalancerName, step.op)
    const p: Promise<void> = run
      .then(
        () => {
          done.add(step.id)
          completed.push(step)
          hooks.onStep?.(step, 'done')
        },
        (error: unknown) => {
          failure ??= {step, error}
        },
      )
      .finally(() => inFlight.delete(p))
    inFlight.add(p)
  }
  for (;;) {
    if (!failure && !stopped && hooks.shouldStop?.()) stopped = true
    for (const step of steps) {
      if (started.has(step.id) || !step.dependsOn.every((d) => done.has(d) || !byId.has(d))) continue
      const urgent = recreatedAfter(step, byId) !== undefined
      if ((failure || stopped) && !urgent) continue
      launch(step, urgent)
    }
    if (inFlight.size === 0) break
    await Promise.race(inFlight)
  }
  if (failure) throw new StepFailedError(failure.step, failure.error, completed)
  if (completed.length < steps.length) throw new PlanStoppedError(completed)
  return completed
}

// Short, bounded backoff for a re-create: the port is down while we wait, so no long exponential sleeps and no
// client-side rate limiting (the adaptive retry mode's token bucket, which a throttled call elsewhere would drain).
const RECREATE_DELAYS_MS = [25, 50, 100, 200, 250]
const RECREATE_BUDGET_MS = 15_000

async function recreateListeners(
  clients: AwsClients,
  loadBalancerName: string,
  op: Extract<ElbOperation, {kind: 'createListeners'}>,
): Promise<void> {
  const elb = await clients.elbUrgent()
  const {CreateLoadBalancerListenersCommand} = await import('../aws/sdk/elb.ts')
  const startedAt = Date.now()
  for (let attempt = 0; ; attempt++) {
    try {
      await elb.send(
        new CreateLoadBalancerListenersCommand({
          LoadBalancerName: loadBalancerName,
          Listeners: op.listeners.map(toSdkListener),
        }),
      )
      return
    } catch (error) {
      const delay =
        (RECREATE_DELAYS_MS[Math.min(attempt, RECREATE_DELAYS_MS.length - 1)] ?? 250) * (0.5 + Math.random() / 2)
      if (!isRetryable(error) || Date.now() - startedAt + delay > RECREATE_BUDGET_MS)
        throw describeAwsError(error, actionOf(op))
      await new Promise((r) => setTimeout(r, delay))
    }
  }
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
      if (op.policy.typeName === 'LBCookieStickinessPolicyType')
        return `${base} create-lb-cookie-stickiness-policy ${lb} --policy-name ${q(op.policy.name)}`
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
