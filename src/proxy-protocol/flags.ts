import {Flags} from '@oclif/core'

import {askFirst} from '../cli/confirm.ts'
import {mutatingFlags, waitFlags} from '../cli/flags.ts'
import {formatChange} from './format.ts'
import type {ApplyTo} from './plan.ts'
import type {ProxyChangeOptions, ProxyChangeResult} from './run.ts'

/** Flags of `proxy-protocol enable` and `disable`. */
export const proxyChangeFlags = {
  ...mutatingFlags,
  'instance-port': Flags.integer({
    summary: 'Instance (backend) port to change (nginx on Beanstalk listens on 80).',
    default: 80,
    min: 1,
    max: 65535,
    helpGroup: 'PORTS',
  }),
  'apply-to': Flags.string({
    summary:
      "Where to apply: the live CLB, the environment's option settings (aws:elb:policies:ebws-proxy-protocol), or both.",
    options: ['elb', 'environment', 'both'],
    default: 'both',
  }),
  ...waitFlags,
  'backup-file': Flags.string({
    summary: 'Where to save the snapshot taken before the first write (default: a file in the temp dir).',
  }),
}

type ProxyChangeFlagValues = {
  'instance-port': number
  'apply-to': string
  'dry-run': boolean
  yes: boolean
  wait: boolean
  timeout: number
  'backup-file'?: string | undefined
}

/** The change options both commands share, from their parsed flags. */
export function proxyChangeOptions(
  environmentName: string,
  flags: ProxyChangeFlagValues,
  progress: (line: string) => void,
): ProxyChangeOptions {
  return {
    environmentName,
    instancePort: flags['instance-port'],
    applyTo: flags['apply-to'] as ApplyTo,
    dryRun: flags['dry-run'],
    wait: flags.wait,
    timeoutMs: flags.timeout,
    backupFile: flags['backup-file'],
    progress,
    confirm: askFirst(flags, (plan: ProxyChangeResult) => formatChange(plan, {asking: true})),
  }
}
