// The shared-ALB planner: pure, from the observed load balancer and the intent to the ordered live operations.
// No AWS imports; unit-tested without servers (test/unit/lb/shared-plan.test.ts).
//
// What AWS documents for a shared Application Load Balancer
// (https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/environments-cfg-alb-shared.html):
// - "You create and manage the load balancer and listeners outside of Elastic Beanstalk. Elastic Beanstalk creates
//   and manages a default rule and a default process". The default rule goes on the port-80 listener, with the
//   environment's CNAME as a host-header condition ("To resolve listener rule condition conflicts across
//   environments sharing the load balancer, Elastic Beanstalk adds the environment's CNAME to the listener rule").
// - "you can't update listeners and listener rules after environment creation. You can only update processes
//   (target groups). [...] to update listeners and listener rules, use Amazon EC2": so this environment's rules are
//   changed with the ELBv2 API, and environment updates do not rebuild them.
// - For a shared ALB, aws:elbv2:listener:<port> takes only `Rules`, aws:elbv2:loadbalancer only SharedLoadBalancer
//   and SecurityGroups (no IdleTimeout); the process namespace (stickiness) stays valid.
//   https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/command-options-general.html#command-options-general-elbv2
// So: what this environment needs is expressed as changes to its own host-scoped rules; anything on a listener
// itself (certificate, SSL policy, default action, a new listener) or on the load balancer (idle timeout) touches
// every environment on it, and is planned only with the explicit --change-shared-listeners.
import type {OptionSetting} from '../../environment/describe.ts'
import type {Elbv2State, V2Action, V2Listener, V2Rule} from './model.ts'
import {HTTPS_REDIRECT, isRedirectToHttps, processNamespace, targetGroupOf} from './model.ts'
import type {AlbIntent, AlbStep, NewRule} from './plan.ts'
import {AlbPlanError, idleTimeoutTarget, MIN_IDLE_TIMEOUT_S, stickinessSteps} from './plan.ts'

export interface SharedContext {
  environmentName: string
  /** The environment's CNAME: Beanstalk's host-header condition on its rules. */
  cname?: string | undefined
  /** --domain: the host people use; it must reach this environment on 443 too. */
  domain?: string | undefined
  otherEnvironments: string[]
  /** --change-shared-listeners: listener and load-balancer changes may be planned. */
  allowListenerChanges: boolean
  /** --tls-policy was given (on a shared listener the policy is left alone otherwise). */
  sslPolicyExplicit: boolean
}

export interface SharedPlan {
  steps: AlbStep[]
  /** Changes to the listeners or the load balancer itself: they affect every environment on it. */
  loadBalancerChanges: string[]
  /** The ids of the steps that make those changes (they need --change-shared-listeners). */
  loadBalancerStepIds: string[]
  /** The host names this environment's rules match. */
  hosts: string[]
  warnings: string[]
}

/** A listener rule may hold five condition values in all. https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-update-rules.html */
export const MAX_RULE_VALUES = 5

const hostValues = (r: V2Rule): string[] =>
  r.conditions.filter((c) => c.field === 'host-header').flatMap((c) => c.values.map((v) => v.toLowerCase()))
const hostOnly = (r: V2Rule): boolean => r.conditions.length > 0 && r.conditions.every((c) => c.field === 'host-header')
const ownTargetGroups = (state: Elbv2State): Set<string> =>
  new Set(state.targetGroups.filter((t) => t.process !== undefined).map((t) => t.arn))
const forwardsTo = (r: V2Rule, arns: Set<string>) =>
  r.actions.some((a) => a.type === 'forward' && a.targetGroupArn !== undefined && arns.has(a.targetGroupArn))

/** The host names of this environment: its CNAME, --domain, and what its own forwarding rules match. */
export function environmentHosts(state: Elbv2State, ctx: Pick<SharedContext, 'cname' | 'domain'>): string[] {
  const own = ownTargetGroups(state)
  const hosts = new Set<string>()
  if (ctx.cname) hosts.add(ctx.cname.toLowerCase())
  if (ctx.domain) hosts.add(ctx.domain.toLowerCase())
  for (const l of state.listeners)
    for (const r of l.rules) if (forwardsTo(r, own)) for (const h of hostValues(r)) hosts.add(h)
  return [...hosts].sort()
}

/**
 * This environment's rules on a listener: those that forward to its target groups, and the host-only redirects to
 * HTTPS whose hosts are all its own (what ebws leaves on port 80).
 */
