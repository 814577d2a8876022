// The EB fake's ALB/NLB environments (EB-FAKE.md, "ALB and NLB"): listeners rebuilt from option settings on every
// update, live-only changes reverted, a deployed bundle's Resources override honoured, a shared ALB left alone.
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {UpdateEnvironmentCommand, ValidateConfigurationSettingsCommand} from '@aws-sdk/client-elastic-beanstalk'
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import {CreateBucketCommand, PutObjectCommand} from '@aws-sdk/client-s3'
import {ZipFile} from 'yazl'

import {createCertificate} from './certificates.ts'
import {startBench, type Bench, REGION} from './eb-fake/test-support.ts'

const REDIRECT = {
  Type: 'redirect' as const,
  RedirectConfig: {
    Protocol: 'HTTPS',
    Port: '443',
    Host: '#{host}',
    Path: '/#{path}',
    Query: '#{query}',
    StatusCode: 'HTTP_301' as const,
  },
}
const OVERRIDE = `Resources:
  AWSEBV2LoadBalancerListener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn:
        Ref: AWSEBV2LoadBalancer
      Port: 80
      Protocol: HTTP
      DefaultActions:
        - Type: redirect
          RedirectConfig:
            Protocol: HTTPS
            Port: 443
            Host: "#{host}"
            Path: "/#{path}"
            Query: "#{query}"
            StatusCode: HTTP_301
`

function zip(files: Record<string, string>): Promise<Buffer> {
  const z = new ZipFile()
  for (const [p, d] of Object.entries(files)) z.addBuffer(Buffer.from(d), p)
  z.end()
  const chunks: Buffer[] = []
  return new Promise((resolve) => {
    z.outputStream.on('data', (c: Buffer) => chunks.push(c))
    z.outputStream.on('end', () => resolve(Buffer.concat(chunks)))
  })
}

