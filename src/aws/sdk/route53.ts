// The Route 53 SDK names ebws uses, re-exported statically, and imported lazily in the package's place: a dynamic
// import of the package itself would bundle every command of the client and build its aggregated client on load,
// while through this module the bundler keeps only these (scripts/build-cli.ts then keeps only their schemas).
export {
  ChangeResourceRecordSetsCommand,
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  paginateListHostedZones,
  waitUntilResourceRecordSetsChanged,
} from '@aws-sdk/client-route-53'
