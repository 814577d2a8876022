import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {after, describe, it} from 'node:test'

import {parse} from 'yaml'

import Deploy from '../../../commands/deploy.ts'
import {ROOT} from '../../helpers/cli.ts'

const exec = promisify(execFile)

interface ActionYaml {
  inputs: Record<string, {required?: boolean; default?: string}>
  outputs: Record<string, unknown>
  runs: {using: string; steps: Array<{id?: string; run?: string; env?: Record<string, string>; uses?: string}>}
}

const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as ActionYaml
const step = action.runs.steps.find((s) => s.id === 'deploy')!
const tmp = mkdtempSync(join(tmpdir(), 'ebws-action-test-'))
after(() => rmSync(tmp, {recursive: true, force: true}))

/** Runs the action's script with a stand-in `npx` that records its arguments and answers with a canned result. */
async function runStep(inputs: Record<string, string>, answer: {json: unknown; code: number}) {
  const bin = join(tmp, 'bin')
  await exec('mkdir', ['-p', bin])
  const argsFile = join(tmp, 'args.json')
  writeFileSync(
    join(bin, 'npx'),
    `#!/bin/sh\nnode -e 'require("fs").writeFileSync(process.argv[1], JSON.stringify(process.argv.slice(2)))' ${JSON.stringify(argsFile)} "$@"\necho ${JSON.stringify(JSON.stringify(answer.json)).replace(/\$/g, '\\$')}\nexit ${answer.code}\n`,
  )
  chmodSync(join(bin, 'npx'), 0o755)
  const output = join(tmp, 'output')
  writeFileSync(output, '')
  const defaults = Object.fromEntries(Object.entries(action.inputs).map(([k, v]) => [k, v.default ?? '']))
  const values = {...defaults, ...inputs}
  const env: Record<string, string> = {PATH: `${bin}:${process.env.PATH}`, RUNNER_TEMP: tmp, GITHUB_OUTPUT: output, GITHUB_ACTION_PATH: ROOT}
  for (const [name, expr] of Object.entries(step.env!)) {
    const input = /inputs\.([a-z-]+)/.exec(expr)![1]!
    env[name] = values[input] ?? ''
  }
  let code = 0
  try {
    await exec('bash', ['-e', '-c', step.run!], {env})
  } catch (e) {
    code = (e as {code: number}).code
  }
  const outputs = Object.fromEntries(readFileSync(output, 'utf8').trim().split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
  return {code, args: JSON.parse(readFileSync(argsFile, 'utf8')) as string[], outputs}
}

describe('action.yml (composite action running ebws deploy)', () => {
  it('every input but the action\'s own mirrors a deploy flag', () => {
    const own = new Set(['environment', 'dir', 'ebws-version', 'setup-node'])
    for (const name of Object.keys(action.inputs)) {
      if (own.has(name)) continue
      assert.ok(name in Deploy.flags, `input ${name} has no --${name} flag`)
    }
    assert.equal(action.inputs.environment!.required, true)
    assert.equal(action.runs.using, 'composite')
  })

  it('passes inputs as flags, runs the package\'s own version, and sets outputs from the JSON result', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {version: string}
    const r = await runStep(
      {environment: 'my-env', dir: 'app', label: 'v1 "quoted" $(rm -rf x)', 'accept-yellow': 'true', wait: 'false', timeout: '15m'},
      {json: {ok: true, command: 'deploy', result: {status: 'deployed', reason: 'Ready', version: {label: 'v1'}, url: 'http://x.example', health: 'Green'}, error: null}, code: 0},
    )
    assert.equal(r.code, 0)
    assert.deepEqual(r.args, [
      '--yes', `ebws@${pkg.version}`,
      'deploy', '--environment', 'my-env', '--timeout', '15m', '--health-grace', '60s', '--symlinks', 'follow', '--json',
      'app', '--label', 'v1 "quoted" $(rm -rf x)', '--no-wait', '--accept-yellow',
    ])
    assert.equal(r.outputs.status, 'deployed')
    assert.equal(r.outputs['version-label'], 'v1')
    assert.equal(r.outputs.url, 'http://x.example')
    assert.equal(r.outputs.health, 'Green')
  })

  it('keeps the CLI\'s exit code (3: timed out) and still sets the outputs', async () => {
    const r = await runStep({environment: 'e', archive: 'build/app.zip', 'ebws-version': '9.9.9'}, {json: {ok: false, command: 'deploy', result: {status: 'timed-out', reason: 'slow', version: {label: 'v2'}}, error: {code: 'TIMEOUT', message: 'slow', hint: null, exitCode: 3}}, code: 3})
    assert.equal(r.code, 3)
    assert.deepEqual(r.args.slice(0, 2), ['--yes', 'ebws@9.9.9'])
    assert.ok(r.args.includes('--archive') && !r.args.includes('.'), r.args.join(' '))
    assert.equal(r.outputs.status, 'timed-out')
  })
})
