import {Flags} from '@oclif/core'

import {parseDuration} from '../duration.ts'
import {badInput} from './errors.ts'

/**
 * The flag vocabulary (docs/cli-contract.md): one name per concept, one meaning per name, declared here once and
 * spread into commands. Defaults left undefined on purpose where a chain applies: the environment, region and
 * profile then fall back to EBWS_ENVIRONMENT, the eb CLI's .elasticbeanstalk/config.yml, and the AWS SDK's chain.
 */
export const environmentFlag = {
  environment: Flags.string({
    char: 'e',
    summary: 'Elastic Beanstalk environment name.',
    description: 'Defaults to EBWS_ENVIRONMENT, then the eb CLI default in .elasticbeanstalk/config.yml.',
    helpGroup: 'AWS',
  }),
}

export const regionProfileFlags = {
  region: Flags.string({
    summary: 'AWS region (else AWS_REGION, the profile, or .elasticbeanstalk/config.yml).',
    helpGroup: 'AWS',
  }),
  profile: Flags.string({
    summary: 'AWS shared-config profile (else AWS_PROFILE, or .elasticbeanstalk/config.yml).',
    helpGroup: 'AWS',
  }),
}

/** Flags shared by every command that works on an environment. */
export const awsFlags = {...environmentFlag, ...regionProfileFlags}

/**
 * A duration: `90s`, `20m`, `1h30m`; a bare number is in `defaultUnit` (documented in the flag's summary), so
 * `--timeout 20` means 20 minutes everywhere.
 */
export const durationFlag = (defaultUnit: 's' | 'm', options: {allowZero?: boolean} = {}) =>
  Flags.custom<number>({
    parse: async (input, _ctx, opts) => parseDuration(input, defaultUnit, `--${opts.name}`, options.allowZero),
  })

/**
 * --wait / --timeout mean the same in every command: wait for the environment (or certificate) to be ready before
 * going on, bounded by --timeout, the bound on the whole run.
 */
export const waitFlags = {
  wait: Flags.boolean({
    summary:
      'Wait for the environment to be Ready when it is busy (bounded by --timeout); --no-wait fails at once instead.',
    default: true,
    allowNo: true,
    helpGroup: 'WAIT',
  }),
  timeout: durationFlag('m')({
    summary: 'Bound on the whole run: minutes, or a duration such as 90s, 20m, 1h.',
    default: 20 * 60_000,
    defaultHelp: async () => '20m',
    helpGroup: 'WAIT',
  }),
}

/** Flags of commands that change something. */
export const mutatingFlags = {
  'dry-run': Flags.boolean({
    summary: 'Print the plan and change nothing.',
    default: false,
  }),
  yes: Flags.boolean({
    char: 'y',
    summary:
      'Apply without asking. On a terminal ebws prints the plan and asks before the first write; off a terminal (CI) it applies.',
    default: false,
  }),
}

export const debugFlag = {
  debug: Flags.boolean({
    summary: 'Print stack traces and AWS request details on errors.',
    default: false,
    helpGroup: 'GLOBAL',
  }),
}

const port = (summary: string, defaultValue: number) =>
  Flags.integer({summary, default: defaultValue, min: 1, max: 65535, helpGroup: 'PORTS'})

/** The load balancer's ports (the CLB recipe's 443/80 -> 80 by default): --https-port is always the LB's HTTPS port. */
export const layoutPortFlags = {
  'https-port': port("The load balancer's HTTPS (secure listener) port.", 443),
  'http-port': port("The load balancer's plain-HTTP listener port.", 80),
  'instance-port': port('Instance port both listeners forward to (nginx on Beanstalk listens on 80).', 80),
}

/**
 * The load balancer's idle timeout, a duration like every other (`60`, `90s`, `2m`; a bare number is seconds), parsed
 * to whole seconds within the CLB's range of 1 to 4000 s
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/config-idle-timeout.html).
 */
export const idleTimeoutFlag = (summary: string) => ({
  'idle-timeout': Flags.custom<number>({
    summary,
    parse: async (input) => {
      const ms = parseDuration(input, 's', '--idle-timeout')
      if (ms % 1000 !== 0 || ms < 1000 || ms > 4_000_000)
        throw badInput(
          'BAD_FLAG',
          `--idle-timeout ${input} is not a whole number of seconds from 1 s to 4000 s (the load balancer's range).`,
        )
      return ms / 1000
    },
  })(),
})
