// The Elastic Beanstalk SDK names ebws uses, re-exported statically, and imported lazily in the package's place: a dynamic
// import of the package itself would bundle every command of the client and build its aggregated client on load,
// while through this module the bundler keeps only these (scripts/build-cli.ts then keeps only their schemas).
export {
  CreateApplicationVersionCommand,
  CreateStorageLocationCommand,
  DescribeApplicationVersionsCommand,
  DescribeConfigurationSettingsCommand,
  DescribeEnvironmentResourcesCommand,
  DescribeEnvironmentsCommand,
  DescribeEventsCommand,
  ElasticBeanstalkClient,
  UpdateEnvironmentCommand,
  ValidateConfigurationSettingsCommand,
} from '@aws-sdk/client-elastic-beanstalk'
