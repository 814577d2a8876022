// The --json contract (docs/cli-contract.md): the committed schemas are what the result types give, and real
// outputs of every command, run against the local AWS bench (and a real HAProxy for `local`), match them - success
// and error envelopes alike.
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {Ajv} from 'ajv'
import type {ValidateFunction} from 'ajv'

import {committedSchemas, generateSchemas} from '../../scripts/generate-schemas.ts'
import {ERROR_CODES, type ErrorCode} from '../../src/cli/errors.ts'
import {schemaFileName} from '../../src/cli/results.ts'
import {createScenario, LAYOUT_SETTINGS, startCliBench, type FullBench} from '../bench/scenario.ts'
import {freePorts} from '../e2e/helpers.ts'
import {envelope, ROOT, runCli, type CliResult} from '../helpers/cli.ts'
import {deployBundle, TCP_LAYOUT} from './proxy-protocol/helpers.ts'

const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, unknown>
}
// ebws's own commands (commands/**.ts); help, version and autocomplete are oclif plugins' (bundled into the manifest).
const commands = Object.keys(manifest.commands)
  .filter((id) => existsSync(join(ROOT, 'commands', ...id.split(':')) + '.ts'))
  .map((id) => id.split(':').join(' '))

describe('schemas/ is generated from the result types', () => {
  it('the committed schemas are exactly what npm run generate:schemas writes', () => {
    const generated = generateSchemas()
    const committed = committedSchemas()
    assert.deepEqual([...committed.keys()].sort(), [...generated.keys()].sort(), 'the same files')
    for (const [file, text] of generated)
      assert.equal(committed.get(file), text, `schemas/${file} is stale: run npm run generate:schemas`)
  })

  it('`status` means one thing per place (docs/cli-contract.md): the outcome at the top, an AWS Status inside a resource', () => {
    const OUTCOMES = new Set([
      'dry-run',
      'already-in-shape',
      'applied',
      'emitted',
      'planned',
      'deployed',
      'failed',
      'timed-out',
      'issued',
      'pending-validation',
      'linked',
      'already-linked',
    ])
    const AWS_RESOURCES = new Set(['CertificateInfo', 'EnvironmentInfo'])
    const STEP_RESULTS = new Set(['CertRequestResult', 'DnsLinkResult'])
    const VERDICTS: Record<string, string[]> = {Check: ['pass', 'warn', 'fail', 'skip']}
    type Node = {$ref?: string; properties?: Record<string, Node>; enum?: string[]; type?: string; anyOf?: Node[]}
    for (const [file, text] of committedSchemas()) {
      if (file === 'envelope.json') continue
      const schema = JSON.parse(text) as Node & {definitions: Record<string, Node>}
      const deref = (n: Node): Node =>
        n.$ref ? deref(schema.definitions[decodeURIComponent(n.$ref.replace('#/definitions/', ''))]!) : n
      // A result that depends on the load balancer type is a union (anyOf): each member is a top-level result.
      const members = (n: Node): Node[] => {
        const d = deref(n)
        return d.anyOf ? [d, ...d.anyOf.flatMap(members)] : [d]
      }
      // Unions may nest (listeners fix: the per-type result with its security-group step, or the one-command path).
      const tops = members(schema)
      for (const t of tops) {
        const topStatus = t.properties?.status
        if (!topStatus) continue
        const values = deref(topStatus).enum ?? []
        assert.ok(
          values.length > 0 && values.every((v) => OUTCOMES.has(v)),
          `${file}: a top-level status is an outcome (${values.join(', ')})`,
        )
      }
      for (const [name, def] of Object.entries(schema.definitions)) {
        if (tops.includes(def) || !def.properties?.status) continue
        // Another command's result carried as a step (listeners fix --request-certificate --link-dns holds cert
        // request's and dns link's results): its status is that command's outcome.
        if (STEP_RESULTS.has(name)) {
          assert.ok(
            (deref(def.properties.status).enum ?? []).every((v) => OUTCOMES.has(v)),
            `${file}: ${name}.status`,
          )
          continue
        }
        if (VERDICTS[name]) {
          assert.deepEqual(deref(def.properties.status).enum, VERDICTS[name], `${file}: ${name}.status is a verdict`)
          continue
        }
        assert.ok(
          AWS_RESOURCES.has(name),
          `${file}: ${name}.status is neither the outcome, a verdict, nor an AWS resource's Status`,
        )
        assert.deepEqual(
          [def.properties.status.type, def.properties.status.enum],
          ['string', undefined],
          `${file}: ${name}.status is AWS's string, verbatim`,
        )
      }
    }
  })

  it('every command has a schema for its result', () => {
    const files = new Set(committedSchemas().keys())
    for (const command of commands)
      assert.ok(
        files.has(schemaFileName(command)),
        `schemas/${schemaFileName(command)} for "${command}" (add it to CommandResults in src/cli/results.ts)`,
      )
  })
})

