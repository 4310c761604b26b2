/** A failed command's one-line error names the failure, not kubeadm's advice that follows it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandFailedError } from '../../src/ssh/errors';

test("a kubeadm failure's message is its error line, not the stack-trace advice", () => {
  const phase = 'error execution phase control-plane-join/etcd: error creating local etcd static pod manifest file: etcdserver: unhealthy cluster\nTo see the stack trace of this error execute with --v=5 or higher\n';
  assert.match(new CommandFailedError('m4', 1, undefined, "'kubeadm' 'join'", phase, '').message, /exited 1: error execution phase control-plane-join\/etcd: .*unhealthy cluster$/);
  const preflight =
    'error execution phase preflight: [preflight] Some fatal errors occurred:\n\t[ERROR Port-10250]: Port 10250 is in use\n[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`\nTo see the stack trace of this error execute with --v=5 or higher\n';
  assert.match(new CommandFailedError('w3', 1, undefined, "'kubeadm' 'join'", preflight, '').message, /exited 1: \[ERROR Port-10250\]: Port 10250 is in use$/);
  // Other commands keep their last line, also when it is all there is.
  assert.match(new CommandFailedError('m1', 2, undefined, "'sh' 'x.sh'", 'one\nlast words\n', '').message, /exited 2: last words$/);
  assert.match(new CommandFailedError('m1', 1, undefined, "'kubeadm' 'join'", 'To see the stack trace of this error execute with --v=5 or higher\n', '').message, /exited 1: To see the stack trace/);
});
