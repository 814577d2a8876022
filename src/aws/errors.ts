import {EbwsError} from '../cli/errors.ts'

interface SdkErrorLike {
  name?: string
  code?: string
  message?: string
  Code?: string
  $metadata?: {httpStatusCode?: number; attempts?: number}
  $fault?: 'client' | 'server'
  cause?: unknown
  errors?: unknown[]
}

const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthorizationError',
  'InsufficientPrivilegesException',
])
const BAD_CREDENTIALS = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'InvalidSignatureException',
  'IncompleteSignature',
])
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'SlowDown',
])
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'TimeoutError',
])

const ENDPOINT_VARIABLE: Record<string, string> = {
  elasticbeanstalk: 'AWS_ENDPOINT_URL_ELASTIC_BEANSTALK',
  elasticloadbalancing: 'AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING',
  acm: 'AWS_ENDPOINT_URL_ACM',
  s3: 'AWS_ENDPOINT_URL_S3',
  route53: 'AWS_ENDPOINT_URL_ROUTE_53',
  ec2: 'AWS_ENDPOINT_URL_EC2',
}

function networkCode(error: SdkErrorLike): string | undefined {
  for (
    let e: SdkErrorLike | undefined = error, depth = 0;
    e && depth < 5;
    e = e.cause as SdkErrorLike | undefined, depth++
  ) {
    if (e.code && NETWORK_CODES.has(e.code)) return e.code
    if (e.name && NETWORK_CODES.has(e.name)) return e.name
    for (const inner of (e.errors ?? []) as SdkErrorLike[])
      if (inner?.code && NETWORK_CODES.has(inner.code)) return inner.code
  }
  return undefined
}

/**
 * Turns an error thrown by an AWS SDK call into a message a person can act on. `action` is the IAM action name
 * (`elasticloadbalancing:DescribeLoadBalancers`), so an access-denied error says exactly what to grant.
 */
export function describeAwsError(error: unknown, action: string): EbwsError {
  if (error instanceof EbwsError) return error
  const e = (error ?? {}) as SdkErrorLike
  const name = e.name ?? e.Code ?? e.code ?? 'Error'
  const message = (e.message ?? String(error)).trim()
  const service = action.split(':')[0] ?? ''

  if (ACCESS_DENIED.has(name) || (e.$metadata?.httpStatusCode === 403 && !BAD_CREDENTIALS.has(name))) {
    return new EbwsError('AWS_ACCESS_DENIED', `AWS denied ${action}: ${message}`, {
      hint: [
        `Allow "${action}" in the IAM policy of the identity you are using (check it with \`aws sts get-caller-identity\`).`,
      ],
      cause: error,
      details: {action, awsError: name},
    })
  }
  if (BAD_CREDENTIALS.has(name)) {
    return new EbwsError('AWS_CREDENTIALS_INVALID', `Your AWS credentials were rejected (${name}): ${message}`, {
      hint: [
        'Refresh them: `aws sso login`, re-assume the role, or check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN.',
      ],
      cause: error,
      details: {action, awsError: name},
    })
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials|credential/i.test(name)) {
    return new EbwsError('AWS_CREDENTIALS_MISSING', 'No AWS credentials were found.', {
      hint: [
        'Configure credentials the standard way: `aws configure`, `aws sso login --profile NAME` with --profile, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or a role (OIDC in CI).',
      ],
      cause: error,
      details: {action, awsError: name},
    })
  }
  if (/Region is missing/i.test(message)) {
    return new EbwsError('REGION_MISSING', 'No AWS region is configured.', {
      hint: ['Pass --region, set AWS_REGION, or set a region in your AWS profile.'],
      cause: error,
    })
  }
  const net = networkCode(e)
  if (net) {
    const variable = ENDPOINT_VARIABLE[service]
    const usedVariable =
      variable && process.env[variable] ? variable : process.env.AWS_ENDPOINT_URL ? 'AWS_ENDPOINT_URL' : undefined
    const override = usedVariable ? process.env[usedVariable] : undefined
    const where = override ? `the endpoint ${override}` : `the ${service} endpoint`
    return new EbwsError('AWS_UNREACHABLE', `Could not reach ${where} for ${action} (${net}).`, {
      hint: override
        ? [`Check that ${override} is up, or unset ${usedVariable} to use AWS.`]
        : ['Check your network and that the region exists (`aws ec2 describe-regions` lists them).'],
      cause: error,
      details: {action, networkError: net},
    })
  }
  if (THROTTLING.has(name)) {
    return new EbwsError(
      'AWS_THROTTLED',
      `AWS kept throttling ${action} after ${e.$metadata?.attempts ?? 'several'} attempts.`,
      {
        hint: ['Try again in a minute, or raise AWS_MAX_ATTEMPTS.'],
        cause: error,
        details: {action, awsError: name},
      },
    )
  }
  return new EbwsError('AWS_CALL_FAILED', `${action} failed: ${name}: ${message}`, {
    cause: error,
    details: {action, awsError: name},
  })
}

/** Runs one AWS call and translates its failure. The action names the IAM permission involved. */
export async function awsCall<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw describeAwsError(error, action)
  }
}

/** The AWS error code of an SDK error, for callers that branch on a specific one (e.g. LoadBalancerNotFound). */
export function awsErrorCode(error: unknown): string | undefined {
  const e = error as SdkErrorLike | undefined
  return e?.name ?? e?.Code ?? e?.code
}

/** Throttling or a server-side fault: worth retrying the same request. */
export function isRetryable(error: unknown): boolean {
  const e = error as SdkErrorLike | undefined
  const name = awsErrorCode(error)
  return (
    (name !== undefined && THROTTLING.has(name)) || e?.$fault === 'server' || (e?.$metadata?.httpStatusCode ?? 0) >= 500
  )
}
