import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {open, symlink} from 'node:fs/promises'
import {join} from 'node:path'
import {buildBundle, prepareBundle} from '../../../src/bundle/index.ts'
import {secretByName} from '../../../src/bundle/secrets.ts'
import {EbwsError} from '../../../src/cli/errors.ts'
import {cleanup, makeTree, MINIMAL_APP} from './helpers.ts'

/** A PEM header and body, built at run time so no key-like block sits in this source file. */
const PEM = ['-----BEGIN', 'RSA PRIVATE KEY-----\nMIIEow==\n-----END', 'RSA PRIVATE KEY-----\n'].join(' ')

/** Asserts a SECRET_IN_BUNDLE error (exit 2) naming exactly `paths`. */
function secretRefused(paths: string[]) {
  return (e: unknown) => {
    assert.ok(e instanceof EbwsError, String(e))
    assert.equal(e.code, 'SECRET_IN_BUNDLE', e.message)
    assert.equal(e.exitCode, 2)
    assert.deepEqual(e.details?.paths, paths)
    for (const p of paths) assert.ok(e.message.includes(p), `${p} is named in: ${e.message}`)
    return true
  }
}

describe('secrets in folder bundles', () => {
  it('refuses every known secret by name or content (exit 2, each path named), and writes no zip', async () => {
    const dir = await makeTree({
      ...MINIMAL_APP,
      '.aws/credentials': '[default]\naws_secret_access_key = abc\n',
      '.ssh/config': 'Host x\n',
      '.npmrc': '//registry.npmjs.org/:_authToken=npm_abc\n',
      'keystore.p12': 'binary',
      'certs/site.pfx': 'binary',
      '.env': 'A=1',
      'config/.env.production': 'A=1',
      'deploy/id_rsa': 'x',
      'deploy/id_ed25519': 'x',
      'tls/server.key': 'x',
      'notes.txt': `keep this\n${PEM}`,
      // Not secrets: templates, public keys, a token-free .npmrc, a certificate.
      '.env.example': 'A=',
      'deploy/id_rsa.pub': 'ssh-rsa AAAA',
      'lib/.npmrc': 'engine-strict=true\n',
      'certs/site.pem': '-----BEGIN CERTIFICATE-----\nMII=\n-----END CERTIFICATE-----\n',
    })
    try {
      await assert.rejects(
        buildBundle(dir, `${dir}.zip`),
        secretRefused([
          '.aws/credentials',
          '.env',
          '.npmrc',
          '.ssh/config',
          'certs/site.pfx',
          'config/.env.production',
          'deploy/id_ed25519',
          'deploy/id_rsa',
          'keystore.p12',
          'tls/server.key',
        ]),
      )
      assert.equal(existsSync(`${dir}.zip`), false)
    } finally {
      await cleanup(dir)
    }
  })

  it('finds a PEM private key by content, also in a streamed file with the header split across two reads', async () => {
    const dir = await makeTree({...MINIMAL_APP, 'notes.txt': `keep this\n${PEM}`})
    try {
      // 64 KiB reads: put "-----BEGIN RSA PRIV" at the end of the first read and the rest in the second.
      const fh = await open(join(dir, 'big.bin'), 'w')
      await fh.write(Buffer.alloc(65536 - 19, 'a'))
      await fh.write(PEM)
      await fh.write(Buffer.alloc(200_000, 'b'))
      await fh.close()
      await assert.rejects(buildBundle(dir, `${dir}.zip`, {inlineLimit: 1000}), secretRefused(['big.bin', 'notes.txt']))
      assert.equal(existsSync(`${dir}.zip`), false, 'no zip left behind')
      const ok = await buildBundle(dir, `${dir}.zip`, {inlineLimit: 1000, allowSecret: ['big.bin', './notes.txt']})
      assert.equal(ok.entries, 4)
    } finally {
      await cleanup(dir)
    }
  })

  it('--allow-secret lets one path (or a folder) through, and only that one', async () => {
    const dir = await makeTree({...MINIMAL_APP, '.env': 'A=1', 'config/signing.key': 'x', '.aws/config': '[default]\n'})
    try {
      await assert.rejects(
        buildBundle(dir, `${dir}.zip`, {allowSecret: ['.env', '.aws']}),
        secretRefused(['config/signing.key']),
      )
      const r = await buildBundle(dir, `${dir}.zip`, {allowSecret: ['.env', '.aws/', 'config/signing.key']})
      assert.deepEqual(r.written.map((e) => e.path).sort(), [
        '.aws/config',
        '.env',
        'config/signing.key',
        'index.js',
        'package.json',
      ])
    } finally {
      await cleanup(dir)
    }
  })

  it('leaves .ebws-local/ (local up state, with its TLS key) out with a notice; --allow-secret brings it back', async () => {
    const dir = await makeTree({...MINIMAL_APP, '.ebws-local/tls/localhost.key': PEM, '.ebws-local/state.json': '{}'})
    try {
      const r = await buildBundle(dir, `${dir}.zip`)
      assert.deepEqual(
        r.written.map((e) => e.path),
        ['index.js', 'package.json'],
      )
      assert.equal(r.notices.length, 1)
      assert.match(r.notices[0]!, /\.ebws-local\/ left out/)
      const back = await buildBundle(dir, `${dir}.zip`, {allowSecret: ['.ebws-local']})
      assert.ok(back.written.some((e) => e.path === '.ebws-local/tls/localhost.key'))
    } finally {
      await cleanup(dir)
    }
  })

  it('refuses a symlink to a secret folder outside the app', async () => {
    const home = await makeTree({'.ssh/id_rsa': PEM})
    const dir = await makeTree(MINIMAL_APP)
    try {
      await symlink(join(home, '.ssh'), join(dir, 'keys'))
      await assert.rejects(buildBundle(dir, `${dir}.zip`), secretRefused(['keys']))
    } finally {
      await cleanup(dir)
      await cleanup(home)
    }
  })

  it('classifies names', () => {
    assert.ok(secretByName('a/.ebws-local/x'))
    assert.ok(secretByName('.env.local'))
    assert.equal(secretByName('.env.sample'), undefined)
    assert.equal(secretByName('src/environment.js'), undefined)
    assert.equal(secretByName('keys.json'), undefined)
  })
})

