/**
 * Whether the load balancer's security groups admit what its listeners serve: the pure part (judge and planner).
 * No AWS imports; the reads are in read.ts, the writes in fix.ts.
 */
import type {AuthorizedRule, PortRule, SecurityGroup, SecurityGroupsRecord} from '../ec2/security-groups.ts'
import type {Finding} from '../listeners/verdict.ts'

export const INTERNET_CIDR = '0.0.0.0/0'

/**
 * The group Beanstalk creates for an environment's load balancer is the CloudFormation resource
 * AWSEBLoadBalancerSecurityGroup of the environment's stack
 * (https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/customize-containers-format-resources-eb.html). CloudFormation
 * tags what it creates with aws:cloudformation:logical-id
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-resource-tags.html) and Beanstalk
 * adds elasticbeanstalk:environment-id to its resources
 * (https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/using-features.tagging.html). A group set through the
 * SecurityGroups / ManagedSecurityGroup options is the user's own: Beanstalk attaches it but does not write its rules
 * (https://repost.aws/knowledge-center/security-group-elastic-beanstalk).
 */
export const MANAGED_LOGICAL_ID = 'AWSEBLoadBalancerSecurityGroup'
export const ENV_ID_TAG = 'elasticbeanstalk:environment-id'
export const LOGICAL_ID_TAG = 'aws:cloudformation:logical-id'

export const isBeanstalkManaged = (g: SecurityGroup, environmentId: string): boolean =>
  g.tags[ENV_ID_TAG] === environmentId && g.tags[LOGICAL_ID_TAG] === MANAGED_LOGICAL_ID

/** What the reads found: the load balancer's listener ports, its scheme and its security groups (in its order). */
export interface Exposure {
  environmentId: string
  loadBalancerType: 'classic' | 'application' | 'network'
  scheme?: string | undefined
  listenerPorts: number[]
  groups: SecurityGroup[]
}

export interface SecurityGroupView {
  id: string
  name: string
  managedByBeanstalk: boolean
  /** The TCP ports (or ranges, or "all") this group admits from anywhere (0.0.0.0/0). */
  openToInternet: string[]
}

/** The Security groups part of `listeners show`. */
export interface SecurityGroupsReport {
  scheme?: string | undefined
  groups: SecurityGroupView[]
  listenerPorts: number[]
  /** Listener ports that no group of the load balancer admits from the internet. */
  closedPorts: number[]
  findings: Finding[]
  /** Why the groups could not be read (e.g. ec2:DescribeSecurityGroups denied); show goes on without them. */
  unreadable?: string | undefined
}

const admitsFromInternet = (g: SecurityGroup, port: number): boolean =>
  g.ingress.some(
    (r) =>
      (r.protocol === '-1' || (r.protocol === 'tcp' && (r.fromPort ?? 0) <= port && port <= (r.toPort ?? 65535))) &&
      r.cidrs.includes(INTERNET_CIDR),
  )

export const isOpen = (groups: SecurityGroup[], port: number): boolean =>
  groups.some((g) => admitsFromInternet(g, port))

const openRanges = (g: SecurityGroup): string[] =>
  g.ingress
    .filter((r) => r.cidrs.includes(INTERNET_CIDR) && (r.protocol === '-1' || r.protocol === 'tcp'))
    .map((r) =>
      r.protocol === '-1' || (r.fromPort === 0 && r.toPort === 65535) || r.fromPort === undefined
        ? 'all'
        : r.fromPort === r.toPort
          ? String(r.fromPort)
          : `${r.fromPort}-${r.toPort}`,
    )

const groupNames = (groups: SecurityGroup[]): string => groups.map((g) => g.id).join(', ')

/** Pure: which listener ports are closed to the internet, said the way a person meets it. */
export function judgeExposure(e: Exposure): SecurityGroupsReport {
  const groups = e.groups.map((g) => ({
    id: g.id,
    name: g.name,
    managedByBeanstalk: isBeanstalkManaged(g, e.environmentId),
    openToInternet: openRanges(g),
  }))
  const findings: Finding[] = []
  const base = {scheme: e.scheme, groups, listenerPorts: e.listenerPorts}
  if (e.groups.length === 0) {
    findings.push({
      code: 'SG_NONE',
      severity: 'info',
      message:
        e.loadBalancerType === 'network'
          ? "The Network Load Balancer has no security group: clients' connections reach the instances, so the instances' security group decides what gets through (an NLB has one only if it was created with one)."
          : e.loadBalancerType === 'classic'
            ? 'The Classic Load Balancer has no security group (EC2-Classic, retired): nothing to check.'
            : 'The load balancer has no security group: nothing to check.',
    })
    return {...base, closedPorts: [], findings}
  }
  if (e.scheme === 'internal') {
    findings.push({
      code: 'SG_INTERNAL',
      severity: 'info',
      message: `The load balancer is internal: its security groups (${groupNames(e.groups)}) should admit the VPC, not the internet; not checked.`,
    })
    return {...base, closedPorts: [], findings}
  }
  const closedPorts = e.listenerPorts.filter((p) => !isOpen(e.groups, p))
  for (const port of closedPorts) {
    findings.push({
      code: 'SG_PORT_CLOSED',
      severity: 'error',
      message: `${port} is not allowed by ${groupNames(e.groups)} — browsers will time out (no inbound rule admits TCP ${port} from ${INTERNET_CIDR}).`,
    })
  }
  return {...base, closedPorts, findings}
}

