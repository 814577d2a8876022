import {badInput} from '../cli/errors.ts'
import {loadEbCliConfig} from './eb-cli-config.ts'

/** Which environment to act on, in which region and profile, and where each value came from. */
export interface Target {
  environmentName: string
  region?: string | undefined
  profile?: string | undefined
  /** From the eb CLI config; lets callers skip a lookup when they need the application name. */
  applicationName?: string | undefined
  sources: {environment: string; region?: string | undefined; profile?: string | undefined}
}

export interface TargetFlags {
  environment?: string | undefined
  region?: string | undefined
  profile?: string | undefined
}

/**
 * Precedence: flag, then environment variable (EBWS_ENVIRONMENT; AWS_REGION/AWS_DEFAULT_REGION; AWS_PROFILE),
 * then .elasticbeanstalk/config.yml, then (region and profile only) the AWS SDK's own chain.
 */
export async function resolveTarget(
  flags: TargetFlags,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): Promise<Target> {
  const needsConfig = !flags.environment && !env.EBWS_ENVIRONMENT
  const fromEnvRegion = env.AWS_REGION || env.AWS_DEFAULT_REGION
  const ebConfig =
    needsConfig || !(flags.region || fromEnvRegion) || !(flags.profile || env.AWS_PROFILE)
      ? await loadEbCliConfig(cwd)
      : undefined

  const pick = <T>(...candidates: Array<[T | undefined, string]>): [T | undefined, string | undefined] => {
    for (const [value, source] of candidates) if (value) return [value, source]
    return [undefined, undefined]
  }
  const cfgLabel = ebConfig ? ebConfig.path : '.elasticbeanstalk/config.yml'
  const [environmentName, envSource] = pick(
    [flags.environment, '--environment'],
    [env.EBWS_ENVIRONMENT, 'EBWS_ENVIRONMENT'],
    [ebConfig?.environment, cfgLabel],
  )
  if (!environmentName) {
    throw badInput('ENV_MISSING', 'No Elastic Beanstalk environment given.', [
      'Pass --environment NAME (-e), set EBWS_ENVIRONMENT, or run `eb use NAME` in an eb CLI project.',
    ])
  }
  // The Elastic Beanstalk API takes 4-40 characters (EnvironmentName in its model): anything else cannot exist.
  if (environmentName.length < 4 || environmentName.length > 40) {
    throw badInput(
      'BAD_FLAG',
      `"${environmentName}" (from ${envSource}) is not an environment name: Elastic Beanstalk names are 4 to 40 characters.`,
      ['Pass the environment name as `eb list` or the console shows it.'],
    )
  }
  const [region, regionSource] = pick(
    [flags.region, '--region'],
    [fromEnvRegion, env.AWS_REGION ? 'AWS_REGION' : 'AWS_DEFAULT_REGION'],
    [ebConfig?.region, cfgLabel],
  )
  const [profile, profileSource] = pick(
    [flags.profile, '--profile'],
    [env.AWS_PROFILE, 'AWS_PROFILE'],
    [ebConfig?.profile, cfgLabel],
  )
  return {
    environmentName,
    region,
    profile,
    applicationName: ebConfig?.application,
    sources: {environment: envSource ?? '', region: regionSource, profile: profileSource},
  }
}
