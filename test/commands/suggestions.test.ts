// Every command ebws suggests runs as printed (docs/cli-contract.md): each one is collected from real output - the
// `Fix it:` line of `listeners show`, `Hint:` lines on stderr, `error.hint` in --json, the snapshot and `local down`
// lines - and run on the local AWS bench exactly as printed (split into words the way a shell would, nothing
// substituted). It must be accepted and succeed.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {after, before, describe, it} from 'node:test'

import {createScenario, LAYOUT_SETTINGS, startCliBench, type FullBench, type Setting} from '../bench/scenario.ts'
import {freePorts} from '../e2e/helpers.ts'
import {jsonError, runCli, type CliResult} from '../helpers/cli.ts'

const exec = promisify(execFile)

const COMMAND = String.raw`(?:ebws (?:listeners|proxy-protocol|deploy|bundle|local|doctor|cert|dns)|aws (?:elb|acm|elasticbeanstalk|s3api|s3)) `

/** The commands in a text: `quoted` ones, else one that runs to the end of its line, a closing parenthesis, or ` (`. */
export function suggestedCommands(text: string): string[] {
  const out: string[] = []
  for (const line of text.split('\n')) {
    const quoted = [...line.matchAll(new RegExp(`\`(${COMMAND}[^\`]+)\``, 'g'))].map((m) => m[1]!)
    if (quoted.length > 0) {
      out.push(...quoted)
      continue
    }
    // The command ends at the line's end, at a closing parenthesis, or where a parenthesised explanation starts.
    const m = new RegExp(`(?:^|[\\s(:])(${COMMAND}[^)\`]*?)(?=\\s\\(|\\)|\\.?\\s*$)`).exec(line)
    if (m) out.push(m[1]!)
  }
  return out
}

/** Words as a POSIX shell splits them (single quotes, as ebws prints them; nothing else is expanded). */
function words(command: string): string[] {
  const out: string[] = []
  for (const m of command.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g))
    out.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]!)
  return out
}

/** The hint block of a human error: each `Hint: ` line and its indented continuation lines (base-command.ts). */
const hintLines = (stderr: string) => {
  const out: string[] = []
  let inHint = false
  for (const l of stderr.split('\n')) {
    if (l.startsWith('Hint: ')) inHint = true
    else if (!(inHint && l.startsWith('      '))) inHint = false
    if (inHint) out.push(l.replace(/^(Hint: | {6})/, ''))
  }
  return out.join('\n')
}

