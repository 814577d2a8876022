import {after, before, describe, test} from 'node:test'
import assert from 'node:assert/strict'

import {
  CreateApplicationVersionCommand,
  CreateStorageLocationCommand,
  DescribeApplicationVersionsCommand,
  DescribeApplicationsCommand,
  DescribeConfigurationSettingsCommand,
  DescribeEnvironmentResourcesCommand,
  DescribeEnvironmentsCommand,
  DescribeEventsCommand,
  UpdateEnvironmentCommand,
  ValidateConfigurationSettingsCommand,
} from '@aws-sdk/client-elastic-beanstalk'
import type {ConfigurationOptionSetting, EventDescription} from '@aws-sdk/client-elastic-beanstalk'
import {
  CreateLoadBalancerListenersCommand,
  DeleteLoadBalancerListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancerPoliciesCommand,
  DescribeLoadBalancersCommand,
  ModifyLoadBalancerAttributesCommand,
  SetLoadBalancerPoliciesForBackendServerCommand,
} from '@aws-sdk/client-elastic-load-balancing'
import {HeadBucketCommand, PutObjectCommand, CreateBucketCommand} from '@aws-sdk/client-s3'
import {RequestCertificateCommand} from '@aws-sdk/client-acm'

import {startBench, awsError, IAM_CERT} from './eb-fake/test-support.ts'
import type {Bench} from './eb-fake/test-support.ts'

let b: Bench
before(async () => {
  b = await startBench()
})
after(async () => {
  await b?.stop()
})

const opt = (Namespace: string, OptionName: string, Value: string): ConfigurationOptionSetting => ({
  Namespace,
  OptionName,
  Value,
})

/** The Socket.io-over-HTTPS layout: SSL 443 → TCP 80 with Proxy Protocol on 80, TCP 80 → TCP 80. */
const WEBSOCKET_LAYOUT: ConfigurationOptionSetting[] = [
  opt('aws:elb:listener', 'ListenerProtocol', 'TCP'),
  opt('aws:elb:listener', 'InstancePort', '80'),
  opt('aws:elb:listener', 'InstanceProtocol', 'TCP'),
  opt('aws:elb:listener:443', 'ListenerProtocol', 'SSL'),
  opt('aws:elb:listener:443', 'InstancePort', '80'),
  opt('aws:elb:listener:443', 'InstanceProtocol', 'TCP'),
  opt('aws:elb:listener:443', 'SSLCertificateId', IAM_CERT),
  opt('aws:elb:policies:proxy', 'ProxyProtocol', 'true'),
  opt('aws:elb:policies:proxy', 'InstancePorts', '80'),
  opt('aws:elb:policies:tls', 'SSLReferencePolicy', 'ELBSecurityPolicy-TLS-1-2-2017-01'),
  opt('aws:elb:policies:tls', 'LoadBalancerPorts', '443'),
  opt('aws:elb:policies', 'ConnectionSettingIdleTimeout', '3600'),
  opt('aws:elasticbeanstalk:application', 'Application Healthcheck URL', '/health'),
  opt('aws:elb:loadbalancer', 'CrossZone', 'true'),
]

async function clb(name: string) {
  const out = await b.elb.send(new DescribeLoadBalancersCommand({LoadBalancerNames: [name]}))
  return out.LoadBalancerDescriptions![0]!
}

async function listeners(name: string) {
  return ((await clb(name)).ListenerDescriptions ?? [])
    .map((d) => ({
      port: d.Listener!.LoadBalancerPort,
      protocol: d.Listener!.Protocol,
      instancePort: d.Listener!.InstancePort,
      instanceProtocol: d.Listener!.InstanceProtocol,
      cert: d.Listener!.SSLCertificateId,
      policies: [...(d.PolicyNames ?? [])].sort(),
    }))
    .sort((x, y) => x.port! - y.port!)
}

async function update(name: string, settings: ConfigurationOptionSetting[]) {
  const out = await b.eb.send(new UpdateEnvironmentCommand({EnvironmentName: name, OptionSettings: settings}))
  assert.equal(out.Status, 'Updating')
  await b.fake.waitForStatus(name)
  await b.fake.idle()
}

async function optionValue(app: string, env: string, ns: string, name: string) {
  const out = await b.eb.send(new DescribeConfigurationSettingsCommand({ApplicationName: app, EnvironmentName: env}))
  const s = out.ConfigurationSettings![0]!.OptionSettings!.find((o) => o.Namespace === ns && o.OptionName === name)
  return s
}

