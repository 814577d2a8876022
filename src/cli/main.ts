// The bundled CLI's entry (bin/run.js imports it): oclif's runner from the same bundle as the commands, so there is
// one copy of @oclif/core in the process.
export {execute} from '@oclif/core'
