import {EbwsCommand} from '../../src/cli/base-command.ts'
import {awsFlags} from '../../src/cli/flags.ts'

export default class ListenersShow extends EbwsCommand {
  static override summary = 'Show the Classic Load Balancer listeners of an environment and whether WebSockets over HTTPS will work.'
  static override examples = ['<%= config.bin %> <%= command.id %> -e my-env']
  static override flags = {...awsFlags}

  async run(): Promise<unknown> {
    const {flags} = await this.parse(ListenersShow)
    return {environment: flags.environment}
  }
}