describe('DescribeEnvironments', () => {
  test('filters by names, ids and application; Terminated only with IncludeDeleted', async () => {
    const one = await b.fake.createEnvironment({name: 'de-one', application: 'de-app', versionLabel: 'v1'})
    await b.fake.createEnvironment({
      name: 'de-two',
      application: 'de-app',
      environmentType: 'SingleInstance',
      health: 'Yellow',
    })
    await b.fake.createEnvironment({name: 'de-other', application: 'de-app2', environmentType: 'SingleInstance'})

    const byName = await b.eb.send(new DescribeEnvironmentsCommand({EnvironmentNames: ['de-one']}))
    assert.equal(byName.Environments?.length, 1)
    const e = byName.Environments![0]!
    assert.equal(e.EnvironmentId, one.id)
    assert.match(e.EnvironmentId!, /^e-[a-z0-9]{10}$/)
    assert.equal(e.ApplicationName, 'de-app')
    assert.equal(e.VersionLabel, 'v1')
    assert.equal(e.Status, 'Ready')
    assert.equal(e.Health, 'Green')
    assert.equal(e.HealthStatus, 'Ok')
    assert.equal(e.AbortableOperationInProgress, false)
    assert.ok(e.DateCreated instanceof Date && e.DateUpdated instanceof Date)
    assert.equal(e.Tier?.Name, 'WebServer')
    assert.equal(e.EnvironmentArn, 'arn:aws:elasticbeanstalk:us-east-1:123456789012:environment/de-app/de-one')
    assert.equal(e.EndpointURL, one.endpointUrl)

    const byId = await b.eb.send(new DescribeEnvironmentsCommand({EnvironmentIds: [one.id]}))
    assert.deepEqual(
      byId.Environments?.map((x) => x.EnvironmentName),
      ['de-one'],
    )

    const byApp = await b.eb.send(new DescribeEnvironmentsCommand({ApplicationName: 'de-app'}))
    assert.deepEqual(
      byApp.Environments?.map((x) => [x.EnvironmentName, x.Health, x.HealthStatus]),
      [
        ['de-one', 'Green', 'Ok'],
        ['de-two', 'Yellow', 'Warning'],
      ],
    )

    const none = await b.eb.send(new DescribeEnvironmentsCommand({EnvironmentNames: ['no-such-env']}))
    assert.deepEqual(none.Environments, [])

    b.fake.terminateEnvironment('de-two')
    const live = await b.eb.send(new DescribeEnvironmentsCommand({ApplicationName: 'de-app'}))
    assert.deepEqual(
      live.Environments?.map((x) => x.EnvironmentName),
      ['de-one'],
    )
    const withDeleted = await b.eb.send(
      new DescribeEnvironmentsCommand({ApplicationName: 'de-app', IncludeDeleted: true}),
    )
    assert.deepEqual(
      withDeleted.Environments?.map((x) => [x.EnvironmentName, x.Status]),
      [
        ['de-one', 'Ready'],
        ['de-two', 'Terminated'],
      ],
    )
  })
})

describe('DescribeEnvironmentResources', () => {
  test('a load-balanced classic environment links its CLB, which exists in moto', async () => {
    const env = await b.fake.createEnvironment({name: 'res-lb', application: 'res-app'})
    const out = await b.eb.send(new DescribeEnvironmentResourcesCommand({EnvironmentName: 'res-lb'}))
    assert.deepEqual(out.EnvironmentResources?.LoadBalancers, [{Name: env.loadBalancerName}])
    assert.match(env.loadBalancerName!, /^awseb-e-[a-z0-9]-AWSEBLoa-[A-Z0-9]{13}$/)
    assert.ok(env.loadBalancerName!.length <= 32)
    assert.equal(out.EnvironmentResources?.EnvironmentName, 'res-lb')
    assert.equal(out.EnvironmentResources?.Instances?.length, 1)
    // Resource ids are the environment's, stable across calls.
    const again = await b.eb.send(new DescribeEnvironmentResourcesCommand({EnvironmentName: 'res-lb'}))
    assert.deepEqual(again.EnvironmentResources, out.EnvironmentResources)
    // Created with the default listener: HTTP 80 -> HTTP 80.
    assert.deepEqual(await listeners(env.loadBalancerName!), [
      {port: 80, protocol: 'HTTP', instancePort: 80, instanceProtocol: 'HTTP', cert: undefined, policies: []},
    ])
  })

  test('a given existing CLB is linked untouched; by id works too', async () => {
    const {CreateLoadBalancerCommand} = await import('@aws-sdk/client-elastic-load-balancing')
    await b.elb.send(
      new CreateLoadBalancerCommand({
        LoadBalancerName: 'given-clb',
        AvailabilityZones: ['us-east-1a'],
        Listeners: [{Protocol: 'HTTP', LoadBalancerPort: 8080, InstancePort: 8080}],
      }),
    )
    const env = await b.fake.createEnvironment({
      name: 'res-given',
      application: 'res-app',
      loadBalancerName: 'given-clb',
    })
    const out = await b.eb.send(new DescribeEnvironmentResourcesCommand({EnvironmentId: env.id}))
    assert.deepEqual(out.EnvironmentResources?.LoadBalancers, [{Name: 'given-clb'}])
    assert.deepEqual(
      (await listeners('given-clb')).map((l) => l.port),
      [8080],
    )
  })

  test('a SingleInstance environment has no load balancer', async () => {
    await b.fake.createEnvironment({name: 'res-single', application: 'res-app', environmentType: 'SingleInstance'})
    const out = await b.eb.send(new DescribeEnvironmentResourcesCommand({EnvironmentName: 'res-single'}))
    assert.deepEqual(out.EnvironmentResources?.LoadBalancers, [])
  })

  test('unknown environment: InvalidParameterValue', async () => {
    await assert.rejects(
      b.eb.send(new DescribeEnvironmentResourcesCommand({EnvironmentName: 'nope-env'})),
      awsError('InvalidParameterValue', "No Environment found for EnvironmentName = 'nope-env'."),
    )
  })
})

