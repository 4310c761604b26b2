/**
 * The fragment as an Ansible play, run by Debian's ansible-playbook (installed with apt when
 * missing): copy, slurp, command, forks = hakube's concurrency, pipelining on, host keys checked
 * against the lab's known_hosts, SSH connections kept between runs (ControlPersist) so a warm
 * run pays no handshakes, as hakube's pool and the bare script do not.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FRAGMENT_FILE } from './activities';
import type { BareHost, BareOptions } from './ssh2-bare';

/** Debian's ansible, installed when it is not there yet; returns its version line. */
export function ensureAnsible(): string {
  const version = () => execFileSync('/usr/bin/ansible-playbook', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  try {
    return version();
  } catch {
    process.stderr.write('bench/lab-scale: installing Debian ansible (apt-get install -y ansible)\n');
    execFileSync('apt-get', ['install', '-y', 'ansible'], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    return version();
  }
}

export interface AnsibleProject {
  dir: string;
  env: NodeJS.ProcessEnv;
}

export function writeAnsibleProject(hosts: BareHost[], opts: BareOptions, forks: number): AnsibleProject {
  const dir = mkdtempSync(join(tmpdir(), 'hakube-bench-ansible-'));
  writeFileSync(
    join(dir, 'ansible.cfg'),
    [
      '[defaults]',
      `inventory = ${join(dir, 'hosts.ini')}`,
      `forks = ${forks}`,
      'host_key_checking = True',
      'gathering = explicit',
      'interpreter_python = /usr/bin/python3',
      'retry_files_enabled = False',
      `local_tmp = ${join(dir, 'tmp')}`,
      '',
      '[ssh_connection]',
      'pipelining = True',
      `control_path_dir = ${join(dir, 'cp')}`,
      `ssh_args = -o ControlMaster=auto -o ControlPersist=600s -o UserKnownHostsFile=${opts.knownHostsPath} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'hosts.ini'),
    ['[lab]', ...hosts.map((h) => `${h.name} ansible_host=${h.address} ansible_port=${opts.port} ansible_user=${opts.user} ansible_ssh_private_key_file=${opts.privateKeyPath}`), ''].join('\n'),
  );
  writeFileSync(
    join(dir, 'fragment.yml'),
    [
      '- hosts: lab',
      '  gather_facts: false',
      '  tasks:',
      '    - name: copy a small file',
      `      copy: { content: "{{ payload }}", dest: ${FRAGMENT_FILE}, mode: "0644" }`,
      '    - name: read it back',
      `      slurp: { src: ${FRAGMENT_FILE} }`,
      '      register: back',
      '      failed_when: (back.content | b64decode) != payload',
      '    - name: run a command',
      '      command: uname -r',
      '      changed_when: false',
      '',
    ].join('\n'),
  );
  return { dir, env: { ...process.env, ANSIBLE_CONFIG: join(dir, 'ansible.cfg'), ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0' } };
}

/** One run of the play; rejects unless every host is ok. Resolves with the recap. */
export function runPlay(p: AnsibleProject, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/ansible-playbook', [join(p.dir, 'fragment.yml'), '-e', JSON.stringify({ payload })], { cwd: p.dir, env: p.env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const recap = out.slice(out.lastIndexOf('PLAY RECAP'));
      if (code !== 0 || /failed=[1-9]|unreachable=[1-9]/.test(recap)) reject(new Error(`ansible-playbook exit ${code}:\n${out.slice(-3000)}`));
      else resolve(recap);
    });
  });
}
