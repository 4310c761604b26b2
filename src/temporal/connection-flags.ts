/**
 * The connection flags every client and worker command takes. Kept apart from connection.ts
 * (which loads the Temporal SDK) so registering the commands, e.g. for `hakube --help`, is cheap.
 */
import type { Command } from 'commander';

/** The flags `addConnectionOptions` adds, as commander parses them. */
export interface ConnectionFlags {
  address?: string;
  namespace?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsServerName?: string;
  apiKey?: string;
  profile?: string;
}

export function addConnectionOptions<T extends Command>(cmd: T): T {
  cmd
    .option('--address <host:port>', 'Temporal frontend address (env TEMPORAL_ADDRESS)')
    .option('--namespace <name>', 'Temporal namespace (env TEMPORAL_NAMESPACE)')
    .option('--tls-cert <file>', 'TLS client certificate (env TEMPORAL_TLS_CLIENT_CERT_PATH)')
    .option('--tls-key <file>', 'TLS client key (env TEMPORAL_TLS_CLIENT_KEY_PATH)')
    .option('--tls-ca <file>', 'CA certificate for the server (env TEMPORAL_TLS_SERVER_CA_CERT_PATH)')
    .option('--tls-server-name <name>', 'TLS server name override (env TEMPORAL_TLS_SERVER_NAME)')
    .option('--api-key <key>', 'API key, e.g. Temporal Cloud (prefer env TEMPORAL_API_KEY)')
    .option('--profile <name>', 'profile in the Temporal config file (env TEMPORAL_PROFILE)');
  return cmd;
}