describe('DescribeConfigurationSettings', () => {
  test('defaults for a classic environment, as the service lists them', async () => {
    await b.fake.createEnvironment({name: 'cfg-default', application: 'cfg-app'})
    const out = await b.eb.send(
      new DescribeConfigurationSettingsCommand({ApplicationName: 'cfg-app', EnvironmentName: 'cfg-default'}),
    )
    const cs = out.ConfigurationSettings![0]!
    assert.equal(cs.ApplicationName, 'cfg-app')
    assert.equal(cs.EnvironmentName, 'cfg-default')
    assert.equal(cs.DeploymentStatus, 'deployed')
    const get = (ns: string, n: string) => cs.OptionSettings!.find((o) => o.Namespace === ns && o.OptionName === n)
    assert.equal(get('aws:elasticbeanstalk:environment', 'LoadBalancerType')?.Value, 'classic')
    assert.equal(get('aws:elasticbeanstalk:environment', 'EnvironmentType')?.Value, 'LoadBalanced')
    assert.deepEqual(get('aws:elb:listener:80', 'ListenerProtocol'), {
      ResourceName: 'AWSEBLoadBalancer',
      Namespace: 'aws:elb:listener:80',
      OptionName: 'ListenerProtocol',
      Value: 'HTTP',
    })
    assert.equal(get('aws:elb:listener:80', 'InstancePort')?.Value, '80')
    assert.equal(get('aws:elb:listener:80', 'InstanceProtocol')?.Value, 'HTTP')
    assert.equal(get('aws:elb:listener:80', 'ListenerEnabled')?.Value, 'true')
    // An option without a value has no Value member at all.
    assert.deepEqual(get('aws:elb:listener:80', 'SSLCertificateId'), {
      ResourceName: 'AWSEBLoadBalancer',
      Namespace: 'aws:elb:listener:80',
      OptionName: 'SSLCertificateId',
    })
    assert.equal(get('aws:elb:healthcheck', 'Target')?.Value, 'TCP:80')
    assert.equal(get('aws:elb:policies', 'ConnectionSettingIdleTimeout')?.Value, '60')
    assert.equal(get('aws:elb:loadbalancer', 'CrossZone')?.Value, 'false')
    assert.equal(get('aws:elasticbeanstalk:application', 'Application Healthcheck URL')?.Value, '')
    assert.equal(get('aws:elb:listener:443', 'ListenerProtocol'), undefined)
    // Sorted by namespace, then option name, in code-unit order.
    const keys = cs.OptionSettings!.map((o) => `${o.Namespace}|${o.OptionName}`)
    assert.deepEqual(keys, [...keys].sort())
  })

  test('SingleInstance and application environments report their type; no aws:elb options on SingleInstance', async () => {
    await b.fake.createEnvironment({name: 'cfg-single', application: 'cfg-app', environmentType: 'SingleInstance'})
    await b.fake.createEnvironment({name: 'cfg-alb', application: 'cfg-app', loadBalancerType: 'application'})
    assert.equal(
      (await optionValue('cfg-app', 'cfg-single', 'aws:elasticbeanstalk:environment', 'EnvironmentType'))?.Value,
      'SingleInstance',
    )
    assert.equal(await optionValue('cfg-app', 'cfg-single', 'aws:elb:listener:80', 'ListenerProtocol'), undefined)
    assert.equal(
      (await optionValue('cfg-app', 'cfg-alb', 'aws:elasticbeanstalk:environment', 'LoadBalancerType'))?.Value,
      'application',
    )
    const res = await b.eb.send(new DescribeEnvironmentResourcesCommand({EnvironmentName: 'cfg-alb'}))
    assert.match(
      res.EnvironmentResources!.LoadBalancers![0]!.Name!,
      /^arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer\/app\//,
    )
  })

  test('errors: unknown application, unknown environment, missing ApplicationName', async () => {
    await assert.rejects(
      b.eb.send(new DescribeConfigurationSettingsCommand({ApplicationName: 'nope-app', EnvironmentName: 'x'})),
      awsError('InvalidParameterValue', "No Application named 'nope-app' found."),
    )
    await assert.rejects(
      b.eb.send(new DescribeConfigurationSettingsCommand({ApplicationName: 'cfg-app', EnvironmentName: 'nope-env'})),
      awsError('InvalidParameterValue', "No Environment found for EnvironmentName = 'nope-env'."),
    )
    await assert.rejects(
      b.eb.send(
        new DescribeConfigurationSettingsCommand({
          ApplicationName: undefined as unknown as string,
          EnvironmentName: 'x',
        }),
      ),
      awsError(
        'ValidationError',
        "1 validation error detected: Value null at 'applicationName' failed to satisfy constraint: Member must not be null",
      ),
    )
  })
})

describe('ValidateConfigurationSettings', () => {
  before(async () => {
    await b.fake.createEnvironment({name: 'val-env', application: 'val-app'})
  })
  const validate = async (settings: ConfigurationOptionSetting[]) =>
    (
      await b.eb.send(
        new ValidateConfigurationSettingsCommand({
          ApplicationName: 'val-app',
          EnvironmentName: 'val-env',
          OptionSettings: settings,
        }),
      )
    ).Messages

  test('valid settings: no messages', async () => {
    assert.deepEqual(await validate(WEBSOCKET_LAYOUT), [])
  })

  test('unknown namespace and unknown option', async () => {
    assert.deepEqual(
      await validate([opt('aws:elb:nonsense', 'Foo', '1'), opt('aws:elb:listener:443', 'Protocol', 'SSL')]),
      [
        {
          Message:
            "Invalid option specification (Namespace: 'aws:elb:nonsense', OptionName: 'Foo'): Unknown configuration setting.",
          Severity: 'error',
          Namespace: 'aws:elb:nonsense',
          OptionName: 'Foo',
        },
        {
          Message:
            "Invalid option specification (Namespace: 'aws:elb:listener:443', OptionName: 'Protocol'): Unknown configuration setting.",
          Severity: 'error',
          Namespace: 'aws:elb:listener:443',
          OptionName: 'Protocol',
        },
      ],
    )
  })

  test('bad values: enum, range, integer', async () => {
    const messages = await validate([
      opt('aws:elb:listener:443', 'ListenerProtocol', 'WSS'),
      opt('aws:elb:listener', 'ListenerProtocol', 'HTTPS'),
      opt('aws:elb:policies', 'ConnectionSettingIdleTimeout', '4000'),
      opt('aws:elb:listener:443', 'InstancePort', 'eighty'),
    ])
    assert.deepEqual(
      messages?.map((m) => m.Message),
      [
        "Invalid option value: 'WSS' (Namespace: 'aws:elb:listener:443', OptionName: 'ListenerProtocol'): Value is not one of the allowed values: [HTTP, HTTPS, TCP, SSL]",
        "Invalid option value: 'HTTPS' (Namespace: 'aws:elb:listener', OptionName: 'ListenerProtocol'): Value is not one of the allowed values: [HTTP, TCP]",
        "Invalid option value: '4000' (Namespace: 'aws:elb:policies', OptionName: 'ConnectionSettingIdleTimeout'): Value is greater than maximum allowed value: 3600",
        "Invalid option value: 'eighty' (Namespace: 'aws:elb:listener:443', OptionName: 'InstancePort'): Value is not an integer.",
      ],
    )
  })

  test('a secure listener without a certificate', async () => {
    const messages = await validate([opt('aws:elb:listener:443', 'ListenerProtocol', 'HTTPS')])
    assert.deepEqual(messages, [
      {
        Message:
          "Invalid option value: 'aws:elb:listener:443' (Namespace: 'aws:elb:listener:443', OptionName: 'ListenerProtocol'): Secure Listeners need to specify a SSLCertificateId",
        Severity: 'error',
        Namespace: 'aws:elb:listener:443',
        OptionName: 'ListenerProtocol',
      },
    ])
  })

  test('validation writes nothing', async () => {
    const before = b.fake.environment('val-env')
    await validate([opt('aws:elb:policies', 'ConnectionSettingIdleTimeout', '120')])
    assert.deepEqual(b.fake.environment('val-env').options, before.options)
    assert.equal(
      (await optionValue('val-app', 'val-env', 'aws:elb:policies', 'ConnectionSettingIdleTimeout'))?.Value,
      '60',
    )
  })
})

