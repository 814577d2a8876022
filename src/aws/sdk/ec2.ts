// The EC2 SDK names ebws uses, re-exported statically. The EC2 client has ~750 commands; a dynamic import of the
// package would bundle them all, while this module (imported lazily in its place) lets the bundler keep only these.
export {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  paginateDescribeSecurityGroups,
} from '@aws-sdk/client-ec2'
