import {Flags} from '@oclif/core'

import {EbwsCommand} from '../../src/cli/base-command.ts'
import {resolveContext} from '../../src/cli/context.ts'
import {askFirst} from '../../src/cli/confirm.ts'
import {awsFlags, idleTimeoutFlag, layoutPortFlags, mutatingFlags, waitFlags} from '../../src/cli/flags.ts'
import {createProgress} from '../../src/cli/progress.ts'
import {formatFixResult} from '../../src/format/fix-result.ts'
import {formatSecurityGroupFix} from '../../src/format/security-groups.ts'
import type {AlbFixResult} from '../../src/lb/application/fix.ts'
import {DEFAULT_SSL_POLICY} from '../../src/lb/application/model.ts'
import {fixAnyListeners, formatFixed} from '../../src/lb/fix.ts'
import {formatHttpsPath} from '../../src/format/https-path.ts'
import type {HttpsPathResult} from '../../src/https-path/run.ts'
import {runHttpsPath} from '../../src/https-path/run.ts'
import type {FixResult} from '../../src/listeners/fix.ts'
import {LAYOUT_MODES} from '../../src/listeners/modes.ts'
import type {SecurityGroupFix} from '../../src/security-groups/fix.ts'
import {RECOMMENDED_SSL_POLICY} from '../../src/listeners/verdict.ts'

export default class ListenersFix extends EbwsCommand {
  static override summary =
    "Rewrite an environment's load balancer listeners for WebSockets over HTTPS, safely and durably."
  static override description = `Classic Load Balancer modes:
  websocket  SSL 443 -> TCP 80 (WebSocket upgrades pass untouched) + HTTP 80 -> HTTP 80 (X-Forwarded-Proto: http, so the app redirects)
  http       HTTPS 443 -> HTTP 80 + HTTP 80 -> HTTP 80 (no WebSocket through a CLB HTTP listener: Socket.io long-polls)
  proxy      SSL 443 -> TCP 80 + TCP 80 -> TCP 80 with Proxy Protocol on the instance port

Plans first (--dry-run prints the plan and the equivalent aws CLI commands), makes zero writes when the load balancer already matches, saves a snapshot before its first write and restores it if any step fails. By default it also writes the matching aws:elb:* option settings through UpdateEnvironment so later environment updates keep the layout (--apply-to).

Application Load Balancer: HTTPS 443 -> the default process with the ACM certificate for --domain or --certificate-arn (RSA or EC keys), SSL policy ${DEFAULT_SSL_POLICY} by default (TLS 1.3 with TLS 1.2 for older clients, no TLS 1.0/1.1: AWS's recommended ALB policy), and port 80 redirecting to HTTPS:443 with a 301 that keeps host, path and query (--redirect lb), or forwarding so the app redirects by X-Forwarded-Proto (--redirect app). --stickiness turns on LB-cookie stickiness on the default process (Socket.io long-polling across 2+ instances needs it); an idle timeout below 45 s is raised to 60 s. The aws:elbv2:listener:443, process and IdleTimeout option settings are written with UpdateEnvironment; the redirect has no option setting, so --emit-ebextensions also writes the documented .ebextensions Resources override of AWSEBV2LoadBalancerListener that keeps it. A shared ALB (its listeners serve other environments too): only this environment's own rules change - on 443 a rule for its hosts (CNAME, --domain) forwarding to its default process, on 80 its rules redirecting to HTTPS - changed with the ELBv2 API as AWS documents for shared load balancers (environment updates leave them alone); stickiness goes on its own target group. A change to the load balancer itself (adding HTTPS 443, another certificate, an explicit --tls-policy, the idle timeout) is refused with exit 2, naming the other environments, unless --change-shared-listeners (--dry-run shows the whole plan first, marking the steps that need it, then exits 2 all the same). --mode, --prune and --apply-to apply to a CLB only.

Network Load Balancer: refused, with the recommended path: an NLB cannot redirect or add X-Forwarded-Proto, and Beanstalk's NLB listener settings are TCP only.

From a domain name in one command: --domain D --request-certificate --link-dns first requests (or reuses) an ACM certificate for D validated through Route 53 (as \`ebws cert request\`), then points D at the load balancer (as \`ebws dns link\`), then fixes the listeners with that certificate. Every step is planned and checked before the first write; a certificate left pending (D's zone is not in Route 53) stops before the DNS and listener steps with exit 6 (CERT_PENDING) and the records to create; a failed step undoes its own writes and keeps (and names) the earlier steps' results; the end state is read back.`
  static override examples = [
    {
      description: 'Preview the websocket layout with the certificate that covers a domain',
      command: '<%= config.bin %> <%= command.id %> -e my-env --domain app.example.com --dry-run',
    },
    {
      description: 'Apply it in CI',
      command: '<%= config.bin %> <%= command.id %> -e my-env --domain app.example.com --json',
    },
    {
      description: 'From a domain name to HTTPS: certificate, DNS record, then the listeners',
      command:
        '<%= config.bin %> <%= command.id %> -e my-env --domain app.example.com --request-certificate --link-dns',
    },
    {
      description: 'Only the live load balancer (warns: the next environment update reverts it)',
      command: '<%= config.bin %> <%= command.id %> -e my-env --apply-to elb',
    },
    {
      description: 'Write the settings as .ebextensions instead of changing anything',
      command: '<%= config.bin %> <%= command.id %> -e my-env --emit-ebextensions .ebextensions',
    },
  ]
  static override flags = {
    ...awsFlags,
    ...layoutPortFlags,
    ...mutatingFlags,
    ...waitFlags,
    mode: Flags.string({summary: 'Listener layout.', options: [...LAYOUT_MODES], default: 'websocket'}),
    'certificate-arn': Flags.string({
      summary: "ACM certificate for the secure listener (must be in the load balancer's region).",
      helpGroup: 'CERTIFICATE',
    }),
    domain: Flags.string({
      summary: 'Find the ACM certificate that covers this domain (the one that expires last).',
      helpGroup: 'CERTIFICATE',
    }),
    'tls-policy': Flags.string({
      summary: `Predefined SSL security policy of the secure listener (CLB: ${RECOMMENDED_SSL_POLICY}; ALB: ${DEFAULT_SSL_POLICY}).`,
    }),
    redirect: Flags.string({
      summary:
        'ALB: redirect http:// at the load balancer (lb) or leave port 80 forwarding to the app, which redirects (app).',
      options: ['lb', 'app'],
      default: 'lb',
    }),
    prune: Flags.boolean({summary: 'Remove listeners on other ports (they are left alone otherwise).', default: false}),
    stickiness: Flags.boolean({
      summary: 'CLB http mode, or ALB: enable LB-cookie stickiness, which long-polling across instances needs.',
      default: false,
    }),
    ...idleTimeoutFlag(
      'Idle timeout: seconds, or a duration such as 90s, 2m (default: raised to 60 s only when too low for Socket.io).',
    ),
    'apply-to': Flags.string({
      summary: "Where to apply: the live CLB, the environment's option settings, or both.",
      options: ['elb', 'environment', 'both'],
      default: 'both',
    }),
    'backup-file': Flags.string({
      summary: 'Where to save the snapshot taken before the first write (default: a file in the temp dir).',
    }),
    'change-shared-listeners': Flags.boolean({
      summary:
        "Shared ALB: also change the load balancer's own listeners and attributes (add HTTPS 443 or a certificate, --tls-policy, idle timeout), which every environment on it uses.",
      default: false,
    }),
    'open-security-group': Flags.boolean({
      summary:
        'Also add the listener ports to a load balancer security group that Beanstalk does not manage (refused otherwise).',
      default: false,
    }),
    'emit-ebextensions': Flags.directory({
      summary: 'Write the option settings as DIR/ebws-listeners.config instead of changing anything.',
      exclusive: ['apply-to', 'dry-run', 'backup-file'],
    }),
    'request-certificate': Flags.boolean({
      summary:
        'First request (or reuse) an ACM certificate for --domain, validated through Route 53 (as `ebws cert request`).',
      dependsOn: ['domain'],
      exclusive: ['certificate-arn', 'emit-ebextensions'],
      helpGroup: 'DOMAIN TO HTTPS',
    }),
    'link-dns': Flags.boolean({
      summary: "Then point --domain at the environment's load balancer in Route 53 (as `ebws dns link`).",
      dependsOn: ['domain'],
      exclusive: ['emit-ebextensions'],
      helpGroup: 'DOMAIN TO HTTPS',
    }),
  }

