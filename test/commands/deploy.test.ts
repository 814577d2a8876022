import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {chmodSync, mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {promisify} from 'node:util'
import {after, before, describe, it} from 'node:test'

import {GetObjectCommand, S3Client} from '@aws-sdk/client-s3'

import {createScenario, startCliBench, type FullBench, type Scenario} from '../bench/scenario.ts'
import {json, jsonError, plainError, ROOT, runCli, type CliResult} from '../helpers/cli.ts'

const exec = promisify(execFile)

interface DeployJson {
  status: 'deployed' | 'failed' | 'timed-out' | 'planned'
  exitCode: number
  reason: string
  environment: string
  application: string
  url?: string
  version: {
    label: string
    source: string
    contentHash: string
    bucket?: string
    key?: string
    sizeBytes: number
    multipart?: boolean
  }
  previousVersion?: string
  environmentStatus?: string
  health?: string
  durationSeconds: number
  stillRunning: boolean
  alreadyRunning?: boolean
  events: Array<{severity: string; message: string}>
  warnings: string[]
  error?: {message: string; exitCode: number}
}

const S3_WRITES = [
  'PutObject',
  'CopyObject',
  'CreateMultipartUpload',
  'UploadPart',
  'CompleteMultipartUpload',
  'CreateBucket',
]

describe('ebws deploy (against the local AWS bench)', () => {
  let bench: FullBench
  let env: Record<string, string>
  const dirs: string[] = []
  before(async () => {
    ;({bench, env} = await startCliBench({stepMs: 10}))
  })
  after(async () => {
    await bench?.stop()
    await Promise.all(dirs.map((d) => rm(d, {recursive: true, force: true})))
  })

  let counter = 0
  /** A small Node app; `tag` makes its content (and so its content hash) unique. */
  function app(tag = `app-${++counter}-${Date.now()}`, extra: Record<string, string | Buffer> = {}): string {
    const dir = mkdtempSync(join(tmpdir(), 'ebws-deploy-test-'))
    dirs.push(dir)
    const files: Record<string, string | Buffer> = {
      'package.json': JSON.stringify({name: 'demo', version: '1.0.0', scripts: {start: 'node app.js'}}),
      'app.js': `console.log(${JSON.stringify(tag)})\n`,
      '.ebextensions/01-env.config':
        'option_settings:\n  aws:elasticbeanstalk:application:environment:\n    NODE_ENV: production\n',
      '.platform/hooks/postdeploy/01-note.sh': '#!/bin/sh\necho deployed\n',
      'node_modules/left-out/index.js': 'module.exports = 1\n',
      ...extra,
    }
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), {recursive: true})
      writeFileSync(join(dir, path), content)
    }
    chmodSync(join(dir, '.platform/hooks/postdeploy/01-note.sh'), 0o644)
    return dir
  }

  const deploy = (s: Scenario, args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> =>
    runCli(['deploy', '-e', s.environmentName, '--json', ...args], {env: {...env, ...extraEnv}, timeoutMs: 60_000})
  const s3Writes = () => bench.calls.list({service: 's3'}).filter((c) => S3_WRITES.includes(c.action))
  const ebWrites = () => bench.calls.actions({service: 'elasticbeanstalk', mutating: true})

  it('deploys a folder: uploads <app>/<label>.zip, creates the version with Process=true, Ready + Green → exit 0', async () => {
    const s = await createScenario(bench, {})
    const before = bench.eb.environment(s.environmentName).versionLabel
    const dir = app()
    bench.calls.clear()
    bench.eb.clearCalls()
    const r = await deploy(s, [dir])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const out = json<DeployJson>(r)
    assert.equal(out.status, 'deployed')
    assert.equal(out.exitCode, 0)
    assert.match(out.version.label, /^[0-9a-f]{12}-\d{8}T\d{6}Z$/, 'no git here: content hash + UTC timestamp')
    assert.equal(out.version.source, 'uploaded')
    assert.equal(out.version.key, `${s.applicationName}/${out.version.label}.zip`)
    assert.equal(out.version.bucket, `elasticbeanstalk-${bench.region}-123456789012`)
    assert.equal(out.previousVersion, before)
    assert.equal(out.health, 'Green')
    assert.ok(out.url?.startsWith('http://'), out.url)
    assert.ok(
      out.events.some((e) => e.message === 'Environment update is starting.'),
      'events from the update are in the result',
    )
    assert.ok(
      out.warnings.some((w) => /01-note\.sh.*made executable/.test(w)),
      out.warnings.join('\n'),
    )

    const live = bench.eb.environment(s.environmentName)
    assert.equal(live.versionLabel, out.version.label)
    const create = bench.eb.calls().find((c) => c.action === 'CreateApplicationVersion')!
    assert.equal(create.params.Process, 'true')
    assert.equal(create.params['SourceBundle.S3Key'], out.version.key)
    assert.match(create.params.Description ?? '', new RegExp(`ebws sha256:${out.version.contentHash}`))
    assert.deepEqual(
      s3Writes().map((c) => c.action),
      ['PutObject'],
      'a small bundle is one PutObject',
    )
    // Each event is printed once, off a TTY as plain timestamped lines.
    const starting = r.stderr.split('\n').filter((l) => l.includes('Environment update is starting.'))
    assert.equal(starting.length, 1, r.stderr)
    assert.match(starting[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ event INFO /)

    // The uploaded object, read back from S3 and listed by Info-ZIP: '/' paths, the hook executable, no node_modules.
    const s3 = new S3Client({
      region: bench.region,
      endpoint: bench.direct.moto,
      forcePathStyle: true,
      credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'},
    })
    const obj = await s3.send(new GetObjectCommand({Bucket: out.version.bucket, Key: out.version.key}))
    assert.equal(obj.Metadata?.['ebws-content-sha256'], out.version.contentHash)
    const zipPath = join(dirs.at(-1)!, '..', `ebws-deploy-test-${counter}.zip`)
    writeFileSync(zipPath, await obj.Body!.transformToByteArray())
    dirs.push(zipPath)
    const {stdout} = await exec('unzip', ['-Z', zipPath])
    assert.match(stdout, /-rwxr-xr-x .* \.platform\/hooks\/postdeploy\/01-note\.sh/)
    assert.match(stdout, /-rw-r--r-- .* app\.js/)
    assert.doesNotMatch(stdout, /node_modules/)
  })

  it('an ERROR event fails the deploy (exit 1) with the reason, after the rollback settles', async () => {
    const s = await createScenario(bench, {})
    const before = bench.eb.environment(s.environmentName).versionLabel
    bench.eb.scriptNextDeployment({outcome: 'fail', environment: s.environmentName})
    const r = await deploy(s, [app()])
    assert.equal(r.code, 1, r.stdout + r.stderr)
    const out = json<DeployJson>(r)
    assert.equal(out.status, 'failed')
    assert.match(out.reason, /^ERROR event: Instance deployment failed/)
    assert.match(out.reason, new RegExp(`back on ${before ?? 'no version'}`))
    assert.equal(out.stillRunning, false)
    assert.equal(jsonError(r).code, 'DEPLOY_FAILED')
    assert.equal(bench.eb.environment(s.environmentName).versionLabel, before)
  })

  it('health Red after the deployment completes is a failure (exit 1), whatever the events say', async () => {
    const s = await createScenario(bench, {})
    bench.eb.scriptNextDeployment({outcome: 'health-red', environment: s.environmentName})
    const r = await deploy(s, [app()])
    assert.equal(r.code, 1, r.stdout + r.stderr)
    const out = json<DeployJson>(r)
    assert.match(out.reason, /but health is Red \(Severe\)/)
    assert.ok(
      out.events.some((e) => e.message === 'Environment update completed successfully.'),
      'the success text was there; the state decided',
    )
  })

  it('a version label reverted without any ERROR event is a failure (verdict from state, not text)', async () => {
    const s = await createScenario(bench, {})
    const previous = bench.eb.environment(s.environmentName).versionLabel
    bench.eb.scriptNextDeployment({outcome: 'stuck', environment: s.environmentName})
    const running = deploy(s, [app()])
    // Once the deployment is under way, Beanstalk "reverts": Ready, Green, the old label, and no ERROR event.
    while (bench.eb.environment(s.environmentName).status !== 'Updating') await new Promise((r) => setTimeout(r, 20))
    await new Promise((r) => setTimeout(r, 200))
    bench.eb.setEnvironment(s.environmentName, {
      status: 'Ready',
      health: 'Green',
      healthStatus: 'Ok',
      versionLabel: previous,
    })
    const r = await running
    assert.equal(r.code, 1, r.stdout + r.stderr)
    const out = json<DeployJson>(r)
    assert.match(out.reason, /the deployment was rolled back/)
    assert.ok(!out.events.some((e) => e.severity === 'ERROR'))
  })

  it('Ready + Green on our version is success even without any "successfully" event text', async () => {
    const s = await createScenario(bench, {})
    bench.eb.scriptNextDeployment({outcome: 'stuck', environment: s.environmentName})
    const running = deploy(s, [app()])
    while (bench.eb.environment(s.environmentName).status !== 'Updating') await new Promise((r) => setTimeout(r, 20))
    await new Promise((r) => setTimeout(r, 200))
    bench.eb.setEnvironment(s.environmentName, {status: 'Ready', health: 'Green', healthStatus: 'Ok'})
    const r = await running
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.ok(!json<DeployJson>(r).events.some((e) => /successfully/.test(e.message)))
  })

  it('a deployment stuck Updating hits --timeout: exit 3, says it may still be running', async () => {
    const s = await createScenario(bench, {})
    bench.eb.scriptNextDeployment({outcome: 'stuck', environment: s.environmentName})
    const started = Date.now()
    const r = await deploy(s, [app(), '--timeout', '3s'])
    const took = Date.now() - started
    assert.equal(r.code, 3, r.stdout + r.stderr)
    const out = json<DeployJson>(r)
    assert.equal(out.status, 'timed-out')
    assert.equal(out.stillRunning, true)
    assert.match(out.reason, /may still be running on AWS/)
    assert.equal(out.environmentStatus, 'Updating')
    assert.ok(took < 15_000, `bounded: took ${took} ms`)
    // Human output says the same.
    bench.eb.setEnvironment(s.environmentName, {status: 'Ready'})
    bench.eb.scriptNextDeployment({outcome: 'stuck', environment: s.environmentName})
    const human = await runCli(['deploy', app(), '-e', s.environmentName, '--timeout', '2s'], {env})
    assert.equal(human.code, 3)
    assert.match(plainError(human.stderr), /timed out: the --timeout was reached .* may still be running on AWS/)
  })

  it('health Yellow: a failure after --health-grace, a success with --accept-yellow', async () => {
    const s = await createScenario(bench, {})
    bench.eb.scriptNextDeployment({
      outcome: 'success',
      environment: s.environmentName,
      health: 'Yellow',
      healthStatus: 'Warning',
    })
    const r = await deploy(s, [app(), '--health-grace', '1s'])
    assert.equal(r.code, 1, r.stdout + r.stderr)
    assert.match(
      json<DeployJson>(r).reason,
      /still Yellow \(Warning\) after the 1 s health grace \(pass --accept-yellow/,
    )
    bench.eb.scriptNextDeployment({
      outcome: 'success',
      environment: s.environmentName,
      health: 'Yellow',
      healthStatus: 'Warning',
    })
    const ok = await deploy(s, [app(), '--accept-yellow'])
    assert.equal(ok.code, 0, ok.stdout + ok.stderr)
    assert.match(json<DeployJson>(ok).reason, /accepted with --accept-yellow/)
  })

  it('survives throttling of Elastic Beanstalk calls (retried)', async () => {
    const s = await createScenario(bench, {})
    bench.calls.clear()
    bench.faults.throttle(4, {service: 'elasticbeanstalk'})
    const r = await deploy(s, [app()])
    bench.faults.clear()
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.equal(bench.calls.list({service: 'elasticbeanstalk'}).filter((c) => c.injected === 'throttle').length, 4)
  })

  it('the same tree again, already running: no upload, no new version, no UpdateEnvironment', async () => {
    const s = await createScenario(bench, {})
    const dir = app()
    const first = json<DeployJson>(await deploy(s, [dir]))
    assert.equal(first.status, 'deployed')
    bench.calls.clear()
    const r = await deploy(s, [dir])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const out = json<DeployJson>(r)
    assert.equal(out.status, 'deployed')
    assert.equal(out.alreadyRunning, true)
    assert.equal(out.version.source, 'reused')
    assert.equal(out.version.label, first.version.label)
    assert.equal(out.version.contentHash, first.version.contentHash)
    assert.match(out.reason, /already runs this content/)
    assert.deepEqual(s3Writes(), [], 'no PutObject or any other S3 write')
    assert.deepEqual(ebWrites(), [], 'no UpdateEnvironment: the environment already runs it')
    assert.equal(bench.eb.environment(s.environmentName).versionLabel, first.version.label)
  })

  it('the content of an older version: reused and deployed (UpdateEnvironment), nothing uploaded', async () => {
    const s = await createScenario(bench, {})
    const a = app()
    const first = json<DeployJson>(await deploy(s, [a]))
    assert.equal(json<DeployJson>(await deploy(s, [app()])).status, 'deployed')
    bench.calls.clear()
    const r = await deploy(s, [a])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const out = json<DeployJson>(r)
    assert.deepEqual(
      [out.version.source, out.version.label, out.alreadyRunning],
      ['reused', first.version.label, undefined],
    )
    assert.deepEqual(s3Writes(), [])
    assert.deepEqual(ebWrites(), ['UpdateEnvironment'])
  })

  it('calls only what it needs: the AWS calls of a deploy to a CLB environment, counted (no ELB, ACM or settings call)', async () => {
    const s = await createScenario(bench, {})
    bench.calls.clear()
    const r = await deploy(s, [app()])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const counts = new Map<string, number>()
    for (const c of bench.calls.list({}))
      counts.set(`${c.service}:${c.action}`, (counts.get(`${c.service}:${c.action}`) ?? 0) + 1)
    // Polling calls (DescribeEnvironments, DescribeEvents, DescribeApplicationVersions while processing) repeat;
    // every other call happens exactly once, and nothing else is called.
    // DescribeEnvironmentResources names the load balancer, hence its type (issue 13 §1): it runs beside the first
    // DescribeEnvironments, in the same round trip. A CLB needs nothing more (its redirect is not the listener's).
    const once = [
      'elasticbeanstalk:DescribeEnvironmentResources',
      'elasticbeanstalk:CreateStorageLocation',
      'elasticbeanstalk:CreateApplicationVersion',
      'elasticbeanstalk:UpdateEnvironment',
      's3:HeadObject',
      's3:PutObject',
    ]
    const polled = [
      'elasticbeanstalk:DescribeEnvironments',
      'elasticbeanstalk:DescribeEvents',
      'elasticbeanstalk:DescribeApplicationVersions',
    ]
    for (const k of once) assert.equal(counts.get(k), 1, `${k} once: ${JSON.stringify([...counts])}`)
    assert.deepEqual(
      [...counts.keys()].filter((k) => !once.includes(k) && !polled.includes(k)),
      [],
      JSON.stringify([...counts]),
    )
    assert.equal(counts.get('elasticbeanstalk:DescribeConfigurationSettings'), undefined)
    assert.deepEqual(
      [...counts.keys()].filter((k) => /^(elb|elbv2|acm):/.test(k)),
      [],
    )
    assert.deepEqual(json<DeployJson & {loadBalancer: unknown}>(r).loadBalancer, {
      type: 'classic',
      shared: false,
      redirectOverride: 'not-needed',
    })
  })

  it('deploys the sample app folder as is; the zip holds its .ebextensions and .platform, no .ebws-local', async () => {
    const s = await createScenario(bench, {})
    const r = await deploy(s, [join(ROOT, 'sample-app')])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const out = json<DeployJson>(r)
    const s3 = new S3Client({
      region: bench.region,
      endpoint: bench.direct.moto,
      forcePathStyle: true,
      credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'},
    })
    const obj = await s3.send(new GetObjectCommand({Bucket: out.version.bucket, Key: out.version.key}))
    const zipPath = join(mkdtempSync(join(tmpdir(), 'ebws-deploy-test-')), 'sample.zip')
    dirs.push(dirname(zipPath))
    writeFileSync(zipPath, await obj.Body!.transformToByteArray())
    const {stdout} = await exec('unzip', ['-Z1', zipPath])
    const names = stdout.trim().split('\n')
    for (const p of [
      'package.json',
      'server.js',
      '.ebextensions/ebws-common.config',
      '.platform/nginx/conf.d/ebws.conf',
    ])
      assert.ok(names.includes(p), p)
    assert.ok(!names.some((n) => n.includes('.ebws-local') || n.startsWith('node_modules/')), names.join('\n'))
  })

  it('in a git repository: the label names HEAD, and says -dirty when the bundled files differ from it', async () => {
    const s = await createScenario(bench, {})
    const dir = app()
    const git = (...args: string[]) =>
      exec('git', args, {
        cwd: dir,
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@e',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@e',
        },
      })
    writeFileSync(join(dir, '.gitignore'), 'node_modules/\n')
    await git('init', '-q')
    await git('add', '.')
    await git('commit', '-qm', 'init')
    const sha = (await git('rev-parse', '--short=7', 'HEAD')).stdout.trim()
    const clean = json<DeployJson>(await deploy(s, [dir]))
    assert.match(clean.version.label, new RegExp(`^${sha}-\\d{8}T\\d{6}Z$`))
    writeFileSync(join(dir, 'app.js'), 'console.log("not committed")\n')
    bench.eb.clearCalls()
    const r = await deploy(s, [dir])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const dirty = json<DeployJson>(r)
    assert.match(dirty.version.label, new RegExp(`^${sha}-dirty-\\d{8}T\\d{6}Z$`))
    assert.ok(
      dirty.warnings.some((w) => /differ from HEAD .*app\.js/.test(w)),
      dirty.warnings.join('\n'),
    )
    const create = bench.eb.calls().find((c) => c.action === 'CreateApplicationVersion')!
    assert.match(create.params.Description ?? '', new RegExp(`git:${sha}-dirty$`))
  })

  it('a secret in the app folder: exit 2 SECRET_IN_BUNDLE naming it, no AWS call at all', async () => {
    const s = await createScenario(bench, {})
    const dir = app(undefined, {'.npmrc': '//registry.npmjs.org/:_authToken=npm_secret\n'})
    bench.calls.clear()
    const r = await deploy(s, [dir])
    assert.equal(r.code, 2, r.stdout + r.stderr)
    const e = jsonError(r)
    assert.equal(e.code, 'SECRET_IN_BUNDLE')
    assert.match(e.message, /\.npmrc: \.npmrc with a registry auth token/)
    assert.equal(bench.calls.count({}), 0)
  })

  it('--archive: a secret or a non-executable hook inside it is refused (exit 2) before any upload', async () => {
    const s = await createScenario(bench, {})
    const dir = app(undefined, {'config/.env': 'TOKEN=1'})
    const zip = `${dir}.zip`
    dirs.push(zip)
    await exec('zip', ['-qr', zip, 'package.json', 'app.js', 'config'], {cwd: dir})
    bench.calls.clear()
    let r = await deploy(s, ['--archive', zip])
    assert.equal(r.code, 2, r.stdout + r.stderr)
    assert.equal(jsonError(r).code, 'SECRET_IN_BUNDLE')
    assert.match(jsonError(r).message, /config\/\.env/)
    await rm(zip)
    await exec('zip', ['-qr', zip, 'package.json', 'app.js', '.platform'], {cwd: dir})
    r = await deploy(s, ['--archive', zip])
    assert.equal(r.code, 2, r.stdout + r.stderr)
    assert.match(jsonError(r).message, /01-note\.sh is a platform hook but not executable in the archive \(mode 644\)/)
    assert.equal(bench.calls.count({mutating: true}), 0)
  })

  it('--label: same content reuses it; a new label for known content is copied in S3, not uploaded', async () => {
    const s = await createScenario(bench, {})
    const dir = app()
    const label = `v-${counter}-${Date.now()}`
    assert.equal(json<DeployJson>(await deploy(s, [dir, '--label', label])).version.source, 'uploaded')
    bench.calls.clear()
    const again = json<DeployJson>(await deploy(s, [dir, '--label', label]))
    assert.equal(again.version.source, 'reused')
    assert.deepEqual(s3Writes(), [])
    bench.calls.clear()
    const copied = json<DeployJson>(await deploy(s, [dir, '--label', `${label}-b`]))
    assert.equal(copied.status, 'deployed')
    assert.equal(copied.version.source, 'copied')
    assert.deepEqual(
      s3Writes().map((c) => c.action),
      ['CopyObject'],
    )
  })

  it('uploads a large bundle in parts, with progress', async () => {
    const s = await createScenario(bench, {})
    const dir = app(undefined, {'assets/blob.bin': randomBytes(11 * 1024 * 1024)})
    bench.calls.clear()
    const r = await deploy(s, [dir], {EBWS_UPLOAD_PART_BYTES: String(5 * 1024 * 1024)})
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.equal(json<DeployJson>(r).version.multipart, true)
    const writes = s3Writes().map((c) => c.action)
    assert.equal(writes.filter((a) => a === 'UploadPart').length, 3, writes.join(', '))
    assert.ok(writes.includes('CreateMultipartUpload') && writes.includes('CompleteMultipartUpload'))
    assert.match(r.stderr, /multipart, 5\.00 MB parts/)
    assert.match(r.stderr, /uploaded .* of .* \(100%\)/)
  })

  it('--timeout bounds the upload too: a stalled upload is aborted, exit 3, nothing deployed', async () => {
    const s = await createScenario(bench, {})
    const dir = app(undefined, {'assets/blob.bin': randomBytes(6 * 1024 * 1024)})
    bench.calls.clear()
    bench.faults.latency(10_000, {service: 's3', action: 'UploadPart'})
    const started = Date.now()
    const r = await deploy(s, [dir, '--timeout', '3s'], {EBWS_UPLOAD_PART_BYTES: String(5 * 1024 * 1024)})
    bench.faults.clear()
    assert.equal(r.code, 3, r.stdout + r.stderr)
    assert.match(jsonError(r).message, /did not finish within --timeout; it was aborted and nothing was deployed/)
    assert.ok(Date.now() - started < 9000, 'ended at the bound, not after the stalled part')
    assert.ok(!ebWrites().includes('CreateApplicationVersion') && !ebWrites().includes('UpdateEnvironment'))
  })

  it('a version that fails processing stops before the environment is touched (exit 1)', async () => {
    const s = await createScenario(bench, {})
    bench.eb.scriptNextVersionProcessing('failed')
    bench.calls.clear()
    const r = await deploy(s, [app()])
    assert.equal(r.code, 1, r.stdout + r.stderr)
    assert.match(jsonError(r).message, /failed processing: Failed to process application version/)
    assert.ok(!ebWrites().includes('UpdateEnvironment'))
  })

  it('waits for a busy environment to be Ready, then deploys', async () => {
    const s = await createScenario(bench, {status: 'Updating'})
    bench.eb.clearCalls()
    const running = deploy(s, [app()])
    // The first DescribeEvents is the wait's first poll.
    while (!bench.eb.calls().some((c) => c.action === 'DescribeEvents')) await new Promise((r) => setTimeout(r, 25))
    assert.ok(!bench.eb.calls().some((c) => c.mutating), 'nothing written while the environment is busy')
    bench.eb.setEnvironment(s.environmentName, {status: 'Ready'})
    const r = await running
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stderr, /Waiting for .* to be Ready \(now Updating\) before deploying/)
  })

  it('--archive deploys a prebuilt zip', async () => {
    const s = await createScenario(bench, {})
    const dir = app()
    const zip = `${dir}.zip`
    dirs.push(zip)
    await exec('zip', ['-qr', zip, 'package.json', 'app.js', '.ebextensions'], {cwd: dir})
    const r = await deploy(s, ['--archive', zip])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.equal(json<DeployJson>(r).version.source, 'uploaded')
  })

  it('--dry-run bundles, validates and plans: reads only', async () => {
    const s = await createScenario(bench, {})
    bench.calls.clear()
    const r = await runCli(['deploy', app(), '-e', s.environmentName, '--dry-run'], {env})
    assert.equal(r.code, 0, r.stderr)
    assert.match(
      r.stdout,
      /Plan \(dry run, nothing uploaded or changed\): upload .* MB to s3:\/\/<the Elastic Beanstalk bucket>\/ws-app\/.*\.zip; create application version/,
    )
    assert.equal(bench.calls.count({mutating: true}), 0, bench.calls.actions({mutating: true}).join(', '))
  })

  it('on GitHub Actions, a failure is also an ::error:: annotation', async () => {
    const s = await createScenario(bench, {})
    bench.eb.scriptNextDeployment({outcome: 'fail', environment: s.environmentName})
    const r = await runCli(['deploy', app(), '-e', s.environmentName], {env: {...env, GITHUB_ACTIONS: 'true'}})
    assert.equal(r.code, 1)
    assert.match(r.stderr, /^::error::Deploy of .* failed: ERROR event: Instance deployment failed/m)
    assert.match(r.stdout, /FAILED: ERROR event/)
  })

  describe('bad input: a clear error, exit 2, before any upload', () => {
    let s: Scenario
    before(async () => {
      s = await createScenario(bench, {})
    })

    const expectBadInput = async (args: string[], message: RegExp, extraEnv: Record<string, string> = {}) => {
      bench.calls.clear()
      // Calls that started before this run (a stalled upload of an earlier test, still draining) are not its own.
      const startedAfter = performance.now()
      const r = await runCli(['deploy', ...args], {env: {...env, ...extraEnv}})
      assert.equal(r.code, 2, r.stdout + r.stderr)
      assert.match(plainError(r.stderr), message)
      assert.deepEqual(
        bench.calls.list({service: 's3', startedAfter}).filter((c) => S3_WRITES.includes(c.action)),
        [],
        'no S3 write',
      )
      assert.deepEqual(
        bench.calls.actions({service: 'elasticbeanstalk', mutating: true, startedAfter}),
        [],
        'no Beanstalk write',
      )
    }

    it('missing folder', () =>
      expectBadInput(
        [join(tmpdir(), 'no-such-app-dir'), '-e', s.environmentName],
        /App directory .*no-such-app-dir does not exist/,
      ))
    it('bad YAML in .ebextensions', () =>
      expectBadInput(
        [
          app(undefined, {'.ebextensions/bad.config': 'option_settings:\n  - namespace: [unclosed\n'}),
          '-e',
          s.environmentName,
        ],
        /\.ebextensions\/bad\.config is not valid YAML or JSON/,
      ))
    it('bundle over the size limit (EBWS_MAX_BUNDLE_BYTES)', () =>
      expectBadInput(
        [app(undefined, {'data.bin': randomBytes(64 * 1024)}), '-e', s.environmentName],
        /over the 0\.03 MB limit/,
        {EBWS_MAX_BUNDLE_BYTES: '30000'},
      ))
    it('unknown environment', () =>
      expectBadInput([app(), '-e', 'no-such-env'], /No Elastic Beanstalk environment named "no-such-env"/))
    it('label clash: an existing label with different content', async () => {
      const label = `clash-${Date.now()}`
      assert.equal((await deploy(s, [app(), '--label', label])).code, 0)
      await expectBadInput(
        [app(), '-e', s.environmentName, '--label', label],
        new RegExp(`Application version "${label}" already exists with different content .* Nothing was uploaded`),
      )
    })
    it('an invalid --timeout', () =>
      expectBadInput(
        [app(), '-e', s.environmentName, '--timeout', '5 parsecs'],
        /--timeout "5 parsecs" is not a duration/,
      ))
    it('--no-wait on a busy environment', async () => {
      const busy = await createScenario(bench, {status: 'Updating'})
      await expectBadInput(
        [app(), '-e', busy.environmentName, '--no-wait'],
        /is Updating, not Ready.*Nothing was uploaded/,
      )
      bench.eb.setEnvironment(busy.environmentName, {status: 'Ready'})
    })
  })

  it('--help documents the exit codes', async () => {
    const r = await runCli(['deploy', '--help'], {env})
    assert.equal(r.code, 0)
    assert.match(r.stdout, /EXIT CODES\n\s+0\s+deployed/)
    assert.match(r.stdout, /3\s+the --timeout was reached; the deployment may still be running on AWS/)
    // The bundle and label rules (issue 12 items 5-6) are documented where the flags are.
    const text = r.stdout.replace(/\s+/g, ' ')
    for (const s of [
      '--allow-secret',
      '--allow-link-outside',
      'SECRET_IN_BUNDLE',
      '<sha>-dirty',
      'no UpdateEnvironment',
      '.ebws-local/',
    ])
      assert.ok(text.includes(s), s)
  })
})
