// Builds and reconciles an environment's Application or Network Load Balancer in moto (ELBv2) from its aws:elbv2:*
// and aws:elasticbeanstalk:environment:process:* options, the way Beanstalk's CloudFormation stack does: the
// listeners (AWSEBV2LoadBalancerListener, AWSEBV2LoadBalancerListener443, ...) and the target group of each process
// are set to what the template says on every environment update. A shared ALB's listeners are never touched: the
// environment only owns its target groups and its host-header rules on them. See EB-FAKE.md ("ALB and NLB").
import {
  AddTagsCommand,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyLoadBalancerAttributesCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import type {Action, Listener} from '@aws-sdk/client-elastic-load-balancing-v2'

import {desiredElbv2} from './elbv2-options.ts'
import type {DesiredElbv2, DesiredProcess} from './elbv2-options.ts'

const credentials = {accessKeyId: 'testing', secretAccessKey: 'testing'}

export interface Elbv2Env {
  id: string
  name: string
  cname: string
  type: 'application' | 'network'
  loadBalancerArn: string
  shared: boolean
  options: Map<string, string>
  /** DefaultActions of AWSEBV2LoadBalancerListener from the deployed bundle's .ebextensions `Resources`, if any. */
  listenerOverride?: Action[] | undefined
}

export class Elbv2Applier {
  readonly client: ElasticLoadBalancingV2Client
  private subnets: string[] | undefined
  private vpc: string | undefined

  private readonly motoUrl: string
  private readonly region: string

  constructor(motoUrl: string, region: string) {
    this.motoUrl = motoUrl
    this.region = region
    this.client = new ElasticLoadBalancingV2Client({endpoint: motoUrl, region, credentials, maxAttempts: 1})
  }

  /** moto's default VPC and two of its subnets, read with EC2's Query API (no EC2 SDK client in this project). */
  private async network(): Promise<{vpc: string; subnets: string[]}> {
    if (this.subnets && this.vpc) return {vpc: this.vpc, subnets: this.subnets}
    const res = await fetch(this.motoUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `AWS4-HMAC-SHA256 Credential=testing/20240101/${this.region}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: 'Action=DescribeSubnets&Version=2016-11-15',
    })
    const xml = await res.text()
    this.subnets = [...xml.matchAll(/<subnetId>([^<]+)<\/subnetId>/g)].map((m) => m[1]!).slice(0, 2)
    this.vpc = /<vpcId>([^<]+)<\/vpcId>/.exec(xml)?.[1]
    if (!this.vpc || this.subnets.length === 0) throw new Error(`eb-fake: no default VPC in moto: ${xml.slice(0, 200)}`)
    return {vpc: this.vpc, subnets: this.subnets}
  }

  /** A new dedicated or shared load balancer; returns its ARN and DNS name. */
  async createLoadBalancer(
    name: string,
    type: 'application' | 'network',
    tags: Record<string, string> = {},
    securityGroups?: string[],
  ): Promise<{arn: string; dnsName: string}> {
    const {subnets} = await this.network()
    const out = await this.client.send(
      new CreateLoadBalancerCommand({
        Name: name,
        Subnets: subnets,
        Type: type,
        ...(securityGroups?.length ? {SecurityGroups: securityGroups} : {}),
        Tags: Object.entries(tags).map(([Key, Value]) => ({Key, Value})),
      }),
    )
    const lb = out.LoadBalancers![0]!
    return {arn: lb.LoadBalancerArn!, dnsName: lb.DNSName ?? `${name}.${this.region}.elb.amazonaws.com`}
  }

  async dnsName(arn: string): Promise<string | undefined> {
    const out = await this.client.send(new DescribeLoadBalancersCommand({LoadBalancerArns: [arn]}))
    return out.LoadBalancers?.[0]?.DNSName
  }

  /** Target group name of a process: Beanstalk's are generated, unique and at most 32 characters. */
  private tgName(env: Elbv2Env, process: string): string {
    return `awseb-${env.id.slice(2, 10)}-${process}`.slice(0, 32).replace(/-+$/, '')
  }

  private async targetGroups(env: Elbv2Env, d: DesiredElbv2): Promise<Map<string, string>> {
    const {vpc} = await this.network()
    const arns = new Map<string, string>()
    for (const p of d.processes) {
      const name = this.tgName(env, p.name)
      let arn: string | undefined
      try {
        arn = (await this.client.send(new DescribeTargetGroupsCommand({Names: [name]}))).TargetGroups?.[0]
          ?.TargetGroupArn
      } catch {
        arn = undefined
      }
      const health = this.health(p, env.type)
      if (!arn) {
        const out = await this.client.send(
          new CreateTargetGroupCommand({
            Name: name,
            Protocol: p.protocol as 'HTTP',
            Port: p.port,
            VpcId: vpc,
            ...health,
            Tags: [
              {Key: 'elasticbeanstalk:environment-name', Value: env.name},
              {Key: 'elasticbeanstalk:environment-id', Value: env.id},
            ],
          }),
        )
        arn = out.TargetGroups![0]!.TargetGroupArn!
      } else {
        await this.client.send(new ModifyTargetGroupCommand({TargetGroupArn: arn, ...health}))
      }
      const attributes = [{Key: 'deregistration_delay.timeout_seconds', Value: String(p.deregistrationDelay)}]
      if (env.type === 'application') {
        attributes.push(
          {Key: 'stickiness.enabled', Value: String(p.stickiness)},
          {Key: 'stickiness.type', Value: 'lb_cookie'},
        )
        attributes.push({Key: 'stickiness.lb_cookie.duration_seconds', Value: String(p.stickinessDuration)})
      }
      await this.client.send(new ModifyTargetGroupAttributesCommand({TargetGroupArn: arn, Attributes: attributes}))
      arns.set(p.name, arn)
    }
    return arns
  }

  private health(p: DesiredProcess, type: 'application' | 'network') {
    return {
      HealthCheckIntervalSeconds: p.healthCheckInterval,
      HealthCheckTimeoutSeconds: p.healthCheckTimeout,
      HealthyThresholdCount: p.healthyThreshold,
      UnhealthyThresholdCount: p.unhealthyThreshold,
      ...(type === 'application' ? {HealthCheckPath: p.healthCheckPath, Matcher: {HttpCode: p.matcher}} : {}),
    }
  }

  /** Reconcile; true when anything on the load balancer had to change. */
  async apply(env: Elbv2Env): Promise<boolean> {
    const d = desiredElbv2(env.options, env.type === 'network')
    const tgs = await this.targetGroups(env, d)
    if (env.shared) return this.applyShared(env, d, tgs)
    let changed = false
    if (env.type === 'application') {
      await this.client.send(
        new ModifyLoadBalancerAttributesCommand({
          LoadBalancerArn: env.loadBalancerArn,
          Attributes: [{Key: 'idle_timeout.timeout_seconds', Value: String(d.idleTimeout)}],
        }),
      )
    }
    const live =
      (await this.client.send(new DescribeListenersCommand({LoadBalancerArn: env.loadBalancerArn}))).Listeners ?? []
    for (const want of d.listeners) {
      const tg = tgs.get(want.defaultProcess) ?? tgs.get('default')!
      const actions: Action[] =
        want.port === 80 && env.listenerOverride ? env.listenerOverride : [{Type: 'forward', TargetGroupArn: tg}]
      const secure = want.protocol === 'HTTPS' || want.protocol === 'TLS'
      const spec = {
        Protocol: want.protocol as 'HTTP',
        Port: want.port,
        DefaultActions: actions,
        ...(secure
          ? {
              Certificates: want.certificates.slice(0, 1).map((CertificateArn) => ({CertificateArn})),
              SslPolicy: want.sslPolicy ?? 'ELBSecurityPolicy-2016-08',
            }
          : {}),
      }
      const have = live.find((l) => l.Port === want.port)
      if (!have) {
        await this.client.send(new CreateListenerCommand({LoadBalancerArn: env.loadBalancerArn, ...spec}))
        changed = true
      } else if (!sameListener(have, spec)) {
        await this.client.send(new ModifyListenerCommand({ListenerArn: have.ListenerArn, ...spec}))
        changed = true
      }
    }
    for (const l of live) {
      if (!d.listeners.some((w) => w.port === l.Port)) {
        await this.client.send(new DeleteListenerCommand({ListenerArn: l.ListenerArn}))
        changed = true
      }
    }
    return changed
  }

  /** Environments whose rules on a shared ALB exist (Beanstalk makes them once, when it creates the environment). */
  private readonly sharedRulesMade = new Set<string>()

  /**
   * A shared ALB (environments-cfg-alb-shared.html): the listeners are the owner's and never touched. When the
   * environment is created, Beanstalk adds its rules: each listener's `Rules` option names them (`default` and
   * aws:elbv2:listenerrule:NAME), or, if no listener names any, the `default` rule goes on the port-80 listener.
   * Every rule gets the environment's CNAME as a host-header condition (with the rule's HostHeaders, if any, and its
   * PathPatterns), forwarding to its process; the environment's relative priorities become the next free absolute
   * ones, the default rule last. Afterwards "you can't update listeners and listener rules": an environment update
   * only reconciles the processes (target groups), done by the caller.
   */
  private async applyShared(env: Elbv2Env, _d: DesiredElbv2, tgs: Map<string, string>): Promise<boolean> {
    if (this.sharedRulesMade.has(env.id)) return false
    this.sharedRulesMade.add(env.id)
    const live =
      (await this.client.send(new DescribeListenersCommand({LoadBalancerArn: env.loadBalancerArn}))).Listeners ?? []
    const opt = (ns: string, name: string) => env.options.get(`${ns}\u0000${name}`)
    const named = new Map<number, string[]>()
    for (const l of live) {
      const ns = l.Port === 80 ? 'aws:elbv2:listener:default' : `aws:elbv2:listener:${l.Port}`
      const rules = (opt(ns, 'Rules') ?? (l.Port === 80 ? opt('aws:elbv2:listener:80', 'Rules') : undefined) ?? '')
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean)
      if (rules.length > 0) named.set(l.Port!, rules)
    }
    if (named.size === 0 && live.some((l) => l.Port === 80)) named.set(80, ['default'])
    let changed = false
    for (const [port, names] of named) {
      const listener = live.find((l) => l.Port === port)!
      const rules = (await this.client.send(new DescribeRulesCommand({ListenerArn: listener.ListenerArn}))).Rules ?? []
      const used = new Set(rules.map((r) => Number(r.Priority)).filter(Number.isFinite))
      const ns = (name: string) => `aws:elbv2:listenerrule:${name}`
      const ordered = [...names].sort((a, b) =>
        a === 'default'
          ? 1
          : b === 'default'
            ? -1
            : Number(opt(ns(a), 'Priority') ?? '1') - Number(opt(ns(b), 'Priority') ?? '1'),
      )
      for (const name of ordered) {
        let priority = 1
        while (used.has(priority)) priority++
        used.add(priority)
        const split = (v: string | undefined) =>
          (v ?? '')
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean)
        const hosts = [env.cname, ...(name === 'default' ? [] : split(opt(ns(name), 'HostHeaders')))]
        const paths = name === 'default' ? [] : split(opt(ns(name), 'PathPatterns'))
        const process = name === 'default' ? 'default' : (opt(ns(name), 'Process') ?? 'default')
        const out = await this.client.send(
          new CreateRuleCommand({
            ListenerArn: listener.ListenerArn,
            Priority: priority,
            Conditions: [
              {Field: 'host-header', Values: hosts},
              ...(paths.length > 0 ? [{Field: 'path-pattern', Values: paths}] : []),
            ],
            Actions: [{Type: 'forward', TargetGroupArn: tgs.get(process) ?? tgs.get('default')!}],
          }),
        )
        await this.client.send(
          new AddTagsCommand({
            ResourceArns: [out.Rules![0]!.RuleArn!],
            Tags: [{Key: 'elasticbeanstalk:environment-name', Value: env.name}],
          }),
        )
        changed = true
      }
    }
    return changed
  }
}

function sameListener(
  have: Listener,
  want: {
    Protocol: string
    DefaultActions: Action[]
    Certificates?: Array<{CertificateArn: string}>
    SslPolicy?: string
  },
): boolean {
  const norm = (a: Action[] | undefined) =>
    JSON.stringify(
      (a ?? []).map((x) => ({
        Type: x.Type,
        TargetGroupArn: x.TargetGroupArn,
        RedirectConfig: x.RedirectConfig,
        FixedResponseConfig: x.FixedResponseConfig,
      })),
    )
  if (have.Protocol !== want.Protocol || norm(have.DefaultActions) !== norm(want.DefaultActions)) return false
  if (want.SslPolicy !== undefined && have.SslPolicy !== want.SslPolicy) return false
  const haveDefault = have.Certificates?.[0]?.CertificateArn
  if ((want.Certificates?.[0]?.CertificateArn ?? undefined) !== haveDefault && want.Certificates !== undefined)
    return false
  return true
}
