import {Flags} from '@oclif/core'

/**
 * Flags shared by every command that talks to AWS. Spread them into a command's `flags`; never redeclare them.
 * Defaults left undefined on purpose: the environment, region and profile then fall back to EBWS_ENVIRONMENT,
 * the eb CLI's .elasticbeanstalk/config.yml, and the AWS SDK's own chain, in that order.
 */
export const awsFlags = {
  environment: Flags.string({
    char: 'e',
    summary: 'Elastic Beanstalk environment name.',
    description: 'Defaults to EBWS_ENVIRONMENT, then the eb CLI default in .elasticbeanstalk/config.yml.',
    helpGroup: 'AWS',
  }),
  region: Flags.string({
    summary: 'AWS region (else AWS_REGION, the profile, or .elasticbeanstalk/config.yml).',
    helpGroup: 'AWS',
  }),
  profile: Flags.string({
    summary: 'AWS shared-config profile (else AWS_PROFILE, or .elasticbeanstalk/config.yml).',
    helpGroup: 'AWS',
  }),
}

/** Flags of commands that change something. */
export const mutatingFlags = {
  'dry-run': Flags.boolean({
    summary: 'Print the plan and change nothing.',
    default: false,
  }),
}

export const debugFlag = {
  debug: Flags.boolean({summary: 'Print stack traces and AWS request details on errors.', default: false, helpGroup: 'GLOBAL'}),
}

const port = (summary: string, defaultValue: number) =>
  Flags.integer({summary, default: defaultValue, min: 1, max: 65535, helpGroup: 'PORTS'})

/** The ports of the layout (the CLB recipe's 443/80 -> 80 by default). */
export const layoutPortFlags = {
  'https-port': port('Load balancer port of the secure listener.', 443),
  'http-port': port('Load balancer port of the plain-HTTP listener.', 80),
  'instance-port': port('Instance port both listeners forward to (nginx on Beanstalk listens on 80).', 80),
}
