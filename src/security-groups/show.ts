import type {AwsClients} from '../aws/clients.ts'
import {EbwsError} from '../cli/errors.ts'
import type {DescribedLoadBalancer, DetectedLoadBalancer} from '../lb/types.ts'
import type {Finding} from '../listeners/verdict.ts'
import type {SecurityGroupsReport} from './model.ts'
import {judgeExposure} from './model.ts'
import {readExposure} from './read.ts'

/**
 * The Security groups part of `listeners show`, for every load balancer type. Without ec2:DescribeSecurityGroups
 * (or ELB read access) the rest of the report still stands: the groups are then reported as unreadable. `described`:
 * what the adapter's reads found about the load balancer (ShowInput.onDescribed), so it is not described twice.
 */
export async function showSecurityGroups(
  clients: AwsClients,
  input: {
    environmentId: string
    detected: DetectedLoadBalancer
    described?: Promise<DescribedLoadBalancer | undefined> | undefined
  },
): Promise<SecurityGroupsReport> {
  try {
    return judgeExposure(await readExposure(clients, input))
  } catch (error) {
    if (!(error instanceof EbwsError) || error.code !== 'AWS_ACCESS_DENIED') throw error
    return {
      groups: [],
      listenerPorts: [],
      closedPorts: [],
      unreadable: error.message,
      findings: [
        {code: 'SG_UNREADABLE', severity: 'warning', message: `The security groups were not checked: ${error.message}`},
      ],
    }
  }
}

/** Adds the findings to the adapter's verdict (every type's report has one) and the groups to the report. */
export function withSecurityGroups<R>(report: R, sg: SecurityGroupsReport): R & {securityGroups: SecurityGroupsReport} {
  const verdict = (report as {verdict?: {ok: boolean; findings: Finding[]}}).verdict
  if (verdict) {
    verdict.findings.push(...sg.findings)
    if (sg.findings.some((f) => f.severity === 'error')) verdict.ok = false
  }
  return Object.assign(report as object, {securityGroups: sg}) as R & {securityGroups: SecurityGroupsReport}
}
