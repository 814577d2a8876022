import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'

import type {Listener, LoadBalancerState, Policy} from '../../../src/elb/model.ts'
import {shippedNginxFiles} from '../../../src/local/nginx.ts'
import {configuredFromOptionSettings} from '../../../src/listeners/option-settings.ts'
import {planWaves} from '../../../src/listeners/plan.ts'
import {listensWithProxyProtocol} from '../../../src/proxy-protocol/app-check.ts'
import {
  blockers,
  configuredHealthCheckTarget,
  healthCheckPort,
  planDisable,
  planEnable,
  proxyProtocolStatus,
  settingsForDisable,
  settingsForEnable,
  unmetProxy,
} from '../../../src/proxy-protocol/plan.ts'

const l = (
  protocol: Listener['protocol'],
  lbPort: number,
  instanceProtocol: Listener['instanceProtocol'],
  instancePort = 80,
): Listener => ({loadBalancerPort: lbPort, protocol, instancePort, instanceProtocol, policyNames: []})
const TCP = [l('SSL', 443, 'TCP'), l('TCP', 80, 'TCP')]
const proxy = (name: string, on = true): Policy => ({
  name,
  typeName: 'ProxyProtocolPolicyType',
  attributes: [{name: 'ProxyProtocol', value: String(on)}],
})
const auth: Policy = {
  name: 'auth',
  typeName: 'BackendServerAuthenticationPolicyType',
  attributes: [{name: 'PublicKeyPolicyName', value: 'key'}],
}
const hc = (target: string) => ({
  target,
  intervalSeconds: 10,
  timeoutSeconds: 5,
  healthyThreshold: 3,
  unhealthyThreshold: 5,
})
const state = (over: Partial<LoadBalancerState> = {}): LoadBalancerState => ({
  name: 'lb',
  listeners: TCP,
  backendPolicies: [],
  policies: [],
  healthCheck: hc('TCP:80'),
  ...over,
})
const ops = (steps: ReturnType<typeof planEnable>['steps']) => steps.map((s) => s.op)
const settings = (...s: Array<[string, string, string]>) =>
  configuredFromOptionSettings(s.map(([namespace, optionName, value]) => ({namespace, optionName, value})))

describe('planEnable', () => {
  it('creates our policy, then sets the port list to it', () => {
    const p = planEnable(state(), 80)
    assert.deepEqual(ops(p.steps), [
      {kind: 'createPolicy', policy: proxy('ebws-proxy-protocol')},
      {kind: 'setBackendPolicies', instancePort: 80, policyNames: ['ebws-proxy-protocol']},
    ])
    assert.deepEqual(planWaves(p.steps).length, 2, 'attach after create')
  })

  it('keeps the other policies on the port (the call replaces the whole list)', () => {
    const p = planEnable(state({policies: [auth], backendPolicies: [{instancePort: 80, policyNames: ['auth']}]}), 80)
    assert.deepEqual(p.steps.at(-1)!.op, {
      kind: 'setBackendPolicies',
      instancePort: 80,
      policyNames: ['auth', 'ebws-proxy-protocol'],
    })
  })

  it('already on (any ProxyProtocol=true policy): no steps', () => {
    assert.deepEqual(
      planEnable(
        state({policies: [proxy('theirs')], backendPolicies: [{instancePort: 80, policyNames: ['theirs']}]}),
        80,
      ).steps,
      [],
    )
  })

  it('reuses an existing ProxyProtocol=true policy instead of creating one', () => {
    const p = planEnable(
      state({policies: [proxy('theirs')], backendPolicies: [{instancePort: 8080, policyNames: ['theirs']}]}),
      80,
    )
    assert.deepEqual(ops(p.steps), [{kind: 'setBackendPolicies', instancePort: 80, policyNames: ['theirs']}])
  })

  it('our policy with ProxyProtocol=false: detached everywhere, deleted, created as true, attached - in that order', () => {
    const p = planEnable(
      state({
        policies: [proxy('ebws-proxy-protocol', false), auth],
        backendPolicies: [{instancePort: 80, policyNames: ['auth', 'ebws-proxy-protocol']}],
      }),
      80,
    )
    assert.deepEqual(
      planWaves(p.steps).map((w) => w.map((s) => s.op.kind)),
      [['setBackendPolicies'], ['deletePolicy'], ['createPolicy'], ['setBackendPolicies']],
    )
    assert.deepEqual(p.steps.at(-1)!.op, {
      kind: 'setBackendPolicies',
      instancePort: 80,
      policyNames: ['auth', 'ebws-proxy-protocol'],
    })
  })

  it('--health-check tcp: the HTTP check on the port becomes TCP before the policy is attached', () => {
    const p = planEnable(state({healthCheck: hc('HTTP:80/health')}), 80, {healthCheckTcp: true})
    const waves = planWaves(p.steps).map((w) => w.map((s) => s.op.kind).sort())
    assert.deepEqual(waves, [['configureHealthCheck', 'createPolicy'], ['setBackendPolicies']])
    assert.equal(p.desired.healthCheck?.target, 'TCP:80')
    assert.equal(p.desired.healthCheck?.intervalSeconds, 10, 'thresholds kept')
    assert.equal(
      planEnable(state({healthCheck: hc('HTTP:81/healthz')}), 80, {healthCheckTcp: true}).desired.healthCheck,
      undefined,
      'another port is left alone',
    )
  })

  it('never touches listeners', () => {
    for (const p of [
      planEnable(state(), 80),
      planDisable(
        state({
          policies: [proxy('ebws-proxy-protocol')],
          backendPolicies: [{instancePort: 80, policyNames: ['ebws-proxy-protocol']}],
        }),
        80,
      ),
    ]) {
      assert.ok(
        p.steps.every((s) => !/listener/i.test(s.op.kind)),
        JSON.stringify(p.steps),
      )
    }
  })
})

