import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {Listener, LoadBalancerState} from '../../../src/elb/model.ts'
import type {LayoutMode} from '../../../src/listeners/modes.ts'
import {DEFAULT_PORTS} from '../../../src/listeners/modes.ts'
import type {ListenerIntent} from '../../../src/listeners/plan.ts'
import {
  desiredStateFromSnapshot,
  PlanError,
  planListenerChanges,
  planReconcile,
  planWaves,
  unmetExpectations,
} from '../../../src/listeners/plan.ts'
import {classifyLayout} from '../../../src/listeners/verdict.ts'
import {applyOperation} from './elb-simulator.ts'

const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555'
const OLD_CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/99999999-2222-3333-4444-555555555555'
const l = (
  port: number,
  protocol: Listener['protocol'],
  instancePort: number,
  instanceProtocol: Listener['instanceProtocol'],
  extra: Partial<Listener> = {},
): Listener => ({loadBalancerPort: port, protocol, instancePort, instanceProtocol, policyNames: [], ...extra})
const lb = (listeners: Listener[], extra: Partial<LoadBalancerState> = {}): LoadBalancerState => ({
  name: 'awseb-e-test',
  listeners,
  backendPolicies: [],
  policies: [],
  healthCheck: {
    target: 'HTTP:80/healthz',
    intervalSeconds: 10,
    timeoutSeconds: 5,
    healthyThreshold: 3,
    unhealthyThreshold: 5,
  },
  idleTimeoutSeconds: 60,
  ...extra,
})
const intent = (mode: LayoutMode, extra: Partial<ListenerIntent> = {}): ListenerIntent => ({
  mode,
  ports: DEFAULT_PORTS,
  certificateArn: CERT,
  tlsPolicy: 'ELBSecurityPolicy-TLS-1-2-2017-01',
  prune: false,
  stickiness: false,
  ...extra,
})

/** Runs the plan wave by wave through the simulator. */
function run(state: LoadBalancerState, steps: ReturnType<typeof planReconcile>): LoadBalancerState {
  let s = state
  for (const wave of planWaves(steps)) for (const step of wave) s = applyOperation(s, step.op)
  return s
}

const STARTS: Record<string, LoadBalancerState> = {
  'beanstalk default (HTTP 80 only)': lb([l(80, 'HTTP', 80, 'HTTP')]),
  'no 443, TCP 80': lb([l(80, 'TCP', 80, 'TCP')]),
  'HTTP everything': lb([
    l(443, 'HTTPS', 80, 'HTTP', {sslCertificateId: OLD_CERT, policyNames: ['ELBSecurityPolicy-2016-08']}),
    l(80, 'HTTP', 80, 'HTTP'),
  ]),
  'extra ports': lb([l(80, 'HTTP', 80, 'HTTP'), l(8080, 'HTTP', 8080, 'HTTP'), l(9000, 'TCP', 9000, 'TCP')]),
  'idle timeout 30': lb([l(80, 'HTTP', 80, 'HTTP')], {idleTimeoutSeconds: 30}),
}

describe('planListenerChanges: every mode from every starting layout', () => {
  for (const mode of ['websocket', 'http', 'proxy'] as const) {
    for (const [name, start] of Object.entries(STARTS)) {
      it(`${mode} from ${name}: reaches the layout, and a second plan is empty`, () => {
        const plan = planListenerChanges(start, intent(mode))
        const after = run(start, plan.steps)
        assert.equal(classifyLayout(after), mode)
        assert.deepEqual(unmetExpectations(after, plan.desired), [])
        assert.deepEqual(planListenerChanges(after, intent(mode)).steps, [], 'idempotent')
        // Ports the layout does not manage are left alone without --prune.
        for (const other of start.listeners.filter((x) => x.loadBalancerPort !== 80 && x.loadBalancerPort !== 443)) {
          assert.ok(after.listeners.some((x) => x.loadBalancerPort === other.loadBalancerPort))
        }
        // Restoring the snapshot from the result gives the start back.
        const restored = run(after, planReconcile(after, desiredStateFromSnapshot(start, after)))
        assert.deepEqual(planReconcile(restored, desiredStateFromSnapshot(start, restored)), [])
        assert.deepEqual(
          restored.listeners
            .map((x) => [x.loadBalancerPort, x.protocol, x.instancePort, x.instanceProtocol, x.sslCertificateId])
            .sort(),
          start.listeners
            .map((x) => [x.loadBalancerPort, x.protocol, x.instancePort, x.instanceProtocol, x.sslCertificateId])
            .sort(),
        )
      })
    }
  }
})

