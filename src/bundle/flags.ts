import {Flags} from '@oclif/core'

/**
 * The bundle flags, shared by `ebws bundle` and `ebws deploy` (one name per concept): both build the same zip.
 */
export const SECRET_RULE_HELP = `Secrets are refused, not shipped: the command stops with exit 2 (SECRET_IN_BUNDLE), naming every path, before anything is written or uploaded, when the bundle would hold .aws/ or .ssh/ files, .env or .env.* files (.env.example and other templates excepted), id_rsa* and other SSH private keys, *.key, *.p12/*.pfx and Java keystores, an .npmrc or .yarnrc.yml with a registry token, or any file holding a PEM private key block. --allow-secret PATH (repeatable; a file or a folder, relative to the app folder) ships one on purpose. .ebws-local/ (the state folder of \`ebws local up\`, which holds a TLS private key) is never part of an app: it is left out, with a notice. A symlink that resolves outside the app folder is refused too (following it would copy e.g. ~/.ssh into the zip) unless named with --allow-link-outside. --archive zips get the same checks, and their .platform/hooks files must be executable.`

export const bundleFlags = {
  'include-node-modules': Flags.boolean({
    summary: 'Bundle the root node_modules folder too (by default the platform runs npm install).',
    default: false,
    helpGroup: 'BUNDLE',
  }),
  symlinks: Flags.string({
    summary: 'Bundle what symlinks point to (follow) or the links themselves (store).',
    options: ['follow', 'store'],
    default: 'follow',
    helpGroup: 'BUNDLE',
  }),
  'allow-secret': Flags.string({
    summary: 'Ship this secret file or folder anyway (path in the app folder; repeatable).',
    multiple: true,
    helpGroup: 'BUNDLE',
  }),
  'allow-link-outside': Flags.string({
    summary: 'Follow this symlink although it points outside the app folder (repeatable).',
    multiple: true,
    helpGroup: 'BUNDLE',
  }),
}
