// Terminal vs CI (docs/cli-contract.md): on a real pseudo-terminal (util-linux `script`) mutating commands print the
// plan and ask before the first write; `n` stops with CANCELLED (exit 1) and zero writes on the bench, `y` applies,
// --yes applies without asking; off a terminal they apply without asking.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {after, before, describe, it} from 'node:test'

import {createScenario, LAYOUT_SETTINGS, startCliBench, type FullBench} from '../bench/scenario.ts'
import {ROOT, runCli, tempDir} from '../helpers/cli.ts'
import {deployBundle, TCP_LAYOUT} from './proxy-protocol/helpers.ts'

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
const PROMPT = 'Apply these changes? [y/N]'
const quote = (w: string) => `'${w.replace(/'/g, `'\\''`)}'`

interface TtyRun {
  code: number
  /** Everything the terminal showed (stdout, stderr and the echoed answer). */
  screen: string
  asked: boolean
}

/** Runs the CLI on a pseudo-terminal; answers `answer` once the prompt shows (or never, when undefined). */
function onTerminal(args: string[], env: Record<string, string>, answer?: string): Promise<TtyRun> {
  const command = [process.execPath, BIN, ...args].map(quote).join(' ')
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      // A temp dir of its own, as runCli gives: the CLI's code cache stays out of the system's.
      env: {...env, NO_COLOR: '1', TERM: 'xterm', TMPDIR: tempDir('ebws-tty-tmp-')},
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let screen = ''
    let asked = false
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.stdout.on('data', (d: Buffer) => {
      screen += d.toString()
      if (!asked && screen.includes(PROMPT)) {
        asked = true
        if (answer !== undefined) child.stdin.write(`${answer}\r`)
      }
    })
    child.stderr.on('data', (d: Buffer) => (screen += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code: code ?? -1, screen, asked})
    })
  })
}

describe('mutating commands ask on a terminal, apply off one', () => {
  let bench: FullBench
  let env: Record<string, string>
  const temp = mkdtempSync(join(tmpdir(), 'ebws-confirm-'))
  before(async () => {
    ;({bench, env} = await startCliBench())
  })
  after(async () => {
    await bench?.stop()
    rmSync(temp, {recursive: true, force: true})
  })
  const writes = () => bench.calls.actions({mutating: true})
  let backups = 0
  const backup = () => ['--backup-file', join(temp, `backup-${++backups}.json`)]

  /** `n` -> CANCELLED, exit 1, zero writes; then `y` -> applied, with writes. */
  async function declineThenAccept(args: string[], plan: RegExp): Promise<void> {
    bench.calls.clear()
    const no = await onTerminal(args, env, 'n')
    assert.ok(no.asked, `asked:\n${no.screen}`)
    assert.match(no.screen.split(PROMPT)[0]!, plan, 'the plan is shown before the question')
    assert.doesNotMatch(no.screen.split(PROMPT)[0]!, /dry run/, 'a plan to apply, not a dry run')
    assert.equal(no.code, 1, no.screen)
    assert.match(no.screen, /Error \(CANCELLED\): Not applied/)
    assert.deepEqual(writes(), [], 'declined: zero writes')

    const yes = await onTerminal(args, env, 'y')
    assert.ok(yes.asked, yes.screen)
    assert.equal(yes.code, 0, yes.screen)
    assert.ok(writes().length > 0, 'accepted: applied')
  }

  it('listeners fix and listeners restore', async () => {
    const s = await createScenario(bench, {certificates: [{kind: 'rsa2048'}], settings: () => LAYOUT_SETTINGS.tcp80()})
    const file = join(temp, 'fix.json')
    await declineThenAccept(
      ['listeners', 'fix', '-e', s.environmentName, '--certificate-arn', s.certificates[0]!.arn, '--backup-file', file],
      /create listener|SSL 443/i,
    )
    await declineThenAccept(['listeners', 'restore', '--from', file], /1\. /)
  })

  it('proxy-protocol enable and disable', async () => {
    const s = await createScenario(bench, {certificates: [{kind: 'rsa2048'}], settings: (c) => TCP_LAYOUT(c[0]!.arn)})
    await deployBundle(bench, s, 'proxy-nginx')
    await declineThenAccept(
      ['proxy-protocol', 'enable', '-e', s.environmentName, ...backup()],
      /Proxy Protocol on instance port 80/,
    )
    await declineThenAccept(
      ['proxy-protocol', 'disable', '-e', s.environmentName, ...backup()],
      /Proxy Protocol on instance port 80/,
    )
  })

  it('deploy: the plan is what it will upload and deploy', async () => {
    const s = await createScenario(bench, {})
    const dir = join(temp, 'app')
    mkdirSync(dir, {recursive: true})
    writeFileSync(join(dir, 'package.json'), '{"name":"demo","version":"1.0.0","scripts":{"start":"node app.js"}}')
    writeFileSync(join(dir, 'app.js'), 'console.log(1)\n')
    await declineThenAccept(
      ['deploy', dir, '-e', s.environmentName, '--label', 'v1'],
      /Plan: upload .* create application version v1 .* deploy v1 to /,
    )
  })

  it('--yes on a terminal applies without asking; off a terminal nothing asks', async () => {
    const a = await createScenario(bench, {certificates: [{kind: 'rsa2048'}], settings: () => LAYOUT_SETTINGS.tcp80()})
    bench.calls.clear()
    const yes = await onTerminal(
      ['listeners', 'fix', '-e', a.environmentName, '--certificate-arn', a.certificates[0]!.arn, '--yes', ...backup()],
      env,
    )
    assert.equal(yes.code, 0, yes.screen)
    assert.equal(yes.asked, false, yes.screen)
    assert.ok(writes().length > 0)

    const b = await createScenario(bench, {certificates: [{kind: 'rsa2048'}], settings: () => LAYOUT_SETTINGS.tcp80()})
    bench.calls.clear()
    const ci = await runCli(
      ['listeners', 'fix', '-e', b.environmentName, '--certificate-arn', b.certificates[0]!.arn, ...backup()],
      {env},
    )
    assert.equal(ci.code, 0, ci.stderr)
    assert.doesNotMatch(ci.stderr + ci.stdout, /Apply these changes/)
    assert.ok(writes().length > 0)

    // --dry-run on a terminal: the plan, no question, no write.
    bench.calls.clear()
    const dry = await onTerminal(
      [
        'listeners',
        'fix',
        '-e',
        b.environmentName,
        '--mode',
        'http',
        '--certificate-arn',
        b.certificates[0]!.arn,
        '--dry-run',
      ],
      env,
    )
    assert.equal(dry.code, 0, dry.screen)
    assert.equal(dry.asked, false)
    assert.deepEqual(writes(), [])
  })
})
