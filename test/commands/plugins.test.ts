// Help, version, shell completion and command-not-found come from oclif's own plugins, bundled into the CLI
// (scripts/build-cli.ts) and adapted to the CLI contract by src/cli/plugins.ts. (From the installed tarball:
// test/install/tarball.test.ts.)
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {envelope, json, jsonError, ROOT, runCli} from '../helpers/cli.ts'

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {version: string}
const home = mkdtempSync(join(tmpdir(), 'ebws-plugins-home-'))
after(() => rmSync(home, {recursive: true, force: true}))
// A HOME of its own: autocomplete writes its cache under ~/.cache/ebws. (runCli gives each run its own TMPDIR;
// onTerminal's runs use this one.)
const env = {PATH: process.env.PATH ?? '', HOME: home, XDG_CACHE_HOME: join(home, '.cache'), TMPDIR: home}
const versionLine = `ebws/${pkg.version} ${process.platform}-${process.arch} node-${process.version}`

/** Runs the CLI on a pseudo-terminal (util-linux `script`), answering `answer` to the first prompt. */
function onTerminal(args: string[], answer: string): Promise<{code: number; out: string}> {
  return new Promise((resolve, reject) => {
    const cmd = [process.execPath, join(ROOT, 'bin', 'run.js'), ...args].map((a) => `'${a}'`).join(' ')
    const child = spawn('script', ['-qec', cmd, '/dev/null'], {
      env: {...env, NO_COLOR: '1', TERM: 'xterm'},
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let out = ''
    let answered = false
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (!answered && out.includes('(Y/n)')) {
        answered = true
        child.stdin.write(`${answer}\n`)
      }
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      child.stdin.destroy()
      resolve({code: code ?? -1, out})
    })
  })
}

describe("oclif's plugins, bundled", () => {
  it('version: --version, -v and `version` print the same line; `version --json` is the envelope', async () => {
    for (const args of [['--version'], ['-v'], ['version']]) {
      const r = await runCli(args, {env})
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.stdout.trim(), versionLine, args.join(' '))
    }
    const doc = envelope<{cliVersion: string; nodeVersion: string; architecture: string}>(
      await runCli(['version', '--json'], {env}),
    )
    assert.equal(doc.command, 'version')
    assert.deepEqual(
      [doc.result!.cliVersion, doc.result!.nodeVersion],
      [`ebws/${pkg.version}`, `node-${process.version}`],
    )
  })

  it("help: `ebws help` lists topics and commands; `help <command>` is that command's --help", async () => {
    const r = await runCli(['help'], {env})
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^TOPICS$/m)
    for (const name of ['listeners', 'local', 'proxy-protocol', 'deploy', 'help', 'version', 'autocomplete'])
      assert.match(r.stdout, new RegExp(`^  ${name} `, 'm'), name)
    const viaHelp = await runCli(['help', 'listeners', 'fix'], {env})
    const viaFlag = await runCli(['listeners', 'fix', '--help'], {env})
    assert.equal(viaHelp.code, 0, viaHelp.stderr)
    assert.equal(viaHelp.stdout, viaFlag.stdout)
    assert.match(viaHelp.stdout, /EXIT CODES/)
  })

  it('autocomplete: the bash completion it generates knows the commands and their flags', async () => {
    const r = await runCli(['autocomplete', 'bash'], {env})
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /ebws autocomplete script bash/)
    const script = await runCli(['autocomplete', 'script', 'bash'], {env})
    assert.equal(script.code, 0, script.stderr)
    const setup = /EBWS_AC_BASH_SETUP_PATH=(\S+)/.exec(script.stdout)
    assert.ok(setup, script.stdout)
    const functions = readFileSync(
      join(home, '.cache', 'ebws', 'autocomplete', 'functions', 'bash', 'ebws.bash'),
      'utf8',
    )
    assert.match(functions, /^listeners:fix .*--domain/m)
    assert.match(functions, /^deploy .*--timeout/m)
  })

  it('a mistyped command: COMMAND_NOT_FOUND, exit 2, with the closest command as "did you mean"', async () => {
    const r = await runCli(['listners', 'show', '-e', 'x'], {env})
    assert.equal(r.code, 2)
    assert.equal(r.stdout, '')
    assert.match(r.stderr, /^Error \(COMMAND_NOT_FOUND\): listners show is not an ebws command\.$/m)
    assert.match(r.stderr, /^Hint: Did you mean: ebws listeners show$/m)
    const deplo = await runCli(['deplo', './app'], {env})
    assert.equal(deplo.code, 2)
    assert.match(deplo.stderr, /Did you mean: ebws deploy$/m)
  })

  it('a mistyped command with --json: exactly the error envelope on stdout', async () => {
    const r = await runCli(['proxy-protocl', 'status', '--json'], {env})
    assert.equal(r.code, 2)
    assert.deepEqual(JSON.parse(r.stdout), {
      ok: false,
      command: 'proxy-protocl status',
      result: null,
      error: {
        code: 'COMMAND_NOT_FOUND',
        message: 'proxy-protocl status is not an ebws command.',
        hint: 'Did you mean: ebws proxy-protocol status\nRun ebws help for the list of commands.',
        exitCode: 2,
        details: {suggestion: 'proxy-protocol status'},
      },
    })
    assert.equal(jsonError(r).exitCode, 2)
  })

  it('on a terminal, the plugin asks "Did you mean": yes runs the suggestion, no is COMMAND_NOT_FOUND (exit 2)', async () => {
    const yes = await onTerminal(['versio'], 'y')
    assert.match(yes.out, /Did you mean version\?/)
    assert.equal(yes.code, 0, yes.out)
    assert.ok(yes.out.includes(versionLine), yes.out)
    const no = await onTerminal(['versio'], 'n')
    assert.equal(no.code, 2, no.out)
    assert.match(no.out, /Error \(COMMAND_NOT_FOUND\): Run ebws help for a list of available commands\./)
  })

  it('a real command is never "not found"', async () => {
    assert.equal(
      json<{cliVersion: string}>(await runCli(['version', '--json'], {env})).cliVersion,
      `ebws/${pkg.version}`,
    )
  })
})
