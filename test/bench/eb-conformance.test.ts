// Conformance: the AWS CLI (botocore, an independent parser of the Query/XML wire format) reads the fake's
// responses without error and sees the same values as the SDK v3 client.
import {after, before, describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {mkdtempSync, writeFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {
  DescribeConfigurationSettingsCommand,
  DescribeEnvironmentResourcesCommand,
  DescribeEnvironmentsCommand,
  DescribeEventsCommand,
  UpdateEnvironmentCommand,
} from '@aws-sdk/client-elastic-beanstalk'

import {startBench, IAM_CERT} from './eb-fake/test-support.ts'
import type {Bench} from './eb-fake/test-support.ts'

const run = promisify(execFile)

let b: Bench
let dir: string
before(async () => {
  b = await startBench()
  dir = mkdtempSync(join(tmpdir(), 'eb-conformance-'))
  writeFileSync(join(dir, 'config'), '')
  writeFileSync(join(dir, 'credentials'), '')
  await b.fake.createEnvironment({
    name: 'conf-env',
    application: 'conf-app',
    versionLabel: 'v1',
    description: 'Socket.io <prod> & "friends"',
  })
  await b.eb.send(
    new UpdateEnvironmentCommand({
      EnvironmentName: 'conf-env',
      OptionSettings: [
        {Namespace: 'aws:elb:listener:443', OptionName: 'ListenerProtocol', Value: 'SSL'},
        {Namespace: 'aws:elb:listener:443', OptionName: 'InstancePort', Value: '80'},
        {Namespace: 'aws:elb:listener:443', OptionName: 'InstanceProtocol', Value: 'TCP'},
        {Namespace: 'aws:elb:listener:443', OptionName: 'SSLCertificateId', Value: IAM_CERT},
        {Namespace: 'aws:elb:listener', OptionName: 'ListenerProtocol', Value: 'TCP'},
        {Namespace: 'aws:elb:policies:proxy', OptionName: 'ProxyProtocol', Value: 'true'},
        {Namespace: 'aws:elb:policies:proxy', OptionName: 'InstancePorts', Value: '80'},
        {Namespace: 'aws:elasticbeanstalk:application:environment', OptionName: 'GREETING', Value: 'a<b & "c"'},
      ],
    }),
  )
  await b.fake.waitForStatus('conf-env')
  await b.fake.idle()
  await b.fake.createEnvironment({
    name: 'conf-single',
    application: 'conf-app',
    environmentType: 'SingleInstance',
    health: 'Red',
  })
})
after(async () => {
  await b?.stop()
  if (dir) rmSync(dir, {recursive: true, force: true})
})

/** Runs the AWS CLI against the fake; `viaEnv` uses AWS_ENDPOINT_URL_ELASTIC_BEANSTALK instead of --endpoint-url. */
async function cli(args: string[], viaEnv = false): Promise<unknown> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: join(dir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    AWS_MAX_ATTEMPTS: '1',
  }
  const full = ['elasticbeanstalk', ...args, '--output', 'json']
  if (viaEnv) env.AWS_ENDPOINT_URL_ELASTIC_BEANSTALK = b.fake.url
  else full.push('--endpoint-url', b.fake.url)
  const {stdout} = await run('aws', full, {env, timeout: 60_000})
  return JSON.parse(stdout)
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/

/** Same value space for both: Dates and ISO strings become epoch-ms ISO strings; SDK metadata dropped. */
function normalize(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString()
  if (typeof v === 'string' && ISO.test(v)) return new Date(v).toISOString()
  if (Array.isArray(v)) return v.map(normalize)
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) if (k !== '$metadata' && x !== undefined) out[k] = normalize(x)
    return out
  }
  return v
}

