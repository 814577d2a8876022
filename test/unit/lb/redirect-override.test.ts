// The pure parts of keeping an ALB's port-80 redirect across deploys: the decision, the folder's own override,
// and the bundle's extra entries (no servers).
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {withExtraEntries} from '../../../src/bundle/extra-entries.ts'
import type {RedirectOverrideTarget} from '../../../src/lb/application/bundle-override.ts'
import {
  bundleListenerOverride,
  decideRedirectOverride,
  REDIRECT_OVERRIDE_PATH,
  redirectOverrideConfig,
} from '../../../src/lb/application/bundle-override.ts'

const ALB: RedirectOverrideTarget = {loadBalancerType: 'application', shared: false, liveRedirect: true}
const NONE = {overrides: false, hasOverrideFile: false}
const decide = (target: RedirectOverrideTarget, o: {bundle?: typeof NONE; enabled?: boolean; archive?: boolean} = {}) =>
  decideRedirectOverride({
    environmentName: 'prod',
    target,
    bundle: o.bundle ?? NONE,
    enabled: o.enabled ?? true,
    archive: o.archive ?? false,
  })

describe('decideRedirectOverride', () => {
  it('a dedicated ALB whose port 80 redirects, a bundle without the override: add it, no warning', () => {
    assert.deepEqual(decide(ALB), {add: true, status: 'added'})
  })
  it('never for a CLB, an NLB, a shared ALB, a single instance, or a port 80 that forwards', () => {
    for (const t of [
      {loadBalancerType: 'classic', shared: false},
      {loadBalancerType: 'network', shared: false},
      {loadBalancerType: 'none', shared: false},
      {loadBalancerType: 'application', shared: true},
      {...ALB, liveRedirect: false},
    ] as RedirectOverrideTarget[])
      assert.deepEqual(decide(t), {add: false, status: 'not-needed'}, JSON.stringify(t))
  })
  it("the bundle's own override wins, whatever the target", () => {
    assert.deepEqual(decide(ALB, {bundle: {overrides: true, hasOverrideFile: false}}), {
      add: false,
      status: 'in-bundle',
    })
  })
  it('turned off, an archive, or a same-named file of the app: not added, and the warning names the fix', () => {
    for (const [o, why] of [
      [{enabled: false}, /without --no-redirect-override/],
      [{archive: true}, /an --archive is shipped as is/],
      [{bundle: {overrides: false, hasOverrideFile: true}}, /holds no such override and is never replaced/],
    ] as const) {
      const d = decide(ALB, o)
      assert.equal(d.add, false)
      assert.equal(d.status, 'missing')
      assert.match(d.warning!, /prod's port-80 redirect exists only on the load balancer/)
      assert.match(d.warning!, /drops the redirect/)
      assert.ok(d.warning!.includes('`ebws listeners fix -e prod --emit-ebextensions .ebextensions`'))
      assert.match(d.warning!, why)
    }
  })
  it('an unreadable load balancer: nothing added, a warning that says what could not be read', () => {
    const d = decide({loadBalancerType: 'application', shared: false, unreadable: "the ALB's listeners: AccessDenied"})
    assert.equal(d.status, 'unknown')
    assert.equal(d.add, false)
    assert.match(d.warning!, /could not read the ALB's listeners: AccessDenied/)
  })
})

describe("the folder's own override (bundleListenerOverride)", () => {
  const read = (files: Record<string, string>) => bundleListenerOverride(Object.keys(files), async (p) => files[p]!)
  it('any root .ebextensions/*.config with the listener DefaultActions counts; nested or other files do not', async () => {
    assert.deepEqual(await read({'.ebextensions/zz.config': redirectOverrideConfig(), 'app.js': ''}), {
      overrides: true,
      hasOverrideFile: false,
    })
    assert.deepEqual(
      await read({
        '.ebextensions/sub/x.config': redirectOverrideConfig(),
        'lib/.ebextensions/y.config': redirectOverrideConfig(),
      }),
      NONE,
    )
    assert.deepEqual(await read({[REDIRECT_OVERRIDE_PATH]: 'option_settings: {}\n'}), {
      overrides: false,
      hasOverrideFile: true,
    })
  })
})

describe('withExtraEntries', () => {
  const f = (path: string) => ({path, kind: 'file' as const, source: `/app/${path}`})
  it('merges in path order and never replaces a listed file', () => {
    const files = [f('.ebextensions/01.config'), f('app.js'), f('package.json')]
    assert.deepEqual(
      withExtraEntries(files, [{path: '.ebextensions/ebws-alb-redirect.config', source: '/tmp/x'}]).map((e) => e.path),
      ['.ebextensions/01.config', '.ebextensions/ebws-alb-redirect.config', 'app.js', 'package.json'],
    )
    assert.deepEqual(withExtraEntries(files, [{path: 'app.js', source: '/tmp/evil'}]), files)
    assert.deepEqual(withExtraEntries(files, []), files)
  })
})
