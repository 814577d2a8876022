// In-process fault-injection proxy for the local AWS bench: one loopback port per service,
// each forwarding to a target (moto for elb/acm/s3, the EB fake for elasticbeanstalk).
// It names every call's action, records it, and can add latency or answer errors in the
// service's own wire format, so the real SDK v3 and the AWS CLI parse the error codes.
import {
  createServer,
  request as httpRequest,
  Agent,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  type IncomingHttpHeaders,
} from 'node:http'
import {randomUUID} from 'node:crypto'
import {setTimeout as sleep} from 'node:timers/promises'

export type ServiceName = 'elasticbeanstalk' | 'elb' | 'elbv2' | 'acm' | 's3' | 'route53' | 'ec2'
export const SERVICES: readonly ServiceName[] = ['elasticbeanstalk', 'elb', 'elbv2', 'acm', 's3', 'route53', 'ec2']

type WireProtocol = 'query' | 'json' | 'rest-xml' | 'route53' | 'ec2'
const PROTOCOL: Record<ServiceName, WireProtocol> = {
  elasticbeanstalk: 'query',
  elb: 'query',
  elbv2: 'query',
  acm: 'json',
  s3: 'rest-xml',
  // REST-XML too, but its actions are named by path and its errors are ErrorResponse documents.
  route53: 'route53',
  // EC2's own protocol: Query requests, errors as Response/Errors/Error (botocore ec2 metadata.protocol "ec2").
  ec2: 'ec2',
}
// xmlns of each Query service's responses (botocore service-2.json metadata.xmlNamespace).
const XML_NAMESPACE: Partial<Record<ServiceName, string>> = {
  elb: 'http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/',
  elbv2: 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/',
  elasticbeanstalk: 'http://elasticbeanstalk.amazonaws.com/docs/2010-12-01/',
  route53: 'https://route53.amazonaws.com/doc/2013-04-01/',
}

/**
 * Throttling codes per service. Each is in THROTTLING_ERROR_CODES of
 * @smithy/core's retry classification ("Throttling", "ThrottlingException", "SlowDown"),
 * so the SDK's standard and adaptive retry strategies treat them as throttling, and
 * botocore's retry handler lists them too. ELB and EB answer "Throttling" (Query, HTTP 400);
 * ACM models ThrottlingException; S3 answers SlowDown with HTTP 503.
 */
export const THROTTLING_CODE: Record<ServiceName, {code: string; status: number; message: string}> = {
  elasticbeanstalk: {code: 'Throttling', status: 400, message: 'Rate exceeded'},
  elb: {code: 'Throttling', status: 400, message: 'Rate exceeded'},
  elbv2: {code: 'Throttling', status: 400, message: 'Rate exceeded'},
  acm: {code: 'ThrottlingException', status: 400, message: 'Rate exceeded'},
  s3: {code: 'SlowDown', status: 503, message: 'Please reduce your request rate.'},
  // Route 53 answers Throttling (HTTP 400) under its request-rate quota.
  route53: {code: 'Throttling', status: 400, message: 'Rate exceeded'},
  // EC2 answers RequestLimitExceeded, HTTP 503 (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html).
  ec2: {code: 'RequestLimitExceeded', status: 503, message: 'Request limit exceeded.'},
}

export interface CallFilter {
  service?: ServiceName
  action?: string
  mutating?: boolean
  /** Only calls that arrived after this performance.now() time (call logs only; faults ignore it). */
  startedAfter?: number
}

export type InjectedFault = 'throttle' | 'serverError' | 'failNthMutating' | 'error'

export interface CallRecord {
  service: ServiceName
  action: string
  mutating: boolean
  /** performance.now() when the request arrived at the proxy. */
  start: number
  /** performance.now() when the response was finished. */
  end: number
  status: number
  injected?: InjectedFault
  /** Error code of an injected error. */
  code?: string
}

const READ_PREFIXES = ['Describe', 'List', 'Get', 'Head', 'Validate', 'Check']

/** Describe*, List*, Get*, Head*, Validate* and Check* are reads; every other action mutates. */
export function isMutating(action: string): boolean {
  return !READ_PREFIXES.some((p) => action.startsWith(p))
}

