import {Flags} from '@oclif/core'

import {mutatingFlags} from '../cli/flags.ts'

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
