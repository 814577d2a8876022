/**
 * The ebws library (`import ... from 'ebws'`): the HTTP -> HTTPS redirect and PROXY protocol module for apps behind
 * a Classic Load Balancer (also `ebws/redirect`), and the pure listener planner and verdict the CLI is built on.
 * AWS access, bundling and the commands stay internal; the CLI is the interface to them.
 */
export * from './redirect/index.ts'
export {classifyLayout, judgeListeners} from './listeners/verdict.ts'
export type {DriftItem, Finding, Severity, Verdict} from './listeners/verdict.ts'
export {desiredStateFor, planListenerChanges, planReconcile, planWaves, unmetExpectations} from './listeners/plan.ts'
export type {DesiredState, ElbOperation, ListenerIntent, ListenerPlan, PlanStep} from './listeners/plan.ts'
export type {LayoutMode, LayoutPorts} from './listeners/modes.ts'
export type {
  BackendServerPolicies,
  CertificateInfo,
  HealthCheck,
  Listener,
  LoadBalancerState,
  Policy,
} from './elb/model.ts'
