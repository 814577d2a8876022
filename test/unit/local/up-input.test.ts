import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {localDown, localUp, type LocalUpOptions} from '../../../src/local/run.ts'
import {redisConfig} from '../../../src/local/redis.ts'

const dir = mkdtempSync(join(tmpdir(), 'ebws-up-input-'))
after(async () => {
  // Should a case ever start something, stop it rather than leave it running.
  await localDown(join(dir, 'state'))
  rmSync(dir, {recursive: true, force: true})
})

const base: LocalUpOptions = {
  mode: 'websocket',
  httpsPort: 1,
  httpPort: 2,
  app: 'sample',
  appPort: 3,
  nginx: false,
  nginxPort: 4,
  idleTimeoutSeconds: 60,
  allowedHosts: ['localhost'],
  stateDir: join(dir, 'state'),
}

describe('local up refuses bad combinations before starting anything (exit 2)', () => {
  for (const [what, extra, message] of [
    [
      'ALB with Proxy Protocol',
      {loadBalancer: 'application', mode: 'proxy'},
      /Application Load Balancer has no Proxy Protocol/,
    ],
    ['NLB with stickiness', {loadBalancer: 'network', stickiness: true}, /no cookie stickiness/],
    ['NLB with --nginx', {loadBalancer: 'network', nginx: true}, /--nginx is for/],
    ['CLB stickiness with an SSL listener on 443', {stickiness: true}, /needs an HTTPS listener/],
    ['several instances of an external app', {app: 'external', instances: 2}, /--instances needs the sample app/],
    ['--redis with an external app', {app: 'external', redis: true}, /--redis sets REDIS_URL for the sample app/],
    ['17 instances', {instances: 17}, /--instances must be 1 to 16/],
  ] as const) {
    it(what, async () => {
      await assert.rejects(
        localUp({...base, ...extra} as LocalUpOptions),
        (err: {code?: string; exitCode?: number; message: string}) => {
          assert.equal(err.exitCode, 2)
          assert.match(err.message, message)
          return true
        },
      )
      assert.equal(existsSync(base.stateDir), false, 'nothing written')
    })
  }
})

describe('redisConfig', () => {
  it('loopback only, no persistence, data dir and config path in the process title', () => {
    const conf = redisConfig({port: 6390, dir: '/s/redis', configPath: '/s/redis.conf'})
    assert.match(conf, /^bind 127\.0\.0\.1$/m)
    assert.match(conf, /^port 6390$/m)
    assert.match(conf, /^dir "\/s\/redis"$/m)
    assert.match(conf, /^save ""$/m)
    assert.match(conf, /proc-title-template ".*\/s\/redis\.conf"/)
  })
})
