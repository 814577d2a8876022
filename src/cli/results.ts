import type {BundleCommandResult} from '../bundle/command.ts'
import type {CertRequestResult} from '../cert/request.ts'
import type {DeployResult} from '../deploy/run.ts'
import type {DnsLinkResult} from '../dns/link.ts'
import type {DoctorResult} from '../doctor/types.ts'
import type {Elbv2Report} from '../lb/application/show.ts'
import type {ListenersFixResult} from '../lb/fix.ts'
import type {HttpsPathResult} from '../https-path/run.ts'
import type {ListenersReport} from '../listeners/inspect.ts'
import type {RestoreResult} from '../listeners/restore.ts'
import type {SecurityGroupsReport} from '../security-groups/model.ts'
import type {LocalDownResult, LocalState, LocalStatus} from '../local/run.ts'
import type {ProxyChangeResult, StatusResult} from '../proxy-protocol/run.ts'
import type {DnsPointers} from '../route53/pointers.ts'
import type {Envelope} from './base-command.ts'

/**
 * The `result` of each command's --json envelope, by command as typed. `npm run generate:schemas` writes
 * schemas/<command with dashes>.json from each member (and schemas/envelope.json from EnvelopeDocument); a test fails
 * when the committed schemas differ, and validates real outputs against them. A new command: one line here.
 */
export interface CommandResults {
  'listeners show': (ListenersReport | Elbv2Report) & {dnsRecords: DnsPointers; securityGroups: SecurityGroupsReport}
  'listeners fix': ListenersFixResult | HttpsPathResult
  'listeners restore': RestoreResult
  'proxy-protocol enable': ProxyChangeResult
  'proxy-protocol disable': ProxyChangeResult
  'proxy-protocol status': StatusResult
  deploy: DeployResult
  'local up': LocalState
  'local down': LocalDownResult
  'local status': LocalStatus
  doctor: DoctorResult
  'cert request': CertRequestResult
  'dns link': DnsLinkResult
  bundle: BundleCommandResult
}

export type CommandId = keyof CommandResults

/** The envelope itself, for schemas/envelope.json: `result` is described by the command's own schema. */
export type EnvelopeDocument = Envelope<unknown>

/** schemas/listeners-show.json for "listeners show". */
export const schemaFileName = (command: string): string => `${command.split(' ').join('-')}.json`