function matches(
  filter: CallFilter | undefined,
  call: {service: ServiceName; action: string; mutating: boolean; start?: number},
): boolean {
  if (filter === undefined) return true
  if (filter.startedAfter !== undefined && call.start !== undefined && call.start < filter.startedAfter) return false
  if (filter.service !== undefined && filter.service !== call.service) return false
  if (filter.action !== undefined && filter.action !== call.action) return false
  if (filter.mutating !== undefined && filter.mutating !== call.mutating) return false
  return true
}

export class CallLog {
  #records: CallRecord[] = []

  /** Every finished call, in the order they finished. */
  get all(): readonly CallRecord[] {
    return this.#records
  }

  list(filter?: CallFilter): CallRecord[] {
    return this.#records.filter((r) => matches(filter, r))
  }

  count(filter?: CallFilter): number {
    return this.list(filter).length
  }

  actions(filter?: CallFilter): string[] {
    return this.list(filter).map((r) => r.action)
  }

  /**
   * The number of dependent round trips: the longest chain of calls in which each call
   * started after the previous one had ended. Sequential calls chain; concurrent ones do not.
   */
  criticalPath(filter?: CallFilter): number {
    const calls = this.list(filter).sort((a, b) => a.start - b.start)
    const chain: number[] = []
    let best = 0
    for (let i = 0; i < calls.length; i++) {
      const ci = calls[i]!
      let longest = 0
      for (let j = 0; j < i; j++) {
        const cj = calls[j]!
        if (cj.end <= ci.start) longest = Math.max(longest, chain[j]!)
      }
      chain[i] = longest + 1
      best = Math.max(best, chain[i]!)
    }
    return best
  }

  clear(): void {
    this.#records = []
  }

  /** @internal used by the proxy */
  push(record: CallRecord): void {
    this.#records.push(record)
  }
}

interface CountedRule {
  kind: 'throttle' | 'serverError' | 'error'
  remaining: number
  filter?: CallFilter
  status: number
  code?: string
}

interface NthRule {
  n: number
  seen: number
  code: string
  filter?: CallFilter
}

type Decision =
  | {kind: 'forward'}
  | {kind: 'throttle'}
  | {kind: 'serverError'; status: number}
  | {kind: 'failNthMutating'; code: string}
  | {kind: 'error'; code: string; status: number}

export class Faults {
  #latency: {ms: number; filter?: CallFilter}[] = []
  #counted: CountedRule[] = []
  #nth: NthRule[] = []

  /** Add `ms` of latency to every matching call (rules add up), before it is answered. */
  latency(ms: number, filter?: CallFilter): void {
    if (!(ms >= 0)) throw new Error(`latency must be >= 0 ms, got ${ms}`)
    this.#latency.push({ms, filter})
  }

  /** The next `count` matching calls answer the service's throttling error. */
  throttle(count: number, filter?: CallFilter): void {
    this.#counted.push({kind: 'throttle', remaining: count, filter, status: 0})
  }

  /** The next `count` matching calls answer a server error (HTTP 500 or 503). */
  serverError(count: number, filter?: CallFilter, status: 500 | 503 = 500): void {
    this.#counted.push({kind: 'serverError', remaining: count, filter, status})
  }

  /**
   * The Nth mutating call (counted from now, among calls matching `filter`) fails with
   * error `code`, HTTP 400, without reaching the backend. Calls answered by another
   * injected fault still count.
   */
  /** The next `count` matching calls (reads too) answer error `code`, e.g. AccessDenied with status 403. */
  error(count: number, code: string, filter?: CallFilter, status = 400): void {
    this.#counted.push({kind: 'error', remaining: count, filter, status, code})
  }

  failNthMutating(n: number, code: string, filter?: CallFilter): void {
    if (!Number.isInteger(n) || n < 1) throw new Error(`failNthMutating needs n >= 1, got ${n}`)
    this.#nth.push({n, seen: 0, code, filter})
  }

  clear(): void {
    this.#latency = []
    this.#counted = []
    this.#nth = []
  }

  /** @internal */
  latencyFor(call: {service: ServiceName; action: string; mutating: boolean}): number {
    return this.#latency.filter((l) => matches(l.filter, call)).reduce((sum, l) => sum + l.ms, 0)
  }

