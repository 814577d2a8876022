import type {ACMClient} from '@aws-sdk/client-acm'
import type {EC2Client} from '@aws-sdk/client-ec2'
import type {ElasticBeanstalkClient} from '@aws-sdk/client-elastic-beanstalk'
import type {ElasticLoadBalancingClient} from '@aws-sdk/client-elastic-load-balancing'
import type {ElasticLoadBalancingV2Client} from '@aws-sdk/client-elastic-load-balancing-v2'
import type {Route53Client} from '@aws-sdk/client-route-53'
import type {S3Client} from '@aws-sdk/client-s3'

import {subscribe, unsubscribe} from 'node:diagnostics_channel'
import type {ClientRequest} from 'node:http'

import {badInput} from '../cli/errors.ts'

export interface AwsOptions {
  region?: string | undefined
  profile?: string | undefined
}

// A region code looks like us-east-1, eu-central-2, us-gov-west-1, cn-north-1, eusc-de-east-1.
const REGION_PATTERN = /^[a-z]{2,4}(-[a-z]+)+-\d+$/

/**
 * Whether the SDK's own partition data lists the region (known regions carry a description; an unknown name that
 * only matches a partition's pattern, like us-east-99, does not). Calls to a region that does not exist fail in
 * confusing ways (DNS errors, or an HTML answer the SDK cannot parse), so it is bad input, checked before any call.
 */
async function isKnownRegion(region: string): Promise<boolean> {
  const {partition} = await import('@aws-sdk/core/client')
  return (partition(region) as {description?: string}).description !== undefined
}

// The id the SDK's retry middleware puts on every attempt of a send (smithy's INVOCATION_ID_HEADER).
const INVOCATION_ID = 'amz-sdk-invocation-id'
// Node publishes every outgoing HTTP request here (https://nodejs.org/api/diagnostics_channel.html#http).
const REQUEST_STARTED = 'http.client.request.start'

/** The part of an SDK client's middleware stack used here (every client has the same one). */
interface MiddlewareStack {
  add(
    middleware: (
      next: (args: {request?: unknown}) => Promise<unknown>,
      context: object,
    ) => (args: {request?: unknown}) => Promise<unknown>,
    options: {step: 'initialize' | 'deserialize'; priority: 'high' | 'low'; name: string},
  ): void
}

/**
 * Which sends of the clients are not yet written: a send counts from its start until its HTTP request has been
 * handed to the connection ('finish': request line, headers and body flushed) or the send has settled. The SDK
 * resolves credentials, endpoints and signatures before a request exists, often across file reads, so a request is
 * written well after send() returns; work started before then (loading a client: tens of ms of one thread) delays
 * it. The request is recognised by its invocation id, seen on Node's http.client.request.start channel, which is
 * listened to only while a send is unwritten.
 */
class UnwrittenSends {
  readonly #pending = new Set<object>()
  readonly #tokens = new WeakMap<object, object>()
  readonly #byId = new Map<string, object>()
  #waiters: Array<() => void> = []

  readonly #onRequest = (message: unknown): void => {
    const request = (message as {request: ClientRequest}).request
    const id = request.getHeader(INVOCATION_ID)
    const token = typeof id === 'string' ? this.#byId.get(id) : undefined
    if (!token) return
    this.#byId.delete(id as string)
    if (request.writableFinished) this.#written(token)
    else request.once('finish', () => this.#written(token))
  }

