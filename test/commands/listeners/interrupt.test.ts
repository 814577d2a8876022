// SIGINT/SIGTERM (a cancelled CI job) at many points of a change: the load balancer always ends as it was or as
// planned, read back with the AWS CLI; an interrupted run says so and exits 130; a second signal prints the restore
// command before exiting.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {after, before, describe, it} from 'node:test'

import {createScenario, LAYOUT_SETTINGS, startCliBench, type FullBench, type Scenario} from '../../bench/scenario.ts'
import {envelope, runCli, type CliResult} from '../../helpers/cli.ts'
import {readBack, settingsOf, TCP_LAYOUT} from '../proxy-protocol/helpers.ts'

const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url))

/**
 * The children's temp dir (snapshots written by default, deploy's work folder): this file's own, removed at the end,
 * so nothing lands in the system temp dir, as runCli does for the other tests.
 */
const CHILD_TMP = mkdtempSync(join(tmpdir(), 'ebws-int-children-'))
after(() => rmSync(CHILD_TMP, {recursive: true, force: true}))

/**
 * Runs the CLI and sends `signals` (each `delayMs` after the previous one; the first `delayMs` after the snapshot
 * line, i.e. just before the first write).
 */
function runAndSignal(
  args: string[],
  env: Record<string, string>,
  signals: Array<{signal: NodeJS.Signals; delayMs: number}>,
): Promise<CliResult> {
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
      if (!armed && /Saved the current load balancer|Putting back|✔/.test(stderr)) {
        armed = true
        void (async () => {
          for (const s of signals) {
            await new Promise((r) => setTimeout(r, s.delayMs))
            if (child.exitCode === null) child.kill(s.signal)
          }
        })()
      }
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code: code ?? (signal ? -1 : -1), stdout, stderr})
    })
  })
}

