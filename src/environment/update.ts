import type {AwsClients} from '../aws/clients.ts'
import {awsCall} from '../aws/errors.ts'
import {badInput} from '../cli/errors.ts'
import type {OptionSetting} from './describe.ts'

const toSdk = (s: OptionSetting) => ({
  Namespace: s.namespace,
  OptionName: s.optionName,
  Value: s.value,
  ...(s.resourceName ? {ResourceName: s.resourceName} : {}),
})

/**
 * ValidateConfigurationSettings before any write: an error message from Beanstalk stops the run with zero changes.
 * https://docs.aws.amazon.com/elasticbeanstalk/latest/api/API_ValidateConfigurationSettings.html
 */
export async function validateOptionSettings(
  clients: AwsClients,
  env: {applicationName: string; environmentName: string},
  settings: OptionSetting[],
): Promise<string[]> {
  if (settings.length === 0) return []
  const eb = await clients.elasticBeanstalk()
  const {ValidateConfigurationSettingsCommand} = await import('../aws/sdk/elastic-beanstalk.ts')
  const out = await awsCall('elasticbeanstalk:ValidateConfigurationSettings', () =>
    eb.send(
      new ValidateConfigurationSettingsCommand({
        ApplicationName: env.applicationName,
        EnvironmentName: env.environmentName,
        OptionSettings: settings.map(toSdk),
      }),
    ),
  )
  const messages = out.Messages ?? []
  const errors = messages
    .filter((m) => m.Severity === 'error')
    .map((m) => `${m.Namespace ?? ''} ${m.OptionName ?? ''}: ${m.Message ?? ''}`.trim())
  if (errors.length > 0)
    throw badInput('CONFIG_INVALID', `Elastic Beanstalk rejected the option settings:\n  ${errors.join('\n  ')}`, [
      'Nothing was changed. Check the flags (certificate, ports) against the messages above.',
    ])
  return messages
    .filter((m) => m.Severity !== 'error')
    .map((m) => `${m.Namespace ?? ''} ${m.OptionName ?? ''}: ${m.Message ?? ''}`.trim())
}

/** One UpdateEnvironment: set `settings`, and remove `optionsToRemove` (their values go back to the defaults). */
export async function updateEnvironmentSettings(
  clients: AwsClients,
  environmentName: string,
  settings: OptionSetting[],
  optionsToRemove: OptionSetting[] = [],
): Promise<void> {
  const eb = await clients.elasticBeanstalk()
  const {UpdateEnvironmentCommand} = await import('../aws/sdk/elastic-beanstalk.ts')
  const removals = optionsToRemove.map((s) => ({
    Namespace: s.namespace,
    OptionName: s.optionName,
    ...(s.resourceName ? {ResourceName: s.resourceName} : {}),
  }))
  await awsCall('elasticbeanstalk:UpdateEnvironment', () =>
    eb.send(
      new UpdateEnvironmentCommand({
        EnvironmentName: environmentName,
        OptionSettings: settings.map(toSdk),
        ...(removals.length > 0 ? {OptionsToRemove: removals} : {}),
      }),
    ),
  )
}
