// The Elastic Load Balancing (Classic) SDK names ebws uses, re-exported statically, and imported lazily in the package's place: a dynamic
// import of the package itself would bundle every command of the client and build its aggregated client on load,
// while through this module the bundler keeps only these (scripts/build-cli.ts then keeps only their schemas).
export {
  ConfigureHealthCheckCommand,
  CreateLBCookieStickinessPolicyCommand,
  CreateLoadBalancerListenersCommand,
  CreateLoadBalancerPolicyCommand,
  DeleteLoadBalancerListenersCommand,
  DeleteLoadBalancerPolicyCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancerPoliciesCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingClient,
  ModifyLoadBalancerAttributesCommand,
  SetLoadBalancerListenerSSLCertificateCommand,
  SetLoadBalancerPoliciesForBackendServerCommand,
  SetLoadBalancerPoliciesOfListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing'
