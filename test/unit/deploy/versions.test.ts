import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {EbwsError} from '../../../src/cli/errors.ts'
import {versionDescription} from '../../../src/deploy/label.ts'
import {planVersion, processingState} from '../../../src/deploy/versions.ts'
import type {KnownVersion} from '../../../src/deploy/versions.ts'
import {alreadyRunning} from '../../../src/deploy/run.ts'

const A = 'a'.repeat(64)
const B = 'b'.repeat(64)
const v = (label: string, hash: string | undefined, status = 'Processed'): KnownVersion => ({
  label,
  description: hash ? versionDescription(hash) : 'uploaded by hand',
  status,
  bucket: 'bucket',
  key: `app/${label}.zip`,
})
const badInput = (e: unknown) => e instanceof EbwsError && e.exitCode === 2

describe('planVersion: reuse, create, or refuse (before any upload)', () => {
  it('no label: reuses the newest version with the same content', () => {
    const p = planVersion({versions: [v('new', A), v('old', A), v('other', B)], contentHash: A, defaultLabel: 'dflt'})
    assert.equal(p.kind, 'reuse')
    assert.equal(p.label, 'new')
  })

  it('no label: a Failed version with the same content is not reused; a new version is created', () => {
    const p = planVersion({versions: [v('broken', A, 'FAILED')], contentHash: A, defaultLabel: 'dflt'})
    assert.deepEqual(p, {kind: 'create', label: 'dflt', why: 'new version'})
  })

  it('no label, new content: creates the default label', () => {
    assert.deepEqual(planVersion({versions: [v('x', B)], contentHash: A, defaultLabel: 'dflt'}), {
      kind: 'create',
      label: 'dflt',
      why: 'new version',
    })
  })

  it('--label that exists with the same content: reused', () => {
    const p = planVersion({versions: [v('v1', A)], contentHash: A, requestedLabel: 'v1', defaultLabel: 'dflt'})
    assert.equal(p.kind, 'reuse')
  })

  it('--label that exists with different content, no hash, or Failed: refused with exit 2', () => {
    assert.throws(
      () => planVersion({versions: [v('v1', B)], contentHash: A, requestedLabel: 'v1', defaultLabel: 'd'}),
      (e: unknown) => badInput(e) && /different content/.test((e as Error).message),
    )
    assert.throws(
      () => planVersion({versions: [v('v1', undefined)], contentHash: A, requestedLabel: 'v1', defaultLabel: 'd'}),
      (e: unknown) => badInput(e) && /not made by ebws/.test((e as Error).message),
    )
    assert.throws(
      () => planVersion({versions: [v('v1', A, 'Failed')], contentHash: A, requestedLabel: 'v1', defaultLabel: 'd'}),
      (e: unknown) => badInput(e) && /processing Failed/.test((e as Error).message),
    )
  })

  it('--label that is new for content already uploaded: created from a server-side copy', () => {
    const p = planVersion({versions: [v('old', A)], contentHash: A, requestedLabel: 'v2', defaultLabel: 'd'})
    assert.deepEqual(p, {
      kind: 'create',
      label: 'v2',
      copyFrom: {bucket: 'bucket', key: 'app/old.zip', label: 'old'},
      why: 'same content as version old: its bundle is copied in S3, not uploaded again',
    })
  })

  it('status comparisons are case-insensitive', () => {
    const p = planVersion({versions: [v('a', A, 'failed'), v('b', A, 'PROCESSED')], contentHash: A, defaultLabel: 'd'})
    assert.equal(p.label, 'b')
  })
})

describe('processingState: DescribeApplicationVersions Status, case-insensitive', () => {
  it('Processed and Unprocessed are deployable, Failed is not, the rest is still going', () => {
    for (const s of ['Processed', 'PROCESSED', 'processed', 'Unprocessed'])
      assert.equal(processingState(s), 'usable', s)
    for (const s of ['Failed', 'FAILED', 'failed']) assert.equal(processingState(s), 'failed', s)
    for (const s of ['Processing', 'Building', 'BUILDING', '', undefined])
      assert.equal(processingState(s), 'pending', String(s))
  })
})

describe('a re-deploy of the running content', () => {
  it('planVersion prefers the version the environment runs when several hold the same content', () => {
    const p = planVersion({
      versions: [v('new', A), v('running', A)],
      contentHash: A,
      defaultLabel: 'dflt',
      runningLabel: 'running',
    })
    assert.deepEqual([p.kind, p.label], ['reuse', 'running'])
  })

  it('alreadyRunning: Ready on a version with this content and healthy; not when Red, busy, or other content', () => {
    const versions = [v('running', A), v('other', B)]
    const env = {status: 'Ready', versionLabel: 'running', health: 'Green'}
    assert.equal(alreadyRunning(env, 'running', versions, A, false), true)
    assert.equal(alreadyRunning(env, 'new-label', versions, A, false), true, 'same content under another label')
    assert.equal(alreadyRunning(env, 'x', versions, B, false), false)
    assert.equal(alreadyRunning({...env, health: 'Red'}, 'running', versions, A, false), false)
    assert.equal(alreadyRunning({...env, health: 'Yellow'}, 'running', versions, A, false), false)
    assert.equal(alreadyRunning({...env, health: 'Yellow'}, 'running', versions, A, true), true)
    assert.equal(alreadyRunning({...env, status: 'Updating'}, 'running', versions, A, false), false)
  })
})