describe('AWS CLI parses the fake like the SDK does', () => {
  test('describe-environments (all, and by name via AWS_ENDPOINT_URL_ELASTIC_BEANSTALK)', async () => {
    const sdk = await b.eb.send(new DescribeEnvironmentsCommand({ApplicationName: 'conf-app'}))
    const viaCli = await cli(['describe-environments', '--application-name', 'conf-app'])
    assert.deepEqual(normalize(viaCli), normalize(sdk))
    const envs = (viaCli as {Environments: Array<Record<string, unknown>>}).Environments
    assert.deepEqual(
      envs.map((e) => [e.EnvironmentName, e.Status, e.Health, e.HealthStatus]),
      [
        ['conf-env', 'Ready', 'Green', 'Ok'],
        ['conf-single', 'Ready', 'Red', 'Degraded'],
      ],
    )
    assert.equal(envs[0]!.Description, 'Socket.io <prod> & "friends"')
    // Timestamps travel as ISO 8601 with milliseconds in UTC, as EB sends them; the CLI echoes them as received.
    assert.match(String(envs[0]!.DateUpdated), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)

    const byName = await cli(['describe-environments', '--environment-names', 'conf-env'], true)
    assert.deepEqual(
      normalize(byName),
      normalize(await b.eb.send(new DescribeEnvironmentsCommand({EnvironmentNames: ['conf-env']}))),
    )
  })

  test('describe-environment-resources', async () => {
    for (const name of ['conf-env', 'conf-single']) {
      const sdk = await b.eb.send(new DescribeEnvironmentResourcesCommand({EnvironmentName: name}))
      const viaCli = await cli(['describe-environment-resources', '--environment-name', name])
      assert.deepEqual(normalize(viaCli), normalize(sdk))
    }
    const lbs = (
      (await cli(['describe-environment-resources', '--environment-name', 'conf-env'])) as {
        EnvironmentResources: {LoadBalancers: Array<{Name: string}>}
      }
    ).EnvironmentResources.LoadBalancers
    assert.deepEqual(lbs, [{Name: b.fake.environment('conf-env').loadBalancerName}])
  })

  test('describe-configuration-settings', async () => {
    const sdk = await b.eb.send(
      new DescribeConfigurationSettingsCommand({ApplicationName: 'conf-app', EnvironmentName: 'conf-env'}),
    )
    const viaCli = (await cli([
      'describe-configuration-settings',
      '--application-name',
      'conf-app',
      '--environment-name',
      'conf-env',
    ])) as {
      ConfigurationSettings: Array<{OptionSettings: Array<{Namespace: string; OptionName: string; Value?: string}>}>
    }
    assert.deepEqual(normalize(viaCli), normalize(sdk))
    const get = (ns: string, n: string) =>
      viaCli.ConfigurationSettings[0]!.OptionSettings.find((o) => o.Namespace === ns && o.OptionName === n)
    assert.equal(get('aws:elb:listener:443', 'ListenerProtocol')?.Value, 'SSL')
    assert.equal(get('aws:elb:listener:80', 'ListenerProtocol')?.Value, 'TCP')
    assert.equal(get('aws:elb:policies:proxy', 'ProxyProtocol')?.Value, 'true')
    assert.equal(get('aws:elasticbeanstalk:application:environment', 'GREETING')?.Value, 'a<b & "c"')
    assert.equal(get('aws:elb:listener:80', 'SSLCertificateId')?.Value, undefined)
  })

  test('describe-events (the CLI follows NextToken itself)', async () => {
    const sdk = await b.eb.send(new DescribeEventsCommand({EnvironmentName: 'conf-env'}))
    const viaCli = await cli(['describe-events', '--environment-name', 'conf-env'])
    assert.deepEqual(normalize(viaCli), normalize(sdk))
    // Small pages through the CLI's own paginator give the same list.
    const paged = (await cli(['describe-events', '--environment-name', 'conf-env', '--page-size', '2'])) as {
      Events: unknown[]
    }
    assert.deepEqual(normalize(paged.Events), normalize(sdk.Events))
    assert.ok(sdk.Events!.length >= 5)
  })

  test('errors parse: code and message reach the CLI', async () => {
    await assert.rejects(cli(['describe-environment-resources', '--environment-name', 'no-such-env']), (e: unknown) => {
      const err = e as {stderr: string; code: number}
      assert.equal(err.code, 255) // AWS CLI v1's exit status for a service error
      assert.match(
        err.stderr,
        /An error occurred \(InvalidParameterValue\) when calling the DescribeEnvironmentResources operation: No Environment found for EnvironmentName = 'no-such-env'\./,
      )
      return true
    })
  })

  test('the CLI writes nothing: every call it made was a read', async () => {
    assert.ok(b.fake.calls().length > 0)
    const cliWrites = b.fake.calls().filter((c) => c.mutating && c.action !== 'UpdateEnvironment')
    assert.deepEqual(cliWrites, [])
    assert.equal(b.fake.calls().filter((c) => c.action === 'UpdateEnvironment').length, 1) // the set-up's own
  })
})