describe('UpdateEnvironment: option settings applied to the moto CLB', () => {
  test('the WebSocket layout: listeners, Proxy Protocol, SSL policy, health check, attributes; Ready -> Updating -> Ready', async () => {
    const env = await b.fake.createEnvironment({name: 'ws-env', application: 'ws-app', versionLabel: 'v1'})
    const lb = env.loadBalancerName!
    const sent = await b.eb.send(
      new UpdateEnvironmentCommand({EnvironmentName: 'ws-env', OptionSettings: WEBSOCKET_LAYOUT}),
    )
    assert.equal(sent.Status, 'Updating')
    assert.equal(
      (await b.eb.send(new DescribeEnvironmentsCommand({EnvironmentNames: ['ws-env']}))).Environments![0]!.Status,
      'Updating',
    )
    await b.fake.waitForStatus('ws-env')

    assert.deepEqual(
      (await listeners(lb)).map(({instanceProtocol: _ip, ...l}) => l),
      [
        {port: 80, protocol: 'TCP', instancePort: 80, cert: undefined, policies: []},
        {port: 443, protocol: 'SSL', instancePort: 80, cert: IAM_CERT, policies: ['tls']},
      ],
    )
    const desc = await clb(lb)
    assert.deepEqual(desc.BackendServerDescriptions, [{InstancePort: 80, PolicyNames: ['proxy']}])
    assert.equal(desc.HealthCheck?.Target, 'TCP:80'.replace('TCP:80', 'HTTP:80/health'))
    const policies = (await b.elb.send(new DescribeLoadBalancerPoliciesCommand({LoadBalancerName: lb})))
      .PolicyDescriptions!
    const proxy = policies.find((p) => p.PolicyName === 'proxy')!
    assert.equal(proxy.PolicyTypeName, 'ProxyProtocolPolicyType')
    assert.deepEqual(proxy.PolicyAttributeDescriptions, [{AttributeName: 'ProxyProtocol', AttributeValue: 'true'}])
    const tls = policies.find((p) => p.PolicyName === 'tls')!
    assert.equal(tls.PolicyTypeName, 'SSLNegotiationPolicyType')
    assert.deepEqual(tls.PolicyAttributeDescriptions, [
      {AttributeName: 'Reference-Security-Policy', AttributeValue: 'ELBSecurityPolicy-TLS-1-2-2017-01'},
    ])
    const attrs = (await b.elb.send(new DescribeLoadBalancerAttributesCommand({LoadBalancerName: lb})))
      .LoadBalancerAttributes!
    assert.equal(attrs.ConnectionSettings?.IdleTimeout, 3600)
    assert.equal(attrs.CrossZoneLoadBalancing?.Enabled, true)

    // The update's events carry its request id; DescribeEvents filters on it.
    const requestId = sent.$metadata.requestId!
    const events = (await b.eb.send(new DescribeEventsCommand({EnvironmentName: 'ws-env', RequestId: requestId})))
      .Events!
    assert.deepEqual(events.map((e) => e.Message).reverse(), [
      'Environment update is starting.',
      "Updating environment ws-env's configuration settings.",
      `Updating load balancer named: ${lb}`,
      'Successfully deployed new configuration to environment.',
      'Environment update completed successfully.',
    ])
    assert.ok(
      events.every((e) => e.Severity === 'INFO' && e.EnvironmentName === 'ws-env' && e.ApplicationName === 'ws-app'),
    )
    assert.ok(events.every((e) => e.RequestId === requestId))

    // DescribeConfigurationSettings reads the settings back, the default listener under aws:elb:listener:80.
    assert.equal((await optionValue('ws-app', 'ws-env', 'aws:elb:listener:80', 'ListenerProtocol'))?.Value, 'TCP')
    assert.equal((await optionValue('ws-app', 'ws-env', 'aws:elb:listener:443', 'InstanceProtocol'))?.Value, 'TCP')
    assert.equal((await optionValue('ws-app', 'ws-env', 'aws:elb:policies:proxy', 'ProxyProtocol'))?.Value, 'true')
    assert.equal((await optionValue('ws-app', 'ws-env', 'aws:elb:healthcheck', 'Target'))?.Value, 'HTTP:80/health')
  })

  test('an out-of-band change on the CLB is overwritten by the next environment update', async () => {
    const env = await b.fake.createEnvironment({
      name: 'oob-env',
      application: 'ws-app',
      optionSettings: WEBSOCKET_LAYOUT,
    })
    const lb = env.loadBalancerName!
    const expected = await listeners(lb)
    assert.deepEqual(
      expected.map((l) => [l.port, l.protocol]),
      [
        [80, 'TCP'],
        [443, 'SSL'],
      ],
    )

    // Someone "fixes" the load balancer directly with the ELB API.
    await b.elb.send(new DeleteLoadBalancerListenersCommand({LoadBalancerName: lb, LoadBalancerPorts: [443]}))
    await b.elb.send(
      new CreateLoadBalancerListenersCommand({
        LoadBalancerName: lb,
        Listeners: [
          {
            Protocol: 'HTTPS',
            LoadBalancerPort: 443,
            InstancePort: 8080,
            InstanceProtocol: 'HTTP',
            SSLCertificateId: IAM_CERT,
          },
          {Protocol: 'HTTP', LoadBalancerPort: 8081, InstancePort: 8081},
        ],
      }),
    )
    await b.elb.send(
      new SetLoadBalancerPoliciesForBackendServerCommand({LoadBalancerName: lb, InstancePort: 80, PolicyNames: []}),
    )
    await b.elb.send(
      new ModifyLoadBalancerAttributesCommand({
        LoadBalancerName: lb,
        LoadBalancerAttributes: {ConnectionSettings: {IdleTimeout: 30}},
      }),
    )
    assert.notDeepEqual(await listeners(lb), expected)

    // An unrelated environment update re-applies the configured load balancer.
    await update('oob-env', [opt('aws:elasticbeanstalk:application:environment', 'FOO', 'bar')])
    assert.deepEqual(await listeners(lb), expected)
    assert.deepEqual((await clb(lb)).BackendServerDescriptions, [{InstancePort: 80, PolicyNames: ['proxy']}])
    const attrs = (await b.elb.send(new DescribeLoadBalancerAttributesCommand({LoadBalancerName: lb})))
      .LoadBalancerAttributes!
    assert.equal(attrs.ConnectionSettings?.IdleTimeout, 3600)
    assert.ok(b.fake.events('oob-env').some((e) => e.message === `Updating load balancer named: ${lb}`))
  })

  test('ListenerEnabled false removes the default listener; OptionsToRemove drops a listener namespace', async () => {
    const env = await b.fake.createEnvironment({
      name: 'rm-env',
      application: 'ws-app',
      optionSettings: WEBSOCKET_LAYOUT,
    })
    const lb = env.loadBalancerName!
    await update('rm-env', [opt('aws:elb:listener', 'ListenerEnabled', 'false')])
    assert.deepEqual(
      (await listeners(lb)).map((l) => l.port),
      [443],
    )
    assert.equal((await optionValue('ws-app', 'rm-env', 'aws:elb:listener:80', 'ListenerEnabled'))?.Value, 'false')

    // Re-enable 80, and remove every option of the 443 listener: it is no longer configured, so it goes.
    const remove = ['ListenerProtocol', 'InstancePort', 'InstanceProtocol', 'SSLCertificateId'].map((OptionName) => ({
      Namespace: 'aws:elb:listener:443',
      OptionName,
    }))
    const out = await b.eb.send(
      new UpdateEnvironmentCommand({
        EnvironmentName: 'rm-env',
        OptionSettings: [opt('aws:elb:listener:80', 'ListenerEnabled', 'true')],
        OptionsToRemove: remove,
      }),
    )
    assert.equal(out.Status, 'Updating')
    await b.fake.waitForStatus('rm-env')
    assert.deepEqual(
      (await listeners(lb)).map((l) => [l.port, l.protocol]),
      [[80, 'TCP']],
    )
    assert.equal(await optionValue('ws-app', 'rm-env', 'aws:elb:listener:443', 'ListenerProtocol'), undefined)
  })

  test('an ACM certificate from moto works; a missing one fails the update and reverts the configuration', async () => {
    const cert = await b.acm.send(new RequestCertificateCommand({DomainName: 'ws.example.com'}))
    const env = await b.fake.createEnvironment({name: 'acm-env', application: 'ws-app'})
    const lb = env.loadBalancerName!
    await update('acm-env', [
      opt('aws:elb:listener:443', 'ListenerProtocol', 'HTTPS'),
      opt('aws:elb:listener:443', 'SSLCertificateId', cert.CertificateArn!),
    ])
    assert.deepEqual(
      (await listeners(lb)).map((l) => [l.port, l.protocol, l.cert]),
      [
        [80, 'HTTP', undefined],
        [443, 'HTTPS', cert.CertificateArn],
      ],
    )

    const missing = 'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000'
    await update('acm-env', [
      opt('aws:elb:listener:8443', 'ListenerProtocol', 'HTTPS'),
      opt('aws:elb:listener:8443', 'SSLCertificateId', missing),
    ])
    const messages = b.fake
      .events('acm-env')
      .slice(0, 3)
      .map((e) => [e.severity, e.message])
    assert.deepEqual(messages[0], ['INFO', 'The environment was reverted to the previous configuration setting.'])
    assert.deepEqual(messages[1], ['ERROR', 'Failed to deploy configuration.'])
    assert.equal(messages[2]![0], 'ERROR')
    assert.match(messages[2]![1]!, new RegExp(`^Updating load balancer named: ${lb} failed Reason: `))
    assert.equal(await optionValue('ws-app', 'acm-env', 'aws:elb:listener:8443', 'ListenerProtocol'), undefined)
    assert.deepEqual(
      (await listeners(lb)).map((l) => l.port),
      [80, 443],
    )
  })

  test('rejected while not Ready, with the real message; invalid settings are ConfigurationValidationException and change nothing', async () => {
    await b.fake.createEnvironment({name: 'busy-env', application: 'ws-app', status: 'Updating'})
    await assert.rejects(
      b.eb.send(
        new UpdateEnvironmentCommand({
          EnvironmentName: 'busy-env',
          OptionSettings: [opt('aws:elb:policies', 'ConnectionSettingIdleTimeout', '300')],
        }),
      ),
      awsError(
        'InvalidParameterValue',
        'Environment named busy-env is in an invalid state for this operation. Must be Ready.',
      ),
    )
    const env = await b.fake.createEnvironment({name: 'bad-env', application: 'ws-app'})
    const before = await listeners(env.loadBalancerName!)
    await assert.rejects(
      b.eb.send(
        new UpdateEnvironmentCommand({
          EnvironmentName: 'bad-env',
          OptionSettings: [opt('aws:elb:listener:443', 'ListenerProtocol', 'SSL')],
        }),
      ),
      awsError(
        'ConfigurationValidationException',
        "Configuration validation exception: Invalid option value: 'aws:elb:listener:443' (Namespace: 'aws:elb:listener:443', OptionName: 'ListenerProtocol'): Secure Listeners need to specify a SSLCertificateId",
      ),
    )
    assert.equal(b.fake.environment('bad-env').status, 'Ready')
    assert.deepEqual(await listeners(env.loadBalancerName!), before)
    await assert.rejects(
      b.eb.send(new UpdateEnvironmentCommand({EnvironmentName: 'ghost-env', VersionLabel: 'v1'})),
      awsError('InvalidParameterValue', "No Environment found for EnvironmentName = 'ghost-env'."),
    )
    await assert.rejects(
      b.eb.send(new UpdateEnvironmentCommand({EnvironmentName: 'bad-env', VersionLabel: 'no-such-version'})),
      awsError('InvalidParameterValue', "No Application Version named 'no-such-version' found."),
    )
  })
})

