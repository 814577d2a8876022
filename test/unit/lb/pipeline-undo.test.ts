// A restore's stages have no snapshot to roll back to (onFailure 'wrap'): a stage that can put its writes back
// (LiveStage.undo, e.g. the security-group revokes of `listeners restore`) is undone when a later stage fails.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {AwsClients} from '../../../src/aws/clients.ts'
import {EbwsError} from '../../../src/cli/errors.ts'
import type {ChangeSpec, LiveStage} from '../../../src/lb/pipeline.ts'
import {runChange} from '../../../src/lb/pipeline.ts'

const clients = {} as AwsClients

function restoreSpec(log: string[], stages: LiveStage[]): ChangeSpec<undefined> {
  return {
    say: (line) => log.push(`say ${line}`),
    nothingToDo: false,
    dryRun: false,
    stages,
    onFailure: {
      kind: 'wrap',
      wrap: (e) => new EbwsError('ROLLBACK_FAILED', `Restoring failed: ${(e as Error).message}`),
    },
  }
}

const stage = (log: string[], name: string, o: {fail?: Error; undo?: boolean; undoFails?: Error} = {}): LiveStage => ({
  kind: 'live',
  steps: 1,
  run: async () => {
    log.push(`run ${name}`)
    if (o.fail) throw o.fail
  },
  failure: () => `Step "${name}"`,
  ...(o.undo
    ? {
        undo: async (_ctx, error) => {
          log.push(`undo ${name} after: ${(error as Error).message}`)
          if (o.undoFails) throw o.undoFails
        },
      }
    : {}),
})

describe("the pipeline undoes a restore's completed stages when a later one fails", () => {
  it('undoes the completed stages that can (newest first), then reports the failure as the adapter wraps it', async () => {
    const log: string[] = []
    const spec = restoreSpec(log, [
      stage(log, 'revoke', {undo: true}),
      stage(log, 'plain'),
      stage(log, 'revoke-2', {undo: true}),
      stage(log, 'listeners', {fail: new Error('denied')}),
    ])
    await assert.rejects(runChange(clients, spec), /^EbwsError: Restoring failed: denied$/)
    assert.deepEqual(log, [
      'run revoke',
      'run plain',
      'run revoke-2',
      'run listeners',
      'undo revoke-2 after: denied',
      'undo revoke after: denied',
    ])
  })

  it('does not undo the stage that failed itself (it puts back its own writes), nor on success', async () => {
    const log: string[] = []
    await assert.rejects(
      runChange(clients, restoreSpec(log, [stage(log, 'revoke', {undo: true, fail: new Error('x')})])),
    )
    assert.deepEqual(log, ['run revoke'])
    const ok: string[] = []
    assert.equal((await runChange(clients, restoreSpec(ok, [stage(ok, 'revoke', {undo: true})]))).status, 'applied')
    assert.deepEqual(ok, ['run revoke'])
  })

  it("an undo that fails reports its own error (what is left to do), not the adapter's", async () => {
    const log: string[] = []
    const spec = restoreSpec(log, [
      stage(log, 'revoke', {undo: true, undoFails: new EbwsError('ROLLBACK_FAILED', 'put these back by hand')}),
      stage(log, 'listeners', {fail: new Error('denied')}),
    ])
    await assert.rejects(runChange(clients, spec), /put these back by hand/)
  })

  it("a fix's rollback (onFailure 'rollback') is the adapter's: undo is not called", async () => {
    const log: string[] = []
    const spec: ChangeSpec<undefined> = {
      ...restoreSpec(log, [stage(log, 'a', {undo: true}), stage(log, 'b', {fail: new Error('boom')})]),
      snapshot: () => '/tmp/backup.json',
      onFailure: {kind: 'rollback', restore: async () => void log.push('restore from snapshot')},
    }
    await assert.rejects(runChange(clients, spec), (e: EbwsError) => e.code === 'CHANGE_FAILED')
    assert.deepEqual(log, [
      'run a',
      'run b',
      'say Step "b" failed; restoring the load balancer',
      'restore from snapshot',
    ])
  })
})
