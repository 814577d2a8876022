import type {LoadBalancerState} from '../../../src/elb/model.ts'
import type {ElbOperation} from '../../../src/listeners/plan.ts'

/**
 * A small in-memory model of the CLB write calls, for planner tests only: it applies operations the way the ELB
 * API does (replace-whole-list semantics, DuplicateListener, a new secure listener gets the default SSL policy).
 * The integration tests check the same plans against moto.
 */
export function applyOperation(state: LoadBalancerState, op: ElbOperation): LoadBalancerState {
  const s: LoadBalancerState = structuredClone(state)
  switch (op.kind) {
    case 'createPolicy':
      if (s.policies.some((p) => p.name === op.policy.name)) throw new Error(`DuplicatePolicyName ${op.policy.name}`)
      s.policies.push(op.policy)
      return s
    case 'createListeners':
      for (const l of op.listeners) {
        if (s.listeners.some((x) => x.loadBalancerPort === l.loadBalancerPort))
          throw new Error(`DuplicateListener ${l.loadBalancerPort}`)
        s.listeners.push({
          ...l,
          policyNames: l.protocol === 'SSL' || l.protocol === 'HTTPS' ? ['ELBSecurityPolicy-2016-08'] : [],
        })
      }
      return s
    case 'deleteListeners':
      s.listeners = s.listeners.filter((l) => !op.ports.includes(l.loadBalancerPort))
      return s
    case 'setListenerCertificate': {
      const l = s.listeners.find((x) => x.loadBalancerPort === op.port)
      if (!l) throw new Error(`ListenerNotFound ${op.port}`)
      l.sslCertificateId = op.certificateArn
      return s
    }
    case 'setListenerPolicies': {
      const l = s.listeners.find((x) => x.loadBalancerPort === op.port)
      if (!l) throw new Error(`ListenerNotFound ${op.port}`)
      for (const n of op.policyNames) if (!s.policies.some((p) => p.name === n)) throw new Error(`PolicyNotFound ${n}`)
      l.policyNames = [...op.policyNames]
      return s
    }
    case 'setBackendPolicies':
      for (const n of op.policyNames) if (!s.policies.some((p) => p.name === n)) throw new Error(`PolicyNotFound ${n}`)
      s.backendPolicies = [
        ...s.backendPolicies.filter((b) => b.instancePort !== op.instancePort),
        ...(op.policyNames.length > 0 ? [{instancePort: op.instancePort, policyNames: [...op.policyNames]}] : []),
      ]
      return s
    case 'configureHealthCheck':
      s.healthCheck = op.healthCheck
      return s
    case 'setIdleTimeout':
      s.idleTimeoutSeconds = op.seconds
      return s
    case 'deletePolicy':
      s.policies = s.policies.filter((p) => p.name !== op.name)
      return s
  }
}
