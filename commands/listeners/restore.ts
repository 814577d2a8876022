import {Flags} from '@oclif/core'

import {AwsClients} from '../../src/aws/clients.ts'
import {EbwsCommand} from '../../src/cli/base-command.ts'
import {askFirst} from '../../src/cli/confirm.ts'
import {mutatingFlags, regionProfileFlags, waitFlags} from '../../src/cli/flags.ts'
import {createProgress} from '../../src/cli/progress.ts'
import type {RestoreResult} from '../../src/lb/types.ts'
import {restoreAnyListeners} from '../../src/lb/restore.ts'

export default class ListenersRestore extends EbwsCommand {
  static override summary = 'Put a load balancer back as a snapshot saved by `listeners fix` describes it.'
  static override examples = [
    {
      description: 'Preview',
      command:
        '<%= config.bin %> <%= command.id %> --from /tmp/ebws-backup-awseb-e-abc-2026-11-23T12-00-00-000Z.json --dry-run',
    },
    {description: 'Restore', command: '<%= config.bin %> <%= command.id %> --from ./backup.json'},
  ]
  static override flags = {
    ...regionProfileFlags,
    ...mutatingFlags,
    timeout: waitFlags.timeout,
    from: Flags.string({summary: 'Snapshot file written by `ebws listeners fix`.', required: true}),
  }

  async run(): Promise<RestoreResult> {
    const {flags} = await this.parse(ListenersRestore)
    const result = await restoreAnyListeners(
      (region) => new AwsClients({region: flags.region ?? region, profile: flags.profile}),
      flags.from,
      {
        dryRun: flags['dry-run'],
        timeoutMs: flags.timeout,
        progress: createProgress(),
        confirm: askFirst(flags, formatRestore),
      },
    )
    this.log(formatRestore(result))
    return result
  }
}

function formatRestore(result: RestoreResult): string {
  const settings = [
    ...result.optionSettingsToUpdate.map((s) => `set ${s.namespace} ${s.optionName} back to ${s.value ?? ''}`),
    ...result.optionSettingsToRemove.map((s) => `remove ${s.namespace} ${s.optionName} (the snapshot did not have it)`),
  ]
  const left = result.leftAlone.map((l) => `Left alone: ${l}`)
  if (result.steps.length === 0 && settings.length === 0)
    return [`${result.loadBalancerName} and its option settings already match the snapshot.`, ...left].join('\n')
  const lines = [...result.steps.map((s) => s.description), ...settings]
  return [`${result.dryRun ? 'Would run' : 'Ran'}:`, ...lines.map((l, i) => `  ${i + 1}. ${l}`), ...left].join('\n')
}
