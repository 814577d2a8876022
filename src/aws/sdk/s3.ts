// The S3 SDK names ebws uses, re-exported statically, and imported lazily in the package's place: a dynamic
// import of the package itself would bundle every command of the client and build its aggregated client on load,
// while through this module the bundler keeps only these.
export {CopyObjectCommand, GetObjectCommand, HeadObjectCommand, S3Client} from '@aws-sdk/client-s3'