describe('deployments (UpdateEnvironment with VersionLabel)', () => {
  before(async () => {
    b.fake.createApplication('dep-app')
    for (const v of ['v1', 'v2', 'v3', 'v4', 'v5']) b.fake.createApplicationVersion('dep-app', v)
  })

  async function deploy(env: string, label: string) {
    await new Promise((r) => setTimeout(r, 3)) // StartTime has millisecond precision: start after the set-up events
    const started = new Date()
    const out = await b.eb.send(new UpdateEnvironmentCommand({EnvironmentName: env, VersionLabel: label}))
    assert.equal(out.Status, 'Updating')
    assert.equal(out.VersionLabel, label)
    return started
  }

  test('success: Green, version is ours, the documented events', async () => {
    await b.fake.createEnvironment({name: 'dep-ok', application: 'dep-app', versionLabel: 'v1'})
    const started = await deploy('dep-ok', 'v2')
    const inFlight = (await b.eb.send(new DescribeEnvironmentsCommand({EnvironmentNames: ['dep-ok']})))
      .Environments![0]!
    assert.equal(inFlight.Status, 'Updating')
    assert.equal(inFlight.AbortableOperationInProgress, true)
    await b.fake.waitForStatus('dep-ok')
    const e = (await b.eb.send(new DescribeEnvironmentsCommand({EnvironmentNames: ['dep-ok']}))).Environments![0]!
    assert.deepEqual(
      [e.Status, e.Health, e.HealthStatus, e.VersionLabel, e.AbortableOperationInProgress],
      ['Ready', 'Green', 'Ok', 'v2', false],
    )
    const events = (
      await b.eb.send(new DescribeEventsCommand({EnvironmentName: 'dep-ok', StartTime: started}))
    ).Events!.map((x) => x.Message)
    assert.deepEqual(events.reverse(), [
      'Environment update is starting.',
      'Deploying new version to instance(s).',
      'Instance deployment completed successfully.',
      'New application version was deployed to running EC2 instances.',
      'Environment update completed successfully.',
    ])
  })

  test('a deployment also re-applies the configured CLB, overwriting an out-of-band change', async () => {
    const env = await b.fake.createEnvironment({
      name: 'dep-lb',
      application: 'dep-app',
      versionLabel: 'v1',
      optionSettings: WEBSOCKET_LAYOUT,
    })
    const lb = env.loadBalancerName!
    const expected = await listeners(lb)
    await b.elb.send(new DeleteLoadBalancerListenersCommand({LoadBalancerName: lb, LoadBalancerPorts: [443]}))
    await deploy('dep-lb', 'v2')
    await b.fake.waitForStatus('dep-lb')
    assert.deepEqual(await listeners(lb), expected)
    const messages = b.fake.events('dep-lb').map((e) => e.message)
    assert.ok(messages.includes(`Updating load balancer named: ${lb}`))
    assert.ok(!messages.some((m) => m.includes('configuration settings')))
  })

  test('fail: ERROR events, the version label reverts, health Red', async () => {
    await b.fake.createEnvironment({name: 'dep-fail', application: 'dep-app', versionLabel: 'v1'})
    b.fake.scriptNextDeployment('fail')
    const started = await deploy('dep-fail', 'v3')
    await b.fake.waitForStatus('dep-fail')
    const e = (await b.eb.send(new DescribeEnvironmentsCommand({EnvironmentNames: ['dep-fail']}))).Environments![0]!
    assert.deepEqual([e.Status, e.Health, e.HealthStatus, e.VersionLabel], ['Ready', 'Red', 'Degraded', 'v1'])
    const errors = (
      await b.eb.send(new DescribeEventsCommand({EnvironmentName: 'dep-fail', StartTime: started, Severity: 'ERROR'}))
    ).Events!
    assert.equal(
      errors[0]!.Message,
      'During an aborted deployment, some instances may have deployed the new application version. To ensure all instances are running the same version, re-deploy the appropriate application version.',
    )
    assert.equal(errors[1]!.Message, 'Failed to deploy application.')
    assert.ok(errors.every((x) => x.Severity === 'ERROR'))
    assert.ok(
      !(await b.eb.send(new DescribeEventsCommand({EnvironmentName: 'dep-fail', StartTime: started}))).Events!.some(
        (x) => x.Message === 'Environment update completed successfully.',
      ),
    )
  })

  test('health-red: the version is deployed but health is Red/Severe', async () => {
    await b.fake.createEnvironment({name: 'dep-red', application: 'dep-app', versionLabel: 'v1'})
    b.fake.scriptNextDeployment({outcome: 'health-red', environment: 'dep-red'})
    await deploy('dep-red', 'v4')
    const e = await b.fake.waitForStatus('dep-red')
    assert.deepEqual([e.health, e.healthStatus, e.versionLabel], ['Red', 'Severe', 'v4'])
    assert.ok(
      b.fake
        .events('dep-red')
        .some(
          (x) =>
            x.severity === 'WARN' && x.message.startsWith('Environment health has transitioned from Ok to Severe.'),
        ),
    )
  })

  test('stuck: stays Updating, further updates are refused, until the test moves it on', async () => {
    await b.fake.createEnvironment({name: 'dep-stuck', application: 'dep-app', versionLabel: 'v1'})
    b.fake.scriptNextDeployment('stuck')
    await deploy('dep-stuck', 'v5')
    await b.fake.idle()
    await new Promise((r) => setTimeout(r, 50))
    const e = (await b.eb.send(new DescribeEnvironmentsCommand({EnvironmentNames: ['dep-stuck']}))).Environments![0]!
    assert.deepEqual([e.Status, e.AbortableOperationInProgress, e.VersionLabel], ['Updating', true, 'v5'])
    await assert.rejects(
      b.eb.send(new UpdateEnvironmentCommand({EnvironmentName: 'dep-stuck', VersionLabel: 'v1'})),
      awsError(
        'InvalidParameterValue',
        'Environment named dep-stuck is in an invalid state for this operation. Must be Ready.',
      ),
    )
    b.fake.setEnvironment('dep-stuck', {status: 'Ready'})
    assert.equal(
      (await b.eb.send(new DescribeEnvironmentsCommand({EnvironmentNames: ['dep-stuck']}))).Environments![0]!.Status,
      'Ready',
    )
  })

  test('a script for one environment does not affect another', async () => {
    await b.fake.createEnvironment({name: 'dep-a', application: 'dep-app', versionLabel: 'v1'})
    await b.fake.createEnvironment({name: 'dep-b', application: 'dep-app', versionLabel: 'v1'})
    b.fake.scriptNextDeployment({outcome: 'fail', environment: 'dep-b'})
    await deploy('dep-a', 'v2')
    assert.equal((await b.fake.waitForStatus('dep-a')).versionLabel, 'v2')
    await deploy('dep-b', 'v2')
    assert.equal((await b.fake.waitForStatus('dep-b')).versionLabel, 'v1')
  })
})

