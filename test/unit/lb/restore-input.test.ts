// `listeners restore` checks the snapshot's security-group record before anything is read or written: a malformed
// record, or rules without the region to revoke them in, is SNAPSHOT_INVALID (exit 2) with no AWS client made.
import assert from 'node:assert/strict'
import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import type {AwsClients} from '../../../src/aws/clients.ts'
import {authorizedRule} from '../../../src/ec2/security-groups.ts'
import {restoreAnyListeners} from '../../../src/lb/restore.ts'
import {tempDir} from '../../helpers/cli.ts'

const dir = tempDir('ebws-restore-input-')
after(() => rmSync(dir, {recursive: true, force: true}))

const clb = {
  kind: 'ebws-listeners-snapshot',
  version: 1,
  takenAt: '2026-12-04T00:00:00.000Z',
  region: 'us-east-1',
  loadBalancerName: 'awseb-e-abc',
  state: {listeners: []},
}
const rule = authorizedRule({groupId: 'sg-0abc', port: 443, cidr: '0.0.0.0/0'})

async function refused(name: string, snapshot: object): Promise<void> {
  const file = join(dir, name)
  writeFileSync(file, JSON.stringify(snapshot))
  let made = 0
  const clientsFor = (): AwsClients => {
    made++
    throw new Error('no AWS client may be made')
  }
  await assert.rejects(
    restoreAnyListeners(clientsFor, file, {dryRun: false}),
    (e: {code?: string; exitCode?: number}) => {
      assert.equal(e.code, 'SNAPSHOT_INVALID')
      assert.equal(e.exitCode, 2)
      return true
    },
  )
  assert.equal(made, 0)
}

describe('listeners restore: the security-group record is checked first', () => {
  it('a malformed record (CLB and ALB snapshots alike)', async () => {
    await refused('clb.json', {...clb, securityGroups: {added: [{...rule, toPort: 80}]}})
    await refused('alb.json', {
      kind: 'ebws-lb-snapshot',
      version: 1,
      loadBalancerType: 'application',
      region: 'us-east-1',
      securityGroups: {added: 'all'},
    })
  })

  it('rules to revoke but no region to revoke them in', async () => {
    const {region: _region, ...noRegion} = clb
    await refused('no-region.json', {...noRegion, securityGroups: {added: [rule]}})
  })

  it('a rules-only snapshot that is not what fix writes', async () => {
    await refused('rules-only.json', {kind: 'ebws-security-groups-snapshot', version: 2, region: 'us-east-1'})
    await refused('rules-only-2.json', {
      kind: 'ebws-security-groups-snapshot',
      version: 1,
      region: 'us-east-1',
      loadBalancerName: 'lb',
      securityGroups: {added: [{...rule, ipProtocol: 'udp'}]},
    })
  })
})