export function ownRules(l: V2Listener, state: Elbv2State, hosts: string[]): V2Rule[] {
  const own = ownTargetGroups(state)
  return l.rules.filter(
    (r) =>
      forwardsTo(r, own) ||
      (hostOnly(r) && isRedirectToHttps(r.actions[0]) && hostValues(r).every((h) => hosts.includes(h))),
  )
}

/** A host-header value matches case-insensitively, `*` any run of characters and `?` one (ALB host conditions). */
export const hostMatches = (pattern: string, host: string): boolean =>
  new RegExp(
    `^${pattern
      .toLowerCase()
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(host.toLowerCase())

/**
 * The hosts the owner's port-80 default action already redirects to HTTPS: those no rule on the listener matches
 * (rules are evaluated before the default action).
 */
function defaultRedirected(l80: V2Listener, hosts: string[]): Set<string> {
  if (!isRedirectToHttps(l80.defaultActions[0])) return new Set()
  return new Set(hosts.filter((h) => !l80.rules.some((r) => hostValues(r).some((p) => hostMatches(p, h)))))
}

/** The lowest-precedence free priority: after every rule on the listener, so no other environment's rule is shadowed. */
function nextPriority(l: V2Listener | undefined, taken: Set<number>): number {
  let p = Math.max(0, ...(l?.rules ?? []).map((r) => Number(r.priority)).filter(Number.isFinite), ...taken) + 1
  while (taken.has(p)) p++
  taken.add(p)
  return p
}

const short = (arn: string) => arn.split('/').at(-1) ?? arn

/**
 * The operations that make a shared ALB serve this environment over HTTPS: on 443, a host-only rule forwarding
 * this environment's hosts to its default process; on 80, its host-only rules redirecting to HTTPS:443 (301, host,
 * path and query kept) unless --redirect app; stickiness on its default process's target group. A listener that
 * lacks HTTPS 443 or this certificate, a requested SSL policy, and a too-low idle timeout are load-balancer changes.
 */
export function planSharedAlb(state: Elbv2State, intent: AlbIntent & {shared: SharedContext}): SharedPlan {
  const ctx = intent.shared
  const tg = targetGroupOf(state)
  if (!tg)
    throw new AlbPlanError(
      'UNSAFE_CHANGE',
      "No target group serves the environment's default process on the shared load balancer, so there is nothing for HTTPS 443 to forward to.",
      ['Check the environment in the Beanstalk console; rebuilding it restores the default process.'],
    )
  const hosts = environmentHosts(state, ctx)
  if (hosts.length === 0)
    throw new AlbPlanError(
      'UNSAFE_CHANGE',
      'This environment has no host name (no CNAME, no --domain, no host-header rule), so no rule can be scoped to it on the shared load balancer.',
      ['Pass --domain with the host name people use for this environment.'],
    )
  if (hosts.length > MAX_RULE_VALUES)
    throw new AlbPlanError(
      'UNSAFE_CHANGE',
      `This environment answers ${hosts.length} host names (${hosts.join(', ')}); a listener rule holds at most ${MAX_RULE_VALUES} condition values.`,
      ["Remove host names from this environment's rules, or split them by hand with `aws elbv2 create-rule`."],
    )
  const steps: AlbStep[] = []
  const changes: string[] = []
  const warnings: string[] = []
  /** The steps that change the load balancer itself, as they are planned. */
  const lbSteps = new Set<string>()
  const changeLoadBalancer = (what: string, step: AlbStep) => {
    changes.push(what)
    steps.push(step)
    lbSteps.add(step.id)
  }
  const forward: V2Action[] = [{type: 'forward', targetGroupArn: tg.arn}]
  const redirect: V2Action[] = [{type: 'redirect', redirect: HTTPS_REDIRECT}]
  const l80 = state.listeners.find((l) => l.port === 80)
  const l443 = state.listeners.find((l) => l.port === 443)
  const taken = new Map<number, Set<number>>([
    [80, new Set()],
    [443, new Set()],
  ])

  // Port 443: the listener is everyone's; the rule is ours.
  const covered443 = new Set(
    (l443 && l443.protocol === 'HTTPS' ? ownRules(l443, state, hosts) : [])
      .filter((r) => hostOnly(r) && forwardsTo(r, new Set([tg.arn])))
      .flatMap(hostValues),
  )
  const missing443 = hosts.filter((h) => !covered443.has(h))
  if (!l443) {
    // Hosts no rule matches get what port 80 gives them (a redirect would loop): the other environments are not
    // routed into this one.
    const d80 = l80?.defaultActions[0]
    const defaultActions: V2Action[] =
      d80 && (d80.type === 'fixed-response' || d80.type === 'forward')
        ? [d80]
        : [
            {
              type: 'fixed-response',
              fixedResponse: {statusCode: '404', contentType: 'text/plain', messageBody: 'Not found'},
            },
          ]
    changeLoadBalancer(
      `add an HTTPS listener on 443 (certificate ${short(intent.certificateArn)}, ${intent.sslPolicy})`,
      {
        id: 'create-443',
        description: `create HTTPS 443 on the shared load balancer (certificate ${short(intent.certificateArn)}, ${intent.sslPolicy}) with a rule: host ${hosts.join(',')} -> ${tg.name}`,
        op: {
          kind: 'create-listener',
          port: 443,
          protocol: 'HTTPS',
          certificateArn: intent.certificateArn,
          sslPolicy: intent.sslPolicy,
          defaultActions,
          rules: [{priority: 1, hosts, actions: forward}],
        },
      },
    )
  } else {
    if (l443.protocol !== 'HTTPS') {
      changeLoadBalancer(
        `change listener 443 from ${l443.protocol} to HTTPS (certificate ${short(intent.certificateArn)})`,
        {
          id: 'modify-443',
          description: `set listener 443 to HTTPS (certificate ${short(intent.certificateArn)}, ${intent.sslPolicy})`,
          op: {
            kind: 'modify-listener',
            listenerArn: l443.arn,
            port: 443,
            protocol: 'HTTPS',
            certificateArn: intent.certificateArn,
            sslPolicy: intent.sslPolicy,
          },
        },
      )
    } else {
      if (l443.certificateArn !== intent.certificateArn && !l443.sniCertificateArns.includes(intent.certificateArn)) {
        changeLoadBalancer(
          `add certificate ${short(intent.certificateArn)} to listener 443 (SNI; its default certificate stays)`,
          {
            id: 'certificate-443',
            description: `add certificate ${short(intent.certificateArn)} to listener 443 (served by SNI)`,
            op: {
              kind: 'add-listener-certificates',
              listenerArn: l443.arn,
              port: 443,
              certificateArns: [intent.certificateArn],
            },
          },
        )
      }
      if (ctx.sslPolicyExplicit && l443.sslPolicy !== intent.sslPolicy) {
        changeLoadBalancer(`set listener 443's SSL policy from ${l443.sslPolicy ?? 'none'} to ${intent.sslPolicy}`, {
          id: 'policy-443',
          description: `set the SSL policy of listener 443 to ${intent.sslPolicy}`,
          op: {kind: 'modify-listener', listenerArn: l443.arn, port: 443, sslPolicy: intent.sslPolicy},
        })
      }
    }
    if (missing443.length > 0) {
      const rule: NewRule = {priority: nextPriority(l443, taken.get(443)!), hosts: missing443, actions: forward}
      steps.push({
        id: 'rule-443',
        description: `listener 443: add a rule for host ${missing443.join(',')} -> ${tg.name} (priority ${rule.priority})`,
        op: {kind: 'create-rule', listenerArn: l443.arn, port: 443, ...rule},
      })
    }
  }

  // Port 80: only this environment's rules change.
  if (!l80) {
    if (intent.redirect === 'lb')
      throw new AlbPlanError(
        'UNSAFE_CHANGE',
        'The shared load balancer has no listener on port 80, so there is nothing to redirect http:// from.',
        [
          "Ask the load balancer's owner for a port-80 listener, or pass --redirect app if port 80 stays closed on purpose.",
        ],
      )
  } else {
    const own80 = ownRules(l80, state, hosts)
    if (intent.redirect === 'lb') {
      // A rule routing paths or another process would be bypassed by the redirect (443 has no such rule).
      const routed = own80.filter(
        (r) => !hostOnly(r) || (!forwardsTo(r, new Set([tg.arn])) && !isRedirectToHttps(r.actions[0])),
      )
      if (routed.length > 0)
        throw new AlbPlanError(
          'UNSAFE_CHANGE',
          `This environment has ${routed.length} port-80 rule${routed.length === 1 ? '' : 's'} routing by path or to another process (priorities ${routed.map((r) => r.priority).join(', ')}): redirected to HTTPS, those requests would reach 443, which has no such rule.`,
          [
            'Add the same rules to the 443 listener first, or pass --redirect app to keep port 80 forwarding (the app redirects by X-Forwarded-Proto).',
          ],
        )
      const redirected = defaultRedirected(l80, hosts)
      for (const r of own80) {
        if (isRedirectToHttps(r.actions[0])) {
          for (const h of hostValues(r)) redirected.add(h)
          continue
        }
        steps.push({
          id: `redirect-80-${r.priority}`,
          description: `port 80, this environment's rule ${r.priority} (host ${hostValues(r).join(',')}): redirect to https://#{host}:443/#{path}?#{query} (301)`,
          op: {kind: 'modify-rule', ruleArn: r.arn, port: 80, actions: redirect},
        })
        for (const h of hostValues(r)) redirected.add(h)
      }
      const missing80 = hosts.filter((h) => !redirected.has(h))
      if (missing80.length > 0) {
        const rule: NewRule = {priority: nextPriority(l80, taken.get(80)!), hosts: missing80, actions: redirect}
        steps.push({
          id: 'redirect-80',
          description: `port 80: add a rule for host ${missing80.join(',')} redirecting to HTTPS (301, priority ${rule.priority})`,
          op: {kind: 'create-rule', listenerArn: l80.arn, port: 80, ...rule},
        })
      }
    } else {
      for (const r of own80.filter((x) => isRedirectToHttps(x.actions[0]))) {
        steps.push({
          id: `forward-80-${r.priority}`,
          description: `port 80, this environment's rule ${r.priority}: forward to ${tg.name} (the app redirects)`,
          op: {kind: 'modify-rule', ruleArn: r.arn, port: 80, actions: forward},
        })
      }
    }
  }

  steps.push(...stickinessSteps(tg, intent))
  // The idle timeout is the load balancer's: raised on its own only with the flag, else named.
  const idle = idleTimeoutTarget(state, intent)
  if (idle !== undefined && idle !== state.idleTimeoutSeconds) {
    if (intent.idleTimeoutSeconds !== undefined || ctx.allowListenerChanges) {
      changeLoadBalancer(`set the load balancer's idle timeout from ${state.idleTimeoutSeconds ?? 60} s to ${idle} s`, {
        id: 'idle-timeout',
        description: `set the shared load balancer's idle timeout to ${idle} s`,
        op: {kind: 'load-balancer-attributes', attributes: {'idle_timeout.timeout_seconds': String(idle)}},
      })
    } else {
      warnings.push(
        `The shared load balancer's idle timeout (${state.idleTimeoutSeconds} s) is below Socket.io's ping interval + timeout (${MIN_IDLE_TIMEOUT_S} s), so idle WebSockets are cut. It is the load balancer's, not this environment's: left alone (--change-shared-listeners raises it to 60 s).`,
      )
    }
  }
  return {
    steps,
    loadBalancerChanges: changes,
    loadBalancerStepIds: [...lbSteps],
    hosts,
    warnings,
  }
}

