// `ebws deploy` to ALB/NLB environments on the local AWS bench (moto ELBv2 + the EB fake, which rebuilds an ALB's
// listeners from the settings on every update and honours a deployed bundle's Resources override): detection, the
// port-80 redirect kept by the override ebws ships, and the warning when the update drops it.
import assert from 'node:assert/strict'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {execFile} from 'node:child_process'
import {dirname, join} from 'node:path'
import {promisify} from 'node:util'
import {after, before, describe, it} from 'node:test'

import {GetObjectCommand, S3Client} from '@aws-sdk/client-s3'
import {ElasticBeanstalkClient, UpdateEnvironmentCommand} from '@aws-sdk/client-elastic-beanstalk'

import {unzip} from '../bench/eb-fake/bundle-resources.ts'
import {createScenario, startCliBench, type FullBench} from '../bench/scenario.ts'
import {json, runCli, tempDir, type CliResult} from '../helpers/cli.ts'
import {
  createAlbScenario,
  HTTPS_SETTINGS,
  readBack,
  REDIRECT_ACTION,
  type AlbScenario,
} from './listeners/alb-helpers.ts'

const exec = promisify(execFile)
const OVERRIDE = '.ebextensions/ebws-alb-redirect.config'

interface DeployJson {
  status: string
  alreadyRunning?: boolean
  version: {label: string; source: string; contentHash: string; bucket?: string; key?: string}
  loadBalancer?: {type: string; shared: boolean; liveRedirect?: boolean; redirectOverride: string}
  warnings: string[]
}