describe('eb-fake: ALB and NLB environments', () => {
  let b: Bench
  let v2: ElasticLoadBalancingV2Client
  before(async () => {
    b = await startBench()
    v2 = new ElasticLoadBalancingV2Client({
      endpoint: b.moto.url,
      region: REGION,
      credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'},
    })
  })
  after(async () => {
    v2?.destroy()
    await b?.stop()
  })
  const listeners = async (arn: string) =>
    ((await v2.send(new DescribeListenersCommand({LoadBalancerArn: arn}))).Listeners ?? []).sort(
      (x, y) => (x.Port ?? 0) - (y.Port ?? 0),
    )
  const update = async (
    name: string,
    input: Omit<ConstructorParameters<typeof UpdateEnvironmentCommand>[0], 'EnvironmentName'>,
  ) => {
    await b.eb.send(new UpdateEnvironmentCommand({EnvironmentName: name, ...input}))
    await b.fake.waitForStatus(name, 'Ready', 10_000)
  }

  it('builds the ALB from the options, rebuilds its listeners on UpdateEnvironment and reverts live-only changes', async () => {
    const e = await b.fake.createEnvironment({name: 'alb-a', application: 'app', loadBalancerType: 'application'})
    assert.match(e.loadBalancerName!, /:loadbalancer\/app\//)
    assert.deepEqual(
      (await listeners(e.loadBalancerName!)).map((l) => [l.Port, l.Protocol, l.DefaultActions?.[0]?.Type]),
      [[80, 'HTTP', 'forward']],
    )
    const cert = await createCertificate({endpoint: b.moto.url, region: REGION, kind: 'rsa2048'})
    await update('alb-a', {
      OptionSettings: [
        {Namespace: 'aws:elbv2:listener:443', OptionName: 'Protocol', Value: 'HTTPS'},
        {Namespace: 'aws:elbv2:listener:443', OptionName: 'SSLCertificateArns', Value: cert.arn},
        {Namespace: 'aws:elbv2:listener:443', OptionName: 'SSLPolicy', Value: 'ELBSecurityPolicy-TLS13-1-2-2021-06'},
      ],
    })
    const l = await listeners(e.loadBalancerName!)
    assert.deepEqual(
      l.map((x) => [x.Port, x.Protocol, x.SslPolicy, x.Certificates?.[0]?.CertificateArn]),
      [
        [80, 'HTTP', undefined, undefined],
        [443, 'HTTPS', 'ELBSecurityPolicy-TLS13-1-2-2021-06', cert.arn],
      ],
    )
    // A redirect set straight on the load balancer: the next update (any option) puts the forward back.
    await v2.send(new ModifyListenerCommand({ListenerArn: l[0]!.ListenerArn, DefaultActions: [REDIRECT]}))
    await update('alb-a', {
      OptionSettings: [{Namespace: 'aws:elasticbeanstalk:application:environment', OptionName: 'X', Value: '1'}],
    })
    assert.equal((await listeners(e.loadBalancerName!))[0]!.DefaultActions?.[0]?.Type, 'forward')
    await update('alb-a', {
      OptionSettings: [{Namespace: 'aws:elbv2:listener:443', OptionName: 'ListenerEnabled', Value: 'false'}],
    })
    assert.deepEqual(
      (await listeners(e.loadBalancerName!)).map((x) => x.Port),
      [80],
    )
  })

  it("honours a deployed bundle's Resources override of AWSEBV2LoadBalancerListener", async () => {
    const e = await b.fake.createEnvironment({name: 'alb-b', application: 'app', loadBalancerType: 'application'})
    await b.s3.send(new CreateBucketCommand({Bucket: 'fake-alb'})).catch(() => undefined)
    await b.s3.send(
      new PutObjectCommand({
        Bucket: 'fake-alb',
        Key: 'v1.zip',
        Body: await zip({'app.js': '', '.ebextensions/redirect.config': OVERRIDE}),
      }),
    )
    b.fake.createApplicationVersion('app', 'v1', {s3Bucket: 'fake-alb', s3Key: 'v1.zip'})
    await update('alb-b', {VersionLabel: 'v1'})
    assert.deepEqual(
      (await listeners(e.loadBalancerName!))[0]!.DefaultActions?.[0]?.RedirectConfig,
      REDIRECT.RedirectConfig,
    )
    await update('alb-b', {
      OptionSettings: [{Namespace: 'aws:elbv2:loadbalancer', OptionName: 'IdleTimeout', Value: '90'}],
    })
    assert.equal(
      (await listeners(e.loadBalancerName!))[0]!.DefaultActions?.[0]?.Type,
      'redirect',
      'kept across later updates',
    )
  })

  it("leaves a shared ALB's listeners alone: an environment only adds its host-header rule", async () => {
    const lb = await b.fake.createSharedLoadBalancer('shared-fake')
    const before = await listeners(lb.arn)
    const e = await b.fake.createEnvironment({
      name: 'alb-c',
      application: 'app',
      loadBalancerType: 'application',
      sharedLoadBalancerArn: lb.arn,
    })
    await update('alb-c', {
      OptionSettings: [
        {Namespace: 'aws:elasticbeanstalk:environment:process:default', OptionName: 'HealthCheckPath', Value: '/h'},
      ],
    })
    const now = await listeners(lb.arn)
    assert.deepEqual(
      now.map((l) => [l.Port, l.Protocol, l.DefaultActions]),
      before.map((l) => [l.Port, l.Protocol, l.DefaultActions]),
    )
    const rules = ((await v2.send(new DescribeRulesCommand({ListenerArn: now[0]!.ListenerArn}))).Rules ?? []).filter(
      (r) => !r.IsDefault,
    )
    assert.deepEqual(
      rules.map((r) => r.Conditions?.[0]?.Values),
      [[e.cname]],
    )
  })

  it("two environments on a shared ALB: an update of one leaves the other's rules, its own rules and the listeners alone", async () => {
    const cert = await createCertificate({endpoint: b.moto.url, region: REGION, kind: 'rsa2048'})
    const lb = await b.fake.createSharedLoadBalancer('shared-two', {
      listeners: [
        {port: 80, protocol: 'HTTP'},
        {port: 443, protocol: 'HTTPS', certificateArn: cert.arn},
      ],
    })
    const a = await b.fake.createEnvironment({
      name: 'shared-a',
      application: 'app',
      loadBalancerType: 'application',
      sharedLoadBalancerArn: lb.arn,
      // The documented example: rules named on a listener, a path rule to another process.
      optionSettings: [
        {Namespace: 'aws:elbv2:listener:443', OptionName: 'Rules', Value: 'default,admin'},
        {Namespace: 'aws:elbv2:listenerrule:admin', OptionName: 'PathPatterns', Value: '/admin/*'},
        {Namespace: 'aws:elbv2:listenerrule:admin', OptionName: 'Process', Value: 'admin'},
        {Namespace: 'aws:elasticbeanstalk:environment:process:admin', OptionName: 'Port', Value: '8081'},
      ],
    })
    const bEnv = await b.fake.createEnvironment({
      name: 'shared-b',
      application: 'app',
      loadBalancerType: 'application',
      sharedLoadBalancerArn: lb.arn,
    })
    const [l80, l443] = await listeners(lb.arn)
    const rules = async (arn: string) =>
      ((await v2.send(new DescribeRulesCommand({ListenerArn: arn}))).Rules ?? [])
        .filter((r) => !r.IsDefault)
        .map((r) => ({
          arn: r.RuleArn,
          priority: r.Priority,
          conditions: (r.Conditions ?? []).map((c) => [c.Field, c.Values ?? c.HostHeaderConfig?.Values]),
          actions: (r.Actions ?? []).map((x) => x.Type),
        }))
    assert.deepEqual(
      (await rules(l443!.ListenerArn!)).map((r) => [r.priority, r.conditions]),
      [
        [
          '1',
          [
            ['host-header', [a.cname]],
            ['path-pattern', ['/admin/*']],
          ],
        ],
        ['2', [['host-header', [a.cname]]]],
      ],
      "a's rules on the listener its Rules option names: the named rule first, the default rule last",
    )
    assert.deepEqual(
      (await rules(l80!.ListenerArn!)).map((r) => [r.priority, r.conditions]),
      [['1', [['host-header', [bEnv.cname]]]]],
      'b names no listener: its default rule goes on port 80',
    )
    // a's own rule changed with the ELBv2 API (as AWS says to for a shared ALB), then a's environment is updated.
    const {ModifyRuleCommand} = await import('@aws-sdk/client-elastic-load-balancing-v2')
    const mine = (await rules(l443!.ListenerArn!))[1]!
    await v2.send(
      new ModifyRuleCommand({
        RuleArn: mine.arn,
        Actions: [{Type: 'fixed-response', FixedResponseConfig: {StatusCode: '418'}}],
      }),
    )
    const before = {
      l80: await rules(l80!.ListenerArn!),
      l443: await rules(l443!.ListenerArn!),
      listeners: await listeners(lb.arn),
    }
    await update('shared-a', {
      OptionSettings: [
        {Namespace: 'aws:elasticbeanstalk:environment:process:default', OptionName: 'StickinessEnabled', Value: 'true'},
      ],
    })
    assert.deepEqual(await rules(l80!.ListenerArn!), before.l80, "b's rule untouched")
    assert.deepEqual(await rules(l443!.ListenerArn!), before.l443, "a's rules are not rebuilt by its update")
    assert.deepEqual(
      (await listeners(lb.arn)).map((l) => [l.Port, l.Protocol, l.DefaultActions, l.Certificates?.[0]?.CertificateArn]),
      before.listeners.map((l) => [l.Port, l.Protocol, l.DefaultActions, l.Certificates?.[0]?.CertificateArn]),
      'the shared listeners untouched',
    )
    const {DescribeTargetGroupsCommand, DescribeTargetGroupAttributesCommand} =
      await import('@aws-sdk/client-elastic-load-balancing-v2')
    const tg = (await v2.send(new DescribeTargetGroupsCommand({LoadBalancerArn: lb.arn}))).TargetGroups!.find(
      (t) => t.TargetGroupName!.endsWith('-default') && t.TargetGroupName!.includes(a.id.slice(2, 10)),
    )!
    const attrs =
      (await v2.send(new DescribeTargetGroupAttributesCommand({TargetGroupArn: tg.TargetGroupArn}))).Attributes ?? []
    assert.equal(attrs.find((x) => x.Key === 'stickiness.enabled')?.Value, 'true', 'its processes are updated')
    for (const [Namespace, OptionName, Value] of [
      ['aws:elbv2:loadbalancer', 'IdleTimeout', '120'],
      ['aws:elbv2:listener:443', 'SSLPolicy', 'ELBSecurityPolicy-TLS13-1-2-2021-06'],
    ] as const) {
      await assert.rejects(
        b.eb.send(
          new UpdateEnvironmentCommand({EnvironmentName: 'shared-a', OptionSettings: [{Namespace, OptionName, Value}]}),
        ),
        /does not apply to an environment with a shared load balancer/,
        `${Namespace} ${OptionName} is not a shared ALB's to set`,
      )
    }
  })

  it("an NLB's listeners are TCP only in the option settings", async () => {
    const e = await b.fake.createEnvironment({name: 'nlb-a', application: 'app', loadBalancerType: 'network'})
    assert.match(e.loadBalancerName!, /:loadbalancer\/net\//)
    const out = await b.eb.send(
      new ValidateConfigurationSettingsCommand({
        ApplicationName: 'app',
        EnvironmentName: 'nlb-a',
        OptionSettings: [{Namespace: 'aws:elbv2:listener:443', OptionName: 'Protocol', Value: 'TLS'}],
      }),
    )
    assert.ok((out.Messages ?? []).some((m) => m.Severity === 'error'))
    await assert.rejects(
      b.eb.send(
        new UpdateEnvironmentCommand({
          EnvironmentName: 'nlb-a',
          OptionSettings: [{Namespace: 'aws:elbv2:listener:443', OptionName: 'Protocol', Value: 'HTTPS'}],
        }),
      ),
      /'HTTPS' .*Value is not one of the allowed values: \[TCP\]/,
    )
  })
})
