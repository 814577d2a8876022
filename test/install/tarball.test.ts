// The package as a stranger gets it: `npm pack`, installed with `npm i -g --prefix` into a fresh prefix with a fresh
// HOME, then the installed `ebws` run on Node at the engines floor (test/install/node22: node@22.2.0) and on Node 24,
// with nothing on PATH but that Node, the prefix's bin and the system (HAProxy). The smoke set: --version, -v,
// version, help, a mistyped command, listeners show against the local AWS bench, local up / local down with the
// sample app, and the library entry points.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {promisify} from 'node:util'

import {createScenario, LAYOUT_SETTINGS, startCliBench, type FullBench} from '../bench/scenario.ts'
import {freePorts, get} from '../e2e/helpers.ts'
import {envelope, json, jsonError, ROOT, type CliResult} from '../helpers/cli.ts'

const exec = promisify(execFile)
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {version: string; engines: {node: string}}
const NODES = [
  {
    name: 'Node 22.2.0 (engines floor)',
    bin: join(ROOT, 'test', 'install', 'node22', 'node_modules', 'node', 'bin', 'node'),
    version: 'v22.2.0',
  },
  {name: 'Node 24', bin: join(ROOT, 'node_modules', 'node', 'bin', 'node'), version: process.version},
]

const work = mkdtempSync(join(tmpdir(), 'ebws-install-'))
const prefix = join(work, 'prefix')
const home = join(work, 'home')
const tmp = join(work, 'tmp')
after(() => rmSync(work, {recursive: true, force: true}))

/** Runs the installed `ebws` (the prefix's bin link, through `#!/usr/bin/env node`) on the given Node. */
async function ebws(
  node: string,
  args: string[],
  extra: {env?: Record<string, string>; cwd?: string} = {},
): Promise<CliResult> {
  const env = {
    ...extra.env,
    PATH: `${dirname(node)}:${join(prefix, 'bin')}:/usr/sbin:/usr/bin:/sbin:/bin`,
    HOME: home,
    TMPDIR: tmp,
    NO_COLOR: '1',
  }
  try {
    const {stdout, stderr} = await exec('ebws', args, {env, cwd: extra.cwd ?? work, timeout: 60_000})
    return {code: 0, stdout, stderr}
  } catch (e) {
    const err = e as {code: number; stdout: string; stderr: string}
    return {code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout, stderr: err.stderr}
  }
}