describe('storage and application versions', () => {
  test('CreateStorageLocation creates elasticbeanstalk-<region>-<account> in moto S3, idempotently', async () => {
    const one = await b.eb.send(new CreateStorageLocationCommand({}))
    assert.equal(one.S3Bucket, 'elasticbeanstalk-us-east-1-123456789012')
    await b.s3.send(new HeadBucketCommand({Bucket: one.S3Bucket}))
    const two = await b.eb.send(new CreateStorageLocationCommand({}))
    assert.equal(two.S3Bucket, one.S3Bucket)
  })

  test('CreateApplicationVersion: bundle must exist; Process=true goes Processing -> Processed; duplicate label refused', async () => {
    b.fake.createApplication('ver-app')
    await b.s3.send(new CreateBucketCommand({Bucket: 'ver-bundles'}))
    await b.s3.send(new PutObjectCommand({Bucket: 'ver-bundles', Key: 'app/v1.zip', Body: 'PK'}))

    await assert.rejects(
      b.eb.send(
        new CreateApplicationVersionCommand({
          ApplicationName: 'ver-app',
          VersionLabel: 'v0',
          SourceBundle: {S3Bucket: 'ver-bundles', S3Key: 'app/missing.zip'},
        }),
      ),
      awsError(
        'InvalidParameterCombination',
        'Unable to download from S3 location (Bucket: ver-bundles  Key: app/missing.zip). Reason: Not Found',
      ),
    )
    const created = await b.eb.send(
      new CreateApplicationVersionCommand({
        ApplicationName: 'ver-app',
        VersionLabel: 'v1',
        SourceBundle: {S3Bucket: 'ver-bundles', S3Key: 'app/v1.zip'},
        Process: true,
        Description: 'first',
      }),
    )
    assert.equal(created.ApplicationVersion?.Status, 'Processing')
    assert.deepEqual(created.ApplicationVersion?.SourceBundle, {S3Bucket: 'ver-bundles', S3Key: 'app/v1.zip'})
    assert.equal(
      created.ApplicationVersion?.ApplicationVersionArn,
      'arn:aws:elasticbeanstalk:us-east-1:123456789012:applicationversion/ver-app/v1',
    )
    await b.fake.idle()
    const described = await b.eb.send(
      new DescribeApplicationVersionsCommand({ApplicationName: 'ver-app', VersionLabels: ['v1']}),
    )
    assert.deepEqual(
      described.ApplicationVersions?.map((v) => [v.VersionLabel, v.Status, v.Description]),
      [['v1', 'Processed', 'first']],
    )

    await assert.rejects(
      b.eb.send(
        new CreateApplicationVersionCommand({
          ApplicationName: 'ver-app',
          VersionLabel: 'v1',
          SourceBundle: {S3Bucket: 'ver-bundles', S3Key: 'app/v1.zip'},
        }),
      ),
      awsError('InvalidParameterValue', 'Application Version v1 already exists.'),
    )
    const unprocessed = await b.eb.send(
      new CreateApplicationVersionCommand({
        ApplicationName: 'ver-app',
        VersionLabel: 'v2',
        SourceBundle: {S3Bucket: 'ver-bundles', S3Key: 'app/v1.zip'},
      }),
    )
    assert.equal(unprocessed.ApplicationVersion?.Status, 'Unprocessed')
  })

  test('a scripted processing failure ends Failed, and a Failed version cannot be deployed', async () => {
    await b.s3.send(new CreateBucketCommand({Bucket: 'ver-bundles-2'}))
    await b.s3.send(new PutObjectCommand({Bucket: 'ver-bundles-2', Key: 'bad.zip', Body: 'PK'}))
    b.fake.scriptNextVersionProcessing('failed')
    await b.eb.send(
      new CreateApplicationVersionCommand({
        ApplicationName: 'ver-fail-app',
        AutoCreateApplication: true,
        VersionLabel: 'bad',
        SourceBundle: {S3Bucket: 'ver-bundles-2', S3Key: 'bad.zip'},
        Process: true,
      }),
    )
    await b.fake.idle()
    const v = await b.eb.send(new DescribeApplicationVersionsCommand({ApplicationName: 'ver-fail-app'}))
    assert.deepEqual(
      v.ApplicationVersions?.map((x) => x.Status),
      ['Failed'],
    )
    await b.fake.createEnvironment({
      name: 'ver-fail-env',
      application: 'ver-fail-app',
      environmentType: 'SingleInstance',
    })
    await assert.rejects(
      b.eb.send(new UpdateEnvironmentCommand({EnvironmentName: 'ver-fail-env', VersionLabel: 'bad'})),
      awsError('InvalidParameterValue'),
    )
  })

  test('unknown application without AutoCreateApplication', async () => {
    await assert.rejects(
      b.eb.send(new CreateApplicationVersionCommand({ApplicationName: 'no-app', VersionLabel: 'v1'})),
      awsError('InvalidParameterValue', "No Application named 'no-app' found."),
    )
  })

  test('DescribeApplications lists versions', async () => {
    const out = await b.eb.send(new DescribeApplicationsCommand({ApplicationNames: ['ver-app']}))
    assert.deepEqual(
      out.Applications?.map((a) => [a.ApplicationName, [...(a.Versions ?? [])].sort()]),
      [['ver-app', ['v1', 'v2']]],
    )
  })
})

