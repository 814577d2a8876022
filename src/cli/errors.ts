import {ExitCode} from './exit-codes.ts'

/**
 * Every error ebws reports has a stable string code (docs/cli-contract.md). Scripts branch on the code or on the
 * exit code it maps to, never on the message. A code never changes its exit code once published; new codes may be
 * added. `meaning` is what the README's error table prints.
 */
export const ERROR_CODES = {
  // 1: the operation ran and failed
  CHANGE_FAILED: {
    exitCode: ExitCode.Failed,
    meaning: 'a change failed; the load balancer was restored from the snapshot',
  },
  VERIFY_FAILED: {exitCode: ExitCode.Failed, meaning: 'after the change, the load balancer did not match the plan'},
  DEPLOY_FAILED: {
    exitCode: ExitCode.Failed,
    meaning: 'the deployment failed (error event, rolled back, health not Green)',
  },
  VERSION_PROCESSING_FAILED: {
    exitCode: ExitCode.Failed,
    meaning: 'Elastic Beanstalk could not process the application version',
  },
  ENV_GONE: {exitCode: ExitCode.Failed, meaning: 'the environment disappeared while ebws waited for it'},
  AWS_CALL_FAILED: {exitCode: ExitCode.Failed, meaning: 'an AWS call failed with an AWS error (named in the message)'},
  AWS_THROTTLED: {exitCode: ExitCode.Failed, meaning: 'AWS kept throttling a call after every retry'},
  LOCAL_START_FAILED: {
    exitCode: ExitCode.Failed,
    meaning: 'a local process (HAProxy, nginx, the app, Redis) did not start',
  },
  CHECK_FAILED: {exitCode: ExitCode.Failed, meaning: 'a doctor check failed'},
  CANCELLED: {exitCode: ExitCode.Failed, meaning: 'the plan was declined at the prompt; nothing was changed'},
  // 2: bad input, nothing was changed
  BAD_FLAG: {exitCode: ExitCode.BadInput, meaning: 'a flag or argument is missing, unknown or has an invalid value'},
  COMMAND_NOT_FOUND: {exitCode: ExitCode.BadInput, meaning: 'no such command'},
  FILE_NOT_FOUND: {
    exitCode: ExitCode.BadInput,
    meaning: 'a file or folder given does not exist or is of the wrong kind',
  },
  CONFIG_INVALID: {exitCode: ExitCode.BadInput, meaning: 'a configuration (eb CLI config, option settings) is invalid'},
  ENV_MISSING: {
    exitCode: ExitCode.BadInput,
    meaning: 'no environment was given (-e, EBWS_ENVIRONMENT or the eb CLI default)',
  },
  ENV_NOT_FOUND: {exitCode: ExitCode.BadInput, meaning: 'no Elastic Beanstalk environment by that name in the region'},
  ENV_NOT_READY: {exitCode: ExitCode.BadInput, meaning: 'the environment is busy (not Ready) and --no-wait was given'},
  LB_NOT_FOUND: {exitCode: ExitCode.BadInput, meaning: "the environment's load balancer was not found"},
  LB_TYPE_UNSUPPORTED: {
    exitCode: ExitCode.BadInput,
    meaning: 'the environment has no load balancer ebws can work on for this command',
  },
  CERT_NOT_FOUND: {exitCode: ExitCode.BadInput, meaning: 'no usable certificate for the domain or ARN given'},
  TLS_POLICY_UNKNOWN: {
    exitCode: ExitCode.BadInput,
    meaning: 'the SSL/TLS security policy name is not one the load balancer knows',
  },
  UNSAFE_CHANGE: {
    exitCode: ExitCode.BadInput,
    meaning: 'the change would break traffic (the message says why); refused',
  },
  SNAPSHOT_INVALID: {exitCode: ExitCode.BadInput, meaning: 'the file is not an ebws snapshot'},
  BUNDLE_INVALID: {
    exitCode: ExitCode.BadInput,
    meaning: 'the app bundle is invalid (size, .ebextensions, entry point, hooks)',
  },
  SECRET_IN_BUNDLE: {
    exitCode: ExitCode.BadInput,
    meaning: 'the bundle would contain a secret or a file from outside the app',
  },
  VERSION_CONFLICT: {exitCode: ExitCode.BadInput, meaning: 'the version label exists with other content'},
  TOOL_MISSING: {
    exitCode: ExitCode.BadInput,
    meaning: 'a program ebws runs locally (HAProxy, nginx, redis-server) is not installed',
  },
  PORT_IN_USE: {exitCode: ExitCode.BadInput, meaning: 'a local port is in use'},
  LOCAL_ALREADY_RUNNING: {exitCode: ExitCode.BadInput, meaning: 'ebws local is already running in that state folder'},
  APP_NOT_LISTENING: {exitCode: ExitCode.BadInput, meaning: 'nothing listens on the app port given'},
  ZONE_NOT_FOUND: {
    exitCode: ExitCode.BadInput,
    meaning: 'no public Route 53 hosted zone of the account holds the name',
  },
  // 3
  TIMEOUT: {
    exitCode: ExitCode.Timeout,
    meaning: 'a bound was reached while waiting; the operation may still be running',
  },
  // 4: AWS access
  AWS_ACCESS_DENIED: {exitCode: ExitCode.AwsAccess, meaning: 'AWS denied a call (the message names the IAM action)'},
  AWS_CREDENTIALS_INVALID: {exitCode: ExitCode.AwsAccess, meaning: 'AWS rejected the credentials (expired, wrong key)'},
  AWS_CREDENTIALS_MISSING: {exitCode: ExitCode.AwsAccess, meaning: 'no AWS credentials were found'},
  REGION_MISSING: {exitCode: ExitCode.AwsAccess, meaning: 'no AWS region is configured'},
  REGION_UNKNOWN: {exitCode: ExitCode.AwsAccess, meaning: 'the region is not an AWS region'},
  AWS_UNREACHABLE: {exitCode: ExitCode.AwsAccess, meaning: 'the AWS endpoint could not be reached'},
  // 5
  ROLLBACK_FAILED: {
    exitCode: ExitCode.ManualActionNeeded,
    meaning: 'a change failed and so did its rollback: run the printed restore command',
  },
  // 6
  CERT_PENDING: {
    exitCode: ExitCode.Pending,
    meaning: 'the certificate waits for DNS validation records that ebws cannot write',
  },
  // 70
  INTERNAL: {exitCode: ExitCode.Internal, meaning: 'an unexpected error: a bug in ebws'},
  // 130
  INTERRUPTED: {exitCode: ExitCode.Interrupted, meaning: 'stopped by a signal; the change in progress was rolled back'},
} as const satisfies Record<string, {exitCode: ExitCode; meaning: string}>

