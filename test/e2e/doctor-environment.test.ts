// `ebws doctor -e ENV` against the local AWS bench (the EB fake answers DescribeEnvironments with the CNAME) and a
// real `ebws local up` stack standing in for the environment's load balancer.
import assert from 'node:assert/strict'
import {rmSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {startCliBench, type FullBench} from '../bench/scenario.ts'
import {envelope, runCli} from '../helpers/cli.ts'
import type {Check, CheckId, DoctorResult} from '../../src/doctor/types.ts'
import {type Stack, up} from './helpers.ts'

const byId = (r: DoctorResult) => Object.fromEntries(r.checks.map((c) => [c.id, c])) as Record<CheckId, Check>

describe('ebws doctor -e: the environment from DescribeEnvironments', () => {
  let bench: FullBench
  let env: Record<string, string>
  let stack: Stack
  before(async () => {
    ;({bench, env} = await startCliBench())
    stack = await up('http')
  })
  after(async () => {
    await stack?.down()
    if (stack) rmSync(stack.stateDir, {recursive: true, force: true})
    await bench?.stop()
  })

  it('with only -e: probes the CNAME; one that does not resolve fails dns and skips the rest, in seconds', async () => {
    await bench.eb.createEnvironment({
      name: 'doc-nxdomain',
      application: 'doc-app',
      loadBalancerType: 'classic',
      environmentType: 'LoadBalanced',
      status: 'Ready',
      cname: 'doc-nxdomain.ebws-test.invalid',
      optionSettings: [],
    })
    const r = await runCli(['doctor', '-e', 'doc-nxdomain', '--json'], {env})
    assert.equal(r.code, 1, r.stdout + r.stderr)
    const doc = envelope<DoctorResult>(r)
    const checks = byId(doc.result!)
    assert.equal(checks.dns.status, 'fail')
    assert.match(checks.dns.evidence, /^doc-nxdomain\.ebws-test\.invalid does not resolve/)
    assert.deepEqual(doc.result!.checks.filter((c) => c.status === 'skip').length, 9)
  })

  it('URL + -e: DNS must point at the environment; its health check path is checked; fixes name -e ENV', async () => {
    await bench.eb.createEnvironment({
      name: 'doc-local',
      application: 'doc-app',
      loadBalancerType: 'classic',
      environmentType: 'LoadBalanced',
      status: 'Ready',
      cname: 'localhost',
      optionSettings: [
        {Namespace: 'aws:elasticbeanstalk:application', OptionName: 'Application Healthcheck URL', Value: '/healthz'},
      ],
    })
    const ca = join(stack.stateDir, 'tls', 'localhost.crt')
    const r = await runCli(
      [
        'doctor',
        `https://localhost:${stack.https}/`,
        '-e',
        'doc-local',
        '--http-port',
        String(stack.http),
        '--ca',
        ca,
        '--json',
      ],
      {env},
    )
    const checks = byId(envelope<DoctorResult>(r).result!)
    assert.equal(checks.dns.status, 'pass')
    assert.match(checks.dns.evidence, /environment doc-local's own name/)
    assert.match(checks.redirect.evidence, /health check \/healthz answers 200 over http/)
    assert.equal(checks['socketio-websocket'].status, 'fail')
    assert.match(checks['socketio-websocket'].fix ?? '', /^ebws listeners fix -e doc-local --domain localhost /)
    assert.equal(bench.calls.count({mutating: true}), 0, 'read-only on AWS')
  })

  it("-e on an ALB environment: its fixes are the ALB's (AWSALB stickiness, pinning the redirect Host), naming -e ENV", async (t) => {
    await bench.eb.createEnvironment({
      name: 'doc-alb',
      application: 'doc-app',
      loadBalancerType: 'application',
      environmentType: 'LoadBalanced',
      status: 'Ready',
      cname: 'localhost',
      optionSettings: [
        {Namespace: 'aws:elasticbeanstalk:environment', OptionName: 'LoadBalancerType', Value: 'application'},
      ],
    })
    const alb = await up('websocket', false, {loadBalancer: 'application', instances: 2})
    t.after(() => alb.down())
    const ca = join(alb.stateDir, 'tls', 'localhost.crt')
    const args = [`https://localhost:${alb.https}/`, '-e', 'doc-alb', '--http-port', String(alb.http), '--ca', ca]
    // --sessions: which of the two instances a single session's requests reach is round robin, so only several
    // sessions make the split certain (one session may see it on polling, on the upgrade, or not at all).
    const r = await runCli(['doctor', ...args, '--sessions', '4'], {env, timeoutMs: 60_000})
    const json = await runCli(['doctor', ...args, '--sessions', '4', '--json'], {env, timeoutMs: 60_000})
    const checks = byId(envelope<DoctorResult>(json).result!)
    assert.equal(checks.redirect.status, 'warn', JSON.stringify(checks.redirect))
    assert.match(checks.redirect.fix ?? '', /--listener-arn PORT_80_LISTENER_ARN \(ebws listeners show -e doc-alb\)/)
    assert.equal(checks.stickiness.status, 'fail')
    assert.match(
      checks.stickiness.fix ?? '',
      /AWSALB cookie; WebSockets keep working on an ALB\): ebws listeners fix -e doc-alb --domain localhost --stickiness;/,
    )
    // Two instances without stickiness split sessions; the human output fails it and names the same ALB fix.
    assert.equal(r.code, 1, r.stdout + r.stderr)
    assert.match(r.stdout, /^✘ stickiness .*\n +fix: .*the AWSALB cookie; WebSockets keep working on an ALB/m)
  })

  it('an unknown environment is bad input (exit 2)', async () => {
    const r = await runCli(['doctor', '-e', 'nope', '--json'], {env})
    assert.equal(r.code, 2)
    assert.equal(envelope(r).error?.code, 'ENV_NOT_FOUND')
  })
})