describe('DescribeEvents', () => {
  test('pages newest first through MaxRecords and NextToken; Severity and StartTime filter', async () => {
    await b.fake.createEnvironment({name: 'ev-env', application: 'ev-app', versionLabel: 'v1'})
    b.fake.createApplicationVersion('ev-app', 'v2')
    b.fake.scriptNextDeployment({outcome: 'fail', environment: 'ev-env'})
    await b.eb.send(new UpdateEnvironmentCommand({EnvironmentName: 'ev-env', VersionLabel: 'v2'}))
    await b.fake.waitForStatus('ev-env')
    await b.fake.idle()
    const all = b.fake.events('ev-env')
    assert.ok(all.length >= 8)

    const seen: EventDescription[] = []
    let token: string | undefined
    let pages = 0
    do {
      const page = await b.eb.send(
        new DescribeEventsCommand({EnvironmentName: 'ev-env', MaxRecords: 3, NextToken: token}),
      )
      assert.ok(page.Events!.length <= 3)
      seen.push(...page.Events!)
      token = page.NextToken
      pages++
    } while (token)
    assert.equal(pages, Math.ceil(all.length / 3))
    assert.deepEqual(
      seen.map((e) => e.Message),
      all.map((e) => e.message),
    )
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i - 1]!.EventDate! > seen[i]!.EventDate!, 'newest first')

    const errors = await b.eb.send(new DescribeEventsCommand({EnvironmentName: 'ev-env', Severity: 'ERROR'}))
    assert.deepEqual(
      errors.Events!.map((e) => e.Message),
      all.filter((e) => e.severity === 'ERROR').map((e) => e.message),
    )
    const warnUp = await b.eb.send(new DescribeEventsCommand({EnvironmentName: 'ev-env', Severity: 'WARN'}))
    assert.equal(warnUp.Events!.length, errors.Events!.length) // no WARN events here, ERROR counts as at least WARN

    const cut = all[2]!.date
    const recent = await b.eb.send(new DescribeEventsCommand({EnvironmentName: 'ev-env', StartTime: cut}))
    assert.deepEqual(
      recent.Events!.map((e) => e.Message),
      all.slice(0, 3).map((e) => e.message),
    )

    await assert.rejects(
      b.eb.send(new DescribeEventsCommand({EnvironmentName: 'ev-env', MaxRecords: 0})),
      awsError('ValidationError', /maxRecords/),
    )
  })
})

