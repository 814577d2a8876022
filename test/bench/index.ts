// The local AWS bench: moto (patched) + optionally the Elastic Beanstalk fake, behind the
// fault-injection proxy, with an environment that points SDK clients and the AWS CLI at it.
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {startMoto, type Moto} from './moto.ts'
import {startFaultProxy, type CallLog, type Faults, type FaultProxy} from './fault-proxy.ts'

export type {CallLog, Faults, CallFilter, CallRecord, ServiceName} from './fault-proxy.ts'

export interface EbFakeHandle {
  url: string
  stop(): Promise<void>
}

export interface BenchOptions {
  region?: string
  /** Starts the Elastic Beanstalk fake against moto's URL; without it there is no EB endpoint. */
  ebFake?: (motoUrl: string) => Promise<EbFakeHandle>
}

export interface Bench {
  region: string
  /**
   * Environment for child processes and SDK clients. Service-specific endpoint variables
   * (AWS_ENDPOINT_URL_<SERVICE ID>, https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html)
   * route each service through the fault proxy; credentials are fixed; config and credentials
   * files are empty temp files so the user's ~/.aws never leaks in; no AWS_PROFILE.
   */
  env: Record<string, string>
  /** Endpoints through the fault proxy. */
  endpoints: {
    elasticbeanstalk?: string
    elb: string
    elbv2: string
    acm: string
    s3: string
    route53: string
    ec2: string
  }
  /** Endpoints bypassing faults, for reading state back in tests. */
  direct: {moto: string; eb?: string}
  faults: Faults
  calls: CallLog
  /** Reset moto, clear faults and the call log. */
  reset(): Promise<void>
  stop(): Promise<void>
}

/** Variables that would let a developer's own AWS setup leak into a bench run. */
export const AWS_VARIABLES_TO_DROP = [
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_ENDPOINT_URL',
  'AWS_ROLE_ARN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CA_BUNDLE',
]

/**
 * `process.env` minus every AWS_* variable, plus the bench's env: use it for child processes
 * (e.g. `spawn('node', ['bin/run.js', ...], {env: benchProcessEnv(bench)})`).
 */
export function benchProcessEnv(bench: Bench, base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(base)) {
    if (v !== undefined && !k.startsWith('AWS_')) out[k] = v
  }
  return {...out, ...bench.env}
}

export async function startBench(opts: BenchOptions = {}): Promise<Bench> {
  const region = opts.region ?? 'us-east-1'
  const cleanups: (() => Promise<void>)[] = []
  const cleanup = async (): Promise<void> => {
    for (const fn of cleanups.reverse()) {
      await fn().catch(() => undefined)
    }
    cleanups.length = 0
  }
  try {
    const moto: Moto = await startMoto({patched: true})
    cleanups.push(() => moto.stop())
    let eb: EbFakeHandle | undefined
    if (opts.ebFake !== undefined) {
      eb = await opts.ebFake(moto.url)
      const ebHandle = eb
      cleanups.push(() => ebHandle.stop())
    }
    const proxy: FaultProxy = await startFaultProxy({
      elb: moto.url,
      elbv2: moto.url,
      acm: moto.url,
      s3: moto.url,
      route53: moto.url,
      ec2: moto.url,
      ...(eb !== undefined ? {elasticbeanstalk: eb.url} : {}),
    })
    cleanups.push(() => proxy.stop())

    const dir = await mkdtemp(join(tmpdir(), 'ebws-bench-aws-'))
    cleanups.push(() => rm(dir, {recursive: true, force: true}))
    const configFile = join(dir, 'config')
    const credentialsFile = join(dir, 'credentials')
    await writeFile(configFile, '')
    await writeFile(credentialsFile, '')

    const endpoints = {
      elb: proxy.endpoints.elb!,
      elbv2: proxy.endpoints.elbv2!,
      acm: proxy.endpoints.acm!,
      s3: proxy.endpoints.s3!,
      route53: proxy.endpoints.route53!,
      ec2: proxy.endpoints.ec2!,
      ...(proxy.endpoints.elasticbeanstalk !== undefined ? {elasticbeanstalk: proxy.endpoints.elasticbeanstalk} : {}),
    }
    const env: Record<string, string> = {
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_CONFIG_FILE: configFile,
      AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
      AWS_EC2_METADATA_DISABLED: 'true',
      // Service IDs "Elastic Load Balancing", "ACM", "S3", "Elastic Beanstalk" in upper snake case.
      AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING: endpoints.elb,
      // ALB/NLB: service ID "Elastic Load Balancing v2".
      AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: endpoints.elbv2,
      AWS_ENDPOINT_URL_ACM: endpoints.acm,
      AWS_ENDPOINT_URL_S3: endpoints.s3,
      // Service ID "Route 53".
      AWS_ENDPOINT_URL_ROUTE_53: endpoints.route53,
      // Service ID "EC2".
      AWS_ENDPOINT_URL_EC2: endpoints.ec2,
      ...(endpoints.elasticbeanstalk !== undefined
        ? {AWS_ENDPOINT_URL_ELASTIC_BEANSTALK: endpoints.elasticbeanstalk}
        : {}),
    }
    const direct: Bench['direct'] = {moto: moto.url, ...(eb !== undefined ? {eb: eb.url} : {})}

    let stopped = false
    return {
      region,
      env,
      endpoints,
      direct,
      faults: proxy.faults,
      calls: proxy.calls,
      async reset() {
        proxy.faults.clear()
        await moto.reset()
        proxy.calls.clear()
      },
      async stop() {
        if (stopped) return
        stopped = true
        await cleanup()
      },
    }
  } catch (err) {
    await cleanup()
    throw err
  }
}
