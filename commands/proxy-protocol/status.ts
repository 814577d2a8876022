import {Flags} from '@oclif/core'

import {EbwsCommand} from '../../src/cli/base-command.ts'
import {resolveContext} from '../../src/cli/context.ts'
import {awsFlags} from '../../src/cli/flags.ts'
import {formatStatus} from '../../src/proxy-protocol/format.ts'
import type {StatusResult} from '../../src/proxy-protocol/run.ts'
import {proxyStatus} from '../../src/proxy-protocol/run.ts'

export default class ProxyProtocolStatus extends EbwsCommand {
  static override summary =
    'Show Proxy Protocol per instance port: on or off, the listeners feeding it, and whether it is safe.'
  static override description = `For every instance port of the environment's Classic Load Balancer: whether Proxy Protocol is on (live, and in the option settings that the next environment update applies), the listeners that forward to it, its health check and other backend policies, and whether the layout is safe (no HTTP/HTTPS listener and no HTTP health check on a Proxy Protocol port). Also checks whether the deployed app version's bundle has an nginx config listening with proxy_protocol.

Read-only: makes no changes.`
  static override examples = [
    {description: 'Every instance port', command: '<%= config.bin %> <%= command.id %> -e my-env'},
    {
      description: 'One port, machine-readable',
      command: '<%= config.bin %> <%= command.id %> -e my-env --instance-port 80 --json',
    },
    {
      description: 'Without downloading parts of the deployed bundle',
      command: '<%= config.bin %> <%= command.id %> -e my-env --skip-app-check',
    },
  ]
  static override flags = {
    ...awsFlags,
    'instance-port': Flags.integer({
      summary: 'Only this instance port (default: every port).',
      min: 1,
      max: 65535,
      helpGroup: 'PORTS',
    }),
    'skip-app-check': Flags.boolean({summary: "Don't read the deployed bundle's nginx config.", default: false}),
  }

  async run(): Promise<StatusResult> {
    const {flags} = await this.parse(ProxyProtocolStatus)
    const {target, clients} = await resolveContext(flags)
    const result = await proxyStatus(clients, {
      environmentName: target.environmentName,
      instancePort: flags['instance-port'],
      skipAppCheck: flags['skip-app-check'],
    })
    this.log(formatStatus(result))
    return result
  }
}
