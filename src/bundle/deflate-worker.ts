// Was the entry of the bundler's deflate worker threads; write.ts now deflates on libuv's thread pool (deflate.ts)
// and starts no worker. scripts/build-cli.ts still builds this file as an entry: that entry can go, and this file.
export {}