describe('the npm pack tarball, installed globally in a fresh prefix', () => {
  let bench: FullBench
  let benchEnv: Record<string, string>
  let environmentName: string

  before(async () => {
    mkdirSync(home)
    mkdirSync(tmp)
    // --ignore-scripts: `npm test` has built dist/ already (prepare would build it again).
    const packed = await exec('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
      cwd: ROOT,
      env: {...process.env, HOME: home, TMPDIR: tmp},
    })
    const tarball = join(work, (JSON.parse(packed.stdout) as Array<{filename: string}>)[0]!.filename)
    // npm itself runs on this (test) Node; the package has no dependencies, so nothing is fetched.
    // Without the npm_* variables of an enclosing `npm test` (they would point npm at this workspace).
    const npmEnv: Record<string, string | undefined> = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')),
    )
    Object.assign(npmEnv, {HOME: home, TMPDIR: tmp, npm_config_cache: join(home, '.npm')})
    const installed = await exec(
      'npm',
      ['install', '--global', '--prefix', prefix, '--no-fund', '--no-audit', tarball],
      {env: npmEnv},
    )
    assert.match(installed.stdout, /added 1 package/, 'the installed package needs no dependencies')
    ;({bench, env: benchEnv} = await startCliBench())
    const s = await createScenario(bench, {
      certificates: [{kind: 'rsa2048'}],
      settings: (c) => LAYOUT_SETTINGS.websocket(c[0]!.arn),
    })
    environmentName = s.environmentName
  })
  after(async () => bench?.stop())

  it('installs one package: no node_modules of its own, a LICENSE, engines naming the 22.x that has zlib.crc32', () => {
    const dir = join(prefix, 'lib', 'node_modules', 'ebws')
    assert.ok(!readdirSync(dir).includes('node_modules'), readdirSync(dir).join(' '))
    assert.match(readFileSync(join(dir, 'LICENSE'), 'utf8'), /^MIT License/)
    assert.equal(pkg.engines.node, '>=22.2.0')
  })

  for (const node of NODES) {
    describe(node.name, () => {
      it('--version, -v, version (and version --json as the envelope), help', async () => {
        for (const args of [['--version'], ['-v'], ['version']]) {
          const r = await ebws(node.bin, args)
          assert.equal(r.code, 0, r.stderr)
          assert.equal(r.stdout.trim(), `ebws/${pkg.version} linux-x64 node-${node.version}`)
        }
        const v = json<{cliVersion: string; nodeVersion: string}>(await ebws(node.bin, ['version', '--json']))
        assert.deepEqual([v.cliVersion, v.nodeVersion], [`ebws/${pkg.version}`, `node-${node.version}`])
        const help = await ebws(node.bin, ['help'])
        assert.equal(help.code, 0, help.stderr)
        for (const topic of ['listeners', 'local', 'proxy-protocol', 'deploy', 'autocomplete'])
          assert.match(help.stdout, new RegExp(`^  ${topic} `, 'm'))
        const show = await ebws(node.bin, ['help', 'listeners', 'show'])
        assert.match(show.stdout, /\$ ebws listeners show/)
        assert.match(show.stdout, /EXIT CODES/)
      })

      it('a mistyped command: did you mean, exit 2 (the envelope with --json)', async () => {
        const r = await ebws(node.bin, ['listners', 'show'])
        assert.equal(r.code, 2)
        assert.match(r.stderr, /COMMAND_NOT_FOUND/)
        assert.match(r.stderr, /Did you mean: ebws listeners show/)
        const e = jsonError(await ebws(node.bin, ['listners', 'show', '--json']))
        assert.equal(e.code, 'COMMAND_NOT_FOUND')
      })

      it('listeners show against the local AWS bench', async () => {
        const r = await ebws(node.bin, ['listeners', 'show', '-e', environmentName, '--json'], {env: benchEnv})
        const report = json<{verdict: {layout: string; ok: boolean}}>(r)
        assert.deepEqual([report.verdict.layout, report.verdict.ok], ['websocket', true])
      })

      it('local up serves the sample app over HTTPS with its Socket.io client; local down stops it', async () => {
        const cwd = mkdtempSync(join(work, 'local-'))
        const [https, http, app] = (await freePorts(3)) as [number, number, number]
        const ports = [
          '--local-https-port',
          String(https),
          '--local-http-port',
          String(http),
          '--app-port',
          String(app),
        ]
        const up = await ebws(node.bin, ['local', 'up', ...ports, '--json'], {cwd})
        try {
          assert.equal(envelope(up).ok, true, up.stderr)
          const page = await get(`https://localhost:${https}/`)
          assert.equal(page.status, 200)
          assert.match(page.body, /<title>ebws sample/)
          const client = await get(`https://localhost:${https}/socket.io/socket.io.min.js`)
          assert.equal(client.status, 200)
          assert.match(client.body, /Socket\.IO v4/)
          assert.equal((await get(`http://localhost:${http}/x`)).status, 301)
          // The self-signed certificate's key: only this user can read it.
          for (const f of ['tls', 'tls/localhost.key', 'tls/localhost.pem'])
            assert.equal(statSync(join(cwd, '.ebws-local', f)).mode & 0o077, 0, f)
        } finally {
          const down = await ebws(node.bin, ['local', 'down', '--json'], {cwd})
          assert.equal(envelope(down).ok, true, down.stderr)
        }
        await assert.rejects(get(`https://localhost:${https}/`), 'nothing listens after local down')
      })
    })
  }

  it("the library: import 'ebws' and 'ebws/redirect' from the installed package", async () => {
    const script = `const lib = await import('ebws'); const r = await import('ebws/redirect'); console.log(typeof lib.planListenerChanges, typeof r.httpsRedirect)`
    for (const node of NODES) {
      const {stdout} = await exec(node.bin, ['--input-type=module', '-e', script], {
        cwd: join(prefix, 'lib'),
        env: {PATH: '/usr/bin:/bin', HOME: home, TMPDIR: tmp},
      })
      assert.equal(stdout.trim(), 'function function', node.name)
    }
  })
})
