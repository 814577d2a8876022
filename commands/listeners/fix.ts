import {Flags} from '@oclif/core'

import {EbwsCommand} from '../../src/cli/base-command.ts'
import {resolveContext} from '../../src/cli/context.ts'
import {askFirst} from '../../src/cli/confirm.ts'
import {awsFlags, layoutPortFlags, mutatingFlags, waitFlags} from '../../src/cli/flags.ts'
import {createProgress} from '../../src/cli/progress.ts'
import {formatFixResult} from '../../src/format/fix-result.ts'
import type {FixResult} from '../../src/listeners/fix.ts'
import {fixListeners} from '../../src/listeners/fix.ts'
import {LAYOUT_MODES} from '../../src/listeners/modes.ts'
import {RECOMMENDED_SSL_POLICY} from '../../src/listeners/verdict.ts'

export default class ListenersFix extends EbwsCommand {
  static override summary = "Rewrite an environment's Classic Load Balancer listeners for WebSockets over HTTPS, safely and durably."
  static override description = `Modes:
  websocket  SSL 443 -> TCP 80 (WebSocket upgrades pass untouched) + HTTP 80 -> HTTP 80 (X-Forwarded-Proto: http, so the app redirects)
  http       HTTPS 443 -> HTTP 80 + HTTP 80 -> HTTP 80 (no WebSocket through a CLB HTTP listener: Socket.io long-polls)
  proxy      SSL 443 -> TCP 80 + TCP 80 -> TCP 80 with Proxy Protocol on the instance port

Plans first (--dry-run prints the plan and the equivalent aws CLI commands), makes zero writes when the load balancer already matches, saves a snapshot before its first write and restores it if any step fails. By default it also writes the matching aws:elb:* option settings through UpdateEnvironment so later environment updates keep the layout (--apply-to).`
  static override examples = [
    {description: 'Preview the websocket layout with the certificate that covers a domain', command: '<%= config.bin %> <%= command.id %> -e my-env --domain app.example.com --dry-run'},
    {description: 'Apply it in CI', command: '<%= config.bin %> <%= command.id %> -e my-env --domain app.example.com --json'},
    {description: 'Only the live load balancer (warns: the next environment update reverts it)', command: '<%= config.bin %> <%= command.id %> -e my-env --apply-to elb'},
    {description: 'Write the settings as .ebextensions instead of changing anything', command: '<%= config.bin %> <%= command.id %> -e my-env --emit-ebextensions .ebextensions'},
  ]
  static override flags = {
    ...awsFlags,
    ...layoutPortFlags,
    ...mutatingFlags,
    ...waitFlags,
    mode: Flags.string({summary: 'Listener layout.', options: [...LAYOUT_MODES], default: 'websocket'}),
    'certificate-arn': Flags.string({summary: 'ACM certificate for the secure listener (must be in the load balancer\'s region).', helpGroup: 'CERTIFICATE'}),
    domain: Flags.string({summary: 'Find the ACM certificate that covers this domain (the one that expires last).', helpGroup: 'CERTIFICATE'}),
    'tls-policy': Flags.string({summary: 'Predefined SSL security policy of the secure listener.', default: RECOMMENDED_SSL_POLICY}),
    prune: Flags.boolean({summary: 'Remove listeners on other ports (they are left alone otherwise).', default: false}),
    stickiness: Flags.boolean({summary: 'http mode: enable LB-cookie stickiness, which long-polling across instances needs.', default: false}),
    'idle-timeout': Flags.integer({summary: 'Idle timeout in seconds (default: raised to 60 only when too low for Socket.io).', min: 1, max: 3600}), // ELB API: IdleTimeout 1-3600 (botocore model)
    'apply-to': Flags.string({summary: 'Where to apply: the live CLB, the environment\'s option settings, or both.', options: ['elb', 'environment', 'both'], default: 'both'}),
    'backup-file': Flags.string({summary: 'Where to save the snapshot taken before the first write (default: a file in the temp dir).'}),
    'emit-ebextensions': Flags.directory({summary: 'Write the option settings as DIR/ebws-listeners.config instead of changing anything.', exclusive: ['apply-to', 'dry-run', 'backup-file']}),
  }

  async run(): Promise<FixResult> {
    const {flags} = await this.parse(ListenersFix)
    const {target, clients} = await resolveContext(flags)
    const result = await fixListeners(clients, {
      environmentName: target.environmentName,
      mode: flags.mode as FixResult['mode'],
      ports: {httpsPort: flags['https-port'], httpPort: flags['http-port'], instancePort: flags['instance-port']},
      tlsPolicy: flags['tls-policy'],
      prune: flags.prune,
      stickiness: flags.stickiness,
      idleTimeoutSeconds: flags['idle-timeout'],
      certificateArn: flags['certificate-arn'],
      domain: flags.domain,
      applyTo: flags['apply-to'] as 'elb' | 'environment' | 'both',
      dryRun: flags['dry-run'],
      wait: flags.wait,
      timeoutMs: flags.timeout,
      backupFile: flags['backup-file'],
      emitEbextensionsDir: flags['emit-ebextensions'],
      progress: createProgress(),
      confirm: askFirst(flags, formatFixResult),
    })
    this.log(formatFixResult(result))
    return result
  }
}
