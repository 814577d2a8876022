import type {Action} from '@aws-sdk/client-elastic-load-balancing-v2'

import type {AwsClients} from '../../aws/clients.ts'
import {awsCall} from '../../aws/errors.ts'
import type {V2Action} from './model.ts'
import type {AlbOp, AlbStep} from './plan.ts'
import {createRules, executeRuleOp, isRuleOp, ruleCliCommand} from './shared-apply.ts'

const toSdk = (a: V2Action): Action =>
  a.type === 'redirect' && a.redirect
    ? {
        Type: 'redirect',
        RedirectConfig: {
          Protocol: a.redirect.protocol,
          Port: a.redirect.port,
          Host: a.redirect.host,
          Path: a.redirect.path,
          Query: a.redirect.query,
          StatusCode: a.redirect.statusCode as 'HTTP_301',
        },
      }
    : a.type === 'fixed-response' && a.fixedResponse
      ? {
          Type: 'fixed-response',
          FixedResponseConfig: {
            StatusCode: a.fixedResponse.statusCode,
            ContentType: a.fixedResponse.contentType,
            MessageBody: a.fixedResponse.messageBody,
          },
        }
      : {Type: 'forward', TargetGroupArn: a.targetGroupArn}

/** The same operation as an AWS CLI command, for --dry-run. */
export function albCliCommand(lbArn: string, region: string, op: AlbOp): string {
  const actions = (a: V2Action[]) => `'${JSON.stringify(a.map(toSdk))}'`
  if (isRuleOp(op)) return ruleCliCommand(region, op, actions)
  switch (op.kind) {
    case 'create-listener':
      return `aws elbv2 create-listener --region ${region} --load-balancer-arn ${lbArn} --protocol HTTPS --port ${op.port} --certificates CertificateArn=${op.certificateArn} --ssl-policy ${op.sslPolicy} --default-actions ${actions(op.defaultActions)}${(op.rules ?? []).map((r) => ` && ${ruleCliCommand(region, {kind: 'create-rule', listenerArn: '<the new listener ARN>', port: op.port, ...r}, actions)}`).join('')}`
    case 'modify-listener':
      return `aws elbv2 modify-listener --region ${region} --listener-arn ${op.listenerArn}${op.protocol ? ` --protocol ${op.protocol}` : ''}${op.certificateArn ? ` --certificates CertificateArn=${op.certificateArn}` : ''}${op.sslPolicy ? ` --ssl-policy ${op.sslPolicy}` : ''}${op.defaultActions ? ` --default-actions ${actions(op.defaultActions)}` : ''}`
    case 'delete-listener':
      return `aws elbv2 delete-listener --region ${region} --listener-arn ${op.listenerArn}`
    case 'target-group-attributes':
      return `aws elbv2 modify-target-group-attributes --region ${region} --target-group-arn ${op.targetGroupArn} --attributes ${Object.entries(
        op.attributes,
      )
        .map(([k, v]) => `Key=${k},Value=${v}`)
        .join(' ')}`
    case 'load-balancer-attributes':
      return `aws elbv2 modify-load-balancer-attributes --region ${region} --load-balancer-arn ${lbArn} --attributes ${Object.entries(
        op.attributes,
      )
        .map(([k, v]) => `Key=${k},Value=${v}`)
        .join(' ')}`
  }
}

export class AlbStepFailed extends Error {
  readonly step: AlbStep
  constructor(step: AlbStep, cause: unknown) {
    super((cause as Error).message, {cause})
    this.step = step
  }
}

/** Runs the steps; they touch different resources (or different fields), so they go in one concurrent wave. */
export async function executeAlbSteps(
  clients: AwsClients,
  lbArn: string,
  steps: AlbStep[],
  onDone?: (s: AlbStep) => void,
): Promise<void> {
  const elbv2 = await clients.elbv2()
  const sdk = await import('../../aws/sdk/elbv2.ts')
  const run = async (s: AlbStep): Promise<void> => {
    const op = s.op
    if (isRuleOp(op)) {
      await executeRuleOp(elbv2, sdk, op, toSdk)
      onDone?.(s)
      return
    }
    switch (op.kind) {
      case 'create-listener': {
        const created = await awsCall('elasticloadbalancing:CreateListener', () =>
          elbv2.send(
            new sdk.CreateListenerCommand({
              LoadBalancerArn: lbArn,
              Protocol: 'HTTPS',
              Port: op.port,
              Certificates: [{CertificateArn: op.certificateArn}],
              SslPolicy: op.sslPolicy,
              DefaultActions: op.defaultActions.map(toSdk),
            }),
          ),
        )
        // A shared ALB: this environment's rules on the listener just created.
        if (op.rules?.length) await createRules(elbv2, sdk, created.Listeners![0]!.ListenerArn!, op.rules, toSdk)
        break
      }
      case 'modify-listener':
        await awsCall('elasticloadbalancing:ModifyListener', () =>
          elbv2.send(
            new sdk.ModifyListenerCommand({
              ListenerArn: op.listenerArn,
              ...(op.protocol ? {Protocol: op.protocol as 'HTTPS'} : {}),
              ...(op.certificateArn ? {Certificates: [{CertificateArn: op.certificateArn}]} : {}),
              ...(op.sslPolicy ? {SslPolicy: op.sslPolicy} : {}),
              ...(op.defaultActions ? {DefaultActions: op.defaultActions.map(toSdk)} : {}),
            }),
          ),
        )
        break
      case 'delete-listener':
        await awsCall('elasticloadbalancing:DeleteListener', () =>
          elbv2.send(new sdk.DeleteListenerCommand({ListenerArn: op.listenerArn})),
        )
        break
      case 'target-group-attributes':
        await awsCall('elasticloadbalancing:ModifyTargetGroupAttributes', () =>
          elbv2.send(
            new sdk.ModifyTargetGroupAttributesCommand({
              TargetGroupArn: op.targetGroupArn,
              Attributes: Object.entries(op.attributes).map(([Key, Value]) => ({Key, Value})),
            }),
          ),
        )
        break
      case 'load-balancer-attributes':
        await awsCall('elasticloadbalancing:ModifyLoadBalancerAttributes', () =>
          elbv2.send(
            new sdk.ModifyLoadBalancerAttributesCommand({
              LoadBalancerArn: lbArn,
              Attributes: Object.entries(op.attributes).map(([Key, Value]) => ({Key, Value})),
            }),
          ),
        )
        break
    }
    onDone?.(s)
  }
  const results = await Promise.allSettled(steps.map(run))
  const failed = results.findIndex((r) => r.status === 'rejected')
  if (failed >= 0) throw new AlbStepFailed(steps[failed]!, (results[failed] as PromiseRejectedResult).reason)
}

/** Fails (exit 2, nothing written) when the SSL policy is not one ELBv2 knows: DescribeSSLPolicies says SSLPolicyNotFound. */
export async function sslPolicyExists(clients: AwsClients, name: string): Promise<boolean> {
  const elbv2 = await clients.elbv2()
  const {DescribeSSLPoliciesCommand} = await import('../../aws/sdk/elbv2.ts')
  try {
    const out = await awsCall('elasticloadbalancing:DescribeSSLPolicies', () =>
      elbv2.send(new DescribeSSLPoliciesCommand({Names: [name]})),
    )
    return (out.SslPolicies ?? []).some((p) => p.Name === name)
  } catch (error) {
    // The SDK names the error by its shape, SSLPolicyNotFoundException (code SSLPolicyNotFound).
    if (/^SSLPolicyNotFound(Exception)?$/.test((error as {details?: {awsError?: string}}).details?.awsError ?? ''))
      return false
    throw error
  }
}
