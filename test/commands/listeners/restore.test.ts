// `listeners restore` puts back everything `fix` changed (the CLB and the option settings), a durable fix leaves
// no orphan policy, and a failed rollback prints its commands and paths on lines of their own (issue 12.4, 12.8).
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {after, before, describe, it} from 'node:test'

import {createScenario, LAYOUT_SETTINGS, startCliBench, type FullBench} from '../../bench/scenario.ts'
import {json, runCli} from '../../helpers/cli.ts'
import {readBack, settingsOf} from '../proxy-protocol/helpers.ts'

const exec = promisify(execFile)

describe('listeners restore puts back everything fix changed', () => {
  let bench: FullBench
  let env: Record<string, string>
  let dir: string
  before(async () => {
    ;({bench, env} = await startCliBench())
    dir = mkdtempSync(join(tmpdir(), 'ebws-restore-'))
  })
  after(async () => {
    rmSync(dir, {recursive: true, force: true})
    await bench?.stop()
  })

  it('a durable fix leaves no orphan policy once Beanstalk re-applies its settings', async () => {
    const s = await createScenario(bench, {certificates: [{kind: 'rsa2048'}], settings: () => LAYOUT_SETTINGS.tcp80()})
    const r = await runCli(
      ['listeners', 'fix', '-e', s.environmentName, '--certificate-arn', s.certificates[0]!.arn, '--json'],
      {env},
    )
    assert.equal(r.code, 0, r.stderr)
    const after = await readBack(bench, env, s)
    const ssl = Object.entries(after.policies).filter(([, v]) => v.startsWith('SSLNegotiationPolicyType'))
    assert.deepEqual(
      ssl.map(([n]) => n),
      ['ebws-tls'],
      `one SSL policy, the one the settings name (no ebws-ssl-* beside it): ${JSON.stringify(Object.keys(after.policies))}`,
    )
  })

  it('restore after a durable fix: the CLB and the option settings as they were; the next environment update keeps them', async () => {
    const s = await createScenario(bench, {certificates: [{kind: 'rsa2048'}], settings: () => LAYOUT_SETTINGS.tcp80()})
    const before = await readBack(bench, env, s)
    const settingsBefore = await settingsOf(bench, env, s, 'aws:elb:listener')
    const backup = join(dir, `${s.environmentName}.json`)
    const fixed = await runCli(
      [
        'listeners',
        'fix',
        '-e',
        s.environmentName,
        '--certificate-arn',
        s.certificates[0]!.arn,
        '--backup-file',
        backup,
        '--json',
      ],
      {env},
    )
    assert.equal(fixed.code, 0, fixed.stderr)
    assert.equal((await settingsOf(bench, env, s, 'aws:elb:listener:443')).ListenerProtocol, 'SSL')

    const r = await runCli(['listeners', 'restore', '--from', backup, '--json'], {env})
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const out = json<{
      optionSettingsToUpdate: unknown[]
      optionSettingsToRemove: Array<{namespace: string; optionName: string}>
      leftAlone: string[]
    }>(r)
    assert.ok(
      out.optionSettingsToRemove.some((x) => x.namespace === 'aws:elb:listener:443'),
      JSON.stringify(out),
    )
    assert.deepEqual(out.leftAlone, [])
    assert.deepEqual((await readBack(bench, env, s)).listeners, before.listeners)
    assert.equal((await settingsOf(bench, env, s, 'aws:elb:listener:443')).ListenerProtocol, undefined)
    assert.deepEqual(await settingsOf(bench, env, s, 'aws:elb:listener'), settingsBefore)

    // An environment update re-applies the settings: with them put back, the fixed listeners do not return.
    await exec(
      'aws',
      [
        'elasticbeanstalk',
        'update-environment',
        '--environment-name',
        s.environmentName,
        '--option-settings',
        'Namespace=aws:elasticbeanstalk:application:environment,OptionName=TOUCH,Value=1',
        '--endpoint-url',
        bench.direct.eb!,
      ],
      {env},
    )
    await new Promise((res) => setTimeout(res, 100))
    await bench.eb.waitForStatus(s.environmentName, 'Ready')
    const again = await runCli(['listeners', 'show', '-e', s.environmentName, '--json'], {env})
    const listeners = json<{loadBalancer: {listeners: Array<{loadBalancerPort: number; protocol: string}>}}>(again)
      .loadBalancer.listeners
    assert.deepEqual(
      listeners.map((l) => `${l.protocol} ${l.loadBalancerPort}`),
      ['TCP 80'],
    )
  })

  it('a failed rollback (exit 5) prints the snapshot path and each command on a line of its own, unwrapped', async () => {
    const s = await createScenario(bench, {certificates: [{kind: 'rsa2048'}]})
    const backup = join(
      dir,
      `a-rather-long-folder-name-so-that-any-wrapping-would-split-it-${'x'.repeat(40)}`,
      'snap.json',
    )
    bench.faults.failNthMutating(3, 'ValidationError', {service: 'elb'})
    bench.faults.error(20, 'ValidationError', {service: 'elb', action: 'DeleteLoadBalancerListeners'})
    let r
    try {
      // No --json: the text a person reads in a CI log.
      r = await runCli(
        [
          'listeners',
          'fix',
          '-e',
          s.environmentName,
          '--certificate-arn',
          s.certificates[0]!.arn,
          '--apply-to',
          'elb',
          '--backup-file',
          backup,
        ],
        {env},
      )
    } finally {
      bench.faults.clear()
    }
    assert.equal(r.code, 5, r.stderr)
    const lines = r.stderr.split('\n').map((l) => l.trim())
    assert.ok(lines.includes(backup), `the snapshot path alone on a line:\n${r.stderr}`)
    assert.ok(
      lines.includes(`ebws listeners restore --from ${backup}`),
      `the restore command alone on a line:\n${r.stderr}`,
    )
    const deleteCommand = lines.find((l) => l.startsWith('aws elb --region us-east-1 delete-load-balancer-listeners'))
    assert.equal(
      deleteCommand,
      `aws elb --region us-east-1 delete-load-balancer-listeners --load-balancer-name ${s.loadBalancerName} --load-balancer-ports 443`,
      r.stderr,
    )
    assert.doesNotMatch(r.stderr, /›/, 'no oclif error box')
  })
})
