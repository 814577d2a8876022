// Each moto patch of moto_launcher.py, shown against moto as shipped (--no-patch: the gap is
// there) and the patched launcher (the gap is closed). Removing a patch fails its test.
import {test, before, after, describe} from 'node:test'
import assert from 'node:assert/strict'
import {
  ElasticLoadBalancingClient,
  CreateLoadBalancerCommand,
  CreateLoadBalancerListenersCommand,
  DescribeLoadBalancersCommand,
  DeleteLoadBalancerListenersCommand,
  CreateLoadBalancerPolicyCommand,
  DescribeLoadBalancerPoliciesCommand,
  SetLoadBalancerPoliciesOfListenerCommand,
  SetLoadBalancerPoliciesForBackendServerCommand,
  SetLoadBalancerListenerSSLCertificateCommand,
  ModifyLoadBalancerAttributesCommand,
  DescribeLoadBalancerAttributesCommand,
  CreateLBCookieStickinessPolicyCommand,
  CreateAppCookieStickinessPolicyCommand,
  type Listener,
} from '@aws-sdk/client-elastic-load-balancing'
import {ACMClient, ListCertificatesCommand} from '@aws-sdk/client-acm'
import {startMoto, type Moto} from './moto.ts'
import {createCertificate} from './certificates.ts'

const creds = {accessKeyId: 'testing', secretAccessKey: 'testing'}
const region = 'us-east-1'
const IAM_CERT = 'arn:aws:iam::123456789012:server-certificate/bench'

let patched: Moto
let shipped: Moto
let elbP: ElasticLoadBalancingClient
let elbU: ElasticLoadBalancingClient

before(async () => {
  ;[patched, shipped] = await Promise.all([startMoto({patched: true}), startMoto({patched: false})])
  elbP = new ElasticLoadBalancingClient({region, endpoint: patched.url, credentials: creds, maxAttempts: 1})
  elbU = new ElasticLoadBalancingClient({region, endpoint: shipped.url, credentials: creds, maxAttempts: 1})
})

after(async () => {
  elbP?.destroy()
  elbU?.destroy()
  await Promise.all([patched?.stop(), shipped?.stop()])
})

let n = 0
async function newLb(elb: ElasticLoadBalancingClient, listeners: Listener[]): Promise<string> {
  const name = `lb-${++n}`
  await elb.send(
    new CreateLoadBalancerCommand({LoadBalancerName: name, Listeners: listeners, AvailabilityZones: ['us-east-1a']}),
  )
  return name
}

async function listeners(elb: ElasticLoadBalancingClient, name: string): Promise<Listener[]> {
  const out = await elb.send(new DescribeLoadBalancersCommand({LoadBalancerNames: [name]}))
  return (out.LoadBalancerDescriptions?.[0]?.ListenerDescriptions ?? []).map((d) => d.Listener!)
}

async function errorName(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (err) {
    return (err as Error).name
  }
  return 'no error'
}

const HTTP80: Listener = {Protocol: 'HTTP', LoadBalancerPort: 80, InstanceProtocol: 'HTTP', InstancePort: 80}
const SSL443_TCP80: Listener = {
  Protocol: 'SSL',
  LoadBalancerPort: 443,
  InstanceProtocol: 'TCP',
  InstancePort: 80,
  SSLCertificateId: IAM_CERT,
}

