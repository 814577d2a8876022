import {Flags} from '@oclif/core'

import {DEFAULT_STATE_DIR} from './run.ts'

/** Where `ebws local up` keeps pids, logs, config and its certificate; `down` and `status` read the same folder. */
export const stateDirFlag = {
  'state-dir': Flags.string({
    summary: 'State folder of `ebws local` (pids, logs, config, certificate).',
    default: DEFAULT_STATE_DIR,
  }),
}
