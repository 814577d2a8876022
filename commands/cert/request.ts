import {Flags} from '@oclif/core'

import {EbwsCommand} from '../../src/cli/base-command.ts'
import {askFirst} from '../../src/cli/confirm.ts'
import {resolveRegionContext} from '../../src/cli/context.ts'
import {awsFlags, mutatingFlags, waitFlags} from '../../src/cli/flags.ts'
import {createProgress} from '../../src/cli/progress.ts'
import type {CertRequestResult} from '../../src/cert/request.ts'
import {requestCertificateWithDns} from '../../src/cert/request.ts'
import {formatCertRequest} from '../../src/format/cert.ts'

export default class CertRequest extends EbwsCommand {
  static override summary =
    'Request an ACM certificate with DNS validation, write its validation records in Route 53, and wait until it is issued.'
  static override description = `In the load balancer's region (the environment's with -e, else --region): reuses a certificate that is ISSUED or PENDING_VALIDATION for exactly the same names, else requests one (DNS validation). For each validation record, finds the Route 53 public hosted zone that holds it (longest matching suffix) and UPSERTs the CNAME ACM asks for; with --wait (the default) waits for ISSUED, bounded by --timeout.

A name whose zone is not in this account's Route 53 (DNS hosted elsewhere): the records to create there are printed, the certificate is left pending, and ebws exits 6 (CERT_PENDING); run the command again once they exist.

Idempotent: a second run makes no writes. A failed write undoes this run's writes. A wildcard covers one level (*.example.com, not *.*.example.com).`
  static override examples = [
    {
      description: 'A certificate for the apex and www, validated in Route 53',
      command: '<%= config.bin %> <%= command.id %> --domain example.com --san www.example.com -e my-env',
    },
    {
      description: 'A wildcard, in a region, without waiting for ISSUED',
      command:
        '<%= config.bin %> <%= command.id %> --domain example.com --san "*.example.com" --region eu-west-1 --no-wait',
    },
    {
      description: 'See what it would do',
      command: '<%= config.bin %> <%= command.id %> --domain app.example.com --region us-east-1 --dry-run',
    },
  ]
  static override flags = {
    ...awsFlags,
    ...mutatingFlags,
    ...waitFlags,
    environment: Flags.string({
      char: 'e',
      summary: "Request in this environment's region (its load balancer's).",
      helpGroup: 'AWS',
    }),
    domain: Flags.string({
      summary: "The certificate's domain name (e.g. example.com).",
      required: true,
      helpGroup: 'CERTIFICATE',
    }),
    san: Flags.string({
      summary: 'An additional name (repeatable): www.example.com, *.example.com.',
      multiple: true,
      default: [],
      helpGroup: 'CERTIFICATE',
    }),
  }

  async run(): Promise<CertRequestResult> {
    const {flags} = await this.parse(CertRequest)
    const {region, clients} = await resolveRegionContext(flags)
    const result = await requestCertificateWithDns(clients, {
      domain: flags.domain,
      sans: flags.san,
      region,
      dryRun: flags['dry-run'],
      wait: flags.wait,
      timeoutMs: flags.timeout,
      progress: createProgress(),
      confirm: askFirst(flags, formatCertRequest),
    })
    this.log(formatCertRequest(result))
    return result
  }

  protected override formatPartialResult(result: unknown): string {
    return formatCertRequest(result as CertRequestResult)
  }
}