describe('patch 1: Listener.InstanceProtocol is stored', () => {
  test('CreateLoadBalancer SSL:443 -> TCP:80 reads back as SSL -> TCP (shipped moto says SSL -> SSL)', async () => {
    for (const [elb, expected] of [
      [elbU, 'SSL'],
      [elbP, 'TCP'],
    ] as const) {
      const name = await newLb(elb, [HTTP80, SSL443_TCP80])
      const l443 = (await listeners(elb, name)).find((l) => l.LoadBalancerPort === 443)
      assert.equal(l443?.Protocol, 'SSL')
      assert.equal(l443?.InstanceProtocol, expected)
    }
  })

  test('CreateLoadBalancerListeners HTTPS:443 -> HTTP:80 keeps HTTP', async () => {
    for (const [elb, expected] of [
      [elbU, 'HTTPS'],
      [elbP, 'HTTP'],
    ] as const) {
      const name = await newLb(elb, [HTTP80])
      await elb.send(
        new CreateLoadBalancerListenersCommand({
          LoadBalancerName: name,
          Listeners: [
            {
              Protocol: 'HTTPS',
              LoadBalancerPort: 443,
              InstanceProtocol: 'HTTP',
              InstancePort: 80,
              SSLCertificateId: IAM_CERT,
            },
          ],
        }),
      )
      const l443 = (await listeners(elb, name)).find((l) => l.LoadBalancerPort === 443)
      assert.equal(l443?.InstanceProtocol, expected)
    }
  })

  test('omitted InstanceProtocol reads back as Protocol; a differing InstanceProtocol on an existing port is DuplicateListener', async () => {
    const name = await newLb(elbP, [{Protocol: 'TCP', LoadBalancerPort: 8080, InstancePort: 8080}])
    assert.equal((await listeners(elbP, name))[0]?.InstanceProtocol, 'TCP')
    await elbP.send(new CreateLoadBalancerListenersCommand({LoadBalancerName: name, Listeners: [SSL443_TCP80]}))
    // Same listener again is accepted (idempotent) ...
    await elbP.send(new CreateLoadBalancerListenersCommand({LoadBalancerName: name, Listeners: [SSL443_TCP80]}))
    // ... one that differs only in InstanceProtocol is not.
    const name2 = await errorName(
      elbP.send(
        new CreateLoadBalancerListenersCommand({
          LoadBalancerName: name,
          Listeners: [{...SSL443_TCP80, InstanceProtocol: 'SSL'}],
        }),
      ),
    )
    assert.equal(name2, 'DuplicateListenerException')
  })
})

describe('patch 2: unknown load balancer is LoadBalancerNotFound', () => {
  test('DeleteLoadBalancerListeners on a missing name (shipped moto: HTTP 500)', async () => {
    const cmd = (): DeleteLoadBalancerListenersCommand =>
      new DeleteLoadBalancerListenersCommand({LoadBalancerName: 'nope', LoadBalancerPorts: [80]})
    assert.notEqual(await errorName(elbU.send(cmd())), 'AccessPointNotFoundException')
    assert.equal(await errorName(elbP.send(cmd())), 'AccessPointNotFoundException')
  })

  test('CreateLoadBalancerListeners on a missing name (shipped moto: silent success)', async () => {
    const cmd = (): CreateLoadBalancerListenersCommand =>
      new CreateLoadBalancerListenersCommand({LoadBalancerName: 'nope', Listeners: [HTTP80]})
    assert.equal(await errorName(elbU.send(cmd())), 'no error')
    assert.equal(await errorName(elbP.send(cmd())), 'AccessPointNotFoundException')
  })
})

describe('patch 3: DeleteLoadBalancerListeners with several ports', () => {
  test('deleting 80 and 443 of [80, 443, 8080] leaves [8080]', async () => {
    const three: Listener[] = [
      HTTP80,
      SSL443_TCP80,
      {Protocol: 'TCP', LoadBalancerPort: 8080, InstanceProtocol: 'TCP', InstancePort: 8080},
    ]
    const ports = async (elb: ElasticLoadBalancingClient): Promise<number[]> => {
      const name = await newLb(elb, three)
      await elb.send(new DeleteLoadBalancerListenersCommand({LoadBalancerName: name, LoadBalancerPorts: [80, 443]}))
      return (await listeners(elb, name)).map((l) => l.LoadBalancerPort!).sort((a, b) => a - b)
    }
    assert.notDeepEqual(await ports(elbU), [8080])
    assert.deepEqual(await ports(elbP), [8080])
  })
})