  /** @internal decides, and consumes, the fault for one call */
  decide(call: {service: ServiceName; action: string; mutating: boolean}): Decision {
    let failure: Decision | undefined
    if (call.mutating) {
      for (const rule of this.#nth) {
        if (!matches(rule.filter, call)) continue
        rule.seen++
        if (rule.seen === rule.n && failure === undefined) failure = {kind: 'failNthMutating', code: rule.code}
      }
      this.#nth = this.#nth.filter((r) => r.seen < r.n)
    }
    if (failure !== undefined) return failure
    for (const rule of this.#counted) {
      if (rule.remaining <= 0 || !matches(rule.filter, call)) continue
      rule.remaining--
      this.#counted = this.#counted.filter((r) => r.remaining > 0)
      if (rule.kind === 'error') return {kind: 'error', code: rule.code ?? 'InternalFailure', status: rule.status}
      return rule.kind === 'throttle' ? {kind: 'throttle'} : {kind: 'serverError', status: rule.status}
    }
    return {kind: 'forward'}
  }
}

// ---------------------------------------------------------------------------------------
// Action identification

function s3Action(method: string, path: string, query: URLSearchParams, headers: IncomingHttpHeaders): string {
  const parts = path.split('/').filter((p) => p !== '')
  const has = (k: string): boolean => query.has(k)
  if (parts.length === 0) return method === 'GET' ? 'ListBuckets' : `${method}Service`
  const subresources: [string, string][] = [
    ['tagging', 'Tagging'],
    ['acl', 'Acl'],
    ['versioning', 'Versioning'],
    ['policy', 'Policy'],
    ['cors', 'Cors'],
    ['lifecycle', 'LifecycleConfiguration'],
    ['encryption', 'Encryption'],
    ['website', 'Website'],
    ['notification', 'NotificationConfiguration'],
    ['ownershipControls', 'OwnershipControls'],
    ['publicAccessBlock', 'PublicAccessBlock'],
    ['logging', 'Logging'],
    ['retention', 'Retention'],
    ['legal-hold', 'LegalHold'],
  ]
  const verb = method === 'GET' ? 'Get' : method === 'PUT' ? 'Put' : method === 'DELETE' ? 'Delete' : undefined
  if (parts.length === 1) {
    if (method === 'GET' && has('location')) return 'GetBucketLocation'
    if (method === 'GET' && has('uploads')) return 'ListMultipartUploads'
    if (method === 'GET' && has('versions')) return 'ListObjectVersions'
    if (method === 'POST' && has('delete')) return 'DeleteObjects'
    for (const [key, name] of subresources) {
      if (has(key) && verb !== undefined) return `${verb}Bucket${name}`
    }
    if (method === 'GET') return query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects'
    if (method === 'HEAD') return 'HeadBucket'
    if (method === 'PUT') return 'CreateBucket'
    if (method === 'DELETE') return 'DeleteBucket'
    return `${method}Bucket`
  }
  const copy = headers['x-amz-copy-source'] !== undefined
  if (method === 'PUT' && has('partNumber') && has('uploadId')) return copy ? 'UploadPartCopy' : 'UploadPart'
  if (method === 'POST' && has('uploads')) return 'CreateMultipartUpload'
  if (method === 'POST' && has('uploadId')) return 'CompleteMultipartUpload'
  if (method === 'DELETE' && has('uploadId')) return 'AbortMultipartUpload'
  if (method === 'GET' && has('uploadId')) return 'ListParts'
  if (method === 'GET' && has('attributes')) return 'GetObjectAttributes'
  for (const [key, name] of subresources) {
    if (has(key) && verb !== undefined) return `${verb}Object${name}`
  }
  if (method === 'PUT') return copy ? 'CopyObject' : 'PutObject'
  if (method === 'GET') return 'GetObject'
  if (method === 'HEAD') return 'HeadObject'
  if (method === 'DELETE') return 'DeleteObject'
  return `${method}Object`
}

/** Name the action of one request of `service` (exported for tests). */
export function identifyAction(
  service: ServiceName,
  method: string,
  rawUrl: string,
  headers: IncomingHttpHeaders,
  body: Buffer | undefined,
): string {
  const url = new URL(rawUrl, 'http://bench.invalid')
  switch (PROTOCOL[service]) {
    case 'ec2':
    case 'query': {
      const fromQuery = url.searchParams.get('Action')
      if (fromQuery !== null) return fromQuery
      const fromBody = body === undefined ? null : new URLSearchParams(body.toString('utf8')).get('Action')
      return fromBody ?? 'Unknown'
    }
    case 'json': {
      const target = headers['x-amz-target']
      const value = Array.isArray(target) ? target[0] : target
      if (value === undefined) return 'Unknown'
      const dot = value.lastIndexOf('.')
      return dot >= 0 ? value.slice(dot + 1) : value
    }
    case 'rest-xml':
      return s3Action(method.toUpperCase(), url.pathname, url.searchParams, headers)
    case 'route53':
      return route53Action(method.toUpperCase(), url.pathname)
  }
}