describe('planDisable', () => {
  it('removes only the Proxy Protocol policies from the port, then deletes ours once unused', () => {
    const p = planDisable(
      state({
        policies: [proxy('ebws-proxy-protocol'), auth],
        backendPolicies: [{instancePort: 80, policyNames: ['auth', 'ebws-proxy-protocol']}],
      }),
      80,
    )
    assert.deepEqual(
      planWaves(p.steps).map((w) => w.map((s) => s.op)),
      [
        [{kind: 'setBackendPolicies', instancePort: 80, policyNames: ['auth']}],
        [{kind: 'deletePolicy', name: 'ebws-proxy-protocol'}],
      ],
    )
  })

  it('keeps our policy while another port uses it', () => {
    const p = planDisable(
      state({
        policies: [proxy('ebws-proxy-protocol')],
        backendPolicies: [
          {instancePort: 80, policyNames: ['ebws-proxy-protocol']},
          {instancePort: 8080, policyNames: ['ebws-proxy-protocol']},
        ],
      }),
      80,
    )
    assert.deepEqual(ops(p.steps), [{kind: 'setBackendPolicies', instancePort: 80, policyNames: []}])
  })

  it('does not delete a policy it did not make; already off: no steps', () => {
    assert.deepEqual(
      ops(
        planDisable(
          state({policies: [proxy('theirs')], backendPolicies: [{instancePort: 80, policyNames: ['theirs']}]}),
          80,
        ).steps,
      ),
      [{kind: 'setBackendPolicies', instancePort: 80, policyNames: []}],
    )
    assert.deepEqual(
      planDisable(state({policies: [proxy('x', false)], backendPolicies: [{instancePort: 80, policyNames: ['x']}]}), 80)
        .steps,
      [],
    )
    assert.deepEqual(planDisable(state(), 80).steps, [])
  })
})