// ---- fix -------------------------------------------------------------------------------------------------------

export interface IngressStep extends PortRule {
  /**
   * before: added before the listeners change (a live-only change, a port Beanstalk already considers a listener, or
   * a group Beanstalk does not manage). beanstalk: the option settings the fix writes make Beanstalk open it on its
   * managed group; checked after, and added then only if Beanstalk did not.
   */
  when: 'before' | 'beanstalk'
  managedByBeanstalk: boolean
}

export interface IngressPlan {
  steps: IngressStep[]
  /** Ports a flag must allow: closed, and only a group Beanstalk does not manage could open them. */
  refused: Array<{port: number; groupId: string}>
  notes: string[]
}

/**
 * Pure planner: the listener ports the fix will serve (`ports`), against the groups as they are. One rule per closed
 * port, on the Beanstalk-managed group when the load balancer has one, else on its first group - which needs
 * `openUnmanaged`. `writesSettings`: the fix writes option settings, so Beanstalk opens a new listener's port itself.
 */
export function planIngress(
  e: Exposure,
  ports: number[],
  o: {writesSettings: boolean; openUnmanaged: boolean},
): IngressPlan {
  const plan: IngressPlan = {steps: [], refused: [], notes: []}
  if (e.groups.length === 0 || e.scheme === 'internal') {
    plan.notes.push(
      judgeExposure(e)
        .findings.map((f) => f.message)
        .join(' '),
    )
    return plan
  }
  const managed = e.groups.find((g) => isBeanstalkManaged(g, e.environmentId))
  const target = managed ?? e.groups[0]!
  for (const port of [...new Set(ports)].sort((a, b) => a - b)) {
    if (isOpen(e.groups, port)) continue
    if (!managed && !o.openUnmanaged) {
      plan.refused.push({port, groupId: target.id})
      continue
    }
    const beanstalkOpens = Boolean(managed) && o.writesSettings && !e.listenerPorts.includes(port)
    plan.steps.push({
      groupId: target.id,
      port,
      cidr: INTERNET_CIDR,
      when: beanstalkOpens ? 'beanstalk' : 'before',
      managedByBeanstalk: Boolean(managed),
    })
  }
  return plan
}

// ---- restore ---------------------------------------------------------------------------------------------------

/**
 * What `listeners fix` saves when it adds security-group rules but the listeners needed no change (so the adapter
 * saved no snapshot of its own): the rules alone, which `listeners restore --from` removes.
 */
export interface SecurityGroupsSnapshot {
  kind: 'ebws-security-groups-snapshot'
  version: 1
  takenAt: string
  region: string
  environmentName: string
  loadBalancerName: string
  securityGroups: SecurityGroupsRecord
}
export const SECURITY_GROUPS_SNAPSHOT = 'ebws-security-groups-snapshot'

export interface RevokePlan {
  /** Rules ebws added that are there exactly as it added them (same description too): restore revokes these. */
  remove: AuthorizedRule[]
  /** Rules no longer there (revoked since, or their group deleted): nothing to do. */
  gone: AuthorizedRule[]
  /** The same protocol, ports and CIDR with another description: someone re-made or edited it; left alone. */
  changed: AuthorizedRule[]
}

const sameRule = (a: AuthorizedRule, b: AuthorizedRule) =>
  a.groupId === b.groupId &&
  a.ipProtocol === b.ipProtocol &&
  a.fromPort === b.fromPort &&
  a.toPort === b.toPort &&
  a.cidrIp === b.cidrIp

/**
 * Pure planner of `listeners restore`'s security-group part: the rules the snapshot says ebws added, against the
 * groups as they are now. Only a rule ebws added, still there with the description ebws gave it, is removed; a
 * rule that was there before fix was never recorded (AuthorizeSecurityGroupIngress answered Duplicate), and a rule
 * someone added later is another rule (another description, or ports/CIDR that differ).
 */
export function planRevokes(added: AuthorizedRule[], groups: SecurityGroup[]): RevokePlan {
  const plan: RevokePlan = {remove: [], gone: [], changed: []}
  const byId = new Map(groups.map((g) => [g.id, g]))
  for (const rule of added.filter((r, i) => added.findIndex((x) => sameRule(x, r)) === i)) {
    const matches = (byId.get(rule.groupId)?.ingress ?? []).filter(
      (r) =>
        r.protocol === rule.ipProtocol &&
        r.fromPort === rule.fromPort &&
        r.toPort === rule.toPort &&
        r.cidrs.includes(rule.cidrIp),
    )
    if (matches.length === 0) plan.gone.push(rule)
    else if (matches.some((r) => (r.cidrDescriptions?.[rule.cidrIp] ?? '') === rule.description)) plan.remove.push(rule)
    else plan.changed.push(rule)
  }
  return plan
}