describe('planListenerChanges: order and shape', () => {
  it('from the Beanstalk default: policy and listener concurrently, then the policy attached (2 waves)', () => {
    const {steps} = planListenerChanges(STARTS['beanstalk default (HTTP 80 only)']!, intent('websocket'))
    assert.deepEqual(
      planWaves(steps).map((w) => w.map((s) => s.id).sort()),
      [['create-listeners:443', 'create-policy:ebws-ssl-TLS-1-2-2017-01'], ['set-listener-policies:443']],
    )
  })

  it('from TCP 80: the policy and the new 443 first, then 80 deleted and re-created back to back (80 is down for one round trip)', () => {
    const {steps} = planListenerChanges(lb([l(80, 'TCP', 80, 'TCP')]), intent('websocket'))
    assert.deepEqual(
      planWaves(steps).map((w) => w.map((s) => s.id).sort()),
      [
        ['create-listeners:443', 'create-policy:ebws-ssl-TLS-1-2-2017-01'],
        ['delete-listener:80', 'set-listener-policies:443'],
        ['create-listener:80'],
      ],
    )
    const recreate = steps.find((s) => s.id === 'create-listener:80')!
    assert.deepEqual(recreate.dependsOn, ['delete-listener:80'], 'the re-create waits for nothing but the delete')
  })

  it('every call that touches no live port runs before the first delete', () => {
    const start = lb([l(443, 'HTTPS', 80, 'HTTP', {sslCertificateId: CERT}), l(80, 'TCP', 80, 'TCP')])
    const {steps} = planListenerChanges(start, {...intent('websocket'), stickiness: false})
    const firstDelete = steps.find((s) => s.op.kind === 'deleteListeners')!
    for (const p of steps.filter((s) => s.op.kind === 'createPolicy'))
      assert.ok(firstDelete.dependsOn.includes(p.id), `${firstDelete.id} waits for ${p.id}`)
  })

  it('replaces one port at a time', () => {
    const start = lb([l(443, 'HTTPS', 80, 'HTTP', {sslCertificateId: CERT}), l(80, 'TCP', 80, 'TCP')])
    const ids = planWaves(planListenerChanges(start, intent('websocket')).steps).map((w) => w.map((s) => s.id).sort())
    const flat = ids.flat()
    assert.ok(flat.indexOf('create-listener:443') < flat.indexOf('delete-listener:80'), 'port 443 back before 80 goes')
    for (const wave of ids)
      assert.ok(wave.filter((id) => id.startsWith('delete-listener')).length <= 1, 'never two ports down at once')
  })

  it('swaps only the certificate when the listener is otherwise right', () => {
    const start = lb([l(443, 'SSL', 80, 'TCP', {sslCertificateId: OLD_CERT}), l(80, 'HTTP', 80, 'HTTP')], {
      policies: [
        {
          name: 'x',
          typeName: 'SSLNegotiationPolicyType',
          attributes: [
            {name: 'Reference-Security-Policy', value: 'ELBSecurityPolicy-TLS-1-2-2017-01'},
            {name: 'Protocol-TLSv1.2', value: 'true'},
          ],
        },
      ],
    })
    start.listeners[0]!.policyNames = ['x']
    const {steps} = planListenerChanges(start, intent('websocket'))
    assert.deepEqual(
      steps.map((s) => s.op.kind),
      ['setListenerCertificate'],
      'reuses the existing policy whatever its name',
    )
  })

  it('proxy: turns Proxy Protocol on after the listeners, keeps other backend policies, makes the health check TCP', () => {
    const start = lb([l(80, 'HTTP', 80, 'HTTP')], {
      policies: [{name: 'auth', typeName: 'BackendServerAuthenticationPolicyType', attributes: []}],
      backendPolicies: [{instancePort: 80, policyNames: ['auth']}],
    })
    const plan = planListenerChanges(start, intent('proxy'))
    const backend = plan.steps.find((s) => s.op.kind === 'setBackendPolicies')!
    assert.deepEqual(backend.op, {
      kind: 'setBackendPolicies',
      instancePort: 80,
      policyNames: ['auth', 'ebws-proxy-protocol'],
    })
    assert.ok(
      plan.steps
        .filter((s) => s.op.kind === 'createListeners' || s.op.kind === 'deleteListeners')
        .every((s) => backend.dependsOn.includes(s.id)),
    )
    assert.equal(plan.desired.healthCheck?.target, 'TCP:80')
  })

  it('websocket from proxy: removes only the Proxy Protocol policy from the port', () => {
    const start = lb([l(443, 'SSL', 80, 'TCP', {sslCertificateId: CERT}), l(80, 'TCP', 80, 'TCP')], {
      policies: [
        {name: 'pp', typeName: 'ProxyProtocolPolicyType', attributes: [{name: 'ProxyProtocol', value: 'true'}]},
        {name: 'auth', typeName: 'BackendServerAuthenticationPolicyType', attributes: []},
      ],
      backendPolicies: [{instancePort: 80, policyNames: ['pp', 'auth']}],
    })
    const backend = planListenerChanges(start, intent('websocket')).steps.find(
      (s) => s.op.kind === 'setBackendPolicies',
    )!
    assert.deepEqual(backend.op, {kind: 'setBackendPolicies', instancePort: 80, policyNames: ['auth']})
  })

  it('--prune deletes other ports last; without it they stay', () => {
    const start = STARTS['extra ports']!
    const pruned = planListenerChanges(start, intent('websocket', {prune: true}))
    const last = planWaves(pruned.steps).at(-1)!
    assert.deepEqual(
      last.map((s) => s.op),
      [{kind: 'deleteListeners', ports: [8080, 9000]}],
    )
    assert.ok(!planListenerChanges(start, intent('websocket')).steps.some((s) => s.op.kind === 'deleteListeners'))
  })

  it('raises a too-low idle timeout to 60 s, and honours an explicit one', () => {
    assert.equal(planListenerChanges(STARTS['idle timeout 30']!, intent('websocket')).desired.idleTimeoutSeconds, 60)
    assert.equal(
      planListenerChanges(STARTS['beanstalk default (HTTP 80 only)']!, intent('websocket')).desired.idleTimeoutSeconds,
      undefined,
    )
    assert.equal(
      planListenerChanges(STARTS['beanstalk default (HTTP 80 only)']!, intent('websocket', {idleTimeoutSeconds: 300}))
        .desired.idleTimeoutSeconds,
      300,
    )
  })

  it('http + stickiness: one LB-cookie policy on both listeners', () => {
    const plan = planListenerChanges(STARTS['beanstalk default (HTTP 80 only)']!, intent('http', {stickiness: true}))
    const after = run(STARTS['beanstalk default (HTTP 80 only)']!, plan.steps)
    for (const port of [80, 443])
      assert.ok(after.listeners.find((x) => x.loadBalancerPort === port)!.policyNames.includes('ebws-lb-cookie'))
  })
})

describe('planListenerChanges: intents that cannot work', () => {
  it('refuses an instance port that a secure backend listener already uses', () => {
    const start = lb([l(80, 'HTTP', 80, 'HTTP'), l(8443, 'SSL', 80, 'SSL', {sslCertificateId: CERT})])
    assert.throws(
      () => planListenerChanges(start, intent('websocket')),
      (e: unknown) => e instanceof PlanError && /already forwards to instance port 80 over SSL/.test(e.message),
    )
    assert.doesNotThrow(() => planListenerChanges(start, intent('websocket', {prune: true})))
  })

  it('refuses Proxy Protocol on a port another HTTP listener feeds', () => {
    const start = lb([l(80, 'HTTP', 80, 'HTTP'), l(8080, 'HTTP', 80, 'HTTP')])
    assert.throws(() => planListenerChanges(start, intent('proxy')), /without the PROXY line/)
  })

  it('refuses HTTPS and HTTP on the same port', () => {
    assert.throws(
      () =>
        planListenerChanges(
          STARTS['extra ports']!,
          intent('websocket', {ports: {httpsPort: 80, httpPort: 80, instancePort: 80}}),
        ),
      /cannot share/,
    )
  })
})
