import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {buildLocalNginx, nginxArgs, shippedNginxFiles} from '../../../src/local/nginx.ts'

const dir = mkdtempSync(join(tmpdir(), 'ebws-nginx-'))
after(() => rmSync(dir, {recursive: true, force: true}))

describe('shipped .platform nginx files pass `nginx -t` in the platform layout', () => {
  for (const [variant, place] of [
    ['default', 'default'],
    ['proxy-protocol', 'proxy-protocol'],
    // A --state-dir with a space in it: paths in the config are relative to -p, so nothing splits.
    ['default', 'state dir with spaces'],
  ] as const) {
    it(`${variant} in ${JSON.stringify(place)}`, () => {
      const prefix = join(dir, place)
      buildLocalNginx({variant, prefix, listenPort: 18088, appPort: 13000})
      const out = execFileSync('nginx', nginxArgs(prefix, ['-t']), {stdio: 'pipe', encoding: 'utf8'})
      assert.equal(typeof out, 'string')
      assert.ok(existsSync(join(prefix, 'tmp/proxy')), 'temp paths resolve inside the prefix')
      const app = readFileSync(join(prefix, 'conf.d/elasticbeanstalk/00_application.conf'), 'utf8')
      assert.match(app, /proxy_pass\s+http:\/\/127\.0\.0\.1:13000;/)
      const main = readFileSync(join(prefix, 'nginx.conf'), 'utf8')
      assert.match(main, /include\s+conf\.d\/\*\.conf;/)
      assert.match(main, /include conf\.d\/elasticbeanstalk\/\*\.conf;/)
      if (variant === 'proxy-protocol') {
        assert.match(main, /listen\s+127\.0\.0\.1:18088 proxy_protocol default_server;/)
        assert.match(main, /real_ip_header\s+proxy_protocol;/)
      }
    })
  }
  it('bundle file lists point at existing files, one nginx.conf only for proxy-protocol', () => {
    for (const variant of ['default', 'proxy-protocol'] as const) {
      const files = shippedNginxFiles(variant)
      for (const f of files) assert.ok(existsSync(f.source), f.source)
      assert.equal(
        files.some((f) => f.bundlePath === '.platform/nginx/nginx.conf'),
        variant === 'proxy-protocol',
      )
    }
  })
  it('the maps derive X-Forwarded-Proto from the PROXY destination port, never from $scheme', () => {
    const maps = readFileSync(shippedNginxFiles('default')[0]!.source, 'utf8')
    assert.match(
      maps,
      /map \$proxy_protocol_server_port \$ebws_forwarded_proto \{\s+''\s+\$http_x_forwarded_proto;\s+443\s+https;\s+default http;/,
    )
    assert.match(maps, /map \$proxy_protocol_addr \$ebws_forwarded_for/)
    assert.doesNotMatch(maps.replace(/#.*$/gm, ''), /\$scheme/)
  })
})
