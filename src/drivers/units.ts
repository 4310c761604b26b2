/** The two scripts that install and check a systemd unit (etcd members, the nginx proxy). */
import type { PlannedFile } from '../plan/types';
import { renderUnitApplyScript, renderUnitOkScript } from '../render/system';
import { script } from '../phases/step';

export const unitScripts = (): PlannedFile[] => [script('unit-apply', renderUnitApplyScript()), script('unit-ok', renderUnitOkScript())];