describe('patch 4: CreateLoadBalancerPolicy errors', () => {
  const pp = (name: string): CreateLoadBalancerPolicyCommand =>
    new CreateLoadBalancerPolicyCommand({
      LoadBalancerName: name,
      PolicyName: 'EnableProxyProtocol',
      PolicyTypeName: 'ProxyProtocolPolicyType',
      PolicyAttributes: [{AttributeName: 'ProxyProtocol', AttributeValue: 'true'}],
    })

  test('a second policy with the same name is DuplicatePolicyName', async () => {
    for (const [elb, expected] of [
      [elbU, 'no error'],
      [elbP, 'DuplicatePolicyNameException'],
    ] as const) {
      const name = await newLb(elb, [HTTP80])
      await elb.send(pp(name))
      assert.equal(await errorName(elb.send(pp(name))), expected)
    }
  })

  test('an unknown policy type is PolicyTypeNotFound', async () => {
    for (const [elb, expected] of [
      [elbU, 'no error'],
      [elbP, 'PolicyTypeNotFoundException'],
    ] as const) {
      const name = await newLb(elb, [HTTP80])
      const cmd = new CreateLoadBalancerPolicyCommand({
        LoadBalancerName: name,
        PolicyName: 'x',
        PolicyTypeName: 'ProxyProtocolPolicy',
      })
      assert.equal(await errorName(elb.send(cmd)), expected)
    }
  })

  test('ProxyProtocolPolicyType attributes read back from DescribeLoadBalancerPolicies', async () => {
    const name = await newLb(elbP, [HTTP80])
    await elbP.send(pp(name))
    const out = await elbP.send(
      new DescribeLoadBalancerPoliciesCommand({LoadBalancerName: name, PolicyNames: ['EnableProxyProtocol']}),
    )
    assert.deepEqual(out.PolicyDescriptions, [
      {
        PolicyName: 'EnableProxyProtocol',
        PolicyTypeName: 'ProxyProtocolPolicyType',
        PolicyAttributeDescriptions: [{AttributeName: 'ProxyProtocol', AttributeValue: 'true'}],
      },
    ])
    const missing = await errorName(
      elbP.send(new DescribeLoadBalancerPoliciesCommand({LoadBalancerName: name, PolicyNames: ['nope']})),
    )
    assert.equal(missing, 'PolicyNotFoundException')
  })
})

describe('patch 5: DescribeLoadBalancerPolicies without a load balancer', () => {
  test('returns the predefined ELBSecurityPolicy-* policies (shipped moto: LoadBalancerNotFound)', async () => {
    const cmd = (): DescribeLoadBalancerPoliciesCommand =>
      new DescribeLoadBalancerPoliciesCommand({PolicyNames: ['ELBSecurityPolicy-TLS-1-2-2017-01']})
    assert.equal(await errorName(elbU.send(cmd())), 'AccessPointNotFoundException')
    const out = await elbP.send(cmd())
    const policy = out.PolicyDescriptions?.[0]
    assert.equal(policy?.PolicyTypeName, 'SSLNegotiationPolicyType')
    const attrs = Object.fromEntries(
      (policy?.PolicyAttributeDescriptions ?? []).map((a) => [a.AttributeName, a.AttributeValue]),
    )
    assert.equal(attrs['Protocol-TLSv1.2'], 'true')
    assert.equal(attrs['Protocol-TLSv1'], 'false')
    const all = await elbP.send(new DescribeLoadBalancerPoliciesCommand({}))
    assert.ok(all.PolicyDescriptions?.some((p) => p.PolicyName === 'ELBSecurityPolicy-2016-08'))
    assert.equal(
      await errorName(elbP.send(new DescribeLoadBalancerPoliciesCommand({PolicyNames: ['ELBSecurityPolicy-nope']}))),
      'PolicyNotFoundException',
    )
  })
})

