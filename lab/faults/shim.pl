#!/usr/bin/perl
# hakube lab command shim, installed as /usr/local/sbin/<command> on a lab host (first on root's
# PATH). It logs the call, applies a matching injected fault from /var/lib/hakube-lab/faults/
# (fail or hang, `times` counted down under flock), or else runs the real command next on PATH.
use strict;
use warnings;
use Fcntl qw(:flock SEEK_SET);
use File::Basename qw(basename dirname);
use JSON::PP;
use POSIX qw(strftime);

my $cmd = basename($0);
my @words = ($cmd, @ARGV);
my ($action, $code, $what) = ('run', 0, '');

for my $file (sort glob('/var/lib/hakube-lab/faults/*.json')) {
  open(my $fh, '+<', $file) or next;
  flock($fh, LOCK_EX) or next;
  my $raw = do { local $/; <$fh> };
  my $fault = eval { decode_json($raw) };
  next unless ref $fault eq 'HASH' && ref $fault->{match} eq 'ARRAY';
  my @m = @{ $fault->{match} };
  next if !@m || @m > @words;
  next if grep { $m[$_] ne $words[$_] } 0 .. $#m;
  my $times = defined $fault->{times} ? $fault->{times} : -1;
  next if $times == 0;
  if ($times > 0) {
    $fault->{times} = $times - 1;
    seek($fh, 0, SEEK_SET);
    truncate($fh, 0);
    print $fh JSON::PP->new->canonical->encode($fault), "\n";
  }
  close($fh);
  $action = ($fault->{mode} // '') eq 'hang' ? 'hang' : 'fail';
  $code = defined $fault->{exitCode} ? $fault->{exitCode} : 1;
  $what = join(' ', @m);
  last;
}

# Secrets (join tokens, certificate keys) never reach the log.
my (@shown, $mask);
for my $w (@words) {
  if ($mask) { push @shown, '***'; $mask = 0; next }
  if ($w =~ /^(--?[^=]*(?:token|key|password|secret)[^=]*)=/i) { push @shown, "$1=***"; next }
  $mask = 1 if $w =~ /^--?[\w-]*(?:token|key|password|secret)[\w-]*$/i && $w !~ /skip|unsafe|print/i;
  push @shown, $w;
}
if (open(my $log, '>>', '/var/log/hakube-lab/commands.log')) {
  flock($log, LOCK_EX);
  print $log strftime('%Y-%m-%dT%H:%M:%SZ', gmtime), "\t$action\t", join(' ', @shown), "\n";
  close($log);
}

if ($action eq 'fail') {
  print STDERR "hakube-lab: injected failure of '$what' (exit $code)\n";
  exit $code;
}
if ($action eq 'hang') {
  sleep 3600 while 1;
}
my $self = dirname($0);
for my $dir (split /:/, $ENV{PATH} // '/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin') {
  next if $dir eq '' || $dir eq $self || $dir eq '/usr/local/sbin';
  my $real = "$dir/$cmd";
  if (-f $real && -x _) { exec { $real } $cmd, @ARGV or die "$cmd: $!\n" }
}
print STDERR "$cmd: command not found\n";
exit 127;
