/**
 * Where hakube keeps local state (codec key, dev-server database, pid file). HAKUBE_HOME moves
 * it; the default is `.hakube/` in the project root, found from this file rather than the current
 * directory so `npx hakube` from a subfolder still uses the same key and database.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The nearest folder above this code with a package.json: the checkout (or image) root, whether
 * this runs from src/temporal/ through tsx or from the launcher's bundle in dist/.
 */
function projectRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '..', '..');
  }
}

export const PROJECT_ROOT = projectRoot();

export function hakubeHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.HAKUBE_HOME ? path.resolve(env.HAKUBE_HOME) : path.join(PROJECT_ROOT, '.hakube');
}