describe('patch 6: SetLoadBalancerPoliciesOfListener errors', () => {
  test('no listener on the port is ListenerNotFound; unknown policy is PolicyNotFound', async () => {
    for (const [elb, port, policy, expected] of [
      [elbU, 4444, [], 'no error'],
      [elbP, 4444, [], 'ListenerNotFoundException'],
      [elbU, 80, ['nope'], 'no error'],
      [elbP, 80, ['nope'], 'PolicyNotFoundException'],
    ] as const) {
      const name = await newLb(elb, [HTTP80])
      const cmd = new SetLoadBalancerPoliciesOfListenerCommand({
        LoadBalancerName: name,
        LoadBalancerPort: port,
        PolicyNames: [...policy],
      })
      assert.equal(await errorName(elb.send(cmd)), expected, `${elb === elbP ? 'patched' : 'shipped'} port ${port}`)
    }
  })
})

describe('patch 7: SetLoadBalancerPoliciesForBackendServer', () => {
  test('an instance port added after creation keeps its policies (shipped moto: silently dropped)', async () => {
    for (const [elb, expected] of [
      [elbU, undefined],
      [elbP, ['EnableProxyProtocol']],
    ] as const) {
      const name = await newLb(elb, [HTTP80])
      await elb.send(
        new CreateLoadBalancerListenersCommand({
          LoadBalancerName: name,
          Listeners: [{Protocol: 'TCP', LoadBalancerPort: 8443, InstanceProtocol: 'TCP', InstancePort: 8081}],
        }),
      )
      await elb.send(
        new CreateLoadBalancerPolicyCommand({
          LoadBalancerName: name,
          PolicyName: 'EnableProxyProtocol',
          PolicyTypeName: 'ProxyProtocolPolicyType',
          PolicyAttributes: [{AttributeName: 'ProxyProtocol', AttributeValue: 'true'}],
        }),
      )
      await elb.send(
        new SetLoadBalancerPoliciesForBackendServerCommand({
          LoadBalancerName: name,
          InstancePort: 8081,
          PolicyNames: ['EnableProxyProtocol'],
        }),
      )
      const out = await elb.send(new DescribeLoadBalancersCommand({LoadBalancerNames: [name]}))
      const backend = out.LoadBalancerDescriptions?.[0]?.BackendServerDescriptions?.find((b) => b.InstancePort === 8081)
      assert.deepEqual(backend?.PolicyNames, expected)
    }
  })

  test('unknown policy names are PolicyNotFound; an empty list clears the backend policies', async () => {
    const name = await newLb(elbP, [HTTP80])
    assert.equal(
      await errorName(
        elbP.send(
          new SetLoadBalancerPoliciesForBackendServerCommand({
            LoadBalancerName: name,
            InstancePort: 80,
            PolicyNames: ['nope'],
          }),
        ),
      ),
      'PolicyNotFoundException',
    )
    await elbP.send(
      new CreateLoadBalancerPolicyCommand({
        LoadBalancerName: name,
        PolicyName: 'pp',
        PolicyTypeName: 'ProxyProtocolPolicyType',
        PolicyAttributes: [{AttributeName: 'ProxyProtocol', AttributeValue: 'true'}],
      }),
    )
    await elbP.send(
      new SetLoadBalancerPoliciesForBackendServerCommand({
        LoadBalancerName: name,
        InstancePort: 80,
        PolicyNames: ['pp'],
      }),
    )
    await elbP.send(
      new SetLoadBalancerPoliciesForBackendServerCommand({LoadBalancerName: name, InstancePort: 80, PolicyNames: []}),
    )
    const out = await elbP.send(new DescribeLoadBalancersCommand({LoadBalancerNames: [name]}))
    assert.deepEqual(out.LoadBalancerDescriptions?.[0]?.BackendServerDescriptions ?? [], [])
  })
})