export type ErrorCode = keyof typeof ERROR_CODES

export interface EbwsErrorOptions {
  /** What to do about it: one or more lines. Commands in it must run as printed. */
  hint?: string | string[]
  cause?: unknown
  /** Machine-readable detail, printed as error.details in --json (e.g. the snapshot file and restore commands). */
  details?: Record<string, unknown>
}

/** An error meant for the user: a stable code (which gives the exit code), a message, and what to do about it. */
export class EbwsError extends Error {
  readonly code: ErrorCode
  readonly exitCode: ExitCode
  /** Lines of advice, each printed on a line of its own (never wrapped, so commands can be pasted). */
  readonly hints: string[]
  readonly details: Record<string, unknown> | undefined

  constructor(code: ErrorCode, message: string, options: EbwsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'EbwsError'
    this.code = code
    this.exitCode = ERROR_CODES[code].exitCode
    this.hints = options.hint === undefined ? [] : Array.isArray(options.hint) ? options.hint : [options.hint]
    this.details = options.details
  }

  /** The `error` member of the --json envelope. */
  toJSON(): ErrorJson {
    return {
      code: this.code,
      message: this.message,
      hint: this.hints.length > 0 ? this.hints.join('\n') : null,
      exitCode: this.exitCode,
      ...(this.details ? {details: this.details} : {}),
    }
  }
}

/**
 * An error that carries what was done before it (deploy: the version created, whether the update started): --json
 * prints it as the envelope's result, and the command's own formatter prints it for people.
 */
export class ErrorWithResult<R> extends EbwsError {
  readonly result: R
  constructor(error: EbwsError, result: R) {
    super(error.code, error.message, {hint: error.hints, cause: error.cause, details: error.details})
    this.result = result
  }
}

export interface ErrorJson {
  code: ErrorCode
  message: string
  hint: string | null
  exitCode: number
  details?: Record<string, unknown>
}

/** Bad input (exit 2): the most common error, so it has a short form. */
export const badInput = (
  code: ErrorCode,
  message: string,
  hint?: string | string[],
  details?: Record<string, unknown>,
): EbwsError => new EbwsError(code, message, {hint, details})

/** Anything thrown that is not an EbwsError is a bug in ebws, reported as such (never as an AWS failure). */
export function asEbwsError(error: unknown): EbwsError {
  if (error instanceof EbwsError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new EbwsError('INTERNAL', `Unexpected error (a bug in ebws): ${message}`, {
    hint: 'Rerun with --debug for the stack trace, and report it with that output.',
    cause: error,
  })
}
