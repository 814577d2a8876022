// Fault injection as observed by the real SDK v3 clients and the AWS CLI, through startBench().
import {test, before, after, beforeEach, describe} from 'node:test'
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {
  ElasticLoadBalancingClient,
  CreateLoadBalancerCommand,
  CreateLoadBalancerPolicyCommand,
  DescribeLoadBalancersCommand,
  DescribeLoadBalancerPoliciesCommand,
  ModifyLoadBalancerAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing'
import {ACMClient, ListCertificatesCommand} from '@aws-sdk/client-acm'
import {S3Client, ListBucketsCommand, CreateBucketCommand} from '@aws-sdk/client-s3'
import {
  ElasticBeanstalkClient,
  DescribeApplicationsCommand,
  CreateApplicationCommand,
} from '@aws-sdk/client-elastic-beanstalk'
import {startBench, benchProcessEnv, type Bench} from './index.ts'
import {identifyAction, isMutating, CallLog, type CallRecord} from './fault-proxy.ts'
import {startStubEb, type StubEb} from './stub-eb.ts'

const creds = {accessKeyId: 'testing', secretAccessKey: 'testing'}

describe('action naming and call analysis (pure)', () => {
  test('S3 REST method + path name the action', () => {
    const s3 = (method: string, url: string, headers: Record<string, string> = {}): string =>
      identifyAction('s3', method, url, headers, undefined)
    assert.equal(s3('GET', '/'), 'ListBuckets')
    assert.equal(s3('PUT', '/b'), 'CreateBucket')
    assert.equal(s3('HEAD', '/b'), 'HeadBucket')
    assert.equal(s3('GET', '/b?list-type=2&prefix=x'), 'ListObjectsV2')
    assert.equal(s3('PUT', '/b/k/app.zip'), 'PutObject')
    assert.equal(s3('PUT', '/b/k', {'x-amz-copy-source': '/b/o'}), 'CopyObject')
    assert.equal(s3('GET', '/b/k'), 'GetObject')
    assert.equal(s3('HEAD', '/b/k'), 'HeadObject')
    assert.equal(s3('DELETE', '/b/k'), 'DeleteObject')
    assert.equal(s3('POST', '/b/k?uploads'), 'CreateMultipartUpload')
    assert.equal(s3('PUT', '/b/k?partNumber=2&uploadId=u'), 'UploadPart')
    assert.equal(s3('POST', '/b/k?uploadId=u'), 'CompleteMultipartUpload')
    assert.equal(s3('DELETE', '/b/k?uploadId=u'), 'AbortMultipartUpload')
  })

  test('Query actions come from the body or the query string; JSON 1.1 from X-Amz-Target', () => {
    assert.equal(
      identifyAction('elb', 'POST', '/', {}, Buffer.from('Action=DescribeLoadBalancers&Version=2012-06-01')),
      'DescribeLoadBalancers',
    )
    assert.equal(
      identifyAction('elasticbeanstalk', 'GET', '/?Action=CreateEnvironment&Version=2010-12-01', {}, Buffer.alloc(0)),
      'CreateEnvironment',
    )
    assert.equal(
      identifyAction('acm', 'POST', '/', {'x-amz-target': 'CertificateManager.DescribeCertificate'}, undefined),
      'DescribeCertificate',
    )
    // EC2's protocol sends its Action in a Query body too.
    assert.equal(
      identifyAction('ec2', 'POST', '/', {}, Buffer.from('Action=AuthorizeSecurityGroupIngress&Version=2016-11-15')),
      'AuthorizeSecurityGroupIngress',
    )
  })

  test('reads are Describe/List/Get/Head/Validate/Check; everything else mutates', () => {
    for (const a of [
      'DescribeLoadBalancers',
      'ListCertificates',
      'GetObject',
      'HeadBucket',
      'ValidateConfigurationSettings',
      'CheckDNSAvailability',
    ])
      assert.equal(isMutating(a), false, a)
    for (const a of [
      'CreateLoadBalancerListeners',
      'SetLoadBalancerPoliciesOfListener',
      'PutObject',
      'UpdateEnvironment',
      'ImportCertificate',
    ])
      assert.equal(isMutating(a), true, a)
  })

  test('criticalPath counts dependent round trips', () => {
    const log = new CallLog()
    const rec = (start: number, end: number, action = 'X'): CallRecord => ({
      service: 'elb',
      action,
      mutating: false,
      start,
      end,
      status: 200,
    })
    assert.equal(log.criticalPath(), 0)
    // a -> (b || c) -> d, plus e overlapping everything
    for (const r of [rec(0, 10), rec(10, 20), rec(11, 25), rec(26, 30), rec(0, 30, 'Y')]) log.push(r)
    assert.equal(log.criticalPath(), 3)
    assert.equal(log.criticalPath({action: 'Y'}), 1)
  })
})

describe('faults observed by the SDK and the CLI', () => {
  let bench: Bench
  let stubEb: StubEb
  let elb: ElasticLoadBalancingClient

  before(async () => {
    bench = await startBench({
      ebFake: async () => {
        stubEb = await startStubEb()
        return stubEb
      },
    })
    elb = new ElasticLoadBalancingClient({
      region: bench.region,
      endpoint: bench.endpoints.elb,
      credentials: creds,
      maxAttempts: 3,
    })
  })
  after(async () => {
    elb?.destroy()
    await bench?.stop()
  })
  beforeEach(async () => {
    await bench.reset()
    stubEb.hits.length = 0
  })

  const createLb = (name: string): CreateLoadBalancerCommand =>
    new CreateLoadBalancerCommand({
      LoadBalancerName: name,
      Listeners: [{Protocol: 'HTTP', LoadBalancerPort: 80, InstanceProtocol: 'HTTP', InstancePort: 80}],
      AvailabilityZones: ['us-east-1a'],
    })

  test('throttle N: the SDK retries (standard and adaptive) and then succeeds', async () => {
    bench.faults.throttle(2, {service: 'elb', action: 'DescribeLoadBalancers'})
    const out = await elb.send(new DescribeLoadBalancersCommand({}))
    assert.deepEqual(out.LoadBalancerDescriptions, [])
    assert.equal(out.$metadata.attempts, 3)
    const calls = bench.calls.list({action: 'DescribeLoadBalancers'})
    assert.deepEqual(
      calls.map((c) => [c.status, c.injected, c.code]),
      [
        [400, 'throttle', 'Throttling'],
        [400, 'throttle', 'Throttling'],
        [200, undefined, undefined],
      ],
    )

    const adaptive = new ElasticLoadBalancingClient({
      region: bench.region,
      endpoint: bench.endpoints.elb,
      credentials: creds,
      maxAttempts: 3,
      retryMode: 'adaptive',
    })
    try {
      bench.faults.throttle(1, {service: 'elb'})
      const again = await adaptive.send(new DescribeLoadBalancersCommand({}))
      assert.equal(again.$metadata.attempts, 2)
    } finally {
      adaptive.destroy()
    }
  })

  test("throttle beyond maxAttempts surfaces each service's throttling code", async () => {
    const acm = new ACMClient({region: bench.region, endpoint: bench.endpoints.acm, credentials: creds, maxAttempts: 1})
    const s3 = new S3Client({
      region: bench.region,
      endpoint: bench.endpoints.s3,
      credentials: creds,
      maxAttempts: 1,
      forcePathStyle: true,
    })
    const eb = new ElasticBeanstalkClient({
      region: bench.region,
      endpoint: bench.endpoints.elasticbeanstalk,
      credentials: creds,
      maxAttempts: 1,
    })
    const one = new ElasticLoadBalancingClient({
      region: bench.region,
      endpoint: bench.endpoints.elb,
      credentials: creds,
      maxAttempts: 1,
    })
    try {
      bench.faults.throttle(4)
      const names = await Promise.all([
        one.send(new DescribeLoadBalancersCommand({})).then(
          () => 'ok',
          (e: Error) => e.name,
        ),
        acm.send(new ListCertificatesCommand({})).then(
          () => 'ok',
          (e: Error) => e.name,
        ),
        s3.send(new ListBucketsCommand({})).then(
          () => 'ok',
          (e: Error) => e.name,
        ),
        eb.send(new DescribeApplicationsCommand({})).then(
          () => 'ok',
          (e: Error) => e.name,
        ),
      ])
      assert.deepEqual(names, ['Throttling', 'ThrottlingException', 'SlowDown', 'Throttling'])
      assert.equal(stubEb.hits.length, 0)
      // and once the faults are spent, each service answers through the proxy
      bench.faults.throttle(1, {service: 's3'})
      const s3Retrying = new S3Client({
        region: bench.region,
        endpoint: bench.endpoints.s3,
        credentials: creds,
        maxAttempts: 2,
        forcePathStyle: true,
      })
      await s3Retrying.send(new CreateBucketCommand({Bucket: 'bench-bucket'}))
      assert.deepEqual(
        bench.calls.list({service: 's3'}).map((c) => [c.action, c.status]),
        [
          ['ListBuckets', 503],
          ['CreateBucket', 503],
          ['CreateBucket', 200],
        ],
      )
      s3Retrying.destroy()
      assert.equal((await eb.send(new DescribeApplicationsCommand({}))).Applications?.length, 0)
    } finally {
      for (const c of [acm, s3, eb, one]) c.destroy()
    }
  })

  test('serverError: 503 and 500 are retried by the SDK', async () => {
    bench.faults.serverError(1, {service: 'elb'}, 503)
    bench.faults.serverError(1, {service: 'elb'})
    const out = await elb.send(new DescribeLoadBalancersCommand({}))
    assert.equal(out.$metadata.attempts, 3)
    assert.deepEqual(
      bench.calls.all.map((c) => c.status),
      [503, 500, 200],
    )
  })

  test('failNthMutating hits exactly the Nth mutating call and never reaches the backend', async () => {
    bench.faults.failNthMutating(2, 'InvalidConfigurationRequest', {service: 'elb'})
    await elb.send(createLb('web'))
    await elb.send(new DescribeLoadBalancersCommand({})) // reads do not count
    const err = await elb
      .send(
        new CreateLoadBalancerPolicyCommand({
          LoadBalancerName: 'web',
          PolicyName: 'pp',
          PolicyTypeName: 'ProxyProtocolPolicyType',
          PolicyAttributes: [{AttributeName: 'ProxyProtocol', AttributeValue: 'true'}],
        }),
      )
      .then(
        () => undefined,
        (e: Error & {$metadata?: {httpStatusCode?: number; attempts?: number}}) => e,
      )
    assert.equal(err?.name, 'InvalidConfigurationRequestException')
    assert.equal(err?.$metadata?.httpStatusCode, 400)
    assert.equal(err?.$metadata?.attempts, 1, 'a 400 with a non-retryable code is not retried')
    // Read moto back directly: the policy was never created.
    const direct = new ElasticLoadBalancingClient({
      region: bench.region,
      endpoint: bench.direct.moto,
      credentials: creds,
    })
    const policies = await direct.send(new DescribeLoadBalancerPoliciesCommand({LoadBalancerName: 'web'}))
    direct.destroy()
    assert.deepEqual(policies.PolicyDescriptions, [])
    // The 3rd mutating call goes through; the rule is spent.
    await elb.send(
      new ModifyLoadBalancerAttributesCommand({
        LoadBalancerName: 'web',
        LoadBalancerAttributes: {ConnectionSettings: {IdleTimeout: 300}},
      }),
    )
    assert.deepEqual(
      bench.calls.list({mutating: true}).map((c) => [c.action, c.status, c.injected]),
      [
        ['CreateLoadBalancer', 200, undefined],
        ['CreateLoadBalancerPolicy', 400, 'failNthMutating'],
        ['ModifyLoadBalancerAttributes', 200, undefined],
      ],
    )

    // An EB mutating call fails the same way, without reaching the EB backend.
    const eb = new ElasticBeanstalkClient({
      region: bench.region,
      endpoint: bench.endpoints.elasticbeanstalk,
      credentials: creds,
    })
    bench.faults.failNthMutating(1, 'TooManyApplicationsException', {service: 'elasticbeanstalk'})
    const ebErr = await eb.send(new CreateApplicationCommand({ApplicationName: 'a'})).then(
      () => undefined,
      (e: Error) => e,
    )
    eb.destroy()
    assert.equal(ebErr?.name, 'TooManyApplicationsException')
    assert.deepEqual(stubEb.hits, [])
  })

  test('latency is added to matching calls only, and criticalPath separates sequential from concurrent calls', async () => {
    bench.faults.latency(100, {service: 'elb'})
    const t0 = performance.now()
    await elb.send(new DescribeLoadBalancersCommand({}))
    const took = performance.now() - t0
    assert.ok(took >= 100, `took ${took} ms`)
    const [first] = bench.calls.all
    assert.ok(first !== undefined && first.end - first.start >= 100)

    bench.calls.clear()
    for (let i = 0; i < 3; i++) await elb.send(new DescribeLoadBalancersCommand({}))
    assert.equal(bench.calls.criticalPath(), 3)

    bench.calls.clear()
    await Promise.all([0, 1, 2].map(() => elb.send(new DescribeLoadBalancersCommand({}))))
    assert.equal(bench.calls.criticalPath(), 1)

    bench.calls.clear()
    await Promise.all([0, 1].map(() => elb.send(new DescribeLoadBalancersCommand({}))))
    await elb.send(new DescribeLoadBalancersCommand({}))
    assert.equal(bench.calls.criticalPath(), 2)
    assert.equal(bench.calls.count(), 3)

    // A call not matching the filter is not delayed. Judged against the injected amount, not against an
    // absolute "fast" bound (which CPU load breaks): with a large rule on elb, an ACM call that the rule
    // wrongly matched would be held >= BIG ms by the proxy (timers never fire early, as the first check shows),
    // while an unmatched one is answered in far less. Adding the rule costs no wall time: no elb call follows.
    const BIG = 5000
    bench.faults.latency(BIG, {service: 'elb'})
    assert.equal(bench.faults.latencyFor({service: 'acm', action: 'ListCertificates', mutating: false}), 0)
    const acm = new ACMClient({region: bench.region, endpoint: bench.endpoints.acm, credentials: creds})
    bench.calls.clear()
    await acm.send(new ListCertificatesCommand({}))
    acm.destroy()
    const [acmCall] = bench.calls.all
    assert.ok(acmCall !== undefined, 'the ACM call went through the proxy')
    const acmTook = acmCall.end - acmCall.start
    assert.ok(acmTook < BIG, `an unmatched call took ${acmTook} ms: the ${BIG} ms elb latency was applied to it`)
  })

  function aws(args: string[]): Promise<{code: number | null; stderr: string; stdout: string}> {
    return new Promise((resolve, reject) => {
      const child = spawn('aws', args, {
        env: {...benchProcessEnv(bench), AWS_MAX_ATTEMPTS: '1', AWS_RETRY_MODE: 'standard'},
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
      child.on('error', reject)
      child.on('close', (code) => resolve({code, stdout, stderr}))
    })
  }

  test('the AWS CLI parses injected errors (exit code 255 and the code in stderr)', async () => {
    bench.faults.throttle(1, {service: 'elb'})
    bench.faults.throttle(1, {service: 'acm'})
    bench.faults.throttle(1, {service: 's3'})
    bench.faults.failNthMutating(1, 'InvalidConfigurationRequest', {service: 'elb'})
    const [elbRes, acmRes, s3Res] = await Promise.all([
      aws(['elb', 'describe-load-balancers']),
      aws(['acm', 'describe-certificate', '--certificate-arn', 'arn:aws:acm:us-east-1:123456789012:certificate/x']),
      aws(['s3api', 'list-buckets']),
    ])
    assert.equal(elbRes.code, 255)
    assert.match(elbRes.stderr, /\(Throttling\).*DescribeLoadBalancers.*Rate exceeded/)
    assert.equal(acmRes.code, 255)
    assert.match(acmRes.stderr, /\(ThrottlingException\).*DescribeCertificate/)
    assert.equal(s3Res.code, 255)
    assert.match(s3Res.stderr, /\(SlowDown\).*ListBuckets/)
    const create = await aws([
      'elb',
      'create-load-balancer',
      '--load-balancer-name',
      'cli',
      '--listeners',
      'Protocol=HTTP,LoadBalancerPort=80,InstancePort=80',
      '--availability-zones',
      'us-east-1a',
    ])
    assert.equal(create.code, 255)
    assert.match(create.stderr, /\(InvalidConfigurationRequest\).*CreateLoadBalancer/)
  })
})
