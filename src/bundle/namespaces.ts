/**
 * Configuration option namespaces that `option_settings` in `.ebextensions/*.config` may use.
 *
 * General options: https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/command-options-general.html
 * Platform-specific: https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/command-options-specific.html
 * A namespace missing here is reported as an error, because Beanstalk ignores a config file with an invalid key,
 * silently dropping every other setting in it. New AWS namespaces belong in this table, with their doc.
 */

/** Fixed namespaces. */
export const NAMESPACES: ReadonlySet<string> = new Set([
  // command-options-general.html
  'aws:autoscaling:asg',
  'aws:autoscaling:launchconfiguration',
  'aws:autoscaling:scheduledaction',
  'aws:autoscaling:trigger',
  'aws:autoscaling:updatepolicy:rollingupdate',
  'aws:ec2:instances',
  'aws:ec2:vpc',
  'aws:elasticbeanstalk:application',
  'aws:elasticbeanstalk:application:environment',
  'aws:elasticbeanstalk:application:environmentsecrets',
  'aws:elasticbeanstalk:cloudwatch:logs',
  'aws:elasticbeanstalk:cloudwatch:logs:health',
  'aws:elasticbeanstalk:command',
  'aws:elasticbeanstalk:environment',
  'aws:elasticbeanstalk:environment:process:default',
  'aws:elasticbeanstalk:environment:proxy',
  'aws:elasticbeanstalk:environment:proxy:staticfiles',
  'aws:elasticbeanstalk:healthreporting:system',
  'aws:elasticbeanstalk:hostmanager',
  'aws:elasticbeanstalk:managedactions',
  'aws:elasticbeanstalk:managedactions:platformupdate',
  'aws:elasticbeanstalk:monitoring',
  'aws:elasticbeanstalk:sns:topics',
  'aws:elasticbeanstalk:sqsd',
  'aws:elasticbeanstalk:trafficsplitting',
  'aws:elasticbeanstalk:xray',
  'aws:elb:healthcheck',
  'aws:elb:loadbalancer',
  'aws:elb:listener',
  'aws:elb:policies',
  'aws:elbv2:listener:default',
  'aws:elbv2:loadbalancer',
  'aws:rds:dbinstance',
  // Custom options read with Fn::GetOptionSetting (ebextensions-functions.html).
  'aws:elasticbeanstalk:customoption',
  // command-options-specific.html
  'aws:elasticbeanstalk:container:nodejs',
  'aws:elasticbeanstalk:container:nodejs:staticfiles',
  'aws:elasticbeanstalk:container:golang:staticfiles',
  'aws:elasticbeanstalk:container:java:staticfiles',
  'aws:elasticbeanstalk:container:tomcat:jvmoptions',
  'aws:elasticbeanstalk:container:dotnet:apppool',
  'aws:elasticbeanstalk:container:php:phpini',
  'aws:elasticbeanstalk:container:python',
  'aws:elasticbeanstalk:container:python:staticfiles',
])

/** Namespaces with a name or number in them, e.g. `aws:elb:listener:443`. */
export const PARAMETERISED_NAMESPACES: ReadonlyArray<{pattern: RegExp; doc: string}> = [
  {pattern: /^aws:elb:listener:\d{1,5}$/, doc: 'aws:elb:listener:listener_port'},
  {pattern: /^aws:elb:policies:[A-Za-z0-9_-]+$/, doc: 'aws:elb:policies:policy_name'},
  {pattern: /^aws:elbv2:listener:\d{1,5}$/, doc: 'aws:elbv2:listener:listener_port'},
  {pattern: /^aws:elbv2:listenerrule:[A-Za-z0-9_-]+$/, doc: 'aws:elbv2:listenerrule:rule_name'},
  {
    pattern: /^aws:elasticbeanstalk:environment:process:[A-Za-z0-9_-]+$/,
    doc: 'aws:elasticbeanstalk:environment:process:process_name',
  },
]

export function isKnownNamespace(namespace: string): boolean {
  return NAMESPACES.has(namespace) || PARAMETERISED_NAMESPACES.some((p) => p.pattern.test(namespace))
}

/** The closest documented namespace, to suggest for a typo (edit distance ≤ 3). */
export function closestNamespace(namespace: string): string | undefined {
  let best: string | undefined
  let bestDistance = 4
  for (const known of NAMESPACES) {
    const d = editDistance(namespace, known, bestDistance)
    if (d < bestDistance) {
      best = known
      bestDistance = d
    }
  }
  return best
}

function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) >= cap) return cap
  let prev = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = cur
  }
  return prev[b.length]!
}

/**
 * Top-level keys of a configuration file: https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/ebextensions.html
 * (option_settings, Resources, and the Linux server keys of customize-containers-ec2.html), plus the CloudFormation
 * sections that the custom-resource examples use (environment-resources.html).
 */
export const CONFIG_KEYS: ReadonlySet<string> = new Set([
  'option_settings',
  'packages',
  'groups',
  'users',
  'sources',
  'files',
  'commands',
  'services',
  'container_commands',
  'Resources',
  'Outputs',
  'Mappings',
])