describe('patch 8: SetLoadBalancerListenerSSLCertificate', () => {
  test('a port without a listener is ListenerNotFound; an existing one is updated', async () => {
    for (const [elb, expected] of [
      [elbU, 'no error'],
      [elbP, 'ListenerNotFoundException'],
    ] as const) {
      const name = await newLb(elb, [HTTP80])
      const cmd = new SetLoadBalancerListenerSSLCertificateCommand({
        LoadBalancerName: name,
        LoadBalancerPort: 443,
        SSLCertificateId: IAM_CERT,
      })
      assert.equal(await errorName(elb.send(cmd)), expected)
    }
    const name = await newLb(elbP, [SSL443_TCP80])
    const other = 'arn:aws:iam::123456789012:server-certificate/other'
    await elbP.send(
      new SetLoadBalancerListenerSSLCertificateCommand({
        LoadBalancerName: name,
        LoadBalancerPort: 443,
        SSLCertificateId: other,
      }),
    )
    assert.equal((await listeners(elbP, name))[0]?.SSLCertificateId, other)
  })
})

describe('patch 9: AdditionalAttributes', () => {
  test('desync mitigation mode defaults to defensive and never repeats; IdleTimeout is stored', async () => {
    const keys = async (elb: ElasticLoadBalancingClient): Promise<{keys: string[]; idle: number | undefined}> => {
      const name = await newLb(elb, [HTTP80])
      for (const IdleTimeout of [300, 3600]) {
        await elb.send(
          new ModifyLoadBalancerAttributesCommand({
            LoadBalancerName: name,
            LoadBalancerAttributes: {ConnectionSettings: {IdleTimeout}},
          }),
        )
      }
      const out = await elb.send(new DescribeLoadBalancerAttributesCommand({LoadBalancerName: name}))
      return {
        keys: (out.LoadBalancerAttributes?.AdditionalAttributes ?? []).map((a) => `${a.Key}=${a.Value}`),
        idle: out.LoadBalancerAttributes?.ConnectionSettings?.IdleTimeout,
      }
    }
    const shippedResult = await keys(elbU)
    assert.equal(shippedResult.keys.length, 2, 'shipped moto repeats the key')
    assert.deepEqual(await keys(elbP), {keys: ['elb.http.desyncmitigationmode=defensive'], idle: 3600})
    const fresh = await newLb(elbP, [HTTP80])
    const out = await elbP.send(new DescribeLoadBalancerAttributesCommand({LoadBalancerName: fresh}))
    assert.deepEqual(out.LoadBalancerAttributes?.AdditionalAttributes, [
      {Key: 'elb.http.desyncmitigationmode', Value: 'defensive'},
    ])
    assert.equal(out.LoadBalancerAttributes?.ConnectionSettings?.IdleTimeout, 60)
  })
})

describe('patch 10: ACM ListCertificates default key types', () => {
  test('without Includes.keyTypes only RSA_1024/RSA_2048 are listed; with it, the asked types', async () => {
    const result = async (moto: Moto): Promise<{plain: string[]; ec: string[]}> => {
      const rsa = await createCertificate({endpoint: moto.url, kind: 'rsa2048', domain: 'rsa.example.com'})
      const ec = await createCertificate({endpoint: moto.url, kind: 'ec256', domain: 'ec.example.com'})
      const acm = new ACMClient({region, endpoint: moto.url, credentials: creds})
      try {
        const plain = (await acm.send(new ListCertificatesCommand({}))).CertificateSummaryList ?? []
        const withEc =
          (await acm.send(new ListCertificatesCommand({Includes: {keyTypes: ['EC_prime256v1']}})))
            .CertificateSummaryList ?? []
        const mark = (arn: string | undefined): string => (arn === rsa.arn ? 'rsa' : arn === ec.arn ? 'ec' : 'other')
        return {plain: plain.map((c) => mark(c.CertificateArn)).sort(), ec: withEc.map((c) => mark(c.CertificateArn))}
      } finally {
        acm.destroy()
      }
    }
    assert.deepEqual((await result(shipped)).plain, ['ec', 'rsa'])
    assert.deepEqual(await result(patched), {plain: ['rsa'], ec: ['ec']})
  })
})