describe('call log and protocol errors', () => {
  test('reads are logged as non-mutating, writes as mutating, with their parameters', async () => {
    await b.fake.createEnvironment({name: 'log-env', application: 'log-app'})
    b.fake.clearCalls()
    await b.eb.send(new DescribeEnvironmentsCommand({EnvironmentNames: ['log-env']}))
    await b.eb.send(new DescribeEnvironmentResourcesCommand({EnvironmentName: 'log-env'}))
    await b.eb.send(new DescribeConfigurationSettingsCommand({ApplicationName: 'log-app', EnvironmentName: 'log-env'}))
    await b.eb.send(new DescribeEventsCommand({EnvironmentName: 'log-env'}))
    assert.deepEqual(
      b.fake.calls().filter((c) => c.mutating),
      [],
    )
    assert.deepEqual(b.fake.calls()[0]!.params, {'EnvironmentNames.member.1': 'log-env'})

    await b.eb.send(
      new UpdateEnvironmentCommand({
        EnvironmentName: 'log-env',
        OptionSettings: [opt('aws:elb:policies', 'ConnectionSettingIdleTimeout', '120')],
      }),
    )
    await b.fake.waitForStatus('log-env')
    const writes = b.fake.calls().filter((c) => c.mutating)
    assert.deepEqual(
      writes.map((c) => c.action),
      ['UpdateEnvironment'],
    )
    assert.equal(writes[0]!.params['OptionSettings.member.1.Value'], '120')
  })

  test('an unknown action is InvalidAction; errors are recorded in the call log', async () => {
    const res = await fetch(b.fake.url, {
      method: 'POST',
      headers: {'content-type': 'application/x-www-form-urlencoded'},
      body: 'Action=RebuildEnvironment&Version=2010-12-01&EnvironmentName=x',
    })
    assert.equal(res.status, 400)
    const xml = await res.text()
    assert.match(
      xml,
      /^<ErrorResponse xmlns="http:\/\/elasticbeanstalk.amazonaws.com\/docs\/2010-12-01\/"><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code><Message>Could not find operation RebuildEnvironment for version 2010-12-01<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/,
    )
    assert.equal(b.fake.calls().at(-1)?.error, 'InvalidAction')
  })
})
