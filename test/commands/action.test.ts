// action.yml executed the way a GitHub runner executes a composite action, against the local AWS bench: each `run`
// step in order, through `bash --noprofile --norc -eo pipefail` (GitHub's bash), with its `${{ inputs.* }}` env
// values filled in from the inputs and their defaults, `if: inputs.x == 'true'` evaluated, and GITHUB_ACTION_PATH,
// GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_WORKSPACE, RUNNER_TEMP and GITHUB_ACTIONS set. `uses:` steps
// (actions/setup-node) are the runner's business: PATH starts with this test's Node 24 instead. GITHUB_ACTION_PATH
// is this checkout, which `npm test` has built, so the build step finds dist/ and skips its `npm ci` (CI's own
// `npm ci` is that step's command).
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {parse} from 'yaml'

import Deploy from '../../commands/deploy.ts'
import {createScenario, startCliBench, type FullBench} from '../bench/scenario.ts'
import {ROOT} from '../helpers/cli.ts'

interface Step {
  id?: string
  if?: string
  uses?: string
  shell?: string
  run?: string
  env?: Record<string, string>
}
interface ActionYaml {
  inputs: Record<string, {required?: boolean; default?: string}>
  outputs: Record<string, {value: string}>
  runs: {using: string; steps: Step[]}
}

const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as ActionYaml
const work = mkdtempSync(join(tmpdir(), 'ebws-action-test-'))
after(() => rmSync(work, {recursive: true, force: true}))

/** `${{ inputs.name }}` -> the input's value; anything else in an expression is not something this action uses. */
function expand(text: string, inputs: Record<string, string>): string {
  return text.replace(/\$\{\{\s*inputs\.([a-z-]+)\s*\}\}/g, (_, name: string) => inputs[name] ?? '')
}
function condition(expr: string, inputs: Record<string, string>): boolean {
  const m = /^inputs\.([a-z-]+) == '([^']*)'$/.exec(expr.trim())
  assert.ok(m, `an if: this test cannot evaluate: ${expr}`)
  return inputs[m[1]!] === m[2]
}
function readOutputs(file: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  )
}

let runs = 0
/** Runs the action's steps with these inputs; returns the step exit code, the action's outputs, summary and log. */
async function runAction(given: Record<string, string>, benchEnv: Record<string, string>, workspace: string) {
  const dir = join(work, `run-${++runs}`)
  mkdirSync(dir)
  const inputs = {...Object.fromEntries(Object.entries(action.inputs).map(([k, v]) => [k, v.default ?? ''])), ...given}
  const files = {GITHUB_OUTPUT: join(dir, 'output'), GITHUB_STEP_SUMMARY: join(dir, 'summary.md')}
  for (const f of Object.values(files)) writeFileSync(f, '')
  const base = {
    ...benchEnv,
    ...files,
    PATH: `${dirname(process.execPath)}:/usr/sbin:/usr/bin:/sbin:/bin`,
    HOME: join(dir, 'home'),
    TMPDIR: join(dir, 'tmp'),
    RUNNER_TEMP: join(dir, 'runner-temp'),
    GITHUB_ACTION_PATH: ROOT,
    GITHUB_WORKSPACE: workspace,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
  }
  for (const d of [base.HOME, base.TMPDIR, base.RUNNER_TEMP]) mkdirSync(d)
  let log = ''
  let code = 0
  const stepOutputs: Record<string, Record<string, string>> = {}
  for (const step of action.runs.steps) {
    if (step.if && !condition(step.if, inputs)) continue
    if (step.uses) continue
    assert.equal(step.shell, 'bash')
    const script = join(dir, `${step.id}.sh`)
    writeFileSync(script, step.run!)
    writeFileSync(files.GITHUB_OUTPUT, '')
    const env = {...base, ...Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(v, inputs)]))}
    code = await new Promise<number>((resolve, reject) => {
      const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
        cwd: workspace,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      child.stdout.on('data', (d: Buffer) => (log += d.toString()))
      child.stderr.on('data', (d: Buffer) => (log += d.toString()))
      child.on('error', reject)
      child.on('close', (c) => resolve(c ?? -1))
    })
    if (step.id) stepOutputs[step.id] = readOutputs(files.GITHUB_OUTPUT)
    if (code !== 0) break // a failed step fails the action; later steps do not run
  }
  const outputs = Object.fromEntries(
    Object.entries(action.outputs).map(([name, o]) => {
      const m = /^\$\{\{ steps\.([a-z-]+)\.outputs\.([a-z-]+) \}\}$/.exec(o.value)!
      return [name, stepOutputs[m[1]!]?.[m[2]!] ?? '']
    }),
  )
  return {code, outputs, summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'), log}
}