describe('secrets, links and hooks in --archive zips', () => {
  it('refuses secrets by name and content, .ebws-local, and symlinks pointing outside once extracted', async () => {
    const dir = await makeTree({
      ...MINIMAL_APP,
      '.env': 'A=1',
      '.npmrc': '_auth=abc\n',
      'data/readme.txt': PEM,
      '.ebws-local/tls/localhost.key': 'x',
      'lib/a.js': 'x',
    })
    try {
      await symlink('/etc/passwd', join(dir, 'passwd'))
      await symlink('../../outside', join(dir, 'lib/up'))
      await symlink('a.js', join(dir, 'lib/alias.js'))
      execFileSync('zip', ['-qry', `${dir}.zip`, '.'], {cwd: dir})
      await assert.rejects(
        prepareBundle({archive: `${dir}.zip`}, '/nonexistent/unused.zip'),
        secretRefused(['.ebws-local/tls/localhost.key', '.env', '.npmrc', 'data/readme.txt', 'lib/up', 'passwd']),
      )
      const ok = await prepareBundle(
        {
          archive: `${dir}.zip`,
          allowSecret: ['.env', '.npmrc', 'data', '.ebws-local'],
          allowLinkOutside: ['passwd', 'lib/up'],
        },
        '/nonexistent/unused.zip',
      )
      assert.equal(ok.kind, 'archive')
    } finally {
      await cleanup(dir)
    }
  })

  it('refuses a platform hook that is not executable in the archive (a folder bundle fixes the bit itself)', async () => {
    const dir = await makeTree({
      ...MINIMAL_APP,
      '.platform/hooks/predeploy/01.sh': {content: '#!/bin/sh\n', mode: 0o644},
    })
    try {
      execFileSync('zip', ['-qr', `${dir}.zip`, '.'], {cwd: dir})
      await assert.rejects(prepareBundle({archive: `${dir}.zip`}, '/nonexistent/unused.zip'), (e: unknown) => {
        assert.ok(e instanceof EbwsError)
        assert.equal(e.code, 'BUNDLE_INVALID')
        assert.match(
          e.message,
          /\.platform\/hooks\/predeploy\/01\.sh is a platform hook but not executable in the archive \(mode 644\)/,
        )
        return true
      })
      execFileSync('chmod', ['755', join(dir, '.platform/hooks/predeploy/01.sh')])
      execFileSync('zip', ['-qr', `${dir}.zip`, '.'], {cwd: dir})
      assert.equal((await prepareBundle({archive: `${dir}.zip`}, '/nonexistent/unused.zip')).kind, 'archive')
    } finally {
      await cleanup(dir)
    }
  })
})
