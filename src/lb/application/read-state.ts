import type {Action, Certificate, Listener, Rule, TargetGroup} from '@aws-sdk/client-elastic-load-balancing-v2'

import type {AwsClients} from '../../aws/clients.ts'
import {awsCall} from '../../aws/errors.ts'
import {badInput} from '../../cli/errors.ts'
import type {OptionSetting} from '../../environment/describe.ts'
import type {Elbv2State, V2Action, V2Listener, V2Rule, V2TargetGroup} from './model.ts'
import {processNamespace, setting} from './model.ts'

const ENV_TAG = 'elasticbeanstalk:environment-name'

export function toAction(a: Action): V2Action {
  return {
    type: a.Type ?? 'unknown',
    targetGroupArn: a.TargetGroupArn ?? a.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn,
    redirect: a.RedirectConfig
      ? {
          protocol: a.RedirectConfig.Protocol ?? '#{protocol}',
          port: a.RedirectConfig.Port ?? '#{port}',
          host: a.RedirectConfig.Host ?? '#{host}',
          path: a.RedirectConfig.Path ?? '/#{path}',
          query: a.RedirectConfig.Query ?? '#{query}',
          statusCode: a.RedirectConfig.StatusCode ?? '',
        }
      : undefined,
    fixedResponse: a.FixedResponseConfig
      ? {
          statusCode: a.FixedResponseConfig.StatusCode ?? '',
          contentType: a.FixedResponseConfig.ContentType,
          messageBody: a.FixedResponseConfig.MessageBody,
        }
      : undefined,
  }
}

/** Rules other than the default one, in our terms. */
function rulesFrom(rules: Rule[]): V2Rule[] {
  return rules
    .filter((r) => !r.IsDefault)
    .map((r) => ({
      arn: r.RuleArn ?? '',
      priority: r.Priority ?? '',
      conditions: (r.Conditions ?? []).map((c) => ({
        field: c.Field ?? '',
        values: c.Values ?? c.HostHeaderConfig?.Values ?? c.PathPatternConfig?.Values ?? [],
      })),
      actions: (r.Actions ?? []).map(toAction),
    }))
}

const sniOf = (certs: Certificate[]): string[] =>
  certs.filter((c) => !c.IsDefault && c.CertificateArn).map((c) => c.CertificateArn!)

/** Which Beanstalk process a target group serves: the process whose Port and Protocol it has (default first). */
function processOf(tg: TargetGroup, settings: OptionSetting[], network: boolean): string | undefined {
  const names = [
    ...new Set(
      settings
        .map((s) => /^aws:elasticbeanstalk:environment:process:(.+)$/.exec(s.namespace)?.[1])
        .filter((n): n is string => Boolean(n)),
    ),
  ]
  names.sort((a, b) => (a === 'default' ? -1 : b === 'default' ? 1 : a < b ? -1 : 1))
  for (const name of names) {
    const port = Number(setting(settings, processNamespace(name), 'Port') ?? '80')
    const protocol = setting(settings, processNamespace(name), 'Protocol') ?? (network ? 'TCP' : 'HTTP')
    if (tg.Port === port && tg.Protocol === protocol) return name
  }
  return undefined
}

/**
 * Reads an ALB/NLB in two dependent round trips (the ARN is known from DescribeEnvironmentResources):
 * 1. DescribeLoadBalancers + DescribeListeners + DescribeLoadBalancerAttributes + DescribeTargetGroups
 *    (with `alongside`, e.g. DescribeConfigurationSettings, in the same wave);
 * 2. per listener DescribeRules (+ DescribeListenerCertificates for HTTPS/TLS), per target group
 *    DescribeTargetGroupAttributes, and DescribeTags for the target groups (who owns them).
 * Lists use the SDK's paginators.
 */
