import {EbwsCommand} from '../../src/cli/base-command.ts'
import {stateDirFlag} from '../../src/local/flags.ts'
import {localDown, type LocalDownResult} from '../../src/local/run.ts'

export default class LocalDown extends EbwsCommand {
  static override summary = 'Stop what `ebws local up` started (by recorded pid, nothing else).'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']
  static override flags = {
    ...stateDirFlag,
  }

  async run(): Promise<LocalDownResult> {
    const {flags} = await this.parse(LocalDown)
    const result = await localDown(flags['state-dir'])
    if (result.stopped.length === 0 && result.alreadyGone.length === 0) this.log('Nothing to stop.')
    for (const p of result.stopped) this.log(`Stopped ${p.name} (pid ${p.pid}).`)
    for (const p of result.alreadyGone) this.log(`${p.name} (pid ${p.pid}) was not running.`)
    return result
  }
}
