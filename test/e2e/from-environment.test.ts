import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {createScenario, LAYOUT_SETTINGS, startCliBench, type FullBench} from '../bench/scenario.ts'
import {json, runCli, tempDir} from '../helpers/cli.ts'
import {freePorts, get} from './helpers.ts'

interface UpJson {
  listeners: Array<{protocol: string; loadBalancerPort: number; instanceProtocol: string; instancePort: number}>
  proxyProtocolInstancePorts: number[]
  urls: {https: string; http: string}
}

describe("ebws local up --from-environment: a real environment's listeners emulated with real HAProxy", () => {
  let bench: FullBench
  let env: Record<string, string>
  before(async () => {
    ;({bench, env} = await startCliBench())
  })
  after(async () => bench?.stop())

  it('copies the listeners and the idle timeout, and the copy behaves like that layout', async () => {
    const s = await createScenario(bench, {
      certificates: [{kind: 'rsa2048'}],
      settings: (c) => [
        ...LAYOUT_SETTINGS.websocket(c[0]!.arn),
        ['aws:elb:policies', 'ConnectionSettingIdleTimeout', '120'],
      ],
    })
    const stateDir = tempDir('ebws-local-copy-')
    const [https, http, app] = (await freePorts(3)) as [number, number, number]
    bench.calls.clear()
    const up = await runCli(
      [
        'local',
        'up',
        '-e',
        s.environmentName,
        '--state-dir',
        stateDir,
        '--local-https-port',
        String(https),
        '--local-http-port',
        String(http),
        '--app-port',
        String(app),
        '--json',
      ],
      {env},
    )
    try {
      assert.equal(up.code, 0, up.stdout + up.stderr)
      assert.equal(bench.calls.count({mutating: true}), 0, 'read-only on AWS')
      const state = json<UpJson>(up)
      assert.deepEqual(
        state.listeners
          .map((l) => `${l.protocol} ${l.loadBalancerPort} -> ${l.instanceProtocol} ${l.instancePort}`)
          .sort(),
        ['HTTP 80 -> HTTP 80', 'SSL 443 -> TCP 80'],
      )
      assert.match(
        readFileSync(join(stateDir, 'haproxy.cfg'), 'utf8'),
        /timeout client 120s/,
        "the environment's idle timeout",
      )
      const redirect = await get(`http://localhost:${http}/chat?x=1`)
      assert.equal(redirect.status, 301)
      assert.equal(redirect.headers.location, `https://localhost:${https}/chat?x=1`)
      const page = await get(`https://localhost:${https}/`)
      assert.equal(page.status, 200)
    } finally {
      await runCli(['local', 'down', '--state-dir', stateDir], {env})
    }
  })

  it('rejects --mode with --from-environment, and an unknown environment, before starting anything', async () => {
    const both = await runCli(['local', 'up', '-e', 'x', '--mode', 'http'], {env})
    assert.equal(both.code, 2)
    const unknown = await runCli(['local', 'up', '-e', 'nope', '--state-dir', tempDir('ebws-local-none-')], {env})
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /No Elastic Beanstalk environment named "nope"/)
  })
})
