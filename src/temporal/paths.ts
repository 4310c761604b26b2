/**
 * Where hakube keeps local state (codec key, dev-server database, pid file). HAKUBE_HOME moves
 * it; the default is `.hakube/` in the project root, found from this file rather than the current
 * directory so `npx hakube` from a subfolder still uses the same key and database.
 */
import * as path from 'node:path';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

export function hakubeHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.HAKUBE_HOME ? path.resolve(env.HAKUBE_HOME) : path.join(PROJECT_ROOT, '.hakube');
}