describe('suggested commands run as printed (local AWS bench)', () => {
  let bench: FullBench
  let env: Record<string, string>
  const temp = mkdtempSync(join(tmpdir(), 'ebws-suggestions-'))
  let app: Server | undefined
  const ran: string[] = []
  before(async () => {
    ;({bench, env} = await startCliBench())
  })
  after(async () => {
    await bench?.stop()
    await new Promise((r) => (app ? app.close(r) : r(undefined)))
    rmSync(temp, {recursive: true, force: true})
  })

  /** Runs a suggestion as printed (`a && b`: each in turn); it must be a real, complete command that succeeds. */
  async function runSuggestion(command: string): Promise<CliResult> {
    assert.doesNotMatch(command, /<[^>]*>|YOUR_|\bENV\b|\.\.\.|…/, `no placeholder in: ${command}`)
    const parts = command.split(' && ')
    let last: CliResult | undefined
    for (const part of parts) last = await runOne(part)
    ran.push(command)
    return last!
  }

  async function runOne(command: string): Promise<CliResult> {
    const [program, ...args] = words(command)
    let r: CliResult
    if (program === 'ebws') r = await runCli(args, {env, cwd: temp, timeoutMs: 90_000})
    else {
      r = await exec(program!, args, {env, cwd: temp}).then(
        ({stdout, stderr}) => ({code: 0, stdout, stderr}),
        (e: {code: number; stdout: string; stderr: string}) => ({code: e.code, stdout: e.stdout, stderr: e.stderr}),
      )
    }
    assert.doesNotMatch(
      r.stderr,
      /Error \((BAD_FLAG|COMMAND_NOT_FOUND|ENV_MISSING|REGION_MISSING)\)/,
      `${command}\n${r.stderr}`,
    )
    assert.equal(r.code, 0, `${command}\n${r.stdout}\n${r.stderr}`)
    return r
  }

  const show = async (environment: string) => {
    const r = await runCli(['listeners', 'show', '-e', environment], {env})
    assert.equal(r.code, 0, r.stderr)
    const fixLine = r.stdout.split('\n').find((l) => l.startsWith('Fix it: '))
    assert.ok(fixLine, `a Fix it line:\n${r.stdout}`)
    return fixLine
  }

  const TCP_80_SSL_443 = (cert: string): Setting[] => [...LAYOUT_SETTINGS.websocket(cert), ...LAYOUT_SETTINGS.tcp80()]

  it("listeners show: the fix names the current certificate's domain, and runs", async () => {
    const s = await createScenario(bench, {
      certificates: [{kind: 'rsa2048', domain: 'app.example.com'}],
      settings: (c) => TCP_80_SSL_443(c[0]!.arn),
    })
    const [fix, ...more] = suggestedCommands(await show(s.environmentName))
    assert.deepEqual(more, [])
    assert.equal(
      fix,
      `ebws listeners fix -e ${s.environmentName} --region us-east-1 --domain app.example.com --dry-run`,
    )
    const r = await runSuggestion(fix!)
    assert.match(r.stdout, /Plan \(dry run, nothing changed\)/)
  })

  it('listeners show --https-port 8443: the fix keeps the ports it was judged on, and runs', async () => {
    const s = await createScenario(bench, {
      certificates: [{kind: 'rsa2048', domain: 'app.example.com'}],
      settings: (c) => [
        ['aws:elb:listener:8443', 'ListenerProtocol', 'SSL'],
        ['aws:elb:listener:8443', 'InstancePort', '80'],
        ['aws:elb:listener:8443', 'InstanceProtocol', 'TCP'],
        ['aws:elb:listener:8443', 'SSLCertificateId', c[0]!.arn],
        ...LAYOUT_SETTINGS.tcp80(),
      ],
    })
    const r = await runCli(['listeners', 'show', '-e', s.environmentName, '--https-port', '8443'], {env})
    const [fix] = suggestedCommands(r.stdout.split('\n').find((l) => l.startsWith('Fix it: ')) ?? '')
    assert.equal(
      fix,
      `ebws listeners fix -e ${s.environmentName} --region us-east-1 --https-port 8443 --domain app.example.com --dry-run`,
    )
    const plan = await runSuggestion(fix!)
    assert.match(plan.stdout, /8443/)
  })

  it('listeners show: a wildcard certificate is named by its ARN, and the fix runs', async () => {
    const s = await createScenario(bench, {
      certificates: [{kind: 'wildcard'}],
      settings: (c) => TCP_80_SSL_443(c[0]!.arn),
    })
    const [fix] = suggestedCommands(await show(s.environmentName))
    assert.equal(
      fix,
      `ebws listeners fix -e ${s.environmentName} --region us-east-1 --certificate-arn ${s.certificates[0]!.arn} --dry-run`,
    )
    await runSuggestion(fix!)
  })

  it('listeners show: with no usable certificate it prints no fix command, and the command it does print runs', async () => {
    const none = await createScenario(bench)
    const expired = await createScenario(bench, {
      certificates: [{kind: 'expired'}],
      settings: (c) => TCP_80_SSL_443(c[0]!.arn),
    })
    for (const s of [none, expired]) {
      const line = await show(s.environmentName)
      assert.match(line, /needs an ACM certificate/)
      const commands = suggestedCommands(line)
      assert.deepEqual(commands, ['aws acm list-certificates --region us-east-1'], line)
      const listed = JSON.parse((await runSuggestion(commands[0]!)).stdout) as {CertificateSummaryList: unknown[]}
      assert.ok(Array.isArray(listed.CertificateSummaryList))
    }
  })

  it('proxy-protocol enable refused over an HTTP listener: the listeners fix it suggests (Hint: and error.hint) runs', async () => {
    const s = await createScenario(bench, {
      certificates: [{kind: 'rsa2048'}],
      settings: (c) => LAYOUT_SETTINGS.websocket(c[0]!.arn),
    })
    const human = await runCli(['proxy-protocol', 'enable', '-e', s.environmentName, '--skip-app-check'], {env})
    assert.equal(human.code, 2)
    const fromHints = suggestedCommands(hintLines(human.stderr))
    const fromJson = suggestedCommands(
      jsonError(
        await runCli(['proxy-protocol', 'enable', '-e', s.environmentName, '--skip-app-check', '--json'], {env}),
      ).hint ?? '',
    )
    assert.deepEqual(fromJson, fromHints)
    assert.deepEqual(fromHints, [
      `ebws listeners fix -e ${s.environmentName} --region us-east-1 --mode proxy --certificate-arn ${s.certificates[0]!.arn} --dry-run`,
    ])
    const r = await runSuggestion(fromHints[0]!)
    assert.match(r.stdout, /mode proxy/)
  })

  it('listeners fix: the printed restore command of the snapshot runs and puts the load balancer back', async () => {
    const s = await createScenario(bench, {certificates: [{kind: 'rsa2048'}]})
    const r = await runCli(
      [
        'listeners',
        'fix',
        '-e',
        s.environmentName,
        '--certificate-arn',
        s.certificates[0]!.arn,
        '--backup-file',
        join(temp, 'fix backup.json'),
      ],
      {env},
    )
    assert.equal(r.code, 0, r.stderr)
    const [restore, ...more] = suggestedCommands(r.stdout)
    assert.deepEqual(more, [])
    assert.match(restore!, /^ebws listeners restore --from '.*fix backup\.json'$/)
    await runSuggestion(restore!)
    const after = await runCli(['listeners', 'show', '-e', s.environmentName, '--json'], {env})
    assert.equal(
      (JSON.parse(after.stdout) as {result: {verdict: {layout: string}}}).result.verdict.layout,
      'none',
      'back to the default listeners',
    )
  })

  it('ROLLBACK_FAILED: the restore command in its hint runs', async () => {
    const s = await createScenario(bench, {certificates: [{kind: 'rsa2048'}]})
    bench.faults.failNthMutating(3, 'ValidationError', {service: 'elb'})
    bench.faults.error(20, 'ValidationError', {service: 'elb', action: 'DeleteLoadBalancerListeners'})
    const args = [
      'listeners',
      'fix',
      '-e',
      s.environmentName,
      '--certificate-arn',
      s.certificates[0]!.arn,
      '--apply-to',
      'elb',
      '--backup-file',
      join(temp, `rollback-${s.environmentName}.json`),
    ]
    const r = await runCli(args, {env})
    bench.faults.clear()
    assert.equal(r.code, 5, r.stderr)
    const [restore] = suggestedCommands(hintLines(r.stderr))
    assert.ok(restore, r.stderr)
    await runSuggestion(restore)
  })

  it('a TIMEOUT waiting for Ready: the listeners show in its hint runs', async () => {
    const s = await createScenario(bench, {certificates: [{kind: 'rsa2048'}], status: 'Updating'})
    const r = await runCli(
      [
        'listeners',
        'fix',
        '-e',
        s.environmentName,
        '--certificate-arn',
        s.certificates[0]!.arn,
        '--timeout',
        '1s',
        '--json',
      ],
      {env},
    )
    const error = jsonError(r)
    assert.equal(error.code, 'TIMEOUT')
    const commands = suggestedCommands(error.hint ?? '')
    assert.deepEqual(commands, [`ebws listeners show -e ${s.environmentName}`])
    await runSuggestion(commands[0]!)
  })

  it('local up: the `local down` it prints (and the one LOCAL_ALREADY_RUNNING suggests) stops that stack', async () => {
    app = createServer((_req, res) => res.end('ok'))
    await new Promise<void>((r) => app!.listen(0, '127.0.0.1', r))
    const appPort = String((app.address() as {port: number}).port)
    const [https, http] = (await freePorts(2)) as [number, number]
    // Not 'local state': HAProxy's generated config does not quote paths yet (a space breaks it).
    const stateDir = join(temp, 'local-state')
    const up = [
      'local',
      'up',
      '--app',
      'external',
      '--app-port',
      appPort,
      '--local-https-port',
      String(https),
      '--local-http-port',
      String(http),
      '--state-dir',
      stateDir,
    ]
    const first = await runCli(up, {env})
    assert.equal(first.code, 0, first.stderr)
    try {
      const stop = suggestedCommands(first.stdout)
      assert.equal(stop.length, 1, first.stdout)
      const again = await runCli(up, {env})
      assert.equal(again.code, 2)
      assert.deepEqual(suggestedCommands(hintLines(again.stderr)), stop, 'the same command')
      const down = await runSuggestion(stop[0]!)
      assert.match(down.stdout, /Stopped haproxy/)
    } finally {
      await runCli(['local', 'down', '--state-dir', stateDir], {env})
    }
  })

  it('doctor --local: the fix it names for a layout without WebSockets runs, and doctor passes afterwards', async () => {
    const [https, http, appPort] = (await freePorts(3)) as [number, number, number]
    const stateDir = join(temp, 'doctor-local')
    const up = await runCli(
      [
        'local',
        'up',
        '--mode',
        'http',
        '--app-port',
        String(appPort),
        '--local-https-port',
        String(https),
        '--local-http-port',
        String(http),
        '--state-dir',
        stateDir,
      ],
      {env},
    )
    assert.equal(up.code, 0, up.stderr)
    try {
      const doctor = await runCli(['doctor', '--local', '--state-dir', stateDir], {env, timeoutMs: 60_000})
      assert.equal(doctor.code, 1, doctor.stdout + doctor.stderr)
      const fixes = [
        ...new Set(
          suggestedCommands(
            doctor.stdout
              .split('\n')
              .filter((l) => /^\s+fix: /.test(l))
              .join('\n'),
          ),
        ),
      ]
      assert.equal(fixes.length, 1, doctor.stdout)
      assert.match(fixes[0]!, /^ebws local down --state-dir \S+ && ebws local up --mode websocket /)
      await runSuggestion(fixes[0]!)
      const again = await runCli(['doctor', '--local', '--state-dir', stateDir], {env, timeoutMs: 60_000})
      assert.equal(again.code, 0, again.stdout + again.stderr)
    } finally {
      await runCli(['local', 'down', '--state-dir', stateDir], {env})
    }
  })

  it('ran every suggestion it found', () => {
    assert.ok(ran.length >= 11, ran.join('\n'))
  })
})