export async function readElbv2State<T>(
  clients: AwsClients,
  arn: string,
  alongside: () => Promise<T>,
  settingsOf: (t: T) => OptionSetting[],
  environmentName: string,
  dnsName?: string | undefined,
  /** Called with the listeners' default certificates as soon as DescribeListeners answers (lookups need not wait). */
  onCertificateArns?: (arns: string[]) => void,
): Promise<{state: Elbv2State; extra: T}> {
  const elbv2 = await clients.elbv2()
  const sdk = await import('../../aws/sdk/elbv2.ts')
  const collect = async <P, I>(pages: AsyncIterable<P>, items: (p: P) => I[] | undefined): Promise<I[]> => {
    const out: I[] = []
    for await (const page of pages) out.push(...(items(page) ?? []))
    return out
  }
  // No DescribeLoadBalancers: the ARN says the type and the name, and the environment's endpoint is the DNS name.
  const [listeners, attributes, targetGroups, extra] = await Promise.all([
    awsCall('elasticloadbalancing:DescribeListeners', () =>
      collect(sdk.paginateDescribeListeners({client: elbv2}, {LoadBalancerArn: arn}), (p) => p.Listeners),
    ).then(
      (found) => {
        onCertificateArns?.(
          found.flatMap((l) => (l.Certificates ?? []).map((c) => c.CertificateArn ?? '')).filter(Boolean),
        )
        return found
      },
      (error: unknown) => {
        if (
          /^LoadBalancerNotFound(Exception)?$/.test((error as {details?: {awsError?: string}}).details?.awsError ?? '')
        ) {
          throw badInput('LB_NOT_FOUND', `The environment's load balancer ${arn} does not exist.`, [
            'Rebuild the environment, or check the region.',
          ])
        }
        throw error
      },
    ),
    awsCall('elasticloadbalancing:DescribeLoadBalancerAttributes', () =>
      elbv2.send(new sdk.DescribeLoadBalancerAttributesCommand({LoadBalancerArn: arn})),
    ),
    awsCall('elasticloadbalancing:DescribeTargetGroups', () =>
      collect(sdk.paginateDescribeTargetGroups({client: elbv2}, {LoadBalancerArn: arn}), (p) => p.TargetGroups),
    ),
    alongside(),
  ])
  const type = arn.includes(':loadbalancer/net/') ? 'network' : 'application'
  const settings = settingsOf(extra)
  // Who owns each target group matters on a shared ALB only (a dedicated one serves this environment alone).
  const shared = settings.some(
    (s) =>
      s.namespace === 'aws:elasticbeanstalk:environment' &&
      s.optionName === 'LoadBalancerIsShared' &&
      s.value?.toLowerCase() === 'true',
  )
  const secure = (l: Listener) => l.Protocol === 'HTTPS' || l.Protocol === 'TLS'
  const tgArns = targetGroups.map((t) => t.TargetGroupArn!).filter(Boolean)
  const [rules, certs, tgAttributes, tags] = await Promise.all([
    Promise.all(
      listeners.map((l) =>
        awsCall('elasticloadbalancing:DescribeRules', () =>
          collect(sdk.paginateDescribeRules({client: elbv2}, {ListenerArn: l.ListenerArn}), (p) => p.Rules),
        ),
      ),
    ),
    Promise.all(
      listeners.map((l) =>
        secure(l)
          ? awsCall('elasticloadbalancing:DescribeListenerCertificates', () =>
              collect(
                sdk.paginateDescribeListenerCertificates({client: elbv2}, {ListenerArn: l.ListenerArn}),
                (p) => p.Certificates,
              ),
            )
          : Promise.resolve([]),
      ),
    ),
    Promise.all(
      tgArns.map((t) =>
        awsCall('elasticloadbalancing:DescribeTargetGroupAttributes', () =>
          elbv2.send(new sdk.DescribeTargetGroupAttributesCommand({TargetGroupArn: t})),
        ),
      ),
    ),
    // DescribeTags takes at most 20 ARNs a call.
    Promise.all(
      (shared ? tgArns : [])
        .filter((_, i) => i % 20 === 0)
        .map((_, k) =>
          awsCall('elasticloadbalancing:DescribeTags', () =>
            elbv2.send(new sdk.DescribeTagsCommand({ResourceArns: tgArns.slice(k * 20, k * 20 + 20)})),
          ),
        ),
    ).then((pages) => ({TagDescriptions: pages.flatMap((p) => p.TagDescriptions ?? [])})),
  ])
  const attr = (list: Array<{Key?: string | undefined; Value?: string | undefined}> | undefined, key: string) =>
    list?.find((a) => a.Key === key)?.Value
  const owner = new Map(
    (tags.TagDescriptions ?? []).map((d) => [d.ResourceArn ?? '', d.Tags?.find((t) => t.Key === ENV_TAG)?.Value]),
  )
  const v2Listeners: V2Listener[] = listeners
    .map((l, i) => ({
      arn: l.ListenerArn ?? '',
      port: l.Port ?? 0,
      protocol: l.Protocol ?? '',
      sslPolicy: secure(l) ? l.SslPolicy : undefined,
      certificateArn: certs[i]!.find((c) => c.IsDefault)?.CertificateArn ?? l.Certificates?.[0]?.CertificateArn,
      sniCertificateArns: sniOf(certs[i]!),
      defaultActions: (l.DefaultActions ?? []).map(toAction),
      rules: rulesFrom(rules[i]!),
    }))
    .sort((a, b) => a.port - b.port)
  const v2TargetGroups: V2TargetGroup[] = targetGroups.map((t, i) => {
    const a = tgAttributes[i]?.Attributes
    const environment = owner.get(t.TargetGroupArn ?? '')
    const mine = environment === undefined || environment === environmentName
    return {
      arn: t.TargetGroupArn ?? '',
      name: t.TargetGroupName ?? '',
      port: t.Port,
      protocol: t.Protocol,
      healthCheck: {
        protocol: t.HealthCheckProtocol,
        path: t.HealthCheckPath,
        matcher: t.Matcher?.HttpCode,
        intervalSeconds: t.HealthCheckIntervalSeconds,
        timeoutSeconds: t.HealthCheckTimeoutSeconds,
      },
      stickiness: {
        enabled: attr(a, 'stickiness.enabled') === 'true',
        type: attr(a, 'stickiness.type'),
        durationSeconds:
          attr(a, 'stickiness.lb_cookie.duration_seconds') === undefined
            ? undefined
            : Number(attr(a, 'stickiness.lb_cookie.duration_seconds')),
      },
      deregistrationDelaySeconds:
        attr(a, 'deregistration_delay.timeout_seconds') === undefined
          ? undefined
          : Number(attr(a, 'deregistration_delay.timeout_seconds')),
      proxyProtocolV2:
        attr(a, 'proxy_protocol_v2.enabled') === undefined
          ? undefined
          : attr(a, 'proxy_protocol_v2.enabled') === 'true',
      environmentName: environment,
      process: mine ? processOf(t, settings, type === 'network') : undefined,
    }
  })
  // The default listener's forward target is the default process when no setting matched it.
  const defaultTarget = v2Listeners
    .find((l) => l.port === 80)
    ?.defaultActions.find((a) => a.type === 'forward')?.targetGroupArn
  if (!v2TargetGroups.some((t) => t.process === 'default')) {
    const tg = v2TargetGroups.find(
      (t) => t.arn === defaultTarget && (t.environmentName === undefined || t.environmentName === environmentName),
    )
    if (tg) tg.process = 'default'
  }
  const idle = attr(attributes.Attributes, 'idle_timeout.timeout_seconds')
  return {
    state: {
      arn,
      name: arn.split('/').at(-2) ?? arn,
      type,
      dnsName,
      idleTimeoutSeconds: type === 'application' ? (idle === undefined ? 60 : Number(idle)) : undefined,
      listeners: v2Listeners,
      targetGroups: v2TargetGroups,
      ...(shared ? {shared} : {}),
    },
    extra,
  }
}

