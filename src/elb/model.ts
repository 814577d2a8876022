/**
 * What we know about a Classic Load Balancer, in our own terms: plain data, no SDK types, so planners and
 * verdicts are pure functions over it and tests can write it by hand.
 * Field meanings follow the ELB API reference: https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/
 */

export type ListenerProtocol = 'HTTP' | 'HTTPS' | 'TCP' | 'SSL'

export interface Listener {
  loadBalancerPort: number
  protocol: ListenerProtocol
  instancePort: number
  instanceProtocol: ListenerProtocol
  /** ARN of the ACM (or IAM) server certificate, for HTTPS and SSL listeners. */
  sslCertificateId?: string | undefined
  /** Policies attached to this listener (for HTTPS/SSL: the SSL negotiation policy). */
  policyNames: string[]
}

export interface BackendServerPolicies {
  instancePort: number
  policyNames: string[]
}

export interface PolicyAttribute {
  name: string
  value: string
}

export interface Policy {
  name: string
  /** e.g. SSLNegotiationPolicyType, ProxyProtocolPolicyType, LBCookieStickinessPolicyType */
  typeName: string
  attributes: PolicyAttribute[]
}

export interface HealthCheck {
  /** e.g. HTTP:80/healthz or TCP:80 */
  target: string
  intervalSeconds: number
  timeoutSeconds: number
  healthyThreshold: number
  unhealthyThreshold: number
}

export interface LoadBalancerState {
  name: string
  dnsName?: string | undefined
  listeners: Listener[]
  backendPolicies: BackendServerPolicies[]
  /** Policies defined on the load balancer (attached or not). */
  policies: Policy[]
  healthCheck?: HealthCheck | undefined
  /** ConnectionSettings.IdleTimeout from DescribeLoadBalancerAttributes; CLB default is 60 s. */
  idleTimeoutSeconds?: number | undefined
  crossZone?: boolean | undefined
  connectionDrainingEnabled?: boolean | undefined
}

export type CertificateKeyAlgorithm =
  'RSA_1024' | 'RSA_2048' | 'RSA_3072' | 'RSA_4096' | 'EC_prime256v1' | 'EC_secp384r1' | 'EC_secp521r1' | string

export interface CertificateInfo {
  arn: string
  domainName?: string | undefined
  subjectAlternativeNames: string[]
  /** ACM status: ISSUED, PENDING_VALIDATION, EXPIRED, ... */
  status?: string | undefined
  notBefore?: string | undefined
  notAfter?: string | undefined
  keyAlgorithm?: CertificateKeyAlgorithm | undefined
  /** AMAZON_ISSUED, IMPORTED, PRIVATE */
  type?: string | undefined
  inUseBy: string[]
  /** Set when the certificate could not be described (not found, other region, not ACM, no permission). */
  lookupError?: string | undefined
}

export const SECURE_PROTOCOLS: ReadonlySet<ListenerProtocol> = new Set(['HTTPS', 'SSL'])
export const isSecure = (p: ListenerProtocol): boolean => SECURE_PROTOCOLS.has(p)
export const isLayer7 = (p: ListenerProtocol): boolean => p === 'HTTP' || p === 'HTTPS'

/** One change to a CLB, as the planner (src/listeners/plan.ts) emits it and the executor (apply-plan.ts) runs it. */
export type ElbOperation =
  | {kind: 'createPolicy'; policy: Policy}
  | {kind: 'createListeners'; listeners: Listener[]}
  | {kind: 'deleteListeners'; ports: number[]}
  | {kind: 'setListenerCertificate'; port: number; certificateArn: string}
  | {kind: 'setListenerPolicies'; port: number; policyNames: string[]}
  | {kind: 'setBackendPolicies'; instancePort: number; policyNames: string[]}
  | {kind: 'configureHealthCheck'; healthCheck: HealthCheck}
  | {kind: 'setIdleTimeout'; seconds: number}
  | {kind: 'deletePolicy'; name: string}

export interface PlanStep {
  id: string
  op: ElbOperation
  /** Steps that must finish before this one starts. */
  dependsOn: string[]
  /** One line for people. */
  description: string
}

/**
 * ACM certificates that a Classic Load Balancer cannot use: CLBs take RSA keys of up to 2048 bits, not ECDSA and
 * not RSA 4096 (https://docs.aws.amazon.com/acm/latest/userguide/import-certificate-prerequisites.html: "ACM
 * integrated services allow only the algorithms and key sizes that they support").
 */
export function clbKeyProblem(keyAlgorithm: string | undefined): string | undefined {
  if (!keyAlgorithm) return undefined
  if (keyAlgorithm.startsWith('EC_'))
    return `its key is ECDSA (${keyAlgorithm}); Classic Load Balancers accept RSA keys only`
  if (keyAlgorithm === 'RSA_4096' || keyAlgorithm === 'RSA_3072')
    return `its key is ${keyAlgorithm.replace('_', ' ')}; Classic Load Balancers accept RSA keys of up to 2048 bits`
  return undefined
}
