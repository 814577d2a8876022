import {EbwsCommand} from '../../src/cli/base-command.ts'
import {resolveContext} from '../../src/cli/context.ts'
import {awsFlags, layoutPortFlags} from '../../src/cli/flags.ts'
import type {Elbv2Report} from '../../src/lb/application/show.ts'
import {formatShown, showListeners} from '../../src/lb/show.ts'
import type {ListenersReport} from '../../src/listeners/inspect.ts'

export default class ListenersShow extends EbwsCommand {
  static override summary = "Show an environment's load balancer listeners and whether Socket.io over HTTPS will work."
  static override description = `Classic Load Balancer: reads the listeners, certificates (from ACM), SSL and Proxy Protocol policies, health check and idle timeout, and the environment's aws:elb:* option settings. Names the layout (websocket, http, proxy or none), says in plain words what is wrong, and lists any drift between the live load balancer and the option settings that the next environment update would undo.

Application Load Balancer (dedicated or shared): the listeners with their default actions and rules (a shared ALB: this environment's rules, and which environments share it), the certificates (incl. extra SNI ones), SSL policies, the target group of each Beanstalk process (health check, stickiness, deregistration delay), the idle timeout, and the aws:elbv2:* / aws:elasticbeanstalk:environment:process:* settings beside the live values, with drift named (e.g. a port-80 redirect that exists only on the load balancer).

Network Load Balancer: its TCP/TLS listeners, target groups and Proxy Protocol v2, and what that means for the app.

Read-only: makes no changes.`
  static override examples = [
    {description: 'Inspect an environment', command: '<%= config.bin %> <%= command.id %> -e my-env'},
    {
      description: 'Use the eb CLI default environment of this project and branch',
      command: '<%= config.bin %> <%= command.id %>',
    },
    {
      description: 'Machine-readable, e.g. in CI',
      command: '<%= config.bin %> <%= command.id %> -e my-env --region eu-west-1 --json',
    },
  ]
  static override flags = {...awsFlags, ...layoutPortFlags}

  async run(): Promise<ListenersReport | Elbv2Report> {
    const {flags} = await this.parse(ListenersShow)
    const {target, clients} = await resolveContext(flags)
    const shown = await showListeners(clients, target.environmentName, {
      httpsPort: flags['https-port'],
      httpPort: flags['http-port'],
      instancePort: flags['instance-port'],
    })
    // With --json the report is the output: the text for people is not built (oclif's log() would drop it).
    if (!this.jsonEnabled()) this.log(formatShown(shown))
    return shown.report as ListenersReport | Elbv2Report
  }
}