/**
 * The option settings that keep it: only the default process's stickiness. For a shared ALB, Beanstalk takes
 * neither listener settings nor IdleTimeout, and rules cannot be updated after creation (see the top of the file).
 */
export function sharedAlbOptionSettings(intent: AlbIntent): OptionSetting[] {
  if (!intent.stickiness) return []
  return [
    {namespace: processNamespace('default'), optionName: 'StickinessEnabled', value: 'true'},
    {namespace: processNamespace('default'), optionName: 'StickinessType', value: 'lb_cookie'},
  ]
}

const sameActions = (a: V2Action[], b: V2Action[]) =>
  JSON.stringify(a.map((x) => [x.type, x.targetGroupArn, x.redirect, x.fixedResponse])) ===
  JSON.stringify(b.map((x) => [x.type, x.targetGroupArn, x.redirect, x.fixedResponse]))

/**
 * What `restore` (and a rollback) does on a shared ALB beyond the listeners: this environment's rules back to the
 * snapshot's actions, the host-only rules added since deleted, and the SNI certificates added since removed. Rules
 * of other environments are never touched.
 */
export function planSharedRestore(snapshot: Elbv2State, current: Elbv2State): AlbStep[] {
  const hosts = [
    ...new Set([...(snapshot.hosts ?? []), ...environmentHosts(snapshot, {}), ...environmentHosts(current, {})]),
  ]
  const steps: AlbStep[] = []
  for (const l of current.listeners) {
    const before = snapshot.listeners.find((s) => s.arn === l.arn)
    if (!before) continue // a listener the fix created goes with its rules (planAlbRestore deletes it)
    const ownBefore = new Map(ownRules(before, snapshot, hosts).map((r) => [r.arn, r]))
    for (const r of l.rules) {
      const was = ownBefore.get(r.arn)
      if (was && !sameActions(was.actions, r.actions)) {
        steps.push({
          id: `restore-rule-${l.port}-${r.priority}`,
          description: `listener ${l.port}: put this environment's rule ${r.priority} back (${was.actions[0]?.type ?? 'none'})`,
          op: {kind: 'modify-rule', ruleArn: r.arn, port: l.port, actions: was.actions},
        })
      } else if (!before.rules.some((b) => b.arn === r.arn) && hostOnly(r) && ownRules(l, current, hosts).includes(r)) {
        steps.push({
          id: `delete-rule-${l.port}-${r.priority}`,
          description: `listener ${l.port}: delete the rule ${r.priority} (host ${hostValues(r).join(',')}) added since the snapshot`,
          op: {kind: 'delete-rule', ruleArn: r.arn, port: l.port},
        })
      }
    }
    const added = l.sniCertificateArns.filter(
      (c) => c !== before.certificateArn && !before.sniCertificateArns.includes(c),
    )
    if (added.length > 0)
      steps.push({
        id: `certificates-${l.port}`,
        description: `listener ${l.port}: remove the certificate${added.length === 1 ? '' : 's'} ${added.map(short).join(', ')} added since the snapshot`,
        op: {kind: 'remove-listener-certificates', listenerArn: l.arn, port: l.port, certificateArns: added},
      })
  }
  return steps
}

