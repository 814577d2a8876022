import {EbwsCommand} from '../../src/cli/base-command.ts'
import {resolveContext} from '../../src/cli/context.ts'
import {awsFlags, layoutPortFlags} from '../../src/cli/flags.ts'
import {formatListenersReport} from '../../src/format/listeners-report.ts'
import type {ListenersReport} from '../../src/listeners/inspect.ts'
import {inspectListeners} from '../../src/listeners/inspect.ts'

export default class ListenersShow extends EbwsCommand {
  static override summary = "Show an environment's Classic Load Balancer listeners and whether Socket.io over HTTPS will work."
  static override description = `Reads the listeners, certificates (from ACM), SSL and Proxy Protocol policies, health check and idle timeout of the environment's Classic Load Balancer, and the environment's aws:elb:* option settings. Names the layout (websocket, http, proxy or none), says in plain words what is wrong, and lists any drift between the live load balancer and the option settings that the next environment update would undo.

Read-only: makes no changes.`
  static override examples = [
    {description: 'Inspect an environment', command: '<%= config.bin %> <%= command.id %> -e my-env'},
    {description: 'Use the eb CLI default environment of this project and branch', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Machine-readable, e.g. in CI', command: '<%= config.bin %> <%= command.id %> -e my-env --region eu-west-1 --json'},
  ]
  static override flags = {...awsFlags, ...layoutPortFlags}

  async run(): Promise<ListenersReport> {
    const {flags} = await this.parse(ListenersShow)
    const {target, clients} = await resolveContext(flags)
    const ports = {httpsPort: flags['https-port'], httpPort: flags['http-port'], instancePort: flags['instance-port']}
    const report = await inspectListeners(clients, target.environmentName, ports)
    this.log(formatListenersReport(report, new Date(), ports))
    return report
  }
}
