// The ALB planner: pure, from the observed load balancer and the intent to the ordered live operations and the
// durable option settings. No AWS imports; unit-tested without servers.
import type {OptionSetting} from '../../environment/describe.ts'
import {SOCKET_IO_PING_INTERVAL_S, SOCKET_IO_PING_TIMEOUT_S} from '../../listeners/verdict.ts'
import type {Elbv2State, RedirectTarget, V2Action, V2TargetGroup} from './model.ts'
import {HTTPS_REDIRECT, isRedirectToHttps, listenerNamespace, processNamespace, targetGroupOf} from './model.ts'
import type {SharedContext} from './shared-plan.ts'
import {planSharedAlb, planSharedRestore, sharedAlbOptionSettings} from './shared-plan.ts'

export type AlbOp =
  | {
      kind: 'create-listener'
      port: number
      protocol: 'HTTPS'
      certificateArn: string
      sslPolicy: string
      defaultActions: V2Action[]
      /** Shared ALB: this environment's rules, created on the new listener right after it. */
      rules?: NewRule[] | undefined
    }
  | {
      kind: 'modify-listener'
      listenerArn: string
      port: number
      protocol?: string | undefined
      certificateArn?: string | undefined
      sslPolicy?: string | undefined
      defaultActions?: V2Action[] | undefined
    }
  | {kind: 'delete-listener'; listenerArn: string; port: number}
  | {kind: 'target-group-attributes'; targetGroupArn: string; attributes: Record<string, string>}
  | {kind: 'load-balancer-attributes'; attributes: Record<string, string>}
  // Shared ALB: this environment's own listener rules, and extra (SNI) certificates on a shared listener.
  | ({kind: 'create-rule'; listenerArn: string; port: number} & NewRule)
  | {kind: 'modify-rule'; ruleArn: string; port: number; actions: V2Action[]}
  | {kind: 'delete-rule'; ruleArn: string; port: number}
  | {kind: 'add-listener-certificates'; listenerArn: string; port: number; certificateArns: string[]}
  | {kind: 'remove-listener-certificates'; listenerArn: string; port: number; certificateArns: string[]}

/** A listener rule matching host names only (how ebws scopes a rule to one environment on a shared ALB). */
export interface NewRule {
  priority: number
  hosts: string[]
  actions: V2Action[]
}

export interface AlbStep {
  id: string
  description: string
  op: AlbOp
}

export interface AlbIntent {
  certificateArn: string
  sslPolicy: string
  redirect: 'lb' | 'app'
  stickiness: boolean
  idleTimeoutSeconds?: number | undefined
  /** Set on a shared ALB: the planner changes this environment's rules instead of the listeners (shared-plan.ts). */
  shared?: SharedContext | undefined
}

export class AlbPlanError extends Error {
  readonly code: 'UNSAFE_CHANGE' | 'LB_TYPE_UNSUPPORTED'
  readonly hints: string[]
  constructor(code: 'UNSAFE_CHANGE' | 'LB_TYPE_UNSUPPORTED', message: string, hints: string[] = []) {
    super(message)
    this.code = code
    this.hints = hints
  }
}

/** Socket.io pings every 25 s and waits 20 s: an idle timeout below 45 s cuts idle WebSockets. 60 s is the ALB default. */
export const MIN_IDLE_TIMEOUT_S = SOCKET_IO_PING_INTERVAL_S + SOCKET_IO_PING_TIMEOUT_S
export const RAISED_IDLE_TIMEOUT_S = 60

const sameActions = (a: V2Action[], b: V2Action[]) => JSON.stringify(a.map(key)) === JSON.stringify(b.map(key))
const key = (a: V2Action) => ({
  type: a.type,
  tg: a.type === 'forward' ? a.targetGroupArn : undefined,
  redirect: a.type === 'redirect' ? a.redirect : undefined,
})
const redirectAction = (r: RedirectTarget): V2Action => ({type: 'redirect', redirect: r})