  async run(): Promise<FixResult | AlbFixResult | HttpsPathResult> {
    const {flags} = await this.parse(ListenersFix)
    const {target, clients} = await resolveContext(flags)
    const progress = createProgress()
    const intent: Parameters<typeof fixAnyListeners>[1] = {
      environmentName: target.environmentName,
      certificateArn: flags['certificate-arn'],
      domain: flags.domain,
      sslPolicy: flags['tls-policy'],
      redirect: flags.redirect as 'lb' | 'app',
      stickiness: flags.stickiness,
      idleTimeoutSeconds: flags['idle-timeout'],
      allowShared: flags['change-shared-listeners'],
      dryRun: flags['dry-run'],
      wait: flags.wait,
      timeoutMs: flags.timeout,
      backupFile: flags['backup-file'],
      emitEbextensionsDir: flags['emit-ebextensions'],
      now: new Date(),
      say: progress,
      confirm: askFirst(flags, (plan) => formatFixed({type: 'application', result: plan})),
      openSecurityGroup: flags['open-security-group'],
      confirmSecurityGroups: askFirst(flags, (plan) => formatSecurityGroupFix(plan as SecurityGroupFix)),
      classic: {
        environmentName: target.environmentName,
        mode: flags.mode as FixResult['mode'],
        ports: {httpsPort: flags['https-port'], httpPort: flags['http-port'], instancePort: flags['instance-port']},
        tlsPolicy: flags['tls-policy'] ?? RECOMMENDED_SSL_POLICY,
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
        progress,
        confirm: askFirst(flags, (plan: FixResult) => formatFixResult(plan, {asking: true})),
      },
    }
    if (flags['request-certificate'] || flags['link-dns']) {
      // The whole path from a domain name (src/https-path): certificate, DNS, then this listener fix.
      const result = await runHttpsPath(clients, {
        environmentName: target.environmentName,
        domain: flags.domain!,
        requestCertificate: flags['request-certificate'],
        linkDns: flags['link-dns'],
        fix: intent,
        progress,
        confirm: askFirst(flags, formatHttpsPath),
      })
      this.log(formatHttpsPath(result))
      return result
    }
    const fixed = await fixAnyListeners(clients, intent)
    this.log(formatFixed(fixed))
    return fixed.result as FixResult | AlbFixResult
  }

  /**
   * An error's result: the domain-to-HTTPS path's steps, or a plan that was refused after it was shown (a dry run on a
   * shared ALB that needs --change-shared-listeners): printed on stdout, the error on stderr.
   */
  protected override formatPartialResult(result: unknown): string | undefined {
    const r = result as Partial<HttpsPathResult> | Partial<AlbFixResult>
    if (Array.isArray(r.steps) && (r as AlbFixResult).loadBalancerType === 'application')
      return formatFixed({type: 'application', result})
    return r.steps ? formatHttpsPath(result as HttpsPathResult) : undefined
  }
}
