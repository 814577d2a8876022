// Hand-written ALB states for the pure planner and verdict tests (not produced by the code under test).
import type {Elbv2Observed, Elbv2State, V2Listener, V2TargetGroup} from '../../../src/lb/application/model.ts'

export const TG: V2TargetGroup = {
  arn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/awseb-default/1',
  name: 'awseb-default',
  port: 80,
  protocol: 'HTTP',
  healthCheck: {protocol: 'HTTP', path: '/', matcher: '200'},
  stickiness: {enabled: false, type: 'lb_cookie'},
  deregistrationDelaySeconds: 20,
  process: 'default',
}
export const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/aaaa-1'

export const l80 = (over: Partial<V2Listener> = {}): V2Listener => ({
  arn: 'arn:listener/80',
  port: 80,
  protocol: 'HTTP',
  sniCertificateArns: [],
  defaultActions: [{type: 'forward', targetGroupArn: TG.arn}],
  rules: [],
  ...over,
})
export const l443 = (over: Partial<V2Listener> = {}): V2Listener => ({
  arn: 'arn:listener/443',
  port: 443,
  protocol: 'HTTPS',
  sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
  certificateArn: CERT,
  sniCertificateArns: [],
  defaultActions: [{type: 'forward', targetGroupArn: TG.arn}],
  rules: [],
  ...over,
})
export const REDIRECT = {
  type: 'redirect',
  redirect: {
    protocol: 'HTTPS',
    port: '443',
    host: '#{host}',
    path: '/#{path}',
    query: '#{query}',
    statusCode: 'HTTP_301',
  },
}

export const state = (listeners: V2Listener[], over: Partial<Elbv2State> = {}): Elbv2State => ({
  arn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/awseb-x/1',
  name: 'awseb-x',
  type: 'application',
  idleTimeoutSeconds: 60,
  listeners,
  targetGroups: [TG],
  ...over,
})

export const observed = (s: Elbv2State, over: Partial<Elbv2Observed> = {}): Elbv2Observed => ({
  state: s,
  settings: [{namespace: 'aws:autoscaling:asg', optionName: 'MaxSize', value: '1'}],
  certificates: [
    {
      arn: CERT,
      domainName: 'app.example.com',
      subjectAlternativeNames: [],
      status: 'ISSUED',
      notAfter: '2030-01-01T00:00:00.000Z',
      keyAlgorithm: 'EC_prime256v1',
      inUseBy: [],
    },
  ],
  shared: false,
  otherEnvironments: [],
  ...over,
})