/** The idle timeout to set, if any: an explicit one, or 60 s when the live one is too low for Socket.io. */
export function idleTimeoutTarget(state: Elbv2State, intent: AlbIntent): number | undefined {
  if (intent.idleTimeoutSeconds !== undefined) return intent.idleTimeoutSeconds
  if ((state.idleTimeoutSeconds ?? 60) < MIN_IDLE_TIMEOUT_S) return RAISED_IDLE_TIMEOUT_S
  return undefined
}

/**
 * The live operations that bring a dedicated ALB to: HTTPS 443 forwarding to the default process with the
 * certificate and policy; port 80 redirecting to HTTPS:443 (HTTP_301, host/path/query kept) unless --redirect app;
 * stickiness on the default process's target group when asked; the idle timeout when too low. Refuses what cannot
 * work: no port-80 listener, custom rules on port 80 (their requests would skip the redirect), no default process.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html#redirect-actions
 */
export function planAlb(state: Elbv2State, intent: AlbIntent): AlbStep[] {
  if (intent.shared) return planSharedAlb(state, {...intent, shared: intent.shared}).steps
  const tg = targetGroupOf(state)
  if (!tg)
    throw new AlbPlanError(
      'UNSAFE_CHANGE',
      "No target group serves the environment's default process, so there is nothing for HTTPS 443 to forward to.",
      ['Check the environment in the Beanstalk console; rebuilding it restores the default process.'],
    )
  const l80 = state.listeners.find((l) => l.port === 80)
  if (!l80) {
    throw new AlbPlanError(
      'UNSAFE_CHANGE',
      'The load balancer has no listener on port 80, so there is nothing to redirect http:// from.',
      [
        'Enable it first (aws:elbv2:listener:default ListenerEnabled true), or pass --redirect app if port 80 stays closed on purpose.',
      ],
    )
  }
  if (intent.redirect === 'lb' && l80.rules.length > 0) {
    throw new AlbPlanError(
      'UNSAFE_CHANGE',
      `Port 80 has ${l80.rules.length} custom listener rule${l80.rules.length === 1 ? '' : 's'} (priorities ${l80.rules.map((r) => r.priority).join(', ')}): requests they match would never be redirected.`,
      [
        'Remove or move those rules to 443 first, or pass --redirect app to keep port 80 forwarding (the app redirects by X-Forwarded-Proto).',
      ],
    )
  }
  const steps: AlbStep[] = []
  const forward: V2Action[] = [{type: 'forward', targetGroupArn: tg.arn}]
  const l443 = state.listeners.find((l) => l.port === 443)
  if (!l443) {
    steps.push({
      id: 'create-443',
      description: `create HTTPS 443 -> ${tg.name} (certificate ${intent.certificateArn.split('/').at(-1)}, ${intent.sslPolicy})`,
      op: {
        kind: 'create-listener',
        port: 443,
        protocol: 'HTTPS',
        certificateArn: intent.certificateArn,
        sslPolicy: intent.sslPolicy,
        defaultActions: forward,
      },
    })
  } else if (
    l443.protocol !== 'HTTPS' ||
    l443.certificateArn !== intent.certificateArn ||
    l443.sslPolicy !== intent.sslPolicy ||
    !sameActions(l443.defaultActions, forward)
  ) {
    steps.push({
      id: 'modify-443',
      description: `set HTTPS 443 -> ${tg.name} (certificate ${intent.certificateArn.split('/').at(-1)}, ${intent.sslPolicy})`,
      op: {
        kind: 'modify-listener',
        listenerArn: l443.arn,
        port: 443,
        protocol: 'HTTPS',
        certificateArn: intent.certificateArn,
        sslPolicy: intent.sslPolicy,
        defaultActions: forward,
      },
    })
  }
  if (intent.redirect === 'lb' && !isRedirectToHttps(l80.defaultActions[0])) {
    steps.push({
      id: 'redirect-80',
      description: 'port 80: redirect to https://#{host}:443/#{path}?#{query} (301)',
      op: {kind: 'modify-listener', listenerArn: l80.arn, port: 80, defaultActions: [redirectAction(HTTPS_REDIRECT)]},
    })
  }
  if (intent.redirect === 'app' && !sameActions(l80.defaultActions, forward)) {
    steps.push({
      id: 'forward-80',
      description: `port 80: forward to ${tg.name} (the app redirects)`,
      op: {kind: 'modify-listener', listenerArn: l80.arn, port: 80, defaultActions: forward},
    })
  }
  steps.push(...stickinessSteps(tg, intent))
  const idle = idleTimeoutTarget(state, intent)
  if (idle !== undefined && idle !== state.idleTimeoutSeconds) {
    steps.push({
      id: 'idle-timeout',
      description: `set the idle timeout to ${idle} s`,
      op: {kind: 'load-balancer-attributes', attributes: {'idle_timeout.timeout_seconds': String(idle)}},
    })
  }
  return steps
}

