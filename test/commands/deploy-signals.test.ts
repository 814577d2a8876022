// Every way a command ends on a signal prints what any error prints: with --json exactly one envelope on stdout
// (INTERRUPTED, exit 130), without it the message on stderr and nothing on stdout. deploy at each point it can be
// stopped (waiting for Ready, uploading, deploying), and a second signal (listeners fix, exiting at once).
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {after, before, describe, it} from 'node:test'

import {createScenario, LAYOUT_SETTINGS, startCliBench, type FullBench} from '../bench/scenario.ts'
import {envelope, runCli, type CliResult} from '../helpers/cli.ts'
import {readBack} from './proxy-protocol/helpers.ts'

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
const CHILD_TMP = mkdtempSync(join(tmpdir(), 'ebws-sig-children-'))
after(() => rmSync(CHILD_TMP, {recursive: true, force: true}))

/** Runs the CLI and, once stderr matches `at`, sends each signal `delayMs` after the previous one. */
function runAndSignal(
  args: string[],
  env: Record<string, string>,
  at: RegExp,
  signals: Array<{signal: NodeJS.Signals; delayMs: number}>,
): Promise<CliResult & {signalled: boolean}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: {...env, NO_COLOR: '1', TMPDIR: CHILD_TMP},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    let armed = false
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
      if (armed || !at.test(stderr)) return
      armed = true
      void (async () => {
        for (const s of signals) {
          await new Promise((r) => setTimeout(r, s.delayMs))
          if (child.exitCode === null) child.kill(s.signal)
        }
      })()
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code: code ?? -1, stdout, stderr, signalled: armed})
    })
  })
}

interface Interrupted {
  signal: string
  label: string | null
  versionCreated: boolean
  updateRequested: boolean
  updateStarted: boolean
}

