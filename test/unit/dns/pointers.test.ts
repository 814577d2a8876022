import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {pointersTo, type ZoneScan} from '../../../src/route53/pointers.ts'

const LB = 'awseb-e-abc-1234.us-east-1.elb.amazonaws.com'
const CNAME = 'my-env.eba-xyz.us-east-1.elasticbeanstalk.com'
const alias = (name: string, type: string, dnsName: string) => ({
  name,
  type,
  values: [],
  alias: {dnsName, hostedZoneId: 'Z35SXDOTRQ7X7K', evaluateTargetHealth: true},
})
const cname = (name: string, value: string) => ({name, type: 'CNAME', ttl: 300, values: [value]})

describe('pointersTo: which scanned records point at the environment', () => {
  const scan: ZoneScan = {
    zones: [
      {
        name: 'example.com',
        truncated: false,
        records: [
          alias('example.com', 'A', LB.toUpperCase()),
          alias('example.com', 'AAAA', `dualstack.${LB}`),
          cname('www.example.com', `${CNAME}.`),
          cname('lb.example.com', `${LB}.`),
          cname('other.example.com', 'elsewhere.example.net.'),
          alias('cdn.example.com', 'A', 'd111111abcdef8.cloudfront.net'),
          // An A with addresses names no host, and a TXT holding the name is not a pointer.
          {name: 'ip.example.com', type: 'A', ttl: 60, values: ['192.0.2.1']},
          {name: 'txt.example.com', type: 'TXT', ttl: 60, values: [`"${LB}"`]},
        ],
      },
    ],
    publicZones: 1,
    truncated: false,
  }

  it('alias A/AAAA to the LB (any case, with or without dualstack.), CNAMEs to the env CNAME or the LB name', () => {
    const d = pointersTo(scan, [CNAME, LB, undefined])
    assert.deepEqual(
      d.records.map((r) => `${r.name} ${r.type}`),
      ['example.com A', 'example.com AAAA', 'www.example.com CNAME', 'lb.example.com CNAME'],
    )
    assert.ok(d.records.every((r) => r.zone === 'example.com'))
    assert.equal(d.truncated, false)
  })

  it('nothing known about the environment matches nothing; truncation is passed on', () => {
    assert.deepEqual(pointersTo({...scan, truncated: true}, []), {
      records: [],
      zonesSearched: 1,
      publicZones: 1,
      truncated: true,
    })
  })
})
