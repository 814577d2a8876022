import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join, relative} from 'node:path'
import {promisify} from 'node:util'
import {after, describe, it} from 'node:test'

import {freePorts} from '../e2e/helpers.ts'
import {json, jsonError, ROOT, runCli} from '../helpers/cli.ts'

const exec = promisify(execFile)

interface BundleJson {
  path: string
  sizeBytes: number
  sha256: string
  contentHash: string
  entryCount: number
  entries: Array<{path: string; kind: string; size: number; mode: string}>
  notices: string[]
  warnings: string[]
}

/** Every file under `dir`, relative, '/'-separated. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort()

const env = {NO_COLOR: '1'}

describe('ebws bundle', () => {
  const dirs: string[] = []
  after(async () => {
    await Promise.all(dirs.map((d) => rm(d, {recursive: true, force: true})))
  })
  const temp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'ebws-bundle-cmd-'))
    dirs.push(d)
    return d
  }

  it('writes the zip and lists every entry (path, size, mode) as JSON; the same tree gives the same bytes', async () => {
    const dir = temp()
    const files: Record<string, string> = {
      'package.json': '{"name":"a","scripts":{"start":"node app.js"}}',
      'app.js': 'console.log(1)\n',
      '.platform/hooks/predeploy/01.sh': '#!/bin/sh\n',
      'node_modules/x/index.js': 'x',
      'lib/node_modules/vendored.js': 'kept: only the root node_modules is left out',
    }
    for (const [p, c] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, p)), {recursive: true})
      writeFileSync(join(dir, p), c)
    }
    const out = join(temp(), 'app.zip')
    const r = await runCli(['bundle', dir, '--output', out, '--json'], {env})
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const b = json<BundleJson>(r)
    assert.equal(b.path, out)
    assert.equal(b.sizeBytes, statSync(out).size)
    assert.deepEqual(
      b.entries.map((e) => [e.path, e.mode, e.size]),
      [
        ['.platform/hooks/predeploy/01.sh', '0755', 10],
        ['app.js', '0644', 15],
        ['lib/node_modules/vendored.js', '0644', 44],
        ['package.json', '0644', 46],
      ],
    )
    const {stdout} = await exec('unzip', ['-Z1', out])
    assert.deepEqual(
      stdout.trim().split('\n'),
      b.entries.map((e) => e.path),
      'the listing is the zip, read by Info-ZIP',
    )
    const again = await runCli(['bundle', dir, '-o', `${out}.2`, '--json'], {env})
    assert.equal(json<BundleJson>(again).sha256, b.sha256)
    assert.deepEqual(readFileSync(`${out}.2`), readFileSync(out))
  })

  it('a secret: exit 2, SECRET_IN_BUNDLE naming the path, no zip; --allow-secret ships it', async () => {
    const dir = temp()
    writeFileSync(join(dir, 'package.json'), '{"name":"a"}')
    mkdirSync(join(dir, '.aws'))
    writeFileSync(join(dir, '.aws/credentials'), '[default]\naws_secret_access_key = x\n')
    const out = join(temp(), 'app.zip')
    const r = await runCli(['bundle', dir, '--output', out, '--json'], {env})
    assert.equal(r.code, 2, r.stdout + r.stderr)
    const e = jsonError(r)
    assert.equal(e.code, 'SECRET_IN_BUNDLE')
    assert.match(e.message, /\.aws\/credentials/)
    assert.throws(() => statSync(out), 'no zip written')
    const ok = await runCli(['bundle', dir, '--output', out, '--allow-secret', '.aws/credentials', '--json'], {env})
    assert.equal(ok.code, 0, ok.stderr)
    assert.ok(json<BundleJson>(ok).entries.some((x) => x.path === '.aws/credentials'))
  })

  it('--help documents the secret rule and the exit codes', async () => {
    const r = await runCli(['bundle', '--help'], {env})
    assert.equal(r.code, 0)
    for (const s of ['--allow-secret', '--allow-link-outside', 'SECRET_IN_BUNDLE', '.ebws-local/', 'EXIT CODES'])
      assert.ok(r.stdout.includes(s), s)
  })
  describe('--lb: the bundle for that load balancer type', () => {
    const OVERRIDE = '.ebextensions/ebws-alb-redirect.config'
    const tree = (extra: Record<string, string> = {}): string => {
      const dir = temp()
      const files: Record<string, string> = {
        'package.json': '{"name":"a","scripts":{"start":"node app.js"}}',
        'app.js': 'console.log(1)\n',
        ...extra,
      }
      for (const [p, c] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, p)), {recursive: true})
        writeFileSync(join(dir, p), c)
      }
      return dir
    }
    const bundle = async (dir: string, args: string[]) => {
      const out = join(temp(), 'app.zip')
      const r = await runCli(['bundle', dir, '--output', out, '--json', ...args], {env})
      assert.equal(r.code, 0, r.stdout + r.stderr)
      return {out, b: json<BundleJson & {loadBalancer?: {type: string; redirectOverride: string}}>(r)}
    }

    it('application: the redirect override is in the zip, in path order, the same bytes every time', async () => {
      const dir = tree()
      const {out, b} = await bundle(dir, ['--lb', 'application'])
      assert.deepEqual(b.loadBalancer, {type: 'application', redirectOverride: 'added'})
      assert.deepEqual(
        b.entries.map((e) => [e.path, e.mode]),
        [
          [OVERRIDE, '0644'],
          ['app.js', '0644'],
          ['package.json', '0644'],
        ],
      )
      const {stdout} = await exec('unzip', ['-p', out, OVERRIDE])
      // The documented override: the port-80 listener resource with a redirect to HTTPS:443 as its default action.
      const {parse} = await import('yaml')
      const doc = parse(stdout) as {
        Resources: {AWSEBV2LoadBalancerListener: {Type: string; Properties: Record<string, unknown>}}
      }
      assert.equal(doc.Resources.AWSEBV2LoadBalancerListener.Type, 'AWS::ElasticLoadBalancingV2::Listener')
      assert.deepEqual(doc.Resources.AWSEBV2LoadBalancerListener.Properties, {
        LoadBalancerArn: {Ref: 'AWSEBV2LoadBalancer'},
        Port: 80,
        Protocol: 'HTTP',
        DefaultActions: [
          {
            Type: 'redirect',
            RedirectConfig: {
              Protocol: 'HTTPS',
              Port: '443',
              Host: '#{host}',
              Path: '/#{path}',
              Query: '#{query}',
              StatusCode: 'HTTP_301',
            },
          },
        ],
      })
      const again = await bundle(dir, ['--lb', 'application'])
      assert.deepEqual(readFileSync(again.out), readFileSync(out), 'deterministic, the added file included')
      assert.deepEqual(filesUnder(dir), ['app.js', 'package.json'], 'nothing written into the app folder')
    })

    it('classic, network, or no --lb: never added; --no-redirect-override: not added, with the warning', async () => {
      const dir = tree()
      for (const args of [['--lb', 'classic'], ['--lb', 'network'], []]) {
        const {b} = await bundle(dir, args)
        assert.ok(!b.entries.some((e) => e.path === OVERRIDE), args.join(' '))
      }
      const {b} = await bundle(dir, ['--lb', 'application', '--no-redirect-override'])
      assert.ok(!b.entries.some((e) => e.path === OVERRIDE))
      assert.equal(b.loadBalancer?.redirectOverride, 'missing')
      assert.match(b.warnings.join('\n'), /lacks the \.ebextensions Resources override of AWSEBV2LoadBalancerListener/)
    })

    it("the app's own file of that name is never replaced", async () => {
      const mine = 'option_settings:\n  aws:elasticbeanstalk:application:environment:\n    MINE: "1"\n'
      const dir = tree({[OVERRIDE]: mine})
      const {out, b} = await bundle(dir, ['--lb', 'application'])
      assert.equal(b.loadBalancer?.redirectOverride, 'missing')
      assert.equal((await exec('unzip', ['-p', out, OVERRIDE])).stdout, mine)
      assert.match(b.warnings.join('\n'), /never replaced/)
    })

    it('--lb and -e are exclusive', async () => {
      const r = await runCli(['bundle', tree(), '-o', join(temp(), 'x.zip'), '--lb', 'application', '-e', 'x'], {env})
      assert.equal(r.code, 2, r.stderr)
    })
  })
})

describe('the sample app is deployable as is', () => {
  const dirs: string[] = []
  after(async () => {
    await Promise.all(dirs.map((d) => rm(d, {recursive: true, force: true})))
  })
  const sample = join(ROOT, 'sample-app')

  it('carries the shipped .ebextensions/ebws-common.config and .platform/nginx/conf.d files, byte for byte', () => {
    const shipped = (sub: string) => filesUnder(join(ROOT, sub))
    const conf = shipped('.platform/nginx/conf.d')
    assert.ok(conf.length >= 2, conf.join(', '))
    assert.deepEqual(
      filesUnder(join(sample, '.platform')),
      conf.map((p) => `nginx/conf.d/${p}`),
      'sample-app/.platform holds exactly the shipped conf.d (the proxy-protocol variant stays opt-in)',
    )
    for (const p of conf) {
      assert.equal(
        readFileSync(join(sample, '.platform/nginx/conf.d', p), 'utf8'),
        readFileSync(join(ROOT, '.platform/nginx/conf.d', p), 'utf8'),
        `${p} is stale: copy .platform/nginx/conf.d/${p} to sample-app/`,
      )
    }
    // Only the common config: the layouts/*.config are templates with a placeholder certificate ARN.
    assert.deepEqual(filesUnder(join(sample, '.ebextensions')), ['ebws-common.config'])
    assert.equal(
      readFileSync(join(sample, '.ebextensions/ebws-common.config'), 'utf8'),
      readFileSync(join(ROOT, '.ebextensions/ebws-common.config'), 'utf8'),
    )
  })

  it('after `ebws local up` ran in it (TLS key in .ebws-local/), the bundle holds the app and its config, never the key', async () => {
    // A copy, so the repository's sample-app is never written to; local up runs for real with its state there.
    const copy = mkdtempSync(join(tmpdir(), 'ebws-sample-copy-'))
    dirs.push(copy)
    cpSync(sample, copy, {
      recursive: true,
      filter: (src) => !src.includes('/node_modules') && !src.endsWith('/.ebws-local'),
    })
    const stateDir = join(copy, '.ebws-local')
    const [https, http, app] = await freePorts(3)
    const upArgs = [
      'local',
      'up',
      '--state-dir',
      stateDir,
      '--local-https-port',
      String(https),
      '--local-http-port',
      String(http),
      '--app-port',
      String(app),
      '--json',
    ]
    const up = await runCli(upArgs, {env, timeoutMs: 60_000})
    try {
      assert.equal(up.code, 0, up.stdout + up.stderr)
      assert.ok(filesUnder(stateDir).includes('tls/localhost.key'), 'local up wrote its TLS key into the app folder')
      const out = join(copy, '..', `${relative(tmpdir(), copy)}.zip`)
      dirs.push(out)
      const r = await runCli(['bundle', copy, '--output', out, '--json'], {env})
      assert.equal(r.code, 0, r.stdout + r.stderr)
      const b = json<BundleJson>(r)
      const paths = b.entries.map((e) => e.path)
      assert.ok(!paths.some((p) => p.includes('.ebws-local')), paths.join('\n'))
      assert.match(b.notices.join('\n'), /\.ebws-local\/ left out/)
      for (const p of [
        'package.json',
        'server.js',
        '.ebextensions/ebws-common.config',
        '.platform/nginx/conf.d/ebws.conf',
        '.platform/nginx/conf.d/elasticbeanstalk/00_application.conf',
      ]) {
        assert.ok(paths.includes(p), `${p} is bundled`)
      }
      const human = await runCli(['bundle', copy, '--output', out], {env})
      assert.equal(human.code, 0, human.stderr)
      assert.match(human.stderr, /\.ebws-local\/ left out/, 'the notice is printed')
      assert.match(human.stdout, /^0644 +\d+ +server\.js$/m, 'the human listing: mode, size, path')
    } finally {
      const down = await runCli(['local', 'down', '--state-dir', stateDir], {env, timeoutMs: 30_000})
      assert.equal(down.code, 0, down.stdout + down.stderr)
    }
  })
})
