import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {certificateNames, planValidationRecords, reusableCertificate} from '../../../src/cert/plan.ts'

const zones = [
  {id: 'ZAPEX', name: 'example.com', privateZone: false},
  {id: 'ZSUB', name: 'shop.example.com', privateZone: false},
  {id: 'ZPRIV', name: 'internal.example.com', privateZone: true},
]

describe('certificateNames', () => {
  it('normalises (case, trailing dot), keeps order, drops duplicates', () => {
    assert.deepEqual(certificateNames('Example.COM.', ['www.example.com', 'example.com', '*.example.com']), {
      names: ['example.com', 'www.example.com', '*.example.com'],
    })
  })
  it('refuses a wildcard deeper than one level, a wildcard inside a name, a bare label, bad labels, too many names', () => {
    for (const [domain, sans, pattern] of [
      ['*.*.example.com', [], /one level/],
      ['a.*.example.com', [], /wildcard/],
      ['*x.example.com', [], /wildcard/],
      ['localhost', [], /fully qualified/],
      ['*.com', [], /top-level/],
      ['bad_label.example.com', [], /invalid label "bad_label"/],
      ['-x.example.com', [], /invalid label/],
      ['a.example.com', Array.from({length: 10}, (_, i) => `s${i}.example.com`), /at most 10/],
    ] as const) {
      const r = certificateNames(domain, sans)
      assert.ok('problem' in r, domain)
      assert.match(r.problem, pattern, domain)
    }
  })
})

describe('reusableCertificate', () => {
  const now = new Date('2026-12-01T00:00:00Z')
  const names = ['example.com', 'www.example.com']
  it('the same names in any order, ACM-issued, issued before pending, never expired or imported', () => {
    const pick = reusableCertificate(
      [
        {arn: 'imported', status: 'ISSUED', type: 'IMPORTED', names},
        {
          arn: 'pending',
          status: 'PENDING_VALIDATION',
          type: 'AMAZON_ISSUED',
          names: ['www.example.com', 'example.com'],
        },
        {arn: 'expired', status: 'ISSUED', type: 'AMAZON_ISSUED', names, notAfter: '2026-11-01T00:00:00Z'},
        {arn: 'issued', status: 'ISSUED', type: 'AMAZON_ISSUED', names, notAfter: '2027-06-01T00:00:00Z'},
        {arn: 'superset', status: 'ISSUED', type: 'AMAZON_ISSUED', names: [...names, 'api.example.com']},
      ],
      names,
      now,
    )
    assert.equal(pick?.arn, 'issued')
    assert.equal(
      reusableCertificate([{arn: 'failed', status: 'FAILED', type: 'AMAZON_ISSUED', names}], names, now),
      undefined,
    )
  })
})

describe('planValidationRecords', () => {
  const rec = (name: string, value = `_v.${name}.acm-validations.aws.`) => ({name, type: 'CNAME', value})
  it("one entry per record (a wildcard shares its base name's), in the longest-suffix public zone, present when already right", () => {
    const plan = planValidationRecords(
      [
        {domainName: 'example.com', record: rec('_a.example.com.')},
        {domainName: '*.example.com', record: rec('_a.example.com.')},
        {domainName: 'shop.example.com', record: rec('_b.shop.example.com.')},
        {domainName: 'internal.example.com', record: rec('_c.internal.example.com.')},
        {domainName: 'other.org', record: rec('_d.other.org.')},
      ],
      zones,
      new Map([['_b.shop.example.com', ['_v._b.shop.example.com..acm-validations.aws']]]),
    )
    assert.deepEqual(
      plan.map((p) => [p.name, p.domains, p.zone?.id ?? null, p.action]),
      [
        ['_a.example.com', ['example.com', '*.example.com'], 'ZAPEX', 'upsert'],
        ['_b.shop.example.com', ['shop.example.com'], 'ZSUB', 'present'],
        ['_c.internal.example.com', ['internal.example.com'], 'ZAPEX', 'upsert'],
        ['_d.other.org', ['other.org'], null, 'manual'],
      ],
    )
  })
  it('names a record that holds another value as conflicting', () => {
    const [p] = planValidationRecords(
      [{domainName: 'example.com', record: rec('_a.example.com.')}],
      zones,
      new Map([['_a.example.com', ['someone-else.acm-validations.aws']]]),
    )
    assert.deepEqual(p?.conflicting, ['someone-else.acm-validations.aws'])
  })
})
