// startBench(): its environment routes the real SDK v3 clients and the AWS CLI through the
// fault proxy by service-specific endpoint variables alone; certificates of every kind read
// back from DescribeCertificate as ACM describes them.
import {test, before, after, describe} from 'node:test'
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {readFile} from 'node:fs/promises'
import {promisify} from 'node:util'
import {ElasticLoadBalancingClient, DescribeLoadBalancersCommand} from '@aws-sdk/client-elastic-load-balancing'
import {ACMClient, DescribeCertificateCommand, ListCertificatesCommand} from '@aws-sdk/client-acm'
import {S3Client, CreateBucketCommand, PutObjectCommand, HeadObjectCommand} from '@aws-sdk/client-s3'
import {ElasticBeanstalkClient, DescribeApplicationsCommand} from '@aws-sdk/client-elastic-beanstalk'
import {startBench, benchProcessEnv, type Bench} from './index.ts'
import {createCertificate, type CertKind} from './certificates.ts'
import {startStubEb, type StubEb} from './stub-eb.ts'

const run = promisify(execFile)

let bench: Bench
let stubEb: StubEb

before(async () => {
  bench = await startBench({
    region: 'eu-west-1',
    ebFake: async (motoUrl) => {
      assert.match(motoUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
      stubEb = await startStubEb()
      return stubEb
    },
  })
})
after(async () => {
  await bench?.stop()
})

/** Run fn with process.env replaced by the bench's process env, as a CLI child would see it. */
async function withBenchEnv<T>(fn: () => Promise<T>): Promise<T> {
  const saved = {...process.env}
  for (const k of Object.keys(process.env)) delete process.env[k]
  Object.assign(process.env, benchProcessEnv(bench, saved))
  try {
    return await fn()
  } finally {
    for (const k of Object.keys(process.env)) delete process.env[k]
    Object.assign(process.env, saved)
  }
}

describe('startBench environment', () => {
  test('env has fixed credentials, region, empty config files, no profile, endpoints through the proxy', async () => {
    const env = bench.env
    assert.equal(env.AWS_ACCESS_KEY_ID, 'testing')
    assert.equal(env.AWS_SECRET_ACCESS_KEY, 'testing')
    assert.equal(env.AWS_REGION, 'eu-west-1')
    assert.equal(env.AWS_EC2_METADATA_DISABLED, 'true')
    assert.equal('AWS_PROFILE' in env, false)
    assert.equal(await readFile(env.AWS_CONFIG_FILE!, 'utf8'), '')
    assert.equal(await readFile(env.AWS_SHARED_CREDENTIALS_FILE!, 'utf8'), '')
    assert.equal(env.AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING, bench.endpoints.elb)
    assert.equal(env.AWS_ENDPOINT_URL_ACM, bench.endpoints.acm)
    assert.equal(env.AWS_ENDPOINT_URL_S3, bench.endpoints.s3)
    assert.equal(env.AWS_ENDPOINT_URL_ELASTIC_BEANSTALK, bench.endpoints.elasticbeanstalk)
    assert.equal(bench.direct.eb, stubEb.url)
    assert.notEqual(bench.endpoints.elb, bench.direct.moto)
    const leaked = benchProcessEnv(bench, {AWS_PROFILE: 'prod', AWS_ENDPOINT_URL: 'https://real', HOME: '/home/x'})
    assert.equal(leaked.AWS_PROFILE, undefined)
    assert.equal(leaked.AWS_ENDPOINT_URL, undefined)
    assert.equal(leaked.HOME, '/home/x')
  })

  test('SDK v3 clients built with no endpoint or credentials honour AWS_ENDPOINT_URL_<SERVICE>', async () => {
    await bench.reset()
    await withBenchEnv(async () => {
      const elb = new ElasticLoadBalancingClient({})
      const acm = new ACMClient({})
      const s3 = new S3Client({})
      const eb = new ElasticBeanstalkClient({})
      try {
        assert.equal(await elb.config.region(), 'eu-west-1')
        await elb.send(new DescribeLoadBalancersCommand({}))
        await acm.send(new ListCertificatesCommand({}))
        await s3.send(
          new CreateBucketCommand({Bucket: 'bench-env', CreateBucketConfiguration: {LocationConstraint: 'eu-west-1'}}),
        )
        await s3.send(new PutObjectCommand({Bucket: 'bench-env', Key: 'app/v1.zip', Body: 'zip'}))
        const head = await s3.send(new HeadObjectCommand({Bucket: 'bench-env', Key: 'app/v1.zip'}))
        assert.equal(head.ContentLength, 3)
        await eb.send(new DescribeApplicationsCommand({}))
      } finally {
        for (const c of [elb, acm, s3, eb]) c.destroy()
      }
    })
    assert.deepEqual(
      bench.calls.all.map((c) => `${c.service}:${c.action}:${c.status}`),
      [
        'elb:DescribeLoadBalancers:200',
        'acm:ListCertificates:200',
        's3:CreateBucket:200',
        's3:PutObject:200',
        's3:HeadObject:200',
        'elasticbeanstalk:DescribeApplications:200',
      ],
    )
    assert.deepEqual(stubEb.hits, ['DescribeApplications'])
  })

  test('the AWS CLI honours the same variables', async () => {
    await bench.reset()
    const cert = await createCertificate({endpoint: bench.direct.moto, region: bench.region, kind: 'rsa2048'})
    const env = benchProcessEnv(bench)
    const lbs = await run('aws', ['elb', 'describe-load-balancers', '--output', 'json'], {env})
    assert.deepEqual(JSON.parse(lbs.stdout), {LoadBalancerDescriptions: []})
    const described = await run(
      'aws',
      [
        'acm',
        'describe-certificate',
        '--certificate-arn',
        cert.arn,
        '--query',
        'Certificate.DomainName',
        '--output',
        'text',
      ],
      {env},
    )
    assert.equal(described.stdout.trim(), 'app.example.com')
    assert.deepEqual(
      bench.calls.all.map((c) => `${c.service}:${c.action}`),
      ['elb:DescribeLoadBalancers', 'acm:DescribeCertificate'],
    )
  })

  test('reset() clears faults, the call log and moto state', async () => {
    await createCertificate({endpoint: bench.endpoints.acm, region: bench.region, kind: 'rsa2048'})
    bench.faults.throttle(100)
    await bench.reset()
    assert.equal(bench.calls.count(), 0)
    const acm = new ACMClient({
      region: bench.region,
      endpoint: bench.endpoints.acm,
      credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'},
      maxAttempts: 1,
    })
    const out = await acm.send(new ListCertificatesCommand({}))
    acm.destroy()
    assert.deepEqual(out.CertificateSummaryList, [])
  })
})

describe('certificates as ACM describes them', () => {
  const cases: {
    kind: CertKind
    keyAlgorithm: string
    status: string
    domain: string
    sans: string[]
    selfSigned?: boolean
  }[] = [
    {
      kind: 'rsa2048',
      keyAlgorithm: 'RSA_2048',
      status: 'ISSUED',
      domain: 'app.example.com',
      sans: ['app.example.com', 'www.example.com'],
    },
    {kind: 'rsa4096', keyAlgorithm: 'RSA_4096', status: 'ISSUED', domain: 'app.example.com', sans: ['app.example.com']},
    {
      kind: 'ec256',
      keyAlgorithm: 'EC_prime256v1',
      status: 'ISSUED',
      domain: 'app.example.com',
      sans: ['app.example.com'],
      selfSigned: true,
    },
    {
      kind: 'wildcard',
      keyAlgorithm: 'RSA_2048',
      status: 'ISSUED',
      domain: '*.example.com',
      sans: ['*.example.com', 'example.com'],
    },
    {
      kind: 'expired',
      keyAlgorithm: 'RSA_2048',
      status: 'EXPIRED',
      domain: 'app.example.com',
      sans: ['app.example.com'],
    },
  ]
  for (const c of cases) {
    test(`${c.kind}: KeyAlgorithm ${c.keyAlgorithm}, Status ${c.status}, Type IMPORTED`, async () => {
      const region = c.kind === 'ec256' ? 'ap-southeast-2' : bench.region
      const cert = await createCertificate({
        endpoint: bench.endpoints.acm,
        region,
        kind: c.kind,
        ...(c.kind === 'rsa2048' ? {sans: ['www.example.com']} : {}),
        ...(c.selfSigned === true ? {selfSigned: true} : {}),
      })
      assert.match(cert.arn, new RegExp(`^arn:aws:acm:${region}:\\d{12}:certificate/`))
      assert.equal(cert.keyAlgorithm, c.keyAlgorithm)
      assert.equal(cert.domain, c.domain)
      const acm = new ACMClient({
        region,
        endpoint: bench.endpoints.acm,
        credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'},
      })
      const d = (await acm.send(new DescribeCertificateCommand({CertificateArn: cert.arn}))).Certificate
      acm.destroy()
      assert.equal(d?.KeyAlgorithm, c.keyAlgorithm)
      assert.equal(d?.Status, c.status)
      assert.equal(d?.Type, 'IMPORTED')
      assert.equal(d?.DomainName, c.domain)
      assert.deepEqual(d?.SubjectAlternativeNames, c.sans)
      assert.equal(d?.NotAfter?.getTime(), cert.notAfter.getTime())
      if (c.kind === 'expired') assert.ok(cert.notAfter.getTime() < Date.now())
      else assert.ok(cert.notAfter.getTime() > Date.now() + 300 * 86400_000)
      if (c.selfSigned === true) assert.equal(cert.chainPem, undefined)
      else assert.match(cert.chainPem ?? '', /BEGIN CERTIFICATE/)
    })
  }
})
