import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {dnsCheck} from '../../../src/doctor/checks/dns.ts'
import {localUp as localUpFix, websocketLayout} from '../../../src/doctor/fixes.ts'
import {targetFromLocal, targetFromUrl} from '../../../src/doctor/target.ts'

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'

describe('doctor targets from `ebws local up` state, and the dns check', () => {
  it('--local reads the state file (and changes nothing): URL, http port, certificate, health path, restart flags', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'ebws-doctor-state-'))
    t.after(() => rmSync(dir, {recursive: true, force: true}))
    mkdirSync(join(dir, 'tls'))
    writeFileSync(join(dir, 'tls', 'localhost.crt'), PEM)
    const state = {
      version: 1,
      startedAt: 'x',
      mode: 'http',
      urls: {https: 'https://localhost:9443/', http: 'http://localhost:9080/'},
      listeners: [],
      proxyProtocolInstancePorts: [],
      ports: {https: 9443, http: 9080, app: 9000, nginx: 9088},
      app: 'sample',
      processes: [],
      redirect: {possible: true, how: ''},
      websocket: false,
      notes: [],
    }
    writeFileSync(join(dir, 'state.json'), JSON.stringify(state))
    const before = statSync(join(dir, 'state.json')).mtimeMs
    const target = targetFromLocal(dir, {})
    assert.deepEqual(
      [target.url.href, target.httpsPort, target.httpPort, target.healthPath],
      ['https://localhost:9443/', 9443, 9080, '/healthz'],
    )
    assert.deepEqual(target.ca, [PEM])
    assert.equal(
      websocketLayout(target),
      `ebws local down --state-dir ${dir} && ebws local up --mode websocket --local-https-port 9443 --local-http-port 9080 --app-port 9000 --nginx --nginx-port 9088 --state-dir ${dir}`,
    )
    assert.match(
      localUpFix(target, '--idle-timeout 60') ?? '',
      / --mode http /,
      'the recorded mode is kept when the fix does not change it',
    )
    assert.equal(statSync(join(dir, 'state.json')).mtimeMs, before)
    assert.equal(readFileSync(join(dir, 'state.json'), 'utf8'), JSON.stringify(state))
    assert.equal(targetFromLocal(dir, {httpPort: 81}).httpPort, 81, '--http-port wins')
  })

  it('--local on an NLB or ALB emulation: the type, and restart flags with --lb, --instances, --stickiness, --redis', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'ebws-doctor-state-lb-'))
    t.after(() => rmSync(dir, {recursive: true, force: true}))
    mkdirSync(join(dir, 'tls'))
    writeFileSync(join(dir, 'tls', 'localhost.crt'), PEM)
    const base = {
      version: 1,
      startedAt: 'x',
      mode: 'proxy',
      urls: {https: 'https://localhost:9443/', http: 'http://localhost:9080/'},
      listeners: [],
      proxyProtocolInstancePorts: [443, 80],
      ports: {https: 9443, http: 9080, app: 9000},
      app: 'sample',
      processes: [],
      redirect: {possible: true, how: ''},
      websocket: true,
      notes: [],
    }
    const instances = [
      {id: 'app-1', port: 9000, backendPorts: [9100, 9101]},
      {id: 'app-2', port: 9001, backendPorts: [9102, 9103]},
    ]
    writeFileSync(join(dir, 'state.json'), JSON.stringify({...base, loadBalancer: 'network', instances}))
    const nlb = targetFromLocal(dir, {})
    assert.equal(nlb.loadBalancer, 'network')
    // The NLB's instance endpoints sit on --nginx-port without nginx: the restart keeps that port.
    assert.equal(
      localUpFix(nlb, '--mode websocket'),
      `ebws local down --state-dir ${dir} && ebws local up --mode websocket --local-https-port 9443 --local-http-port 9080 --app-port 9000 --nginx-port 9100 --lb network --instances 2 --state-dir ${dir}`,
    )
    writeFileSync(
      join(dir, 'state.json'),
      JSON.stringify({
        ...base,
        mode: 'websocket',
        loadBalancer: 'application',
        instances,
        stickiness: {cookie: 'AWSALB'},
        redis: {url: 'redis://127.0.0.1:6390', dir: 'r'},
      }),
    )
    const alb = targetFromLocal(dir, {})
    assert.equal(alb.loadBalancer, 'application')
    assert.deepEqual(alb.local?.localUpArgs.slice(6), [
      '--lb',
      'application',
      '--instances',
      '2',
      '--stickiness',
      '--redis',
      '--redis-port',
      '6390',
      '--mode',
      'websocket',
      '--state-dir',
      dir,
    ])
  })

  it('--local with nothing started is bad input', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ebws-doctor-nostate-'))
    try {
      assert.throws(
        () => targetFromLocal(dir, {}),
        (e: {code?: string; exitCode?: number}) => e.code === 'FILE_NOT_FOUND' && e.exitCode === 2,
      )
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('dns: resolves; with -e it must lead to the environment', async () => {
    const plain = await dnsCheck(targetFromUrl('https://localhost/', {}), 2000)
    assert.equal(plain.check.status, 'pass')
    assert.ok(plain.addresses.length > 0)
    const own = await dnsCheck(
      targetFromUrl('https://localhost/', {}, {environment: {name: 'e', cname: 'localhost'}}),
      2000,
    )
    assert.match(own.check.evidence, /environment e's own name/)
    const elsewhere = await dnsCheck(
      targetFromUrl('https://localhost/', {}, {environment: {name: 'e', cname: 'e.ebws-test.invalid'}}),
      2000,
    )
    assert.equal(elsewhere.check.status, 'fail')
    assert.match(elsewhere.check.evidence, /not to environment e \(e\.ebws-test\.invalid\)/)
    assert.match(elsewhere.check.fix ?? '', /CNAME record to e\.ebws-test\.invalid/)
    const missing = await dnsCheck(targetFromUrl('https://nope.ebws-test.invalid/', {}), 2000)
    assert.equal(missing.check.status, 'fail')
    assert.equal(missing.addresses.length, 0)
    assert.equal((await dnsCheck(targetFromUrl('https://127.0.0.1/', {}), 2000)).check.status, 'pass')
  })
})
