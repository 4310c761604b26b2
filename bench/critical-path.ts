/**
 * The critical path of a run's remote commands, from the hosts' own exec log: the longest chain
 * of commands each of which started after the previous one ended (on any host), weighted by the
 * commands' durations. Nothing orchestrating them could finish sooner than that chain, so wall
 * time divided by it is the orchestrator's overhead: its scheduling, round trips and waits.
 * Pure, so a unit test pins it.
 */

export interface TimedCommand {
  host: string;
  /** Epoch ms as the host saw the command start and end. */
  start: number;
  end: number;
  line: string;
}

export interface CriticalPath {
  /** Sum of the chain's command durations. */
  ms: number;
  /** The chain, first command first. */
  chain: TimedCommand[];
}

/**
 * Longest-weight chain in the interval order (a before b iff a.end <= b.start): commands by end
 * time, each one's best chain is its duration plus the best chain that ended by its start,
 * found by binary search over a running maximum. O(n log n) for the tens of thousands of
 * commands a 100-host deploy runs.
 */
export function criticalPath(commands: readonly TimedCommand[]): CriticalPath {
  const cmds = commands.filter((c) => Number.isFinite(c.start) && Number.isFinite(c.end) && c.end >= c.start).slice().sort((a, b) => a.end - b.end);
  const ends = cmds.map((c) => c.end);
  // bestUpTo[i]: index of the command with the heaviest chain among cmds[0..i].
  const best: number[] = [];
  const prev: number[] = [];
  const bestUpTo: number[] = [];
  for (let i = 0; i < cmds.length; i++) {
    // Last command that ended by this one's start.
    let lo = 0;
    let hi = i - 1;
    let j = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (ends[mid] <= cmds[i].start) {
        j = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const before = j >= 0 ? bestUpTo[j] : -1;
    best[i] = cmds[i].end - cmds[i].start + (before >= 0 ? best[before] : 0);
    prev[i] = before;
    bestUpTo[i] = i > 0 && best[bestUpTo[i - 1]] >= best[i] ? bestUpTo[i - 1] : i;
  }
  if (!cmds.length) return { ms: 0, chain: [] };
  const chain: TimedCommand[] = [];
  for (let k = bestUpTo[cmds.length - 1]; k >= 0; k = prev[k]) chain.push(cmds[k]);
  chain.reverse();
  return { ms: best[bestUpTo[cmds.length - 1]], chain };
}

/**
 * Lines of the exec log the bench's sshd wrapper writes (bench/lab-exec-timing.ts):
 * "<start s.us>\t<end s.us>\t<exit>\t<command line>", times as bash's $EPOCHREALTIME.
 */
export function parseExecLog(host: string, text: string): TimedCommand[] {
  const out: TimedCommand[] = [];
  for (const l of text.split('\n')) {
    const f = l.split('\t');
    if (f.length < 4) continue;
    const start = Number(f[0]) * 1000;
    const end = Number(f[1]) * 1000;
    if (!Number.isFinite(start) || !Number.isFinite(end)) continue;
    out.push({ host, start, end, line: f.slice(3).join('\t') });
  }
  return out;
}