  track(stack: MiddlewareStack): void {
    stack.add(
      (next, context) => async (args) => {
        const token = {}
        this.#tokens.set(context, token)
        if (this.#pending.size === 0) subscribe(REQUEST_STARTED, this.#onRequest)
        this.#pending.add(token)
        try {
          return await next(args)
        } finally {
          this.#written(token)
        }
      },
      {step: 'initialize', priority: 'high', name: 'ebwsSendStarted'},
    )
    // Innermost (after the retry middleware named the attempt): the request goes to the HTTP handler from here.
    stack.add(
      (next, context) => (args) => {
        const token = this.#tokens.get(context)
        const id = (args.request as {headers?: Record<string, string>} | undefined)?.headers?.[INVOCATION_ID]
        if (token && id && this.#pending.has(token)) this.#byId.set(id, token)
        return next(args)
      },
      {step: 'deserialize', priority: 'low', name: 'ebwsSendAtHandler'},
    )
  }

  /** Resolves once no send is unwritten (at once when none is). */
  written(): Promise<void> {
    if (this.#pending.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  #written(token: object): void {
    if (!this.#pending.delete(token)) return
    for (const [id, t] of this.#byId) if (t === token) this.#byId.delete(id)
    if (this.#pending.size > 0) return
    unsubscribe(REQUEST_STARTED, this.#onRequest)
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w()
  }
}

type PreparedService = 'elb' | 'elbv2' | 'acm' | 's3' | 'ec2'

interface CommonConfig {
  region?: string
  profile?: string
  retryMode?: string
  maxAttempts?: number
  credentials?: SharedCredentials
}

/** A client's resolved credentials provider (the same type on every client). */
type SharedCredentials = ElasticBeanstalkClient['config']['credentials']

/**
 * One factory for every AWS client the CLI uses. Clients are created on first use and the SDK packages are imported
 * lazily, so `--help` and commands that need one service never load the others.
 *
 * Everything else comes from the SDK's own standard configuration, on purpose: the default credential chain (env,
 * SSO, assumed roles, web identity, IMDS), `AWS_REGION`/`AWS_PROFILE`/shared config files, and the endpoint
 * variables `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE_ID>` (e.g. `AWS_ENDPOINT_URL_ELASTIC_BEANSTALK`)
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
 */
export class AwsClients {
  private readonly cache = new Map<string, Promise<unknown>>()
  private readonly unwritten = new UnwrittenSends()
  /** The first client's credentials provider, which every later client shares (see commonConfig). */
  private credentials: SharedCredentials | undefined
  readonly options: AwsOptions

  constructor(options: AwsOptions = {}) {
    this.options = options
    if (options.region !== undefined && !REGION_PATTERN.test(options.region)) {
      throw badInput('REGION_UNKNOWN', `"${options.region}" is not an AWS region code.`, [
        'Use a region code such as us-east-1 or eu-west-2.',
      ])
    }
  }

  /** Client settings shared by all services: adaptive retries (client-side rate limiting under throttling). */
  protected commonConfig(region?: string): CommonConfig {
    const config: CommonConfig = {}
    const r = region ?? this.options.region
    if (r) config.region = r
    if (this.options.profile) config.profile = this.options.profile
    // Honour the user's own AWS_RETRY_MODE / AWS_MAX_ATTEMPTS; otherwise adaptive with a few more attempts.
    // https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
    if (!process.env.AWS_RETRY_MODE) config.retryMode = 'adaptive'
    if (!process.env.AWS_MAX_ATTEMPTS) config.maxAttempts = 6
    // One credentials lookup for all the clients: each SDK client memoizes its own default-chain provider, and
    // "memoize does not cache across instances" (https://github.com/aws/aws-sdk-js-v3/issues/4612), so with SSO, an
    // assumed role or a credential_process every new client (ELBv2, EC2, ACM, Route 53) fetched the same credentials
    // again before its first request: a round trip (or a process) more on the critical path. The first client's
    // provider refreshes expiring credentials itself.
    if (this.credentials) config.credentials = this.credentials
    return config
  }

  private memo<T extends {middlewareStack: unknown}>(key: string, create: () => Promise<T>): Promise<T> {
    let client = this.cache.get(key) as Promise<T> | undefined
    if (!client) {
      client = create().then((c) => {
        this.unwritten.track(c.middlewareStack as MiddlewareStack)
        this.credentials ??= (c as {config?: {credentials?: SharedCredentials}}).config?.credentials
        return c
      })
      this.cache.set(key, client)
    }
    return client
  }

  elasticBeanstalk(): Promise<ElasticBeanstalkClient> {
    return this.memo('eb', async () => {
      const {ElasticBeanstalkClient} = await import('./sdk/elastic-beanstalk.ts')
      return new ElasticBeanstalkClient(this.commonConfig())
    })
  }

  elb(): Promise<ElasticLoadBalancingClient> {
    return this.memo('elb', async () => {
      const {ElasticLoadBalancingClient} = await import('./sdk/elb.ts')
      return new ElasticLoadBalancingClient(this.commonConfig())
    })
  }

  /** Application and Network Load Balancers (ELBv2; endpoint variable AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2). */
  elbv2(): Promise<ElasticLoadBalancingV2Client> {
    return this.memo('elbv2', async () => {
      const {ElasticLoadBalancingV2Client} = await import('./sdk/elbv2.ts')
      return new ElasticLoadBalancingV2Client(this.commonConfig())
    })
  }

  /**
   * The ELB client for calls that run while a port is down (re-creating a deleted listener): one attempt per send,
   * the caller retries with its own short backoff. It shares the main client's connections (requestHandler), so it
   * opens no new TLS connection at the worst moment.
   */
  elbUrgent(): Promise<ElasticLoadBalancingClient> {
    return this.memo('elb:urgent', async () => {
      const main = await this.elb()
      const {ElasticLoadBalancingClient} = await import('./sdk/elb.ts')
      return new ElasticLoadBalancingClient({
        ...this.commonConfig(),
        retryMode: 'standard',
        maxAttempts: 1,
        requestHandler: main.config.requestHandler,
      })
    })
  }

  /** ACM is regional; a CLB can only use certificates from its own region, but lookups may name another. */
  acm(region?: string): Promise<ACMClient> {
    return this.memo(`acm:${region ?? ''}`, async () => {
      const {ACMClient} = await import('./sdk/acm.ts')
      return new ACMClient(this.commonConfig(region))
    })
  }

  /** Route 53 is global: the SDK signs for us-east-1 and uses the global endpoint whatever the region. */
  route53(): Promise<Route53Client> {
    return this.memo('route53', async () => {
      const {Route53Client} = await import('./sdk/route53.ts')
      return new Route53Client(this.commonConfig())
    })
  }

  /** EC2, for the load balancer's security groups (endpoint variable AWS_ENDPOINT_URL_EC2). */
  ec2(): Promise<EC2Client> {
    return this.memo('ec2', async () => {
      const {EC2Client} = await import('./sdk/ec2.ts')
      return new EC2Client(this.commonConfig())
    })
  }

  s3(): Promise<S3Client> {
    return this.memo('s3', async () => {
      const {S3Client} = await import('./sdk/s3.ts')
      // Path-style keeps bucket names out of DNS, which local endpoints need; harmless on AWS for our buckets.
      return new S3Client({
        ...this.commonConfig(),
        forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL),
      })
    })
  }

  /**
   * Starts importing and constructing clients that the next round trip needs, without waiting for them. Called while
   * a round trip is in flight, the work overlaps the wait for its responses instead of following it. It starts once
   * the requests being sent have been written: loading a client takes the thread for milliseconds (the EC2 client
   * tens of them), and started earlier it held back the very requests it was meant to overlap. Errors are left for
   * the later real use of the client to report.
   */
  prepare(...services: PreparedService[]): void {
    void this.requestsWritten().then(() => this.load(services))
  }

  /**
   * prepare(), one client at a time and only while `wait` (the round trip in flight) is unanswered: a client whose
   * load would no longer overlap the wait is left to be loaded when it is used, so one that the answer shows
   * unneeded (the other load-balancer type's) is never loaded. Order `services` by need, the likeliest first.
   */
  prepareWhile(wait: Promise<unknown>, services: readonly PreparedService[]): void {
    let answered = false
    const done = () => (answered = true)
    wait.then(done, done)
    const next = (i: number): void => {
      if (answered || i >= services.length) return
      this.load([services[i]!])
      // The load's own work runs before the next turn of the event loop, where an answer that came meanwhile is read.
      setImmediate(() => next(i + 1))
    }
    void this.requestsWritten().then(() => next(0))
  }

  /** Resolves once every send started by these clients has written its request (or settled); at once when none is in flight. */
  requestsWritten(): Promise<void> {
    return this.unwritten.written()
  }

  private load(services: readonly PreparedService[]): void {
    for (const service of services) {
      const client: Promise<unknown> =
        service === 'elb'
          ? this.elb()
          : service === 'elbv2'
            ? this.elbv2()
            : service === 'acm'
              ? this.acm()
              : service === 'ec2'
                ? this.ec2()
                : this.s3()
      client.catch(() => undefined)
    }
  }

  /**
   * The region every client will use, resolved the SDK's way (flag, AWS_REGION, profile). Fails with a clear
   * message, before any call is made, when there is none.
   */
  async region(): Promise<string> {
    const eb = await this.elasticBeanstalk()
    let region: string | undefined
    try {
      region = await eb.config.region()
    } catch {
      region = undefined
    }
    if (!region) {
      throw badInput('REGION_MISSING', 'No AWS region is configured.', [
        'Pass --region, set AWS_REGION, set a region in your AWS profile, or run `eb init` to create .elasticbeanstalk/config.yml.',
      ])
    }
    if (!REGION_PATTERN.test(region) || !(await isKnownRegion(region))) {
      throw badInput(
        'REGION_UNKNOWN',
        `"${region}" is not an AWS region${REGION_PATTERN.test(region) ? ' this version of the AWS SDK knows' : ' code'}.`,
        [
          'Use a region code such as us-east-1 or eu-west-2 (`aws ec2 describe-regions` lists yours); for a region launched after this ebws release, update ebws.',
        ],
      )
    }
    return region
  }
}