describe('action.yml (the composite action, run as a runner runs it, against the local AWS bench)', () => {
  let bench: FullBench
  let env: Record<string, string>
  let workspace: string
  before(async () => {
    ;({bench, env} = await startCliBench({stepMs: 10}))
    workspace = join(work, 'workspace')
    // The repository the workflow checked out: an app folder in it.
    const files: Record<string, string> = {
      'app/package.json': JSON.stringify({name: 'demo', version: '1.0.0', scripts: {start: 'node app.js'}}),
      'app/app.js': `console.log('action test ${Date.now()}')\n`,
    }
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(workspace, path)), {recursive: true})
      writeFileSync(join(workspace, path), content)
    }
  })
  after(async () => bench?.stop())

  it('builds from its own checkout (composite, says why) and maps every input but dir and setup-node to a deploy flag', () => {
    assert.equal(action.runs.using, 'composite')
    assert.match(readFileSync(join(ROOT, 'action.yml'), 'utf8'), /Chosen over a committed, built entry\s+#\s+because/)
    assert.ok(
      !action.runs.steps.some((s) => /npx|ebws@/.test(s.run ?? '')),
      'nothing runs ebws from npm (it is not published)',
    )
    for (const name of Object.keys(action.inputs)) {
      if (name === 'dir' || name === 'setup-node') continue
      assert.ok(name in Deploy.flags, `input ${name} has no --${name} flag`)
    }
    assert.equal(action.inputs.environment!.required, true)
  })

  it('a good deploy: exit 0, outputs from the result, a job summary; the environment runs the new version', async () => {
    const s = await createScenario(bench, {})
    const r = await runAction(
      {environment: s.environmentName, dir: 'app', label: 'v1 "quoted" $(touch pwned)', timeout: '2m'},
      env,
      workspace,
    )
    assert.equal(r.code, 0, r.log)
    assert.equal(r.outputs.status, 'deployed')
    assert.equal(
      r.outputs['version-label'],
      'v1 "quoted" $(touch pwned)',
      'inputs reach the CLI as data, never as shell',
    )
    assert.equal(r.outputs.health, 'Green')
    assert.match(r.outputs.url!, /^http:\/\//)
    assert.equal(r.outputs['error-code'], '')
    assert.equal(bench.eb.environment(s.environmentName).versionLabel, 'v1 "quoted" $(touch pwned)')
    assert.ok(!existsSync(join(workspace, 'pwned')))
    assert.match(r.summary, /^### ebws deploy: deployed$/m)
    assert.match(r.summary, new RegExp(`\\| Environment \\| ${s.environmentName} \\|`))
    const envelope = JSON.parse(readFileSync(r.outputs['result-file']!, 'utf8')) as {
      ok: boolean
      command: string
      result: {status: string}
    }
    assert.deepEqual([envelope.ok, envelope.command, envelope.result.status], [true, 'deploy', 'deployed'])
    assert.doesNotMatch(r.log, /::error::/)
  })

  it('a failed deploy: the step fails with the CLI exit code 1, an ::error:: annotation, outputs and summary say failed', async () => {
    const s = await createScenario(bench, {})
    bench.eb.scriptNextDeployment({outcome: 'fail', environment: s.environmentName})
    const r = await runAction({environment: s.environmentName, dir: 'app', label: 'v-fail'}, env, workspace)
    assert.equal(r.code, 1, r.log)
    assert.equal(r.outputs.status, 'failed')
    assert.equal(r.outputs['version-label'], 'v-fail')
    assert.equal(r.outputs['error-code'], 'DEPLOY_FAILED')
    assert.match(r.log, /^::error::Deploy of .* failed: ERROR event: Instance deployment failed/m)
    assert.match(r.summary, /^### ebws deploy: failed$/m)
    assert.match(r.summary, /\*\*DEPLOY_FAILED\*\* \(exit 1\)/)
  })

  it('bad input: the step fails with exit 2 and an annotation, and nothing is written to AWS', async () => {
    const s = await createScenario(bench, {})
    bench.calls.clear()
    // Caught by the action: not a boolean.
    const notBool = await runAction({environment: s.environmentName, dir: 'app', wait: 'maybe'}, env, workspace)
    assert.equal(notBool.code, 2, notBool.log)
    assert.match(notBool.log, /^::error::ebws deploy: the input wait must be "true" or "false", not "maybe"$/m)
    assert.match(notBool.summary, /bad input/)
    // Caught by the CLI: a timeout that is no duration, and an app folder that does not exist.
    const badTimeout = await runAction({environment: s.environmentName, dir: 'app', timeout: 'soon'}, env, workspace)
    assert.equal(badTimeout.code, 2, badTimeout.log)
    assert.equal(badTimeout.outputs['error-code'], 'BAD_FLAG')
    assert.match(badTimeout.log, /^::error::/m)
    const noDir = await runAction({environment: s.environmentName, dir: 'no-such-folder'}, env, workspace)
    assert.equal(noDir.code, 2, noDir.log)
    assert.equal(noDir.outputs['error-code'], 'FILE_NOT_FOUND')
    assert.equal(noDir.outputs.status, '')
    assert.match(noDir.summary, /stopped: FILE_NOT_FOUND/)
    assert.equal(bench.calls.count({mutating: true}), 0, bench.calls.actions({mutating: true}).join(' '))
  })
})
