import assert from 'node:assert/strict'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {EbwsError} from '../../../src/cli/errors.ts'
import {interpretEbCliConfig} from '../../../src/environment/eb-cli-config.ts'
import {resolveTarget} from '../../../src/environment/target.ts'
import {loadBalancerKindFromResource} from '../../../src/environment/describe.ts'
import {tempDir} from '../../helpers/cli.ts'

function project(configYml: string, branch?: string): string {
  const dir = tempDir('ebws-target-')
  mkdirSync(join(dir, '.elasticbeanstalk'))
  writeFileSync(join(dir, '.elasticbeanstalk', 'config.yml'), configYml)
  if (branch) {
    mkdirSync(join(dir, '.git'))
    writeFileSync(join(dir, '.git', 'HEAD'), `ref: refs/heads/${branch}\n`)
  }
  mkdirSync(join(dir, 'src'))
  return dir
}

const CONFIG = `branch-defaults:
  main:
    environment: app-prod
  default:
    environment: app-dev
global:
  application_name: app
  default_region: eu-west-1
  profile: eb-cli
  sc: git
`

describe('resolveTarget', () => {
  it('prefers flags over everything', async () => {
    const t = await resolveTarget(
      {environment: 'flag-env', region: 'us-west-2', profile: 'p'},
      {EBWS_ENVIRONMENT: 'env-env', AWS_REGION: 'eu-central-1'},
      project(CONFIG, 'main'),
    )
    assert.deepEqual([t.environmentName, t.region, t.profile], ['flag-env', 'us-west-2', 'p'])
  })

  it('uses EBWS_ENVIRONMENT and AWS_REGION before the eb CLI config', async () => {
    const t = await resolveTarget(
      {},
      {EBWS_ENVIRONMENT: 'env-env', AWS_REGION: 'eu-central-1'},
      project(CONFIG, 'main'),
    )
    assert.deepEqual(
      [t.environmentName, t.region, t.sources.environment, t.sources.region],
      ['env-env', 'eu-central-1', 'EBWS_ENVIRONMENT', 'AWS_REGION'],
    )
  })

  it("reads the current branch's environment, region and profile from .elasticbeanstalk/config.yml, from a subdirectory", async () => {
    const dir = project(CONFIG, 'main')
    const t = await resolveTarget({}, {}, join(dir, 'src'))
    assert.deepEqual(
      [t.environmentName, t.region, t.profile, t.applicationName],
      ['app-prod', 'eu-west-1', 'eb-cli', 'app'],
    )
  })

  it('falls back to branch-defaults.default for other branches and outside git', async () => {
    assert.equal((await resolveTarget({}, {}, project(CONFIG, 'feature/x'))).environmentName, 'app-dev')
    assert.equal((await resolveTarget({}, {}, project(CONFIG))).environmentName, 'app-dev')
  })

  it('fails clearly with no environment anywhere', async () => {
    await assert.rejects(
      resolveTarget({}, {}, tempDir('ebws-none-')),
      (e: unknown) =>
        e instanceof EbwsError && e.exitCode === 2 && /No Elastic Beanstalk environment given/.test(e.message),
    )
  })

  it('fails clearly on a malformed config.yml, naming the file', async () => {
    const dir = project('branch-defaults:\n  main: [unclosed\n')
    await assert.rejects(
      resolveTarget({}, {}, dir),
      (e: unknown) =>
        e instanceof EbwsError && e.exitCode === 2 && e.message.includes(join(dir, '.elasticbeanstalk', 'config.yml')),
    )
  })

  it('rejects a config.yml that is not a mapping', () => {
    assert.throws(() => interpretEbCliConfig(['a'], 'x/config.yml', undefined), /not an eb CLI config file/)
  })
})

describe('loadBalancerKindFromResource', () => {
  it('tells a CLB name from ALB and NLB ARNs', () => {
    assert.equal(loadBalancerKindFromResource('awseb-e-a-AWSEBLoa-1ABCDEF'), 'classic')
    assert.equal(
      loadBalancerKindFromResource(
        'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/awseb-AWSEB-1/abc',
      ),
      'application',
    )
    assert.equal(
      loadBalancerKindFromResource(
        'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/awseb-AWSEB-1/abc',
      ),
      'network',
    )
    assert.equal(loadBalancerKindFromResource(undefined), 'none')
  })
})