describe('signals while a change is applied', () => {
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
    const d = mkdtempSync(join(tmpdir(), 'ebws-int-'))
    dirs.push(d)
    return d
  }

  const ORIGINAL = ['TCP 80 -> TCP 80']
  const TARGET = ['HTTP 80 -> HTTP 80', 'SSL 443 -> TCP 80']

  it('listeners fix: SIGTERM or SIGINT at 12 points of the write phase ends in the original or the target state, never half-changed', async () => {
    // 150 ms on every load balancer write stretches the write phase (~4 dependent writes) to ~600 ms.
    bench.faults.latency(150, {service: 'elb', mutating: true})
    const seen = {original: 0, target: 0}
    try {
      for (const [i, delayMs] of [0, 20, 60, 100, 150, 200, 260, 320, 400, 480, 560, 700].entries()) {
        const s: Scenario = await createScenario(bench, {
          certificates: [{kind: 'rsa2048'}],
          settings: () => LAYOUT_SETTINGS.tcp80(),
        })
        const signal = i % 2 === 0 ? 'SIGTERM' : 'SIGINT'
        const r = await runAndSignal(
          [
            'listeners',
            'fix',
            '-e',
            s.environmentName,
            '--certificate-arn',
            s.certificates[0]!.arn,
            '--apply-to',
            'elb',
            '--json',
          ],
          env,
          [{signal, delayMs}],
        )
        const listeners = (await readBack(bench, env, s)).listeners
        if (r.code === -1) {
          // The signal came after the run had finished and printed its result (the guard was gone): killed on exit.
          assert.equal((JSON.parse(r.stdout) as {ok: boolean}).ok, true, r.stdout)
          assert.deepEqual(listeners, TARGET, `${signal} at +${delayMs} ms, after the end`)
          seen.target++
          continue
        }
        const doc = envelope(r)
        if (r.code === 130) {
          assert.equal(doc.error?.code, 'INTERRUPTED', r.stdout)
          assert.match(doc.error!.message, new RegExp(`Interrupted by ${signal}`))
          assert.deepEqual(listeners, ORIGINAL, `${signal} at +${delayMs} ms: rolled back\n${r.stderr}`)
          assert.match(r.stderr, /stopping at the next safe point and restoring the load balancer/)
          seen.original++
        } else {
          assert.equal(r.code, 0, `${signal} at +${delayMs} ms: ${r.stdout}${r.stderr}`)
          assert.deepEqual(listeners, TARGET, `${signal} at +${delayMs} ms: finished`)
          seen.target++
        }
      }
    } finally {
      bench.faults.clear()
    }
    assert.ok(
      seen.original >= 6,
      `most signals arrived during the writes and were rolled back: ${JSON.stringify(seen)}`,
    )
  })

  it('listeners fix --apply-to both: a signal while waiting for Ready leaves the change made and says the environment may still be updating', async () => {
    const s = await createScenario(bench, {certificates: [{kind: 'rsa2048'}], settings: () => LAYOUT_SETTINGS.tcp80()})
    // Slow Beanstalk reads stretch the wait for Ready after UpdateEnvironment.
    bench.faults.latency(300, {service: 'elasticbeanstalk', action: 'DescribeEvents'})
    try {
      // Send the signal once the settings are being applied.
      const r = await new Promise<CliResult>((resolve) => {
        const p = spawn(
          process.execPath,
          [BIN, 'listeners', 'fix', '-e', s.environmentName, '--certificate-arn', s.certificates[0]!.arn, '--json'],
          {env: {...env, NO_COLOR: '1', TMPDIR: CHILD_TMP}, stdio: ['ignore', 'pipe', 'pipe']},
        )
        let stdout = ''
        let stderr = ''
        let sent = false
        p.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
        p.stderr.on('data', (d: Buffer) => {
          stderr += d.toString()
          if (!sent && /waiting for Ready/.test(stderr) && p.exitCode === null) {
            sent = true
            p.kill('SIGTERM')
          }
        })
        p.on('close', (code) => resolve({code: code ?? -1, stdout, stderr}))
      })
      const doc = envelope(r)
      if (r.code === 130) {
        assert.equal(doc.error?.code, 'INTERRUPTED')
        assert.match(doc.error!.message, /change is complete, but the environment may still be Updating/)
        assert.match(doc.error!.hint ?? '', /^ebws listeners restore --from \S+$/m)
      } else {
        assert.equal(r.code, 0, r.stderr)
      }
      assert.deepEqual((await readBack(bench, env, s)).listeners, TARGET)
    } finally {
      bench.faults.clear()
    }
  })

  it('a second signal exits at once and prints the restore command first; that command puts the load balancer back', async () => {
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
        ],
        env,
        [
          {signal: 'SIGTERM', delayMs: 100},
          {signal: 'SIGTERM', delayMs: 50},
        ],
      )
    } finally {
      bench.faults.clear()
    }
    assert.equal(r.code, 130, r.stderr)
    assert.match(r.stderr, /Received SIGTERM again: exiting now/)
    const line = r.stderr.split('\n').find((l) => l.startsWith('ebws listeners restore --from '))
    assert.equal(line, `ebws listeners restore --from ${backup}`, r.stderr)
    // Let the writes already sent land, then run the printed command.
    await new Promise((res) => setTimeout(res, 600))
    const restored = await runCli(['listeners', 'restore', '--from', backup, '--json'], {env})
    assert.equal(restored.code, 0, restored.stderr)
    assert.deepEqual((await readBack(bench, env, s)).listeners, ORIGINAL)
  })

  it('proxy-protocol enable and disable: a signal during the writes rolls back (exit 130)', async () => {
    bench.faults.latency(200, {service: 'elb', mutating: true})
    try {
      for (const action of ['enable', 'disable'] as const) {
        const s = await createScenario(bench, {
          certificates: [{kind: 'rsa2048'}],
          settings: (c) =>
            [
              ...TCP_LAYOUT(c[0]!.arn),
              ...(action === 'disable'
                ? ([
                    ['aws:elb:policies:pp', 'ProxyProtocol', 'true'],
                    ['aws:elb:policies:pp', 'InstancePorts', '80'],
                  ] as const)
                : []),
            ].map((x) => [...x] as [string, string, string]),
        })
        const before = await readBack(bench, env, s)
        const r = await runAndSignal(
          [
            'proxy-protocol',
            action,
            '-e',
            s.environmentName,
            ...(action === 'enable' ? ['--skip-app-check'] : []),
            '--apply-to',
            'elb',
            '--json',
          ],
          env,
          [{signal: 'SIGINT', delayMs: 50}],
        )
        assert.equal(r.code, 130, `${action}: ${r.stdout}${r.stderr}`)
        assert.equal(envelope(r).error?.code, 'INTERRUPTED')
        assert.deepEqual(await readBack(bench, env, s), before, `${action}: back as it was`)
      }
    } finally {
      bench.faults.clear()
    }
  })

  it('deploy: a signal says how far it got (version created? update started?) and exits 130', async () => {
    const s = await createScenario(bench, {})
    for (const [at, said] of [
      [
        /Bundle: /,
        /Interrupted by SIGTERM: (no application version was created|application version \S+ was not created); nothing was deployed to /,
      ],
      [
        /Deploying /,
        /Interrupted by SIGTERM: application version \S+ exists; (the deployment to \S+ was started and goes on without ebws: the environment may still be Updating|UpdateEnvironment was sent)/,
      ],
    ] as const) {
      const app = tmp()
      mkdirSync(join(app, 'src'))
      writeFileSync(
        join(app, 'package.json'),
        JSON.stringify({name: 'demo', version: '1.0.0', scripts: {start: 'node app.js'}}),
      )
      writeFileSync(join(app, 'app.js'), `console.log(${JSON.stringify(app)})\n`)
      bench.faults.latency(300, {service: 'elasticbeanstalk'})
      let r: CliResult
      try {
        r = await new Promise<CliResult>((resolve) => {
          const p = spawn(process.execPath, [BIN, 'deploy', app, '-e', s.environmentName], {
            env: {...env, NO_COLOR: '1', TMPDIR: CHILD_TMP},
            stdio: ['ignore', 'pipe', 'pipe'],
          })
          let stdout = ''
          let stderr = ''
          let sent = false
          p.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
          p.stderr.on('data', (d: Buffer) => {
            stderr += d.toString()
            if (!sent && at.test(stderr)) {
              sent = true
              p.kill('SIGTERM')
            }
          })
          p.on('close', (code) => resolve({code: code ?? -1, stdout, stderr}))
        })
      } finally {
        bench.faults.clear()
      }
      assert.equal(r.code, 130, r.stderr)
      assert.match(r.stderr, said)
      await bench.eb.idle()
    }
  })

  it('listeners restore: a signal lets the restore finish (it is the way back), then exits 130', async () => {
    const s = await createScenario(bench, {certificates: [{kind: 'rsa2048'}], settings: () => LAYOUT_SETTINGS.tcp80()})
    const backup = join(tmp(), 'snap.json')
    const fixed = await runCli(
      [
        'listeners',
        'fix',
        '-e',
        s.environmentName,
        '--certificate-arn',
        s.certificates[0]!.arn,
        '--backup-file',
        backup,
        '--json',
      ],
      {env},
    )
    assert.equal(fixed.code, 0, fixed.stderr)
    bench.faults.latency(200, {service: 'elb', mutating: true})
    let r: CliResult
    try {
      r = await runAndSignal(['listeners', 'restore', '--from', backup, '--json'], env, [
        {signal: 'SIGTERM', delayMs: 10},
      ])
    } finally {
      bench.faults.clear()
    }
    assert.equal(r.code, 130, r.stdout + r.stderr)
    assert.equal(envelope(r).error?.code, 'INTERRUPTED')
    assert.deepEqual((await readBack(bench, env, s)).listeners, ORIGINAL)
    assert.equal(
      (await settingsOf(bench, env, s, 'aws:elb:listener:443')).ListenerProtocol,
      undefined,
      'the settings fix wrote were put back too',
    )
  })
})
