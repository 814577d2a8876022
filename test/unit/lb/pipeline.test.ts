// The change pipeline's order and failure paths, with live stages that record what ran (no AWS: a live stage is the
// adapter's code; the settings stage, which calls Elastic Beanstalk, is exercised by the command tests on the bench).
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {AwsClients} from '../../../src/aws/clients.ts'
import {EbwsError} from '../../../src/cli/errors.ts'
import type {ChangeSpec, LiveStage} from '../../../src/lb/pipeline.ts'
import {planned, runChange} from '../../../src/lb/pipeline.ts'

const clients = {} as AwsClients

function recorder() {
  const log: string[] = []
  const live = (name: string, fail?: Error): LiveStage => ({
    kind: 'live',
    steps: 1,
    run: async () => {
      log.push(`run ${name}`)
      if (fail) throw fail
    },
    failure: () => `Step "${name}"`,
  })
  const spec = (over: Partial<ChangeSpec<string>> = {}): ChangeSpec<string> => ({
    say: (line) => log.push(`say ${line}`),
    nothingToDo: false,
    dryRun: false,
    check: async () => void log.push('check'),
    confirm: async () => void log.push('confirm'),
    snapshot: () => {
      log.push('snapshot')
      return '/tmp/backup.json'
    },
    stages: [live('a'), live('b')],
    onFailure: {kind: 'rollback', restore: async (_ctx, f) => void log.push(`restore after ${f.what}`)},
    verify: async (ctx) => {
      log.push(`verify after ${ctx.completed.length}`)
      return {unmet: [], value: 'after'}
    },
    inspectCommand: 'ebws listeners show -e env',
    ...over,
  })
  return {log, live, spec}
}

describe('runChange: plan -> check -> dry-run stop -> confirm -> snapshot -> stages -> verify', () => {
  it('nothing to do: stops before the checks, with nothing written', async () => {
    const r = recorder()
    assert.deepEqual(await runChange(clients, r.spec({nothingToDo: true})), {status: 'already-in-shape'})
    assert.deepEqual(r.log, [])
  })

  it('a dry run runs the checks and stops before asking and before the snapshot', async () => {
    const r = recorder()
    assert.deepEqual(await runChange(clients, r.spec({dryRun: true})), {status: 'dry-run'})
    assert.deepEqual(r.log, ['check'])
  })

  it('runs the stages in the order the adapter lists them, after the confirmation and the snapshot', async () => {
    const r = recorder()
    const out = await runChange(clients, r.spec({stages: [r.live('b'), r.live('a')]}))
    assert.deepEqual(out, {status: 'applied', backupFile: '/tmp/backup.json', verified: 'after'})
    assert.deepEqual(r.log, ['check', 'confirm', 'snapshot', 'run b', 'run a', 'verify after 2'])
  })

  it("'replan' before asking: nothing is asked or written, the caller plans again", async () => {
    const r = recorder()
    assert.deepEqual(await runChange(clients, r.spec({beforeConfirm: async () => 'replan'})), {status: 'replan'})
    assert.deepEqual(r.log, ['check'])
  })

  it('a failed stage rolls back and stops: CHANGE_FAILED with the snapshot, later stages not run', async () => {
    const r = recorder()
    const spec = r.spec({stages: [r.live('a', new Error('throttled')), r.live('b')]})
    await assert.rejects(runChange(clients, spec), (e: EbwsError) => {
      assert.equal(e.code, 'CHANGE_FAILED')
      assert.match(e.message, /^Step "a" failed: throttled\nThe load balancer was restored to its previous state/)
      assert.deepEqual(e.details, {backupFile: '/tmp/backup.json', restored: true})
      return true
    })
    assert.deepEqual(r.log.slice(3), [
      'run a',
      'say Step "a" failed; restoring the load balancer',
      'restore after Step "a"',
    ])
  })

  it('a rollback that fails reports its own error (ROLLBACK_FAILED), not CHANGE_FAILED', async () => {
    const r = recorder()
    const rollbackFailed = new EbwsError('ROLLBACK_FAILED', 'restoring failed too')
    const spec = r.spec({
      stages: [r.live('a', new Error('boom'))],
      onFailure: {
        kind: 'rollback',
        restore: async () => {
          throw rollbackFailed
        },
      },
    })
    await assert.rejects(runChange(clients, spec), (e) => e === rollbackFailed)
  })

  it("'none': a single step that failed changed nothing else", async () => {
    const r = recorder()
    const spec = r.spec({stages: [r.live('a', new Error('denied'))], onFailure: {kind: 'none'}})
    await assert.rejects(runChange(clients, spec), (e: EbwsError) => {
      assert.equal(e.code, 'CHANGE_FAILED')
      assert.equal(e.message, 'Step "a" failed: denied\nNothing else was changed (snapshot: /tmp/backup.json).')
      return true
    })
  })

  it("'wrap': any failure of the stages becomes the adapter's error", async () => {
    const r = recorder()
    const spec = r.spec({
      snapshot: undefined,
      stages: [r.live('a'), r.live('b', new Error('gone'))],
      onFailure: {
        kind: 'wrap',
        wrap: (e) => new EbwsError('ROLLBACK_FAILED', `Restoring failed: ${(e as Error).message}`),
      },
    })
    await assert.rejects(runChange(clients, spec), /Restoring failed: gone/)
    assert.deepEqual(r.log, ['check', 'confirm', 'run a', 'run b'])
  })

  it('verifies by effect: what still differs is VERIFY_FAILED, naming the command to inspect it', async () => {
    const r = recorder()
    const spec = r.spec({verify: async () => ({unmet: ['port 80 still forwards'], value: 'x'})})
    await assert.rejects(runChange(clients, spec), (e: EbwsError) => {
      assert.equal(e.code, 'VERIFY_FAILED')
      assert.match(e.message, /does not match the plan after applying it:\n {2}port 80 still forwards/)
      assert.match(e.hints.join('\n'), /ebws listeners show -e env.*\/tmp\/backup\.json/)
      return true
    })
  })
})

describe('planned: one mapping from plan steps to reported steps', () => {
  it('keeps dependsOn where the plan has it, and adds none where it has not', () => {
    const cmd = (s: {id: string}) => `aws x ${s.id}`
    assert.deepEqual(planned([{id: 'a', description: 'A', dependsOn: ['b'], op: 1}], cmd), [
      {id: 'a', description: 'A', command: 'aws x a', dependsOn: ['b']},
    ])
    assert.deepEqual(planned([{id: 'a', description: 'A', op: 1}], cmd), [
      {id: 'a', description: 'A', command: 'aws x a'},
    ])
  })
})
