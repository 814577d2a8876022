// The package as a library: `import ... from 'ebws'` and 'ebws/redirect' resolve through package.json "exports" to
// tsc's output in dist/src (a package can import itself by name; `npm test` builds first).
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

describe("package exports ('ebws', 'ebws/redirect')", () => {
  it('the root entry has the redirect module and the pure planner', async () => {
    const lib = (await import('ebws')) as Record<string, unknown>
    for (const name of [
      'httpsRedirect',
      'hsts',
      'acceptProxyProtocol',
      'parseProxyV1',
      'requestProtocol',
      'planListenerChanges',
      'planWaves',
      'judgeListeners',
      'classifyLayout',
    ]) {
      assert.equal(typeof lib[name], 'function', name)
    }
  })
  it("'ebws/redirect' is the dependency-free redirect module on its own", async () => {
    const redirect = (await import('ebws/redirect')) as Record<string, unknown>
    assert.equal(typeof redirect.httpsRedirect, 'function')
    assert.equal(redirect.planListenerChanges, undefined)
    assert.deepEqual(
      (redirect.parseProxyV1 as (line: string) => unknown)('PROXY TCP4 198.51.100.22 10.0.0.7 35646 443\r\n'),
      {
        family: 'TCP4',
        sourceAddress: '198.51.100.22',
        destinationAddress: '10.0.0.7',
        sourcePort: 35646,
        destinationPort: 443,
      },
    )
  })
})
