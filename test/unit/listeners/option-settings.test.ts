import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {
  configuredFromOptionSettings,
  configuredProxyProtocolPorts,
  configuredSslReferencePolicy,
} from '../../../src/listeners/option-settings.ts'

const s = (namespace: string, optionName: string, value: string) => ({namespace, optionName, value})

describe('configuredFromOptionSettings', () => {
  it("assumes Beanstalk's default HTTP 80 listener when nothing is configured", () => {
    const c = configuredFromOptionSettings([])
    assert.deepEqual(
      c.listeners.map((l) => [l.loadBalancerPort, l.protocol, l.instancePort, l.instanceProtocol, l.enabled, l.source]),
      [[80, 'HTTP', 80, 'HTTP', true, 'default']],
    )
  })

  it("defaults a port listener's InstancePort to the listener port, as the docs say", () => {
    const c = configuredFromOptionSettings([s('aws:elb:listener:443', 'ListenerProtocol', 'SSL')])
    const l443 = c.listeners.find((l) => l.loadBalancerPort === 443)!
    assert.equal(l443.instancePort, 443)
    assert.equal(l443.instanceProtocol, 'TCP')
  })

  it('lets aws:elb:listener:80 override the default-listener namespace', () => {
    const c = configuredFromOptionSettings([
      s('aws:elb:listener', 'ListenerProtocol', 'TCP'),
      s('aws:elb:listener:80', 'ListenerProtocol', 'HTTP'),
    ])
    assert.equal(c.listeners.find((l) => l.loadBalancerPort === 80)!.protocol, 'HTTP')
  })

  it('reads policies, ports and :all', () => {
    const c = configuredFromOptionSettings([
      s('aws:elb:policies:pp', 'ProxyProtocol', 'true'),
      s('aws:elb:policies:pp', 'InstancePorts', ':all'),
      s('aws:elb:policies:tls', 'SSLReferencePolicy', 'ELBSecurityPolicy-TLS-1-2-2017-01'),
      s('aws:elb:policies:tls', 'LoadBalancerPorts', '443, 8443'),
    ])
    assert.deepEqual(configuredProxyProtocolPorts(c, [80, 8080]), [80, 8080])
    assert.equal(configuredSslReferencePolicy(c, 8443), 'ELBSecurityPolicy-TLS-1-2-2017-01')
    assert.equal(configuredSslReferencePolicy(c, 80), undefined)
  })
})