describe('ebws deploy to ALB and NLB environments (local AWS bench)', () => {
  let bench: FullBench
  let env: Record<string, string>
  let s3: S3Client
  before(async () => {
    ;({bench, env} = await startCliBench())
    s3 = new S3Client({
      region: bench.region,
      endpoint: bench.direct.moto,
      forcePathStyle: true,
      credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'},
    })
  })
  after(async () => {
    s3?.destroy()
    await bench?.stop()
  })

  let counter = 0
  function app(extra: Record<string, string> = {}): string {
    const dir = tempDir('ebws-deploy-alb-')
    const files: Record<string, string> = {
      'package.json': JSON.stringify({name: 'demo', version: '1.0.0', scripts: {start: 'node app.js'}}),
      'app.js': `console.log(${JSON.stringify(`alb-${process.pid}-${++counter}`)})\n`,
      '.ebextensions/01-env.config':
        'option_settings:\n  aws:elasticbeanstalk:application:environment:\n    NODE_ENV: production\n',
      ...extra,
    }
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), {recursive: true})
      writeFileSync(join(dir, path), content)
    }
    return dir
  }
  const deploy = (s: AlbScenario, args: string[]): Promise<CliResult> =>
    runCli(['deploy', '-e', s.environmentName, '--json', ...args], {env, timeoutMs: 60_000})
  /** The zip deploy uploaded, as the EB fake reads it. */
  async function uploaded(out: DeployJson): Promise<Map<string, Buffer>> {
    const obj = await s3.send(new GetObjectCommand({Bucket: out.version.bucket, Key: out.version.key}))
    return unzip(Buffer.from(await obj.Body!.transformToByteArray()))
  }
  /** `ebws listeners fix` (ALB, --redirect lb, the default): HTTPS 443 and a redirect on port 80, live only. */
  async function fixed(): Promise<AlbScenario> {
    const s = await createAlbScenario(bench, {certificates: [{kind: 'rsa2048', domain: 'app.example.com'}]})
    const r = await runCli(
      [
        'listeners',
        'fix',
        '-e',
        s.environmentName,
        '--domain',
        'app.example.com',
        '--redirect',
        'lb',
        '--backup-file',
        join(tempDir('ebws-deploy-alb-backup-'), 'b.json'),
        '--json',
      ],
      {env},
    )
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.deepEqual((await readBack(s.elbv2, s.loadBalancerArn)).listeners[0]!.actions?.[0], REDIRECT_ACTION)
    return s
  }
  /** A configuration-only update (what the console or `eb setenv` sends): Beanstalk rebuilds the listeners again. */
  async function configUpdate(s: AlbScenario): Promise<void> {
    const eb = new ElasticBeanstalkClient({
      region: bench.region,
      endpoint: bench.direct.eb,
      credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'},
    })
    await eb.send(
      new UpdateEnvironmentCommand({
        EnvironmentName: s.environmentName,
        OptionSettings: HTTPS_SETTINGS(s.certificates[0]!.arn).map(([Namespace, OptionName, Value]) => ({
          Namespace,
          OptionName,
          Value,
        })),
      }),
    )
    eb.destroy()
    await bench.eb.waitForStatus(s.environmentName, 'Updating', 2000).catch(() => undefined)
    await bench.eb.waitForStatus(s.environmentName, 'Ready', 10_000)
  }

  it('listeners fix + deploy: ebws ships the override, and the redirect survives this update and the next', async () => {
    const s = await fixed()
    const dir = app()
    bench.calls.clear()
    const r = await deploy(s, [dir])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const out = json<DeployJson>(r)
    assert.deepEqual(out.loadBalancer, {
      type: 'application',
      shared: false,
      liveRedirect: true,
      redirectOverride: 'added',
    })
    assert.deepEqual(out.warnings, [], 'nothing to warn about: the redirect is kept')
    // The reads a deploy to an ALB makes beyond a CLB's: one DescribeConfigurationSettings and one DescribeListeners,
    // beside DescribeApplicationVersions (the same round trip). No ACM call, no download of the deployed bundle.
    const counts = new Map<string, number>()
    for (const c of bench.calls.list({}))
      counts.set(`${c.service}:${c.action}`, (counts.get(`${c.service}:${c.action}`) ?? 0) + 1)
    assert.deepEqual(
      [...counts]
        .filter(([k]) => /^(elb|elbv2|acm):|DescribeConfigurationSettings|DescribeEnvironmentResources/.test(k))
        .sort(),
      [
        ['elasticbeanstalk:DescribeConfigurationSettings', 1],
        ['elasticbeanstalk:DescribeEnvironmentResources', 1],
        ['elbv2:DescribeListeners', 1],
      ],
      JSON.stringify([...counts]),
    )
    assert.equal(counts.get('s3:GetObject'), undefined)
    assert.match(r.stderr, /\.ebextensions\/ebws-alb-redirect\.config added to the bundle/)
    const zip = await uploaded(out)
    assert.ok(zip.has('.ebextensions/01-env.config'), 'the app files are all there')
    assert.equal(zip.get(OVERRIDE)!.toString('utf8'), readFileSync(join(emitted(), OVERRIDE), 'utf8'))
    assert.deepEqual(
      (await readBack(s.elbv2, s.loadBalancerArn)).listeners[0]!.actions?.[0],
      REDIRECT_ACTION,
      'the deployment rebuilt the listener with the override: still a redirect',
    )
    await configUpdate(s)
    assert.deepEqual(
      (await readBack(s.elbv2, s.loadBalancerArn)).listeners[0]!.actions?.[0],
      REDIRECT_ACTION,
      'and the next configuration update keeps it (the deployed bundle carries the override)',
    )
    const shown = json<{verdict: {findings: Array<{code: string}>}}>(
      await runCli(['listeners', 'show', '-e', s.environmentName, '--json'], {env}),
    )
    assert.ok(!shown.verdict.findings.some((f) => f.code === 'redirect-live-only'))

    // Deterministic: the same folder again is the same content (the added file included), already running.
    const again = json<DeployJson>(await deploy(s, [dir]))
    assert.equal(again.version.contentHash, out.version.contentHash)
    assert.equal(again.alreadyRunning, true)
  })

  it('no dependent round trip added: 2 before the plan, on a CLB and on an ALB, with 100 ms on every call', async () => {
    const clb = await createScenario(bench, {})
    const alb = await fixed()
    const dir = app()
    bench.faults.latency(100)
    try {
      for (const s of [clb, alb] as Array<{environmentName: string}>) {
        bench.calls.clear()
        const r = await runCli(['deploy', '-e', s.environmentName, dir, '--dry-run', '--json'], {
          env,
          timeoutMs: 60_000,
        })
        assert.equal(r.code, 0, r.stdout + r.stderr)
        // DescribeEnvironments ∥ DescribeEnvironmentResources, then DescribeApplicationVersions ∥ (ALB) the
        // settings and listeners: the two round trips deploy made before it knew the load balancer type.
        assert.equal(bench.calls.criticalPath(), 2, JSON.stringify(bench.calls.actions()))
        const plan = json<DeployJson & {reason: string}>(r)
        assert.equal(
          /ship \.ebextensions\/ebws-alb-redirect\.config in the bundle/.test(plan.reason),
          s === alb,
          plan.reason,
        )
      }
    } finally {
      bench.faults.clear()
    }
  })

  it('ebws bundle -e reads the target as deploy does: its zip is the one deploy uploads', async () => {
    const s = await fixed()
    const dir = app()
    const out = join(tempDir('ebws-deploy-alb-bundle-'), 'app.zip')
    bench.calls.clear()
    const r = await runCli(['bundle', dir, '-o', out, '-e', s.environmentName, '--json'], {env})
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const b = json<{contentHash: string; loadBalancer?: {type: string; redirectOverride: string}}>(r)
    assert.deepEqual(b.loadBalancer, {type: 'application', redirectOverride: 'added'})
    assert.equal(bench.calls.count({mutating: true}), 0, 'read-only')
    assert.ok(unzip(readFileSync(out)).has(OVERRIDE))
    const deployed = json<DeployJson>(await deploy(s, [dir]))
    assert.equal(deployed.version.contentHash, b.contentHash)
    assert.deepEqual(unzip(readFileSync(out)), await uploaded(deployed))

    const nlb = await createAlbScenario(bench, {type: 'network'})
    const n = await runCli(['bundle', dir, '-o', `${out}.nlb`, '-e', nlb.environmentName, '--json'], {env})
    assert.equal(n.code, 0, n.stderr)
    assert.deepEqual(json<{loadBalancer?: unknown}>(n).loadBalancer, {type: 'network', redirectOverride: 'not-needed'})
    assert.ok(!unzip(readFileSync(`${out}.nlb`)).has(OVERRIDE), 'never in an NLB bundle')
  })

  it('--no-redirect-override: the warning (text and --json), and the update drops the redirect', async () => {
    const s = await fixed()
    const r = await deploy(s, [app(), '--no-redirect-override'])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const out = json<DeployJson>(r)
    assert.equal(out.loadBalancer?.redirectOverride, 'missing')
    const warning = out.warnings.find((w) => w.includes('AWSEBV2LoadBalancerListener'))
    assert.ok(warning, out.warnings.join('\n'))
    assert.match(warning, /exists only on the load balancer/)
    assert.match(warning, /drops the redirect/)
    assert.ok(warning.includes(`ebws listeners fix -e ${s.environmentName} --emit-ebextensions .ebextensions`))
    assert.match(warning, /without --no-redirect-override/)
    assert.ok(r.stderr.includes(`warning: ${warning}`), 'printed as it happens')
    assert.ok(!(await uploaded(out)).has(OVERRIDE))
    const l80 = (await readBack(s.elbv2, s.loadBalancerArn)).listeners[0]!
    assert.equal(l80.actions?.[0]?.Type, 'forward', 'the environment update rebuilt port 80 from the template')

    // The fix it names runs as printed, in the app folder, and the next deploy brings the redirect back for good.
    const suggested = /`(ebws listeners fix [^`]+)`/.exec(warning)![1]!
    const dir = app()
    const emit = await runCli([...suggested.split(' ').slice(1), '--json'], {env, cwd: dir})
    assert.equal(emit.code, 0, emit.stdout + emit.stderr)
    const fixedDeploy = json<DeployJson>(await deploy(s, [dir]))
    assert.equal(fixedDeploy.loadBalancer?.redirectOverride, 'in-bundle')
    assert.deepEqual((await readBack(s.elbv2, s.loadBalancerArn)).listeners[0]!.actions?.[0], REDIRECT_ACTION)

    // In text mode the summary says it too.
    const s2 = await fixed()
    const text = await runCli(['deploy', '-e', s2.environmentName, app(), '--no-redirect-override'], {
      env,
      timeoutMs: 60_000,
    })
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stderr, /warning: .*drops the redirect/)
    assert.match(text.stdout, /Redirect +port 80's live-only redirect to HTTPS is dropped by this update/)
  })

  it("the app's own override is left alone; a same-named file without it is never replaced (warned)", async () => {
    const s = await fixed()
    const own = app({[OVERRIDE]: readFileSync(join(emitted(), OVERRIDE), 'utf8').replace('HTTP_301', 'HTTP_302')})
    const mine = json<DeployJson>(await deploy(s, [own]))
    assert.equal(mine.loadBalancer?.redirectOverride, 'in-bundle')
    assert.match((await uploaded(mine)).get(OVERRIDE)!.toString('utf8'), /HTTP_302/, 'their file, as written')

    const s2 = await fixed()
    const clash = app({[OVERRIDE]: 'option_settings:\n  aws:elasticbeanstalk:application:environment:\n    A: b\n'})
    const r = await deploy(s2, [clash])
    assert.equal(r.code, 0, r.stderr)
    const out = json<DeployJson>(r)
    assert.equal(out.loadBalancer?.redirectOverride, 'missing')
    assert.match(out.warnings.join('\n'), /holds no such override and is never replaced/)
    assert.match((await uploaded(out)).get(OVERRIDE)!.toString('utf8'), /A: b/)
  })

  it('a role that may not read the listeners: the deploy goes on, nothing added, a warning saying so', async () => {
    const s = await fixed()
    bench.faults.error(5, 'AccessDenied', {service: 'elbv2', action: 'DescribeListeners'}, 403)
    try {
      const r = await deploy(s, [app()])
      assert.equal(r.code, 0, r.stdout + r.stderr)
      const out = json<DeployJson>(r)
      assert.equal(out.loadBalancer?.redirectOverride, 'unknown')
      assert.match(out.warnings.join('\n'), /could not read the ALB's listeners: .*AccessDenied/)
      assert.ok(!(await uploaded(out)).has(OVERRIDE), 'nothing added on a guess')
    } finally {
      bench.faults.clear()
    }
  })

  it('--archive: shipped as is, with the warning', async () => {
    const s = await fixed()
    const dir = app()
    const zip = join(tempDir('ebws-deploy-alb-zip-'), 'app.zip')
    await exec('zip', ['-qr', zip, '.'], {cwd: dir})
    const out = json<DeployJson>(await deploy(s, ['--archive', zip]))
    assert.equal(out.loadBalancer?.redirectOverride, 'missing')
    assert.match(out.warnings.join('\n'), /an --archive is shipped as is/)
    assert.equal((await readBack(s.elbv2, s.loadBalancerArn)).listeners[0]!.actions?.[0]?.Type, 'forward')
  })

  it('nothing to keep: port 80 forwarding, a shared ALB, an NLB (no listener read), a single instance', async () => {
    const plain = await createAlbScenario(bench, {})
    const a = json<DeployJson>(await deploy(plain, [app()]))
    assert.deepEqual(a.loadBalancer, {
      type: 'application',
      shared: false,
      liveRedirect: false,
      redirectOverride: 'not-needed',
    })
    assert.ok(!(await uploaded(a)).has(OVERRIDE), 'ebws never introduces a redirect')

    const lb = await bench.eb.createSharedLoadBalancer(`shared-${process.pid}`)
    const shared = await createAlbScenario(bench, {sharedLoadBalancerArn: lb.arn})
    const b = json<DeployJson>(await deploy(shared, [app()]))
    assert.deepEqual(b.loadBalancer, {type: 'application', shared: true, redirectOverride: 'not-needed'})
    assert.ok(!(await uploaded(b)).has(OVERRIDE))

    const nlb = await createAlbScenario(bench, {type: 'network'})
    bench.calls.clear()
    const c = json<DeployJson>(await deploy(nlb, [app()]))
    assert.deepEqual(c.loadBalancer, {type: 'network', shared: false, redirectOverride: 'not-needed'})
    assert.ok(!(await uploaded(c)).has(OVERRIDE))
    assert.equal(bench.calls.count({service: 'elbv2'}), 0)

    // A single instance has no load balancer: deploy works on it as ever (no LB_TYPE_UNSUPPORTED here).
    const single = await createScenario(bench, {environmentType: 'SingleInstance'})
    const r = await runCli(['deploy', '-e', single.environmentName, app(), '--json'], {env, timeoutMs: 60_000})
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.deepEqual(json<DeployJson>(r).loadBalancer, {type: 'none', shared: false, redirectOverride: 'not-needed'})
  })

  /** What `listeners fix --emit-ebextensions` writes (the same generator and bytes the bundle ships). */
  let emittedDir: string | undefined
  function emitted(): string {
    if (emittedDir) return emittedDir
    throw new Error('emitted() before the emit test')
  }
  before(async () => {
    const s = await createAlbScenario(bench, {certificates: [{kind: 'rsa2048', domain: 'app.example.com'}]})
    emittedDir = tempDir('ebws-deploy-alb-emit-')
    const r = await runCli(
      [
        'listeners',
        'fix',
        '-e',
        s.environmentName,
        '--domain',
        'app.example.com',
        '--emit-ebextensions',
        join(emittedDir, '.ebextensions'),
        '--json',
      ],
      {env},
    )
    assert.equal(r.code, 0, r.stderr)
  })
})
