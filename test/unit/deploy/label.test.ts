import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {formatDuration, parseDuration} from '../../../src/duration.ts'
import {
  bundleKey,
  checkLabel,
  contentHashOf,
  defaultLabel,
  utcStamp,
  versionDescription,
} from '../../../src/deploy/label.ts'
import {EbwsError} from '../../../src/cli/errors.ts'

const HASH = 'ab'.repeat(32)

describe('version labels and content hash', () => {
  it('default label: git short sha, else 12 hex of the content hash, then a UTC timestamp', () => {
    const now = new Date('2025-03-04T05:06:07.891Z')
    assert.equal(utcStamp(now), '20250304T050607Z')
    assert.equal(defaultLabel({gitSha: '3f9c2ab', contentHash: HASH, now}), '3f9c2ab-20250304T050607Z')
    assert.equal(defaultLabel({contentHash: HASH, now}), 'abababababab-20250304T050607Z')
  })

  it('timestamps are UTC whatever the local zone', () => {
    const before = process.env.TZ
    process.env.TZ = 'Asia/Kolkata'
    try {
      assert.equal(utcStamp(new Date(Date.UTC(2025, 0, 1, 23, 59, 59))), '20250101T235959Z')
    } finally {
      if (before === undefined) delete process.env.TZ
      else process.env.TZ = before
    }
  })

  it('the content hash round-trips through the version description (within its 200 characters)', () => {
    const d = versionDescription(HASH, '3f9c2ab')
    assert.ok(d.length <= 200)
    assert.equal(contentHashOf(d), HASH)
    assert.equal(contentHashOf(versionDescription(HASH)), HASH)
    assert.equal(contentHashOf('Deployed by hand'), undefined)
    assert.equal(contentHashOf(undefined), undefined)
    assert.equal(contentHashOf(`ebws sha256:${HASH.slice(0, 60)}`), undefined, 'a truncated hash is no hash')
  })

  it('S3 key is <app>/<label>.zip', () => {
    assert.equal(bundleKey('ws-app', 'v1.2.3'), 'ws-app/v1.2.3.zip')
  })

  it('checkLabel refuses what Beanstalk or S3 would, with exit 2', () => {
    assert.equal(checkLabel('v1.2.3'), 'v1.2.3')
    assert.equal(checkLabel('x'.repeat(100)), 'x'.repeat(100))
    for (const bad of ['', 'x'.repeat(101), ' v1', 'a/b', 'a\\b', 'tab\there']) {
      assert.throws(
        () => checkLabel(bad),
        (e: unknown) => e instanceof EbwsError && e.exitCode === 2,
        JSON.stringify(bad),
      )
    }
  })
})

describe('durations for --timeout and --health-grace', () => {
  it("a bare number uses the flag's unit; units and combinations are accepted", () => {
    assert.equal(parseDuration('20', 'm', '--timeout'), 20 * 60_000)
    assert.equal(parseDuration('60', 's', '--health-grace'), 60_000)
    assert.equal(parseDuration('5s', 'm', '--timeout'), 5000)
    assert.equal(parseDuration('20m', 'm', '--timeout'), 20 * 60_000)
    assert.equal(parseDuration('1h30m', 'm', '--timeout'), 90 * 60_000)
    assert.equal(parseDuration('1.5m', 's', '--health-grace'), 90_000)
    assert.equal(parseDuration('250ms', 's', '--health-grace'), 250)
  })
  it('rejects nonsense and zero with exit 2', () => {
    for (const bad of ['', 'soon', '5 parsecs', '10x', '0', '0s', '-5', 'm']) {
      assert.throws(
        () => parseDuration(bad, 'm', '--timeout'),
        (e: unknown) => e instanceof EbwsError && e.exitCode === 2,
        bad,
      )
    }
  })
  it('formats for messages', () => {
    assert.equal(formatDuration(45_000), '45 s')
    assert.equal(formatDuration(60_000), '1 min')
    assert.equal(formatDuration(90_000), '1 min 30 s')
  })
})