describe('signals end in exactly one --json envelope (local AWS bench)', () => {
  let bench: FullBench
  let env: Record<string, string>
  const dirs: string[] = []
  before(async () => {
    ;({bench, env} = await startCliBench())
  })
  after(async () => {
    for (const d of dirs) rmSync(d, {recursive: true, force: true})
    await bench?.stop()
  })
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'ebws-sig-'))
    dirs.push(d)
    return d
  }
  let n = 0
  const app = (extra: Record<string, Buffer> = {}) => {
    const dir = tmp()
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({name: 'demo', version: '1.0.0', scripts: {start: 'node app.js'}}),
    )
    writeFileSync(join(dir, 'app.js'), `console.log(${JSON.stringify(`${dir}-${++n}`)})\n`)
    for (const [p, c] of Object.entries(extra)) {
      mkdirSync(join(dir, p, '..'), {recursive: true})
      writeFileSync(join(dir, p), c)
    }
    return dir
  }
  const ebWrites = () => bench.calls.actions({service: 'elasticbeanstalk', mutating: true})
  const s3Writes = () => bench.calls.actions({service: 's3', mutating: true})

  /** Exactly one envelope on stdout: INTERRUPTED, exit 130, with deploy's progress in details. */
  const interrupted = (r: CliResult): {message: string; details: Interrupted} => {
    assert.equal(r.code, 130, `${r.stdout}\n${r.stderr}`)
    const doc = envelope(r) // JSON.parse of the whole of stdout: one document, nothing before or after it
    assert.equal(doc.command, 'deploy')
    assert.equal(doc.result, null)
    assert.equal(doc.error?.code, 'INTERRUPTED')
    return {message: doc.error!.message, details: doc.error!.details as unknown as Interrupted}
  }

  it('deploy --json, SIGTERM while waiting for the environment to be Ready: one envelope, exit 130, nothing written', async () => {
    const s = await createScenario(bench, {status: 'Updating'})
    bench.calls.clear()
    const r = await runAndSignal(
      ['deploy', app(), '-e', s.environmentName, '--json'],
      env,
      /Waiting for .* to be Ready/,
      [{signal: 'SIGTERM', delayMs: 200}],
    )
    const {message, details} = interrupted(r)
    assert.match(message, /^Interrupted by SIGTERM: .*nothing was deployed to /)
    assert.deepEqual(
      {versionCreated: details.versionCreated, updateStarted: details.updateStarted, signal: details.signal},
      {versionCreated: false, updateStarted: false, signal: 'SIGTERM'},
    )
    assert.deepEqual(ebWrites(), [])
    bench.eb.setEnvironment(s.environmentName, {status: 'Ready'})
  })

  it('deploy --json, SIGINT during a held upload part: one envelope, exit 130, no version created, nothing deployed', async () => {
    const s = await createScenario(bench, {})
    bench.calls.clear()
    bench.faults.latency(10_000, {service: 's3', action: 'UploadPart'})
    let r: CliResult
    try {
      r = await runAndSignal(
        ['deploy', app({'assets/blob.bin': randomBytes(6 * 1024 * 1024)}), '-e', s.environmentName, '--json'],
        {...env, EBWS_UPLOAD_PART_BYTES: String(5 * 1024 * 1024)},
        /Uploading .* \(multipart/,
        [{signal: 'SIGINT', delayMs: 400}],
      )
    } finally {
      bench.faults.clear()
    }
    const {details} = interrupted(r)
    assert.equal(details.versionCreated, false)
    assert.equal(details.updateStarted, false)
    assert.ok(!s3Writes().includes('CompleteMultipartUpload'), s3Writes().join(', '))
    assert.ok(!ebWrites().includes('CreateApplicationVersion') && !ebWrites().includes('UpdateEnvironment'))
  })

  it('deploy --json, SIGTERM once the deployment is sent: one envelope naming the version and the update', async () => {
    const s = await createScenario(bench, {})
    bench.faults.latency(300, {service: 'elasticbeanstalk'})
    let r: CliResult
    try {
      r = await runAndSignal(['deploy', app(), '-e', s.environmentName, '--json'], env, /Deploying /, [
        {signal: 'SIGTERM', delayMs: 50},
      ])
    } finally {
      bench.faults.clear()
    }
    const {details, message} = interrupted(r)
    assert.equal(details.versionCreated, true)
    assert.ok(details.updateRequested || details.updateStarted, JSON.stringify(details))
    assert.match(message, new RegExp(`application version ${details.label} exists`))
    await bench.eb.idle()
  })

  it('deploy without --json: the message on stderr, nothing on stdout, exit 130', async () => {
    const s = await createScenario(bench, {status: 'Updating'})
    const r = await runAndSignal(['deploy', app(), '-e', s.environmentName], env, /Waiting for .* to be Ready/, [
      {signal: 'SIGINT', delayMs: 200},
    ])
    assert.equal(r.code, 130, r.stderr)
    assert.equal(r.stdout, '')
    assert.match(
      r.stderr,
      /Error \(INTERRUPTED\): Interrupted by SIGINT: (no application version was created|application version \S+ was not created); nothing was deployed/,
    )
    bench.eb.setEnvironment(s.environmentName, {status: 'Ready'})
  })

  it('listeners fix --json, a second signal exiting at once: one envelope with the restore command; it puts the load balancer back', async () => {
    const s = await createScenario(bench, {certificates: [{kind: 'rsa2048'}], settings: () => LAYOUT_SETTINGS.tcp80()})
    const backup = join(tmp(), 'snap.json')
    bench.faults.latency(400, {service: 'elb', mutating: true})
    let r: CliResult
    try {
      r = await runAndSignal(
        [
          'listeners',
          'fix',
          '-e',
          s.environmentName,
          '--certificate-arn',
          s.certificates[0]!.arn,
          '--apply-to',
          'elb',
          '--backup-file',
          backup,
          '--json',
        ],
        env,
        /Saved the current load balancer/,
        [
          {signal: 'SIGTERM', delayMs: 100},
          {signal: 'SIGTERM', delayMs: 50},
        ],
      )
    } finally {
      bench.faults.clear()
    }
    assert.equal(r.code, 130, `${r.stdout}\n${r.stderr}`)
    const doc = envelope(r)
    assert.equal(doc.command, 'listeners fix')
    assert.equal(doc.error?.code, 'INTERRUPTED')
    assert.match(doc.error!.message, /^Received SIGTERM again: exiting now, without finishing\./)
    assert.ok(doc.error!.message.split('\n').includes(`ebws listeners restore --from ${backup}`), doc.error!.message)
    assert.deepEqual(doc.error!.details, {signal: 'SIGTERM', finished: false})
    // Let the writes already sent land, then run the command it printed.
    await new Promise((res) => setTimeout(res, 600))
    const restored = await runCli(['listeners', 'restore', '--from', backup, '--json'], {env})
    assert.equal(restored.code, 0, restored.stderr)
    assert.deepEqual((await readBack(bench, env, s)).listeners, ['TCP 80 -> TCP 80'])
  })
})
