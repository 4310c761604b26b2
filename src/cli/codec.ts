/**
 * `hakube codec-server`: the Web UI's remote codec (every field readable, secrets a fixed
 * placeholder). `hakube codec rotate|keys`: the codec's key ring.
 */
import type { Command } from 'commander';
import { CliError, EXIT } from './exit';

interface CodecServerFlags {
  ip?: string;
  port?: string;
  uiOrigin?: string[];
  token?: string;
  namespace?: string;
}

export function register(program: Command): void {
  program
    .command('codec-server')
    .description("serve Temporal's /encode and /decode for the Web UI: every field readable, secrets shown as a placeholder")
    .option('--ip <ip>', 'address to bind (default 127.0.0.1: loopback only)')
    .option('--port <port>', 'port (env HAKUBE_CODEC_PORT, default the Web UI port + 1: 8234)')
    .option('--ui-origin <url...>', 'Web UI origins allowed by CORS (default the dev server UI, http://127.0.0.1:8233 and http://localhost:8233)')
    .option('--token <token>', 'require this token (env HAKUBE_CODEC_TOKEN): Authorization: Bearer <token>, or the endpoint http://host:port/<token>')
    .option('--namespace <ns>', 'refuse requests for other namespaces (X-Namespace)')
    .action(async (flags: CodecServerFlags) => {
      const { createCodec } = await import('../temporal/data-converter');
      const { loadCodecKeys } = await import('../temporal/codec-key');
      const { DisplayCodec } = await import('../temporal/display-codec');
      const { codecServerDefaults, listenCodecServer } = await import('../temporal/codec-service');
      const defaults = codecServerDefaults();
      const ip = flags.ip ?? defaults.ip;
      const port = Number(flags.port ?? defaults.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CliError(`invalid --port "${flags.port}"`, EXIT.BAD_INPUT);
      const token = flags.token ?? process.env.HAKUBE_CODEC_TOKEN;
      const origins = flags.uiOrigin ?? defaults.origins;
      const server = await listenCodecServer({ codec: new DisplayCodec(createCodec()), origins, token, namespace: flags.namespace }, ip, port);
      const keys = loadCodecKeys();
      process.stderr.write(
        `hakube codec-server: http://${ip}:${port} for ${origins.join(', ')}${token ? ' (token required)' : ''}, ` +
          `keys ${keys.ring.ids.join(', ')} from ${keys.source}; Ctrl-C stops\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = (): void => void server.close(() => resolve());
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
    });

  const codec = program.command('codec').description("the payload codec's keys (HAKUBE_CODEC_KEY, HAKUBE_CODEC_KEY_FILE or .hakube/codec.key)");
  codec
    .command('rotate')
    .description('add a new key to the key file; it encrypts from now on, the older keys still decrypt')
    .action(async () => {
      const { rotateCodecKey } = await import('../temporal/codec-key');
      const r = rotateCodecKey();
      process.stdout.write(
        `added codec key ${r.id} to ${r.file}; keys (oldest first): ${r.ids.join(', ')}\n` +
          'running workers and codec servers read the new key when they first meet it; clients and workers elsewhere need the same file\n',
      );
    });
  codec
    .command('keys')
    .description('list the key ids (never the keys), the current one last')
    .action(async () => {
      const { loadCodecKeys } = await import('../temporal/codec-key');
      const { ring, source } = loadCodecKeys();
      for (const id of ring.ids) process.stdout.write(`${id}${id === ring.currentId ? '  (current: encrypts)' : ''}\n`);
      process.stdout.write(`from ${source}\n`);
    });
}
