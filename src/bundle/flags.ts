import {Flags} from '@oclif/core'

/**
 * The bundle flags, shared by `ebws bundle` and `ebws deploy` (one name per concept): both build the same zip.
 */
export const SECRET_RULE_HELP = `Secrets are refused, not shipped: the command stops with exit 2 (SECRET_IN_BUNDLE), naming every path, before anything is written or uploaded, when the bundle would hold .aws/ or .ssh/ files, .env or .env.* files (.env.example and other templates excepted), id_rsa* and other SSH private keys, *.key, *.p12/*.pfx and Java keystores, an .npmrc or .yarnrc.yml with a registry token, or any file holding a PEM private key block. --allow-secret PATH (repeatable; a file or a folder, relative to the app folder) ships one on purpose. .ebws-local/ (the state folder of \`ebws local up\`, which holds a TLS private key) is never part of an app: it is left out, with a notice. A symlink that resolves outside the app folder is refused too (following it would copy e.g. ~/.ssh into the zip) unless named with --allow-link-outside. --archive zips get the same checks, and their .platform/hooks files must be executable.`

/** What --redirect-override does, for both commands' descriptions (README: "Keeping an ALB's port-80 redirect"). */
export const REDIRECT_OVERRIDE_HELP = `An ALB's port-80 redirect to HTTPS has no option setting: every environment update rebuilds the listener from Beanstalk's template and drops a redirect that exists only on the load balancer (as \`ebws listeners fix\` sets it), unless the bundle's .ebextensions override the AWSEBV2LoadBalancerListener resource. So when the target is a dedicated Application Load Balancer whose port 80 redirects to HTTPS now, and the folder's .ebextensions lack that override, ebws adds .ebextensions/ebws-alb-redirect.config (the file \`ebws listeners fix --emit-ebextensions DIR\` writes, same bytes) to the bundle and says so. Never for a Classic or Network Load Balancer, a shared ALB, or a port 80 that does not redirect; never over the app's own file of that name; the bundle stays deterministic. --no-redirect-override leaves the bundle as the folder is, with a warning that the update drops the redirect.`

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
  'redirect-override': Flags.boolean({
    summary:
      "For a dedicated ALB whose port 80 redirects to HTTPS: ship the .ebextensions override that keeps the redirect across the environment update (default; --no-redirect-override: don't, and warn).",
    default: true,
    allowNo: true,
    helpGroup: 'BUNDLE',
  }),
}