describe('patch 18: cookie stickiness policies are described with their AWS type names', () => {
  test('CreateLBCookieStickinessPolicy / CreateAppCookieStickinessPolicy read back as LBCookieStickinessPolicyType / AppCookieStickinessPolicyType', async () => {
    const described = async (elb: ElasticLoadBalancingClient) => {
      const name = await newLb(elb, [{Protocol: 'HTTP', LoadBalancerPort: 80, InstancePort: 80}])
      await elb.send(
        new CreateLBCookieStickinessPolicyCommand({
          LoadBalancerName: name,
          PolicyName: 'lb-cookie',
          CookieExpirationPeriod: 60,
        }),
      )
      await elb.send(
        new CreateAppCookieStickinessPolicyCommand({
          LoadBalancerName: name,
          PolicyName: 'app-cookie',
          CookieName: 'SESSION',
        }),
      )
      const out = await elb.send(new DescribeLoadBalancerPoliciesCommand({LoadBalancerName: name}))
      const stickiness = (await elb.send(new DescribeLoadBalancersCommand({LoadBalancerNames: [name]})))
        .LoadBalancerDescriptions?.[0]?.Policies
      return {
        types: (out.PolicyDescriptions ?? []).map((p) => `${p.PolicyName}=${p.PolicyTypeName}`).sort(),
        lbCookie: stickiness?.LBCookieStickinessPolicies?.map((p) => p.PolicyName),
      }
    }
    assert.deepEqual((await described(elbU)).types, [
      'app-cookie=AppCookieStickinessPolicy',
      'lb-cookie=LbCookieStickinessPolicy',
    ])
    const patchedView = await described(elbP)
    assert.deepEqual(patchedView.types, [
      'app-cookie=AppCookieStickinessPolicyType',
      'lb-cookie=LBCookieStickinessPolicyType',
    ])
    assert.deepEqual(patchedView.lbCookie, ['lb-cookie'], 'DescribeLoadBalancers still lists it as an LB cookie policy')
  })
})

describe('patch 11: ACM ListCertificates summaries name SubjectAlternativeNameSummaries', () => {
  test('the SDK sees the alternative names of a listed certificate', async () => {
    const sansSeen = async (moto: Moto): Promise<string[] | undefined> => {
      const cert = await createCertificate({
        endpoint: moto.url,
        kind: 'rsa2048',
        domain: 'sans.example.com',
        sans: ['www.sans.example.com'],
      })
      const acm = new ACMClient({region, endpoint: moto.url, credentials: creds})
      try {
        const list = (await acm.send(new ListCertificatesCommand({}))).CertificateSummaryList ?? []
        return list
          .find((c) => c.CertificateArn === cert.arn)
          ?.SubjectAlternativeNameSummaries?.slice()
          .sort()
      } finally {
        acm.destroy()
      }
    }
    assert.equal(await sansSeen(shipped), undefined)
    assert.deepEqual(await sansSeen(patched), ['sans.example.com', 'www.sans.example.com'])
  })
})

describe('startMoto', () => {
  test('reset() wipes state', async () => {
    const name = await newLb(elbP, [HTTP80])
    await patched.reset()
    assert.equal(
      await errorName(elbP.send(new DescribeLoadBalancersCommand({LoadBalancerNames: [name]}))),
      'AccessPointNotFoundException',
    )
  })

  test('without python3/moto it throws how to install, never skips', async () => {
    await assert.rejects(startMoto({python: '/nonexistent/python3'}), /pip install "moto\[server\]"/)
  })

  test('stop() kills the process group and is idempotent', async () => {
    const m = await startMoto({patched: false})
    const alive = (): boolean => {
      try {
        process.kill(-m.pid, 0)
        return true
      } catch {
        return false
      }
    }
    assert.ok(alive())
    await m.stop()
    await m.stop()
    assert.equal(alive(), false)
    await assert.rejects(fetch(`${m.url}/moto-api/data.json`))
  })
})