describe('real --json outputs match the schemas (local AWS bench)', () => {
  const ajv = new Ajv({allErrors: true, strict: true})
  const load = (file: string): ValidateFunction =>
    ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schemas', file), 'utf8')) as object)
  const envelopeSchema = load('envelope.json')
  const resultSchemas = new Map(commands.map((c) => [c, load(schemaFileName(c))]))
  const seen = {ok: new Set<string>(), error: new Set<string>()}

  let bench: FullBench
  let env: Record<string, string>
  const temp = mkdtempSync(join(tmpdir(), 'ebws-contract-'))
  before(async () => {
    ;({bench, env} = await startCliBench())
  })
  after(async () => {
    await bench?.stop()
    rmSync(temp, {recursive: true, force: true})
  })

  const explain = (v: ValidateFunction) => ajv.errorsText(v.errors, {separator: '\n  '})

  /** Runs a command with --json and checks its one document: envelope, result schema, error code and exit code. */
  async function check(
    args: string[],
    expect: 'ok' | ErrorCode,
    opts: {cwd?: string} = {},
  ): Promise<CliResult & {doc: ReturnType<typeof envelope>}> {
    const r = await runCli([...args, '--json'], {env, timeoutMs: 90_000, ...opts})
    const doc = envelope(r)
    assert.ok(envelopeSchema(doc), `${args.join(' ')}: envelope.json\n  ${explain(envelopeSchema)}\n${r.stdout}`)
    const command = commands.find((c) => args.join(' ').startsWith(`${c} `) || args.join(' ') === c)
    assert.ok(command, `a known command: ${args.join(' ')}`)
    assert.equal(doc.command, command)
    const validate = resultSchemas.get(command)!
    if (doc.result !== null)
      assert.ok(
        validate(doc.result),
        `${command}: schemas/${schemaFileName(command)}\n  ${explain(validate)}\n${r.stdout}`,
      )
    if (expect === 'ok') {
      assert.equal(r.code, 0, `${args.join(' ')}\n${r.stdout}\n${r.stderr}`)
      assert.notEqual(doc.result, null)
      seen.ok.add(command)
    } else {
      assert.equal(doc.error?.code, expect, `${args.join(' ')}\n${r.stdout}\n${r.stderr}`)
      assert.equal(r.code, ERROR_CODES[expect].exitCode)
      seen.error.add(command)
    }
    return {...r, doc}
  }

  it('listeners show / fix / restore', async () => {
    const s = await createScenario(bench, {certificates: [{kind: 'rsa2048', domain: 'app.example.com'}]})
    await check(['listeners', 'show', '-e', s.environmentName], 'ok')
    await check(['listeners', 'show', '-e', 'no-such-env'], 'ENV_NOT_FOUND')
    await check(['listeners', 'fix', '-e', s.environmentName, '--domain', 'app.example.com', '--dry-run'], 'ok')
    await check(
      ['listeners', 'fix', '-e', s.environmentName, '--domain', 'other.example.org', '--dry-run'],
      'CERT_NOT_FOUND',
    )
    const backup = join(temp, 'backup.json')
    const applied = await check(
      ['listeners', 'fix', '-e', s.environmentName, '--domain', 'app.example.com', '--backup-file', backup],
      'ok',
    )
    assert.equal((applied.doc.result as {status: string}).status, 'applied')
    await check(['listeners', 'show', '-e', s.environmentName], 'ok')
    await check(['listeners', 'restore', '--from', backup, '--dry-run'], 'ok')
    await check(['listeners', 'restore', '--from', backup], 'ok')
    const notSnapshot = join(temp, 'not-a-snapshot.json')
    writeFileSync(notSnapshot, '{"hello": 1}\n')
    await check(['listeners', 'restore', '--from', notSnapshot], 'SNAPSHOT_INVALID')
    await check(['listeners', 'restore', '--from', join(temp, 'missing.json')], 'FILE_NOT_FOUND')
    await check(['listeners', 'fix', '-e', s.environmentName, '--timeout', 'soon'], 'BAD_FLAG')
  })

  it('proxy-protocol status / enable / disable', async () => {
    const s = await createScenario(bench, {certificates: [{kind: 'rsa2048'}], settings: (c) => TCP_LAYOUT(c[0]!.arn)})
    await deployBundle(bench, s, 'proxy-nginx')
    await check(['proxy-protocol', 'status', '-e', s.environmentName], 'ok')
    await check(['proxy-protocol', 'status', '-e', 'no-such-env'], 'ENV_NOT_FOUND')
    await check(['proxy-protocol', 'enable', '-e', s.environmentName, '--dry-run'], 'ok')
    await check(['proxy-protocol', 'enable', '-e', s.environmentName, '--backup-file', join(temp, 'enable.json')], 'ok')
    await check(['proxy-protocol', 'status', '-e', s.environmentName, '--instance-port', '80'], 'ok')
    await check(
      ['proxy-protocol', 'disable', '-e', s.environmentName, '--backup-file', join(temp, 'disable.json')],
      'ok',
    )
    await check(['proxy-protocol', 'disable', '-e', 'no-such-env'], 'ENV_NOT_FOUND')
    // An HTTP listener feeds port 80: enabling there would break it.
    const ws = await createScenario(bench, {
      certificates: [{kind: 'rsa2048'}],
      settings: (c) => LAYOUT_SETTINGS.websocket(c[0]!.arn),
    })
    await check(['proxy-protocol', 'enable', '-e', ws.environmentName, '--skip-app-check'], 'UNSAFE_CHANGE')
  })

  it('deploy: planned, deployed, failed (the error envelope carries what was done)', async () => {
    const s = await createScenario(bench, {})
    const dir = join(temp, 'app')
    for (const [path, content] of Object.entries({
      'package.json': '{"name":"demo","version":"1.0.0","scripts":{"start":"node app.js"}}',
      'app.js': 'console.log(1)\n',
    })) {
      mkdirSync(dirname(join(dir, path)), {recursive: true})
      writeFileSync(join(dir, path), content)
    }
    await check(['deploy', dir, '-e', s.environmentName, '--dry-run'], 'ok')
    await check(['deploy', dir, '-e', s.environmentName, '--label', 'v1'], 'ok')
    await check(['deploy', dir, '-e', s.environmentName, '--label', 'bad/label'], 'BAD_FLAG')
    writeFileSync(join(dir, 'app.js'), 'console.log(2)\n')
    bench.eb.scriptNextDeployment({outcome: 'fail', environment: s.environmentName})
    const failed = await check(['deploy', dir, '-e', s.environmentName, '--label', 'v2'], 'DEPLOY_FAILED')
    assert.equal(
      (failed.doc.result as {status: string} | null)?.status,
      'failed',
      'the failed deploy result is in the envelope',
    )
  })

  it('bundle: the listing, and a refused secret', async () => {
    const dir = join(temp, 'bundle-app')
    mkdirSync(dir, {recursive: true})
    writeFileSync(join(dir, 'package.json'), '{"name":"demo","scripts":{"start":"node app.js"}}')
    await check(['bundle', dir, '--output', join(temp, 'bundle.zip')], 'ok')
    writeFileSync(join(dir, '.env'), 'TOKEN=1')
    await check(['bundle', dir, '--output', join(temp, 'bundle.zip')], 'SECRET_IN_BUNDLE')
  })

  it('local up / status / down, and doctor --local (a real HAProxy in front of the sample app)', async () => {
    const [https, http, appPort, closed] = (await freePorts(4)) as [number, number, number, number]
    const stateDir = join(temp, 'local')
    const local = (verb: string, ...args: string[]) => ['local', verb, '--state-dir', stateDir, ...args]
    await check(local('status'), 'ok')
    await check(['doctor', '--local', '--state-dir', stateDir], 'FILE_NOT_FOUND')
    await check(
      local(
        'up',
        '--app',
        'external',
        '--app-port',
        String(closed),
        '--local-https-port',
        String(https),
        '--local-http-port',
        String(http),
      ),
      'APP_NOT_LISTENING',
    )
    try {
      await check(
        local(
          'up',
          '--app-port',
          String(appPort),
          '--local-https-port',
          String(https),
          '--local-http-port',
          String(http),
        ),
        'ok',
      )
      const status = await check(local('status'), 'ok')
      assert.equal((status.doc.result as {running: boolean}).running, true)
      await check(['doctor', '--local', '--state-dir', stateDir], 'ok')
    } finally {
      await check(local('down'), 'ok')
    }
    await check(local('down', '--no-such-flag'), 'BAD_FLAG')
    await check(local('status', '--no-such-flag'), 'BAD_FLAG')
  })

  it('cert request / dns link (ACM + Route 53 on the bench)', async () => {
    const {Route53Client, CreateHostedZoneCommand} = await import('@aws-sdk/client-route-53')
    const r53 = new Route53Client({
      region: bench.region,
      endpoint: bench.direct.moto,
      credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'},
    })
    const apex = `contract-${Date.now()}.test`
    await r53.send(new CreateHostedZoneCommand({Name: apex, CallerReference: apex}))
    r53.destroy()
    await check(['cert', 'request', '--domain', apex, '--dry-run'], 'ok')
    await check(['cert', 'request', '--domain', apex, '--timeout', '20s'], 'ok')
    await check(['cert', 'request', '--domain', `app.elsewhere-${Date.now()}.test`, '--no-wait'], 'CERT_PENDING')
    await check(['cert', 'request', '--domain', '*.*.example.test'], 'BAD_FLAG')
    const s = await createScenario(bench)
    await check(['dns', 'link', '-e', s.environmentName, '--domain', `app.${apex}`], 'ok')
    await check(['dns', 'link', '-e', s.environmentName, '--domain', 'app.not-in-route53.test'], 'ZONE_NOT_FOUND')
  })

  it('covered every command: one success and one error envelope each', () => {
    for (const c of commands) {
      assert.ok(seen.ok.has(c), `no successful output of "${c}" was validated`)
      assert.ok(seen.error.has(c), `no error output of "${c}" was validated`)
    }
  })
})