describe('blockers', () => {
  it('an HTTP or HTTPS listener on the port, with the advice', () => {
    const b = blockers(
      state({listeners: [l('HTTPS', 443, 'HTTP'), l('HTTP', 80, 'HTTP'), l('HTTP', 8080, 'HTTP', 8080)]}),
      undefined,
      80,
    )
    assert.deepEqual(
      b.map((x) => x.code),
      ['http-listener', 'http-listener'],
    )
    assert.ok(b[0]!.suggestions.some((s) => /listeners fix with --mode proxy/.test(s)))
    assert.deepEqual(
      blockers(state({listeners: [...TCP, l('HTTP', 8080, 'HTTP', 8080)]}), undefined, 80),
      [],
      'other ports do not matter',
    )
  })

  it('an HTTP health check on the port, unless switched to TCP; one on another port is fine', () => {
    assert.deepEqual(
      blockers(state({healthCheck: hc('HTTP:80/')}), undefined, 80).map((b) => b.code),
      ['http-health-check'],
    )
    assert.deepEqual(
      blockers(state({healthCheck: hc('HTTPS:80/')}), undefined, 80).map((b) => b.code),
      ['http-health-check'],
    )
    assert.deepEqual(blockers(state({healthCheck: hc('HTTP:80/')}), undefined, 80, {healthCheckTcp: true}), [])
    assert.deepEqual(blockers(state({healthCheck: hc('HTTP:81/healthz')}), undefined, 80), [])
  })

  it('with the environment written too, what the option settings would put back', () => {
    const configured = settings(['aws:elasticbeanstalk:application', 'Application Healthcheck URL', '/health'])
    const b = blockers(state(), configured, 80, {checkConfigured: true})
    assert.deepEqual(
      b.map((x) => x.code),
      ['configured-http-listener', 'configured-http-health-check'],
    )
    assert.deepEqual(blockers(state(), configured, 80), [], '--apply-to elb judges the live CLB only')
  })
})

describe('option settings', () => {
  it('the health check target Beanstalk derives from the settings', () => {
    assert.equal(configuredHealthCheckTarget([]), 'TCP:80')
    assert.equal(
      configuredHealthCheckTarget([
        {namespace: 'aws:elasticbeanstalk:application', optionName: 'Application Healthcheck URL', value: '/health'},
      ]),
      'HTTP:80/health',
    )
    assert.equal(
      configuredHealthCheckTarget([
        {
          namespace: 'aws:elasticbeanstalk:application',
          optionName: 'Application Healthcheck URL',
          value: 'HTTP:81/healthz',
        },
      ]),
      'HTTP:81/healthz',
    )
    assert.equal(
      configuredHealthCheckTarget([
        {namespace: 'aws:elb:healthcheck', optionName: 'Target', value: 'TCP:81'},
        {namespace: 'aws:elasticbeanstalk:application', optionName: 'Application Healthcheck URL', value: '/'},
      ]),
      'TCP:81',
    )
    assert.equal(healthCheckPort('HTTP:8080/x'), 8080)
  })

  it('enable: our namespace with ProxyProtocol and InstancePorts (adding to the ports it covers); nothing when already there', () => {
    assert.deepEqual(settingsForEnable(settings(), 80).set, [
      {namespace: 'aws:elb:policies:ebws-proxy-protocol', optionName: 'ProxyProtocol', value: 'true'},
      {namespace: 'aws:elb:policies:ebws-proxy-protocol', optionName: 'InstancePorts', value: '80'},
    ])
    const ours = settings(
      ['aws:elb:policies:ebws-proxy-protocol', 'ProxyProtocol', 'true'],
      ['aws:elb:policies:ebws-proxy-protocol', 'InstancePorts', '8080'],
    )
    assert.deepEqual(settingsForEnable(ours, 80).set, [
      {namespace: 'aws:elb:policies:ebws-proxy-protocol', optionName: 'InstancePorts', value: '80,8080'},
    ])
    assert.deepEqual(settingsForEnable(ours, 8080), {set: [], remove: []})
    assert.deepEqual(
      settingsForEnable(
        settings(['aws:elb:policies:pp', 'ProxyProtocol', 'true'], ['aws:elb:policies:pp', 'InstancePorts', '80']),
        80,
      ),
      {set: [], remove: []},
      'their policy covers it',
    )
  })

  it('enable --health-check tcp: the health check setting too', () => {
    const c = settings(['aws:elasticbeanstalk:application', 'Application Healthcheck URL', '/health'])
    assert.deepEqual(settingsForEnable(c, 80, {healthCheckTcp: true}).set.at(-1), {
      namespace: 'aws:elasticbeanstalk:application',
      optionName: 'Application Healthcheck URL',
      value: 'TCP:80',
    })
  })

  it('disable: removes our options, or the port from them; turns another policy off', () => {
    const ours = settings(
      ['aws:elb:policies:ebws-proxy-protocol', 'ProxyProtocol', 'true'],
      ['aws:elb:policies:ebws-proxy-protocol', 'InstancePorts', '80'],
    )
    assert.deepEqual(settingsForDisable(ours, 80), {
      set: [],
      remove: [
        {namespace: 'aws:elb:policies:ebws-proxy-protocol', optionName: 'ProxyProtocol'},
        {namespace: 'aws:elb:policies:ebws-proxy-protocol', optionName: 'InstancePorts'},
      ],
    })
    const two = settings(
      ['aws:elb:policies:ebws-proxy-protocol', 'ProxyProtocol', 'true'],
      ['aws:elb:policies:ebws-proxy-protocol', 'InstancePorts', '80,8080'],
    )
    assert.deepEqual(settingsForDisable(two, 80).set, [
      {namespace: 'aws:elb:policies:ebws-proxy-protocol', optionName: 'InstancePorts', value: '8080'},
    ])
    const theirs = settings(
      ['aws:elb:policies:pp', 'ProxyProtocol', 'true'],
      ['aws:elb:policies:pp', 'InstancePorts', '80'],
    )
    assert.deepEqual(settingsForDisable(theirs, 80).set, [
      {namespace: 'aws:elb:policies:pp', optionName: 'ProxyProtocol', value: 'false'},
    ])
    assert.deepEqual(settingsForDisable(settings(), 80), {set: [], remove: []})
  })
})

