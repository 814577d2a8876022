import {EbwsCommand} from '../../src/cli/base-command.ts'
import {stateDirFlag} from '../../src/local/flags.ts'
import {localStatus, type LocalStatus} from '../../src/local/run.ts'

export default class LocalStatusCommand extends EbwsCommand {
  static override summary = 'Say what `ebws local up` started and whether it is still running.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']
  static override flags = {
    ...stateDirFlag,
  }

  async run(): Promise<LocalStatus> {
    const {flags} = await this.parse(LocalStatusCommand)
    const status = await localStatus(flags['state-dir'])
    if (!status.mode) {
      this.log('Not running (nothing started by `ebws local up` in this directory).')
      return status
    }
    this.log(
      `${status.running ? 'Running' : 'Partly or not running'}: ${status.mode} layout behind the ${status.loadBalancer} load balancer, started ${status.startedAt}`,
    )
    if (status.urls) this.log(`  ${status.urls.https}  ${status.urls.http}`)
    for (const p of status.processes)
      this.log(`  ${p.name.padEnd(7)} pid ${p.pid} ${p.running ? 'running' : 'NOT running'}  (${p.log})`)
    for (const i of status.instances)
      this.log(
        `  instance ${i.id.padEnd(6)} port ${i.port} ${i.running ? 'running' : 'NOT running'}, ${i.accepting ? 'accepting' : 'closed'}${i.pid ? ` (pid ${i.pid})` : ''}`,
      )
    if (status.redis) this.log(`  redis ${status.redis.url}: ${status.redis.answering ? 'answering' : 'NOT answering'}`)
    if (status.stickiness) this.log(`  sticky cookie ${status.stickiness.cookie}`)
    for (const p of status.ports) this.log(`  port ${p.port} ${p.role}: ${p.accepting ? 'accepting' : 'closed'}`)
    for (const note of status.notes) this.log(`  Note ${note}`)
    return status
  }
}
