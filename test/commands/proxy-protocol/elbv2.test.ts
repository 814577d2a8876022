// proxy-protocol on the ELBv2 types through the one change pipeline: an NLB change is snapshotted in the format
// `listeners restore` reads (the network adapter owns it), and an ALB is refused before any write.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {startCliBench, type FullBench} from '../../bench/scenario.ts'
import {json, jsonError, runCli} from '../../helpers/cli.ts'
import {createAlbScenario, readBack} from '../listeners/alb-helpers.ts'

describe('proxy-protocol on ELBv2 load balancers, through the change pipeline', () => {
  let bench: FullBench
  let env: Record<string, string>
  const dir = mkdtempSync(join(tmpdir(), 'ebws-pp-elbv2-'))
  before(async () => {
    ;({bench, env} = await startCliBench())
  })
  after(async () => {
    rmSync(dir, {recursive: true, force: true})
    await bench?.stop()
  })

  it('NLB: enable saves an ELBv2 snapshot, which `listeners restore` reads through the ELBv2 adapter', async () => {
    const s = await createAlbScenario(bench, {type: 'network'})
    const backup = join(dir, 'nlb.json')
    const on = json<{status: string; backupFile: string}>(
      await runCli(
        ['proxy-protocol', 'enable', '-e', s.environmentName, '--skip-app-check', '--backup-file', backup, '--json'],
        {env},
      ),
    )
    assert.equal(on.status, 'applied')
    assert.equal(on.backupFile, backup)
    const snapshot = JSON.parse(readFileSync(backup, 'utf8')) as {kind: string; loadBalancerType: string}
    assert.deepEqual([snapshot.kind, snapshot.loadBalancerType], ['ebws-lb-snapshot', 'network'])
    const attribute = async () =>
      (await readBack(s.elbv2, s.loadBalancerArn)).targetGroups[0]!.attributes['proxy_protocol_v2.enabled']
    assert.equal(await attribute(), 'true')

    // `listeners restore` reads it through the ELBv2 adapter (not the CLB reader, which would call it invalid).
    const r = await runCli(['listeners', 'restore', '--from', backup, '--dry-run', '--json'], {env})
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const planned = json<{dryRun: boolean; loadBalancerName: string; region: string}>(r)
    assert.equal(planned.dryRun, true)
    assert.equal(planned.region, bench.region)
    assert.match(s.loadBalancerArn, new RegExp(`loadbalancer/net/${planned.loadBalancerName}/`))

    // And for real: the snapshot was taken with Proxy Protocol v2 off, so restore turns it off again.
    const restored = await runCli(['listeners', 'restore', '--from', backup, '--json'], {env})
    assert.equal(restored.code, 0, restored.stdout + restored.stderr)
    assert.equal(await attribute(), 'false')
  })

  it('ALB: status and enable refuse (exit 2, LB_TYPE_UNSUPPORTED, zero writes): an ALB adds X-Forwarded-For instead', async () => {
    const s = await createAlbScenario(bench, {})
    bench.calls.clear()
    for (const args of [
      ['proxy-protocol', 'status', '-e', s.environmentName, '--json'],
      ['proxy-protocol', 'enable', '-e', s.environmentName, '--skip-app-check', '--json'],
    ]) {
      const r = await runCli(args, {env})
      assert.equal(r.code, 2, r.stdout + r.stderr)
      assert.equal(jsonError(r).code, 'LB_TYPE_UNSUPPORTED')
      assert.match(jsonError(r).message, /uses an Application Load Balancer \(ALB\), not a Classic Load Balancer/)
    }
    assert.equal(bench.calls.count({mutating: true}), 0)
  })
})