describe('status and verification', () => {
  it('per port: on/off, the listeners feeding it, other policies, safety, configured', () => {
    const s = state({
      listeners: [...TCP, l('HTTP', 8080, 'HTTP', 8080)],
      policies: [proxy('ebws-proxy-protocol'), auth],
      backendPolicies: [{instancePort: 80, policyNames: ['auth', 'ebws-proxy-protocol']}],
    })
    const st = proxyProtocolStatus(s, settings(['aws:elb:listener', 'ListenerProtocol', 'TCP']))
    assert.deepEqual(
      st.map((p) => [p.instancePort, p.enabled, p.safe, p.configured, p.otherPolicies, p.listeners]),
      [
        [80, true, true, false, ['auth'], ['SSL 443 -> TCP 80', 'TCP 80 -> TCP 80']],
        [8080, false, false, false, [], ['HTTP 8080 -> HTTP 8080']],
      ],
    )
  })

  it('verifies by effect, whatever the policy names', () => {
    const on = state({policies: [proxy('AWSEB-x')], backendPolicies: [{instancePort: 80, policyNames: ['AWSEB-x']}]})
    assert.deepEqual(unmetProxy(on, 'enable', 80), [])
    assert.deepEqual(unmetProxy(on, 'disable', 80), ['Proxy Protocol on instance port 80 is on'])
    assert.deepEqual(
      unmetProxy(
        state({policies: [proxy('x', false)], backendPolicies: [{instancePort: 80, policyNames: ['x']}]}),
        'disable',
        80,
      ),
      [],
    )
    assert.deepEqual(unmetProxy(on, 'enable', 80, 'TCP:80'), [])
    assert.deepEqual(unmetProxy(state({healthCheck: hc('HTTP:80/')}), 'disable', 80, 'TCP:80'), [
      'the health check is HTTP:80/, not TCP:80',
    ])
  })
})

describe('listensWithProxyProtocol (the app check)', () => {
  it('finds it in the shipped proxy-protocol nginx.conf, and not in the default files', () => {
    const proxyConf = shippedNginxFiles('proxy-protocol').find((f) => f.bundlePath === '.platform/nginx/nginx.conf')!
    assert.equal(listensWithProxyProtocol(readFileSync(proxyConf.source, 'utf8'), 80), true)
    assert.equal(listensWithProxyProtocol(readFileSync(proxyConf.source, 'utf8'), 8080), false)
    for (const f of shippedNginxFiles('default'))
      assert.equal(listensWithProxyProtocol(readFileSync(f.source, 'utf8'), 80), false, f.bundlePath)
  })

  it('reads listen directives, not comments; address:port forms', () => {
    assert.equal(listensWithProxyProtocol('# listen 80 proxy_protocol;\nserver { listen 80; }', 80), false)
    assert.equal(listensWithProxyProtocol('server {listen 0.0.0.0:80 default_server proxy_protocol;}', 80), true)
    assert.equal(listensWithProxyProtocol('server { listen [::]:80 proxy_protocol; }', 80), true)
    assert.equal(listensWithProxyProtocol('server { listen 81 proxy_protocol; }', 80), false)
  })
})