/**
 * The option settings that make it durable (Beanstalk rebuilds listeners from them on every environment update):
 * aws:elbv2:listener:443, the default process's stickiness, aws:elbv2:loadbalancer IdleTimeout.
 * https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/command-options-general.html#command-options-general-elbv2-listener
 * The port-80 redirect has no option setting: see ebextensionsOverride.
 */
export function albOptionSettings(state: Elbv2State, intent: AlbIntent): OptionSetting[] {
  if (intent.shared) return sharedAlbOptionSettings(intent)
  const ns = listenerNamespace(443)
  const out: OptionSetting[] = [
    {namespace: ns, optionName: 'ListenerEnabled', value: 'true'},
    {namespace: ns, optionName: 'Protocol', value: 'HTTPS'},
    {namespace: ns, optionName: 'SSLCertificateArns', value: intent.certificateArn},
    {namespace: ns, optionName: 'SSLPolicy', value: intent.sslPolicy},
    {namespace: ns, optionName: 'DefaultProcess', value: 'default'},
  ]
  if (intent.stickiness) {
    out.push(
      {namespace: processNamespace('default'), optionName: 'StickinessEnabled', value: 'true'},
      {namespace: processNamespace('default'), optionName: 'StickinessType', value: 'lb_cookie'},
    )
  }
  const idle = idleTimeoutTarget(state, intent)
  if (idle !== undefined)
    out.push({namespace: 'aws:elbv2:loadbalancer', optionName: 'IdleTimeout', value: String(idle)})
  return out
}

/**
 * The documented way to keep an ALB's port-80 redirect across environment updates: an .ebextensions `Resources`
 * override of the listener Beanstalk creates, AWSEBV2LoadBalancerListener, with a redirect as its DefaultActions.
 * https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/configuring-https-httpredirect.html
 * https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/environment-resources.html
 */
export function ebextensionsOverride(header: string[]): string {
  return [
    ...header.map((h) => `# ${h}`),
    'Resources:',
    '  AWSEBV2LoadBalancerListener:',
    '    Type: AWS::ElasticLoadBalancingV2::Listener',
    '    Properties:',
    '      LoadBalancerArn:',
    '        Ref: AWSEBV2LoadBalancer',
    '      Port: 80',
    '      Protocol: HTTP',
    '      DefaultActions:',
    '        - Type: redirect',
    '          RedirectConfig:',
    `            Protocol: ${HTTPS_REDIRECT.protocol}`,
    `            Port: "${HTTPS_REDIRECT.port}"`,
    `            Host: "${HTTPS_REDIRECT.host}"`,
    `            Path: "${HTTPS_REDIRECT.path}"`,
    `            Query: "${HTTPS_REDIRECT.query}"`,
    `            StatusCode: ${HTTPS_REDIRECT.statusCode}`,
    '',
  ].join('\n')
}

