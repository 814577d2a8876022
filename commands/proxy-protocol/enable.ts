import {Flags} from '@oclif/core'

import {EbwsCommand} from '../../src/cli/base-command.ts'
import {resolveContext} from '../../src/cli/context.ts'
import {awsFlags} from '../../src/cli/flags.ts'
import {createProgress} from '../../src/cli/progress.ts'
import {proxyChangeFlags, proxyChangeOptions} from '../../src/proxy-protocol/flags.ts'
import {formatChange} from '../../src/proxy-protocol/format.ts'
import type {ProxyChangeResult} from '../../src/proxy-protocol/run.ts'
import {changeProxyProtocol} from '../../src/proxy-protocol/run.ts'

export default class ProxyProtocolEnable extends EbwsCommand {
  static override summary =
    "Turn Proxy Protocol on for an instance port of the environment's Classic Load Balancer, safely and durably."
  static override description = `Creates the ebws-proxy-protocol policy (ProxyProtocolPolicyType, ProxyProtocol=true) unless an equivalent one exists, and attaches it to the instance port, keeping the port's other backend policies. By default it also writes aws:elb:policies:ebws-proxy-protocol (ProxyProtocol, InstancePorts) through UpdateEnvironment, so environment updates keep it (--apply-to).

Refuses, with zero writes:
  - an HTTP/HTTPS listener forwarding to the port (its requests carry no PROXY line): use \`ebws listeners fix --mode proxy\` or another instance port;
  - an HTTP health check on the port, unless --health-check tcp switches it to TCP (or the check targets another port, such as the shipped HTTP:81/healthz);
  - a deployed app version whose bundle has no nginx config listening with proxy_protocol (deploy .platform/nginx/nginx.conf from .platform/variants/proxy-protocol first), unless --skip-app-check.

Order: deploy the nginx config, then enable. Idempotent: a second run makes zero writes.`
  static override examples = [
    {
      description: 'Preview: the plan and the equivalent aws CLI commands',
      command: '<%= config.bin %> <%= command.id %> -e my-env --dry-run',
    },
    {
      description: 'Enable on port 80, switching an HTTP health check on that port to TCP:80',
      command: '<%= config.bin %> <%= command.id %> -e my-env --health-check tcp',
    },
    {description: 'In CI, machine-readable', command: '<%= config.bin %> <%= command.id %> -e my-env --json'},
    {
      description: 'The app reads the PROXY line itself (no nginx): skip the bundle check',
      command: '<%= config.bin %> <%= command.id %> -e my-env --instance-port 8080 --skip-app-check',
    },
  ]
  static override flags = {
    ...awsFlags,
    ...proxyChangeFlags,
    'health-check': Flags.string({
      summary: 'Switch an HTTP health check on the instance port to TCP first.',
      options: ['tcp'],
    }),
    'skip-app-check': Flags.boolean({
      summary: "Don't check the deployed bundle for the nginx proxy_protocol config.",
      default: false,
    }),
  }

  async run(): Promise<ProxyChangeResult> {
    const {flags} = await this.parse(ProxyProtocolEnable)
    const {target, clients} = await resolveContext(flags)
    const result = await changeProxyProtocol(clients, 'enable', {
      ...proxyChangeOptions(target.environmentName, flags, createProgress()),
      healthCheckTcp: flags['health-check'] === 'tcp',
      skipAppCheck: flags['skip-app-check'],
    })
    this.log(formatChange(result))
    return result
  }
}
