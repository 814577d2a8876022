import {Flags} from '@oclif/core'

import {AwsClients} from '../../src/aws/clients.ts'
import {EbwsCommand} from '../../src/cli/base-command.ts'
import {askFirst} from '../../src/cli/confirm.ts'
import {mutatingFlags, regionProfileFlags} from '../../src/cli/flags.ts'
import {createProgress} from '../../src/cli/progress.ts'
import type {RestoreResult} from '../../src/listeners/restore.ts'
import {restoreAnyListeners} from '../../src/lb/restore.ts'

export default class ListenersRestore extends EbwsCommand {
  static override summary = 'Put a load balancer back as a snapshot saved by `listeners fix` describes it.'
  static override examples = [
    {description: 'Preview', command: '<%= config.bin %> <%= command.id %> --from /tmp/ebws-backup-awseb-e-abc-2026-11-23T12-00-00-000Z.json --dry-run'},
    {description: 'Restore', command: '<%= config.bin %> <%= command.id %> --from ./backup.json'},
  ]
  static override flags = {
    ...regionProfileFlags,
    ...mutatingFlags,
    from: Flags.file({summary: 'Snapshot file written by `ebws listeners fix`.', required: true, exists: true}),
  }

  async run(): Promise<RestoreResult> {
    const {flags} = await this.parse(ListenersRestore)
    const result = await restoreAnyListeners(
      (region) => new AwsClients({region: flags.region ?? region, profile: flags.profile}),
      flags.from,
      {dryRun: flags['dry-run'], progress: createProgress(), confirm: askFirst(flags, formatRestore)},
    )
    this.log(formatRestore(result))
    return result
  }
}

function formatRestore(result: RestoreResult): string {
  if (result.steps.length === 0) return `${result.loadBalancerName} already matches the snapshot.`
  return `${result.dryRun ? 'Would run' : 'Ran'}:\n${result.steps.map((s, i) => `  ${i + 1}. ${s.description}`).join('\n')}`
}