/** The steps that put the load balancer back as the snapshot describes it (only what the fix can have changed). */
export function planAlbRestore(snapshot: Elbv2State, current: Elbv2State): AlbStep[] {
  const steps: AlbStep[] = []
  for (const l of current.listeners) {
    const before = snapshot.listeners.find((s) => s.port === l.port)
    if (!before) {
      steps.push({
        id: `delete-${l.port}`,
        description: `delete listener ${l.port}`,
        op: {kind: 'delete-listener', listenerArn: l.arn, port: l.port},
      })
    } else if (
      before.protocol !== l.protocol ||
      before.certificateArn !== l.certificateArn ||
      before.sslPolicy !== l.sslPolicy ||
      !sameActions(before.defaultActions, l.defaultActions)
    ) {
      steps.push({
        id: `restore-${l.port}`,
        description: `restore listener ${l.port} (${before.protocol})`,
        op: {
          kind: 'modify-listener',
          listenerArn: l.arn,
          port: l.port,
          protocol: before.protocol,
          certificateArn: before.certificateArn,
          sslPolicy: before.sslPolicy,
          defaultActions: before.defaultActions,
        },
      })
    }
  }
  for (const before of snapshot.listeners) {
    if (
      !current.listeners.some((l) => l.port === before.port) &&
      before.protocol === 'HTTPS' &&
      before.certificateArn
    ) {
      steps.push({
        id: `create-${before.port}`,
        description: `re-create listener ${before.port}`,
        op: {
          kind: 'create-listener',
          port: before.port,
          protocol: 'HTTPS',
          certificateArn: before.certificateArn,
          sslPolicy: before.sslPolicy ?? 'ELBSecurityPolicy-2016-08',
          defaultActions: before.defaultActions,
        },
      })
    }
  }
  for (const tg of current.targetGroups) {
    const before = snapshot.targetGroups.find((t) => t.arn === tg.arn)
    if (before && before.stickiness.enabled !== tg.stickiness.enabled) {
      steps.push({
        id: `stickiness-${tg.name}`,
        description: `restore stickiness on ${tg.name}`,
        op: {
          kind: 'target-group-attributes',
          targetGroupArn: tg.arn,
          attributes: {'stickiness.enabled': String(before.stickiness.enabled)},
        },
      })
    }
    // An NLB's Proxy Protocol v2 is a target group attribute (`ebws proxy-protocol enable|disable` sets it).
    // Absent means off (the attribute is only listed once set; an ALB's target groups never have it).
    const wasOn = before?.proxyProtocolV2 ?? false
    if (before && wasOn !== (tg.proxyProtocolV2 ?? false)) {
      steps.push({
        id: `proxy-protocol-v2-${tg.name}`,
        description: `restore proxy_protocol_v2.enabled=${wasOn} on ${tg.name}`,
        op: {
          kind: 'target-group-attributes',
          targetGroupArn: tg.arn,
          attributes: {'proxy_protocol_v2.enabled': String(wasOn)},
        },
      })
    }
  }
  if (snapshot.shared) steps.push(...planSharedRestore(snapshot, current))
  if (snapshot.idleTimeoutSeconds !== undefined && snapshot.idleTimeoutSeconds !== current.idleTimeoutSeconds) {
    steps.push({
      id: 'idle-timeout',
      description: `restore the idle timeout to ${snapshot.idleTimeoutSeconds} s`,
      op: {
        kind: 'load-balancer-attributes',
        attributes: {'idle_timeout.timeout_seconds': String(snapshot.idleTimeoutSeconds)},
      },
    })
  }
  return steps
}

/** LB-cookie stickiness on the process's target group, when asked for and not on yet (dedicated and shared ALB). */
export function stickinessSteps(tg: V2TargetGroup, intent: {stickiness: boolean}): AlbStep[] {
  if (!intent.stickiness || (tg.stickiness.enabled && tg.stickiness.type === 'lb_cookie')) return []
  return [
    {
      id: 'stickiness',
      description: `turn on LB-cookie stickiness on ${tg.name}`,
      op: {
        kind: 'target-group-attributes',
        targetGroupArn: tg.arn,
        attributes: {'stickiness.enabled': 'true', 'stickiness.type': 'lb_cookie'},
      },
    },
  ]
}
