import {EbwsCommand} from '../../src/cli/base-command.ts'
import {resolveContext} from '../../src/cli/context.ts'
import {awsFlags} from '../../src/cli/flags.ts'
import {createProgress} from '../../src/cli/progress.ts'
import {proxyChangeFlags, proxyChangeOptions} from '../../src/proxy-protocol/flags.ts'
import {formatChange} from '../../src/proxy-protocol/format.ts'
import type {ProxyChangeResult} from '../../src/proxy-protocol/run.ts'
import {changeProxyProtocol} from '../../src/proxy-protocol/run.ts'

export default class ProxyProtocolDisable extends EbwsCommand {
  static override summary = "Turn Proxy Protocol off for an instance port of the environment's Classic Load Balancer."
  static override description = `Removes the Proxy Protocol policies from the instance port's backend policy list (other policies stay), deletes ebws-proxy-protocol once nothing uses it, and by default removes aws:elb:policies:ebws-proxy-protocol from the environment's option settings (or the port from its InstancePorts) so environment updates keep it off (--apply-to).

Turn nginx's proxy_protocol off afterwards: until then nginx rejects connections without the PROXY line. Idempotent: a second run makes zero writes.`
  static override examples = [
    {description: 'Preview', command: '<%= config.bin %> <%= command.id %> -e my-env --dry-run'},
    {
      description: 'Disable on port 80, live and in the option settings',
      command: '<%= config.bin %> <%= command.id %> -e my-env',
    },
    {
      description: 'Another instance port, machine-readable',
      command: '<%= config.bin %> <%= command.id %> -e my-env --instance-port 8080 --json',
    },
  ]
  static override flags = {...awsFlags, ...proxyChangeFlags}

  async run(): Promise<ProxyChangeResult> {
    const {flags} = await this.parse(ProxyProtocolDisable)
    const {target, clients} = await resolveContext(flags)
    const result = await changeProxyProtocol(
      clients,
      'disable',
      proxyChangeOptions(target.environmentName, flags, createProgress()),
    )
    this.log(formatChange(result))
    return result
  }
}
