import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parseHsts} from '../../../src/doctor/checks/hsts.ts'
import {findMixedContent, sameOriginScripts} from '../../../src/doctor/checks/mixed-content.ts'
import {symptomOf} from '../../../src/doctor/checks/proxy-protocol.ts'
import {judgeLocation} from '../../../src/doctor/checks/redirect.ts'
import {explainUpgradeFailure} from '../../../src/doctor/checks/socketio.ts'
import {engineError, parseOpen} from '../../../src/doctor/engineio.ts'
import {listenersFix, localUp} from '../../../src/doctor/fixes.ts'
import {formatDoctor} from '../../../src/doctor/format.ts'
import {attributeRootCauses} from '../../../src/doctor/runner.ts'
import {targetFromUrl} from '../../../src/doctor/target.ts'
import {check, CHECK_IDS} from '../../../src/doctor/types.ts'

const target = (url: string, extra = {}) => ({...targetFromUrl(url, {}), ...extra})

describe('doctor: pure parts', () => {
  it('targets: https assumed, http:// gives the redirect port, host lower-cased; bad URLs are bad input', () => {
    const t = targetFromUrl('App.Example.com', {})
    assert.deepEqual(
      [t.host, t.httpsPort, t.httpPort, t.url.href],
      ['app.example.com', 443, 80, 'https://app.example.com/'],
    )
    const local = targetFromUrl('http://localhost:8080/x', {})
    assert.deepEqual([local.httpsPort, local.httpPort], [443, 8080])
    assert.equal(targetFromUrl('https://localhost:8443/', {httpPort: 8080}).httpPort, 8080)
    assert.throws(() => targetFromUrl('ftp://x/', {}), /not ftp/)
    assert.throws(() => targetFromUrl('https://x/', {healthPath: 'healthz'}), /must start with \//)
    assert.throws(
      () => targetFromUrl('https://x/', {caFile: '/nonexistent/ca.pem'}),
      (e: {code?: string}) => e.code === 'FILE_NOT_FOUND',
    )
  })

  it('redirect Location: same host, port, path and query, https', () => {
    const expected = new URL('https://localhost:8443/p?q=1')
    assert.equal(judgeLocation(new URL('https://localhost:8443/p?q=1'), expected).status, 'pass')
    assert.match(
      judgeLocation(new URL('https://localhost/p?q=1'), expected).problem ?? '',
      /wrong port \(443, expected 8443\)/,
    )
    assert.match(judgeLocation(new URL('http://localhost:8443/p?q=1'), expected).problem ?? '', /not https/)
    assert.match(judgeLocation(new URL('https://evil.example:8443/p?q=1'), expected).problem ?? '', /another host/)
    assert.match(judgeLocation(new URL('https://localhost:8443/'), expected).problem ?? '', /loses the path or query/)
    assert.match(
      judgeLocation(new URL('https://app.example.com:80/p'), new URL('https://app.example.com/p')).problem ?? '',
      /wrong port \(80/,
    )
  })

  it('Engine.IO packets and errors', () => {
    assert.deepEqual(
      parseOpen('0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000}\x1e40'),
      {sid: 'abc', upgrades: ['websocket'], pingInterval: 25000, pingTimeout: 20000},
    )
    assert.equal(parseOpen('40{"sid":"x"}'), undefined)
    assert.deepEqual(engineError('{"code":1,"message":"Session ID unknown"}'), {code: 1, message: 'Session ID unknown'})
    assert.equal(engineError('<html>'), undefined)
  })

  it('a failed upgrade explained in load balancer terms, with a fix that names the environment and domain', () => {
    const t = target('https://app.example.com/', {fixEnvironment: 'prod'})
    const stripped = explainUpgradeFailure(
      {kind: 'response', status: 400, headers: {}, body: '{"code":3,"message":"Bad request"}'},
      t,
    )
    assert.match(stripped.evidence, /400 with no Upgrade header back .*CLB HTTPS/)
    assert.match(stripped.fix, /^ebws listeners fix -e prod --domain app\.example\.com /)
    assert.match(
      explainUpgradeFailure(
        {kind: 'response', status: 400, headers: {}, body: '{"code":1,"message":"Session ID unknown"}'},
        t,
      ).evidence,
      /another instance/,
    )
    assert.match(
      explainUpgradeFailure({kind: 'response', status: 403, headers: {}, body: ''}, t).fix,
      /ALLOWED_HOSTS=app\.example\.com/,
    )
  })

  it('fixes: no --domain for an IP or the environment CNAME; local restarts keep the recorded flags minus the changed ones', () => {
    assert.equal(
      listenersFix(target('https://my-env.eu-west-1.elasticbeanstalk.com/', {fixEnvironment: 'my-env'})),
      'ebws listeners fix -e my-env',
    )
    assert.equal(listenersFix(target('https://10.0.0.1/')), 'ebws listeners fix')
    const local = target('https://localhost:8443/', {
      local: {localUpArgs: ['--local-https-port', '8443', '--nginx', '--mode', 'http', '--state-dir', 's']},
    })
    assert.equal(
      localUp(local, '--mode websocket'),
      'ebws local down --state-dir s && ebws local up --mode websocket --local-https-port 8443 --nginx --state-dir s',
    )
  })

  it('mixed content: ws:// and http:// Socket.io URLs, insecure scripts; same-origin scripts only', () => {
    assert.deepEqual(findMixedContent('<script>io()</script>'), [])
    assert.equal(findMixedContent('const s = io("http://app.example.com")').length, 1)
    assert.match(findMixedContent("new WebSocket('ws://x.example/socket.io/')")[0] ?? '', /ws:\/\//)
    assert.match(findMixedContent('<script src="http://cdn.example/socket.io.js"></script>').join(), /script from http/)
    const page = new URL('https://a.example/')
    assert.deepEqual(
      sameOriginScripts('<script src="/c.js"></script><script src="https://cdn.example/x.js"></script>', page).map(
        (u) => u.href,
      ),
      ['https://a.example/c.js'],
    )
  })

  it('HSTS header parsing', () => {
    assert.deepEqual(parseHsts('max-age=31536000; includeSubDomains'), {
      maxAge: 31536000,
      includeSubDomains: true,
      preload: false,
    })
    assert.equal(parseHsts(undefined), undefined)
  })

  it('Proxy Protocol symptoms', () => {
    assert.equal(symptomOf({failure: {code: 'ECONNRESET', message: ''}}), 'closed')
    assert.equal(symptomOf({response: {status: 400, headers: {}, body: ''}}), 'bare-400')
    assert.equal(
      symptomOf({
        response: {status: 400, headers: {}, body: '<html><head><title>400 Bad Request</title></head></html>'},
      }),
      'bare-400',
    )
    assert.equal(
      symptomOf({response: {status: 400, headers: {}, body: '{"code":3,"message":"Bad request"}'}}),
      'answered',
    )
    assert.equal(symptomOf({failure: {code: 'ECONNREFUSED', message: ''}}), 'unreachable')
  })

  it('a Proxy Protocol mismatch is named as the root cause of the other failures', () => {
    const checks = [
      check('dns', 'pass', 'ok'),
      check('redirect', 'fail', 'closed', 'x'),
      check('proxy-protocol', 'fail', 'mismatch', 'change the LB'),
    ]
    const out = attributeRootCauses(checks)
    assert.equal(out[1]!.fix, 'Fix the Proxy Protocol mismatch first (proxy-protocol): change the LB')
    assert.equal(out[2]!.fix, 'change the LB')
  })

  it('format: a mark, the id, one line of evidence, the fix below; a summary', () => {
    const text = formatDoctor({
      checks: CHECK_IDS.map((id, i) =>
        check(
          id,
          i === 1 ? 'fail' : i === 2 ? 'warn' : i === 3 ? 'skip' : 'pass',
          `e-${id}`,
          i === 1 ? 'do this' : null,
        ),
      ),
    })
    const lines = text.split('\n')
    assert.match(lines[0]!, /^✔ dns\s+e-dns$/)
    assert.match(lines[1]!, /^✘ redirect\s+e-redirect$/)
    assert.match(lines[2]!, /^\s+fix: do this$/)
    assert.match(lines[3]!, /^! tls/)
    assert.match(lines[4]!, /^- hsts/)
    assert.equal(lines.at(-1), '7 passed, 1 warnings, 1 failed, 1 skipped')
  })
})