/**
 * One round trip re-read after a change (fix, verify): the listeners, the load balancer's and the known target
 * groups' attributes. On a dedicated ALB rules, SNI certificates and ownership do not change through ebws, so they
 * are kept from `previous` (a listener that did not exist before has no rules); on a shared one they are re-read.
 */
export async function refreshElbv2State(clients: AwsClients, previous: Elbv2State): Promise<Elbv2State> {
  const elbv2 = await clients.elbv2()
  const sdk = await import('../../aws/sdk/elbv2.ts')
  // A shared ALB's fix changes this environment's rules and SNI certificates: read them again (beside the listeners,
  // by the known listener ARNs; a listener created since is read in a second wave).
  const rulesOf = (arn: string) =>
    awsCall('elasticloadbalancing:DescribeRules', async () => {
      const out: Rule[] = []
      for await (const page of sdk.paginateDescribeRules({client: elbv2}, {ListenerArn: arn}))
        out.push(...(page.Rules ?? []))
      return out
    })
  const certsOf = (arn: string) =>
    awsCall('elasticloadbalancing:DescribeListenerCertificates', async () => {
      const out: Certificate[] = []
      for await (const page of sdk.paginateDescribeListenerCertificates({client: elbv2}, {ListenerArn: arn}))
        out.push(...(page.Certificates ?? []))
      return out
    })
  const early = previous.shared
    ? new Map(
        previous.listeners.map((l) => [
          l.arn,
          Promise.all([rulesOf(l.arn), l.protocol === 'HTTPS' ? certsOf(l.arn) : []]),
        ]),
      )
    : undefined
  for (const p of early?.values() ?? []) p.catch(() => undefined)
  const [listeners, attributes, tgAttributes] = await Promise.all([
    awsCall('elasticloadbalancing:DescribeListeners', async () => {
      const out: Listener[] = []
      for await (const page of sdk.paginateDescribeListeners({client: elbv2}, {LoadBalancerArn: previous.arn}))
        out.push(...(page.Listeners ?? []))
      return out
    }),
    previous.type === 'application'
      ? awsCall('elasticloadbalancing:DescribeLoadBalancerAttributes', () =>
          elbv2.send(new sdk.DescribeLoadBalancerAttributesCommand({LoadBalancerArn: previous.arn})),
        )
      : Promise.resolve({Attributes: []}),
    Promise.all(
      previous.targetGroups.map((t) =>
        awsCall('elasticloadbalancing:DescribeTargetGroupAttributes', () =>
          elbv2.send(new sdk.DescribeTargetGroupAttributesCommand({TargetGroupArn: t.arn})),
        ),
      ),
    ),
  ])
  const attr = (list: Array<{Key?: string | undefined; Value?: string | undefined}> | undefined, key: string) =>
    list?.find((a) => a.Key === key)?.Value
  const idle = attr(attributes.Attributes, 'idle_timeout.timeout_seconds')
  const reread = early
    ? new Map(
        await Promise.all(
          listeners.map(
            async (l) =>
              [
                l.ListenerArn ?? '',
                await (early.get(l.ListenerArn ?? '') ??
                  Promise.all([rulesOf(l.ListenerArn!), l.Protocol === 'HTTPS' ? certsOf(l.ListenerArn!) : []])),
              ] as const,
          ),
        ),
      )
    : undefined
  return {
    ...previous,
    idleTimeoutSeconds: previous.type === 'application' ? (idle === undefined ? 60 : Number(idle)) : undefined,
    listeners: listeners
      .map((l) => {
        const before = previous.listeners.find((p) => p.port === l.Port)
        const secure = l.Protocol === 'HTTPS' || l.Protocol === 'TLS'
        return {
          arn: l.ListenerArn ?? '',
          port: l.Port ?? 0,
          protocol: l.Protocol ?? '',
          sslPolicy: secure ? l.SslPolicy : undefined,
          // DescribeListeners names the default certificate first.
          certificateArn: l.Certificates?.[0]?.CertificateArn,
          sniCertificateArns: reread
            ? sniOf(reread.get(l.ListenerArn ?? '')?.[1] ?? [])
            : (before?.sniCertificateArns ?? []),
          defaultActions: (l.DefaultActions ?? []).map(toAction),
          rules: reread
            ? rulesFrom(reread.get(l.ListenerArn ?? '')?.[0] ?? [])
            : before && before.arn === l.ListenerArn
              ? before.rules
              : [],
        }
      })
      .sort((a, b) => a.port - b.port),
    targetGroups: previous.targetGroups.map((t, i) => {
      const a = tgAttributes[i]?.Attributes
      return {
        ...t,
        stickiness: {
          enabled: attr(a, 'stickiness.enabled') === 'true',
          type: attr(a, 'stickiness.type'),
          durationSeconds: t.stickiness.durationSeconds,
        },
        proxyProtocolV2:
          attr(a, 'proxy_protocol_v2.enabled') === undefined
            ? undefined
            : attr(a, 'proxy_protocol_v2.enabled') === 'true',
      }
    }),
  }
}
