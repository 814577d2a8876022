// The ACM SDK names ebws uses, re-exported statically, and imported lazily in the package's place: a dynamic
// import of the package itself would bundle every command of the client and build its aggregated client on load,
// while through this module the bundler keeps only these (scripts/build-cli.ts then keeps only their schemas).
export {
  ACMClient,
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  ListCertificatesCommand,
  RequestCertificateCommand,
  waitUntilCertificateValidated,
} from '@aws-sdk/client-acm'
