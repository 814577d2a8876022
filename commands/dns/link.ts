import {Flags} from '@oclif/core'

import {EbwsCommand} from '../../src/cli/base-command.ts'
import {askFirst} from '../../src/cli/confirm.ts'
import {resolveContext} from '../../src/cli/context.ts'
import {awsFlags, mutatingFlags} from '../../src/cli/flags.ts'
import {createProgress} from '../../src/cli/progress.ts'
import type {DnsLinkResult} from '../../src/dns/link.ts'
import {linkDomain} from '../../src/dns/link.ts'
import {formatDnsLink} from '../../src/format/dns.ts'

export default class DnsLink extends EbwsCommand {
  static override summary =
    'Point a domain at an environment: Route 53 alias A/AAAA records to its load balancer (or a CNAME when it has none).'
  static override description = `Finds the public Route 53 hosted zone that holds the domain (longest matching suffix) and writes, as one atomic change: an alias record to the environment's load balancer (its DNS name and canonical hosted zone id from DescribeLoadBalancers; alias queries are free and work at the zone apex), or, for an environment without a load balancer, a CNAME to the environment's CNAME.

Classic Load Balancer: an alias A (IPv4 only in a VPC). Application or Network Load Balancer: an alias A, plus an alias AAAA to dualstack.<its DNS name> when its IpAddressType is dualstack (AAAA only for dualstack-without-public-ipv4). The output says which and why.

Never replaces a record that points somewhere else unless --replace (a record that already points at this environment, e.g. its CNAME or the load balancer without the dualstack. prefix, is updated without it) (the old value is shown). Idempotent: a second run makes no change.`
  static override examples = [
    {
      description: 'Point app.example.com at my-env',
      command: '<%= config.bin %> <%= command.id %> -e my-env --domain app.example.com',
    },
    {
      description: 'See what would change',
      command: '<%= config.bin %> <%= command.id %> -e my-env --domain example.com --dry-run',
    },
    {
      description: 'Take a name over from another target',
      command: '<%= config.bin %> <%= command.id %> -e my-env --domain www.example.com --replace',
    },
  ]
  static override flags = {
    ...awsFlags,
    ...mutatingFlags,
    domain: Flags.string({summary: 'The name to point at the environment (e.g. app.example.com).', required: true}),
    replace: Flags.boolean({summary: 'Replace records at the name that point somewhere else.', default: false}),
  }

  async run(): Promise<DnsLinkResult> {
    const {flags} = await this.parse(DnsLink)
    const {target, clients} = await resolveContext(flags)
    const result = await linkDomain(clients, {
      environmentName: target.environmentName,
      domain: flags.domain,
      replace: flags.replace,
      dryRun: flags['dry-run'],
      progress: createProgress(),
      confirm: askFirst(flags, formatDnsLink),
    })
    this.log(formatDnsLink(result))
    return result
  }
}
