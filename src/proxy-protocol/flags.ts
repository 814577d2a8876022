import {Flags} from '@oclif/core'

import {mutatingFlags} from '../cli/flags.ts'
import type {ApplyTo} from './plan.ts'
import type {ProxyChangeOptions} from './run.ts'

/** Flags of `proxy-protocol enable` and `disable`. */
export const proxyChangeFlags = {
  ...mutatingFlags,
  'instance-port': Flags.integer({summary: 'Instance (backend) port to change (nginx on Beanstalk listens on 80).', default: 80, min: 1, max: 65535, helpGroup: 'PORTS'}),
  'apply-to': Flags.string({
    summary: "Where to apply: the live CLB, the environment's option settings (aws:elb:policies:ebws-proxy-protocol), or both.",
    options: ['elb', 'environment', 'both'],
    default: 'both',
  }),
  wait: Flags.boolean({summary: 'Wait for the environment to be Ready first instead of failing.', default: false}),
  timeout: Flags.integer({summary: 'Minutes to wait for the environment, in all.', default: 20, min: 1}),
  'backup-file': Flags.string({summary: 'Where to save the snapshot taken before the first write (default: a file in the temp dir).'}),
}

type ProxyChangeFlagValues = {
  'instance-port': number
  'apply-to': string
  'dry-run': boolean
  wait: boolean
  timeout: number
  'backup-file'?: string | undefined
}

/** The change options both commands share, from their parsed flags. */
export function proxyChangeOptions(environmentName: string, flags: ProxyChangeFlagValues, progress: (line: string) => void): ProxyChangeOptions {
  return {
    environmentName,
    instancePort: flags['instance-port'],
    applyTo: flags['apply-to'] as ApplyTo,
    dryRun: flags['dry-run'],
    wait: flags.wait,
    timeoutMs: flags.timeout * 60_000,
    backupFile: flags['backup-file'],
    progress,
  }
}
