// The shared-ALB operations on the ELBv2 API: this environment's listener rules and a shared listener's extra
// (SNI) certificates. For a shared load balancer AWS says to change listeners and rules "using Amazon EC2", i.e.
// this API: https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/environments-cfg-alb-shared.html
import type {ElasticLoadBalancingV2Client} from '@aws-sdk/client-elastic-load-balancing-v2'

import {awsCall} from '../../aws/errors.ts'
import type {V2Action} from './model.ts'
import type {AlbOp, NewRule} from './plan.ts'

type Sdk = typeof import('../../aws/sdk/elbv2.ts')
type Action = import('@aws-sdk/client-elastic-load-balancing-v2').Action
export type RuleOp = Extract<
  AlbOp,
  {kind: 'create-rule' | 'modify-rule' | 'delete-rule' | 'add-listener-certificates' | 'remove-listener-certificates'}
>

export const isRuleOp = (op: AlbOp): op is RuleOp =>
  op.kind === 'create-rule' ||
  op.kind === 'modify-rule' ||
  op.kind === 'delete-rule' ||
  op.kind === 'add-listener-certificates' ||
  op.kind === 'remove-listener-certificates'

const hostCondition = (hosts: string[]) => [{Field: 'host-header', HostHeaderConfig: {Values: hosts}}]

export async function createRules(
  elbv2: ElasticLoadBalancingV2Client,
  sdk: Sdk,
  listenerArn: string,
  rules: NewRule[],
  toSdk: (a: V2Action) => Action,
): Promise<void> {
  for (const r of rules) {
    await awsCall('elasticloadbalancing:CreateRule', () =>
      elbv2.send(
        new sdk.CreateRuleCommand({
          ListenerArn: listenerArn,
          Priority: r.priority,
          Conditions: hostCondition(r.hosts),
          Actions: r.actions.map(toSdk),
        }),
      ),
    )
  }
}

export async function executeRuleOp(
  elbv2: ElasticLoadBalancingV2Client,
  sdk: Sdk,
  op: RuleOp,
  toSdk: (a: V2Action) => Action,
): Promise<void> {
  switch (op.kind) {
    case 'create-rule':
      return createRules(elbv2, sdk, op.listenerArn, [op], toSdk)
    case 'modify-rule':
      await awsCall('elasticloadbalancing:ModifyRule', () =>
        elbv2.send(new sdk.ModifyRuleCommand({RuleArn: op.ruleArn, Actions: op.actions.map(toSdk)})),
      )
      return
    case 'delete-rule':
      await awsCall('elasticloadbalancing:DeleteRule', () =>
        elbv2.send(new sdk.DeleteRuleCommand({RuleArn: op.ruleArn})),
      )
      return
    case 'add-listener-certificates':
      await awsCall('elasticloadbalancing:AddListenerCertificates', () =>
        elbv2.send(
          new sdk.AddListenerCertificatesCommand({
            ListenerArn: op.listenerArn,
            Certificates: op.certificateArns.map((CertificateArn) => ({CertificateArn})),
          }),
        ),
      )
      return
    case 'remove-listener-certificates':
      await awsCall('elasticloadbalancing:RemoveListenerCertificates', () =>
        elbv2.send(
          new sdk.RemoveListenerCertificatesCommand({
            ListenerArn: op.listenerArn,
            Certificates: op.certificateArns.map((CertificateArn) => ({CertificateArn})),
          }),
        ),
      )
      return
  }
}

/** The same operation as an AWS CLI command, for --dry-run. */
export function ruleCliCommand(region: string, op: RuleOp, actions: (a: V2Action[]) => string): string {
  switch (op.kind) {
    case 'create-rule':
      return `aws elbv2 create-rule --region ${region} --listener-arn ${op.listenerArn} --priority ${op.priority} --conditions '${JSON.stringify(hostCondition(op.hosts))}' --actions ${actions(op.actions)}`
    case 'modify-rule':
      return `aws elbv2 modify-rule --region ${region} --rule-arn ${op.ruleArn} --actions ${actions(op.actions)}`
    case 'delete-rule':
      return `aws elbv2 delete-rule --region ${region} --rule-arn ${op.ruleArn}`
    case 'add-listener-certificates':
    case 'remove-listener-certificates':
      return `aws elbv2 ${op.kind} --region ${region} --listener-arn ${op.listenerArn} --certificates ${op.certificateArns.map((c) => `CertificateArn=${c}`).join(' ')}`
  }
}
