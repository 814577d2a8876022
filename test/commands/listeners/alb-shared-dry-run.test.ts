// `listeners fix --dry-run` on a shared ALB whose plan changes the shared listeners, without
// --change-shared-listeners: the whole plan is shown (the steps that need the flag marked, the other environments
// named), zero writes, and it ends as the real run does: UNSAFE_CHANGE, exit 2.
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {createCertificate} from '../../bench/certificates.ts'
import {startCliBench, type FullBench} from '../../bench/scenario.ts'
import {envelope, runCli} from '../../helpers/cli.ts'
import {createAlbScenario} from './alb-helpers.ts'

interface Fix {
  status: string
  steps: Array<{id: string; description: string; command: string; needsChangeSharedListeners?: true}>
  warnings: string[]
  securityGroups?: {steps: unknown[]}
  shared?: {
    otherEnvironments: string[]
    hosts: string[]
    loadBalancerChanges: string[]
    affectedEnvironments: string[]
    needsChangeSharedListeners: boolean
  }
}

let n = 0

describe('ebws listeners fix --dry-run on a shared ALB that needs --change-shared-listeners (local AWS bench)', () => {
  let bench: FullBench
  let env: Record<string, string>
  before(async () => {
    ;({bench, env} = await startCliBench())
  })
  after(async () => {
    await bench?.stop()
  })
  const writes = () => bench.calls.count({mutating: true})

  /** A shared ALB with only the owner's port 80 (no HTTPS 443) and two environments on it. */
  async function pair() {
    await createCertificate({
      endpoint: bench.direct.moto,
      region: bench.region,
      kind: 'rsa2048',
      domain: 'app.example.com',
    })
    const lb = await bench.eb.createSharedLoadBalancer(`shdry-${process.pid}-${++n}`, {
      listeners: [{port: 80, protocol: 'HTTP'}],
    })
    const a = await createAlbScenario(bench, {sharedLoadBalancerArn: lb.arn, environment: `shd-a-${process.pid}-${n}`})
    const b = await createAlbScenario(bench, {sharedLoadBalancerArn: lb.arn, environment: `shd-b-${process.pid}-${n}`})
    return {a, b}
  }

  it('--json: the whole plan as the result, the steps that need the flag marked, exit 2 (UNSAFE_CHANGE), zero writes', async () => {
    const {a, b} = await pair()
    const args = ['listeners', 'fix', '-e', a.environmentName, '--domain', 'app.example.com']
    bench.calls.clear()
    const dry = await runCli([...args, '--dry-run', '--json'], {env})
    assert.equal(dry.code, 2, `${dry.stdout}\n${dry.stderr}`)
    assert.equal(writes(), 0)
    const doc = envelope<Fix>(dry)
    assert.equal(doc.ok, false)
    assert.equal(doc.error?.code, 'UNSAFE_CHANGE')
    assert.match(doc.error!.message, new RegExp(`also used by ${b.environmentName}`))
    assert.match(doc.error!.message, /The plan shows every step, those that need --change-shared-listeners marked/)
    assert.match(doc.error!.hint ?? '', /--change-shared-listeners/)
    const plan = doc.result!
    assert.equal(plan.status, 'dry-run')
    assert.deepEqual(plan.shared?.otherEnvironments, [b.environmentName])
    assert.deepEqual(plan.shared?.affectedEnvironments, [b.environmentName])
    assert.equal(plan.shared?.needsChangeSharedListeners, true)
    assert.match(plan.shared!.loadBalancerChanges[0]!, /^add an HTTPS listener on 443/)
    // The listener step is marked, this environment's own port-80 rule is not: the whole plan, not just the refusal.
    const marked = plan.steps.filter((s) => s.needsChangeSharedListeners).map((s) => s.id)
    assert.deepEqual(marked, ['create-443'])
    assert.ok(
      plan.steps.some((s) => !s.needsChangeSharedListeners && s.id.startsWith('redirect-80')),
      JSON.stringify(plan.steps),
    )
    assert.ok(
      plan.steps.every((s) => s.command.startsWith('aws elbv2 ')),
      JSON.stringify(plan.steps),
    )
    // The security-group step of the plan is part of it too (what the fix would open for 443 and 80).
    assert.ok(plan.securityGroups && Array.isArray(plan.securityGroups.steps), JSON.stringify(plan))

    // The real run refuses with the same code and exit, and the plan it refuses is the one the dry run showed.
    const real = await runCli([...args, '--json'], {env})
    assert.equal(real.code, 2, real.stdout)
    assert.equal(envelope(real).error?.code, 'UNSAFE_CHANGE')
    assert.equal(writes(), 0)
    const allowed = await runCli([...args, '--change-shared-listeners', '--dry-run', '--json'], {env})
    assert.equal(allowed.code, 0, allowed.stderr)
    const allowedPlan = envelope<Fix>(allowed).result!
    assert.deepEqual(
      allowedPlan.steps.map((s) => [s.id, s.description, s.needsChangeSharedListeners ?? false]),
      plan.steps.map((s) => [s.id, s.description, s.needsChangeSharedListeners ?? false]),
    )
    assert.equal(allowedPlan.shared?.needsChangeSharedListeners, false)
    assert.equal(writes(), 0)
  })

  it('for people: the plan on stdout (marked steps, the other environments), the error on stderr, exit 2', async () => {
    const {a, b} = await pair()
    bench.calls.clear()
    const r = await runCli(
      ['listeners', 'fix', '-e', a.environmentName, '--domain', 'app.example.com', '--idle-timeout', '90', '--dry-run'],
      {env},
    )
    assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`)
    assert.equal(writes(), 0)
    assert.match(r.stdout, /Plan \(dry run, nothing changed\):/)
    assert.match(r.stdout, new RegExp(`Shared with: ${b.environmentName}`))
    assert.match(r.stdout, /create HTTPS 443 on the shared load balancer .* \[needs --change-shared-listeners\]/)
    assert.match(r.stdout, /set the shared load balancer's idle timeout to 90 s \[needs --change-shared-listeners\]/)
    assert.match(r.stdout, /aws elbv2 create-listener /)
    assert.match(r.stderr, /Error \(UNSAFE_CHANGE\): .*shared Application Load Balancer/)
    assert.match(r.stderr, /Hint: Rerun with --change-shared-listeners/)
  })
})