/**
 * The verdict on this environment's rules on a shared ALB: does 443 forward its hosts to its default process, does
 * port 80 redirect them. (The listeners' default actions are the owner's and say nothing about this environment.)
 */
export function sharedRuleFindings(
  state: Elbv2State,
  cname: string | undefined,
): {findings: Array<{severity: 'info' | 'warning'; code: string; message: string}>; redirected: boolean} {
  const findings: Array<{severity: 'info' | 'warning'; code: string; message: string}> = []
  const tg = targetGroupOf(state)
  const hosts = environmentHosts(state, {cname})
  if (!tg || hosts.length === 0) return {findings, redirected: false}
  const l443 = state.listeners.find((l) => l.port === 443 && l.protocol === 'HTTPS')
  const l80 = state.listeners.find((l) => l.port === 80)
  const def = new Set([tg.arn])
  if (l443) {
    const covered = new Set(
      ownRules(l443, state, hosts)
        .filter((r) => hostOnly(r) && forwardsTo(r, def))
        .flatMap(hostValues),
    )
    const missing = hosts.filter((h) => !covered.has(h))
    if (missing.length > 0)
      findings.push({
        severity: 'warning',
        code: 'shared-no-https-rule',
        message: `HTTPS 443 has no rule of this environment for ${missing.join(', ')}: https:// requests for ${missing.length === 1 ? 'it' : 'them'} get the shared listener's default action, not this app`,
      })
    else
      findings.push({
        severity: 'info',
        code: 'shared-https-rule',
        message: `HTTPS 443 forwards ${hosts.join(', ')} to this environment's default process (its own rule)`,
      })
  }
  let redirected = false
  if (l80) {
    const own = ownRules(l80, state, hosts)
    const redirects = defaultRedirected(l80, hosts)
    for (const r of own)
      if (hostOnly(r) && isRedirectToHttps(r.actions[0])) for (const h of hostValues(r)) redirects.add(h)
    const forwarding = hosts.filter((h) => !redirects.has(h))
    redirected = forwarding.length === 0
    if (redirected)
      findings.push({
        severity: 'info',
        code: 'redirect-ok',
        message:
          "port 80 redirects this environment's hosts to HTTPS with its own rules (Beanstalk does not rebuild a shared load balancer's rules on environment updates)",
      })
    else if (own.some((r) => forwardsTo(r, def)))
      findings.push({
        severity: 'warning',
        code: 'http-forwards',
        message: `port 80 forwards ${forwarding.join(', ')} to the app instead of redirecting: the app must redirect using X-Forwarded-Proto`,
      })
  }
  return {findings, redirected}
}