/** Route 53 operations by method and path (botocore route53 service-2.json `http.requestUri`). */
function route53Action(method: string, path: string): string {
  const parts = path.replace(/\/+$/, '').split('/').slice(2) // drop '' and '2013-04-01'
  const [resource, id, sub] = parts
  if (resource === 'hostedzone') {
    if (id === undefined) return method === 'POST' ? 'CreateHostedZone' : 'ListHostedZones'
    if (sub === 'rrset') return method === 'POST' ? 'ChangeResourceRecordSets' : 'ListResourceRecordSets'
    if (sub === undefined) return method === 'DELETE' ? 'DeleteHostedZone' : 'GetHostedZone'
  }
  if (resource === 'hostedzonesbyname') return 'ListHostedZonesByName'
  if (resource === 'change') return 'GetChange'
  return `${method}${resource ?? ''}`
}

// ---------------------------------------------------------------------------------------
// Error bodies in each wire format

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

interface ErrorSpec {
  status: number
  code: string
  message: string
  /** Query protocol fault type: Sender (client) or Receiver (server). */
  type: 'Sender' | 'Receiver'
}

function sendError(res: ServerResponse, service: ServiceName, method: string, spec: ErrorSpec): void {
  const requestId = randomUUID()
  const headers: Record<string, string> = {}
  let body = ''
  switch (PROTOCOL[service]) {
    case 'ec2':
      // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html: Response/Errors/Error, RequestID.
      headers['content-type'] = 'text/xml;charset=UTF-8'
      body =
        `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${xmlEscape(spec.code)}</Code><Message>${xmlEscape(spec.message)}</Message></Error></Errors>` +
        `<RequestID>${requestId}</RequestID></Response>`
      break
    case 'route53':
    case 'query':
      // Shape read by botocore's QueryParser and the SDK's awsQuery error deserializer
      // (ErrorResponse/Error/Code), as ELB and Elastic Beanstalk send it.
      headers['content-type'] = 'text/xml'
      headers['x-amzn-requestid'] = requestId
      body =
        `<ErrorResponse xmlns="${XML_NAMESPACE[service] ?? ''}">` +
        `<Error><Type>${spec.type}</Type><Code>${xmlEscape(spec.code)}</Code><Message>${xmlEscape(spec.message)}</Message></Error>` +
        `<RequestId>${requestId}</RequestId></ErrorResponse>`
      break
    case 'json':
      headers['content-type'] = 'application/x-amz-json-1.1'
      headers['x-amzn-requestid'] = requestId
      headers['x-amzn-errortype'] = spec.code
      body = JSON.stringify({__type: spec.code, message: spec.message})
      break
    case 'rest-xml':
      headers['content-type'] = 'application/xml'
      headers['x-amz-request-id'] = requestId
      headers['x-amz-id-2'] = randomUUID()
      body =
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xmlEscape(spec.code)}</Code><Message>${xmlEscape(spec.message)}</Message>` +
        `<RequestId>${requestId}</RequestId><HostId>${headers['x-amz-id-2']}</HostId></Error>`
      break
  }
  const payload = method.toUpperCase() === 'HEAD' ? '' : body
  headers['content-length'] = String(Buffer.byteLength(payload))
  res.writeHead(spec.status, headers)
  res.end(payload)
}

function serverErrorSpec(service: ServiceName, status: number): ErrorSpec {
  if (status === 503) {
    return {
      status,
      code: service === 's3' ? 'ServiceUnavailable' : 'ServiceUnavailable',
      message: 'Service is unavailable. Please try again.',
      type: 'Receiver',
    }
  }
  return {
    status,
    code: service === 's3' ? 'InternalError' : 'InternalFailure',
    message: 'We encountered an internal error. Please try again.',
    type: 'Receiver',
  }
}

// ---------------------------------------------------------------------------------------
// The proxy

export interface FaultProxy {
  /** Proxy URL per service that has a target. */
  endpoints: Partial<Record<ServiceName, string>>
  faults: Faults
  calls: CallLog
  stop(): Promise<void>
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
])

/** Start one proxy port per service in `targets` (service -> backend base URL). */
export async function startFaultProxy(targets: Partial<Record<ServiceName, string>>): Promise<FaultProxy> {
  const faults = new Faults()
  const calls = new CallLog()
  const agent = new Agent({keepAlive: true, maxSockets: 64})
  const servers: Server[] = []
  const endpoints: Partial<Record<ServiceName, string>> = {}

  const handle = async (
    service: ServiceName,
    target: URL,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> => {
    const start = performance.now()
    const method = req.method ?? 'GET'
    const rawUrl = req.url ?? '/'
    // Query protocol names its action in the form body: buffer those (small) bodies.
    // S3 and JSON bodies stream through untouched.
    const body = PROTOCOL[service] === 'query' || PROTOCOL[service] === 'ec2' ? await readBody(req) : undefined
    const action = identifyAction(service, method, rawUrl, req.headers, body)
    const mutating = isMutating(action)
    const call = {service, action, mutating}
    const decision = faults.decide(call)
    const delay = faults.latencyFor(call)

    let injected: InjectedFault | undefined
    let code: string | undefined
    res.on('close', () => {
      const record: CallRecord = {service, action, mutating, start, end: performance.now(), status: res.statusCode}
      if (injected !== undefined) record.injected = injected
      if (code !== undefined) record.code = code
      calls.push(record)
    })

    if (delay > 0) await sleep(delay)

    if (decision.kind !== 'forward') {
      if (body === undefined) req.resume() // drain what the backend will never read
      let spec: ErrorSpec
      if (decision.kind === 'throttle') {
        const t = THROTTLING_CODE[service]
        spec = {status: t.status, code: t.code, message: t.message, type: 'Sender'}
      } else if (decision.kind === 'serverError') {
        spec = serverErrorSpec(service, decision.status)
      } else if (decision.kind === 'error') {
        spec = {
          status: decision.status,
          code: decision.code,
          message: `Injected ${decision.code} for ${action} (bench error)`,
          type: 'Sender',
        }
      } else {
        spec = {
          status: 400,
          code: decision.code,
          message: `Injected failure of ${action} (bench failNthMutating)`,
          type: 'Sender',
        }
      }
      injected = decision.kind
      code = spec.code
      sendError(res, service, method, spec)
      return
    }

    const headers: Record<string, string | string[]> = {}
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v
    }
    if (body !== undefined) headers['content-length'] = String(body.length)
    const upstream = httpRequest(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method,
        path: `${target.pathname.replace(/\/$/, '')}${rawUrl}`,
        headers,
        agent,
      },
      (up) => {
        const outHeaders: Record<string, string | string[]> = {}
        for (const [k, v] of Object.entries(up.headers)) {
          if (v !== undefined && !HOP_BY_HOP.has(k)) outHeaders[k] = v
        }
        res.writeHead(up.statusCode ?? 502, outHeaders)
        up.pipe(res)
      },
    )
    upstream.on('error', (err) => {
      if (!res.headersSent) {
        code = 'BenchProxyUpstreamError'
        sendError(res, service, method, {
          status: 502,
          code,
          message: `bench proxy could not reach ${target.href}: ${err.message}`,
          type: 'Receiver',
        })
      } else {
        res.destroy(err)
      }
    })
    if (body !== undefined) upstream.end(body)
    else req.pipe(upstream)
  }

  for (const service of SERVICES) {
    const targetUrl = targets[service]
    if (targetUrl === undefined) continue
    const target = new URL(targetUrl)
    const server = createServer((req, res) => {
      handle(service, target, req, res).catch((err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, {'content-type': 'text/plain'})
          res.end(`bench proxy error: ${String(err)}`)
        } else {
          res.destroy()
        }
      })
    })
    server.keepAliveTimeout = 5000
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    const addr = server.address()
    if (addr === null || typeof addr === 'string') throw new Error('fault proxy: no port')
    endpoints[service] = `http://127.0.0.1:${addr.port}`
    servers.push(server)
  }

  return {
    endpoints,
    faults,
    calls,
    async stop() {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve())
              s.closeAllConnections()
            }),
        ),
      )
      agent.destroy()
    },
  }
}
